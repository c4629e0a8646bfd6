"""The fault suite (issue #10): one row per bad input → the clear error (or flagged value) it gives.

Each row builds one broken input in a tmp project (SCKPI_HOME holds a copy of the demo) and
returns what the user sees: the error text (file, row, column named where they apply; Japanese
where it is about the user's own files) or, where the kit accepts the input, what it read. The
rows cover the cases of issue #10 and the faults handled before it, so none regresses. Faults of
the report runner that need a notebook run (failed set re-run without --force, stale tmp
folders, the lock, the umask) are in tests/test_report.py.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from test_local_data import INDS as LOCAL_INDS
from test_local_data import _filled as filled_template

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.cli import main
from sckpi_helpers.config.periods import parse_period
from sckpi_helpers.config.settings import CitySettings, find_settings, load_settings
from sckpi_helpers.errors import SckpiError

TESTS = Path(__file__).parent
SSDS = TESTS / "fixtures" / "ssds"
ESTAT = TESTS / "fixtures" / "estat"
POLICE = TESTS / "data" / "real" / "police"
CATALOG = load_catalog()


def error_of(fn: Callable[[], object]) -> str:
    """The message a user gets from ``fn`` (an SckpiError), or what it returned."""
    try:
        return f"OK {fn()!r}"
    except SckpiError as exc:
        return f"ERROR {exc}"


def cli(*argv: str, stdout: bool = False) -> str:
    """``sckpi ARGV``: exit status, then stderr (or stdout)."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(list(argv))
    return f"exit {code}: {(out if stdout else err).getvalue()}"


# ---------------------------------------------------------------------------- input builders
def ssds_file(home: Path, name: str, edit: Callable[[bytes], bytes] = lambda b: b) -> Path:
    """The SSDS CSV fixture (A1101, A1301, A7101 for a few cities) with an edit."""
    p = home / name
    p.write_bytes(edit((SSDS / "utf8bom_4lines.csv").read_bytes()))
    return p


def cut_mid_number(b: bytes) -> bytes:
    lines = b.rstrip(b"\r\n").split(b"\n")
    return b"\n".join(lines[:-1]) + '\n"2020100000","2020年度","13101","東京都 千代田区","77,5'.encode()


def workbook(home: Path, cells: dict, merge: str | None = None) -> Path:
    """The local-data template over FY2024 with cells typed in, as a clerk would."""
    return filled_template(home, cells, name="local.xlsx", merge=merge)


def read_local(path: Path) -> object:
    from sckpi_helpers.sources import local_workbook as lw

    return lw.read_local(path, CATALOG, extra_indicators=LOCAL_INDS[1:])[["period", "value"]].values.tolist()


def ingest_csv(home: Path, *files: Path) -> object:
    """A build from CSV downloads the settings name (``estat_csv:``)."""
    from sckpi_helpers.store.build import ingest

    return ingest(CitySettings(city_code="13101", source="estat-csv", estat_csv=list(files)))


def tidy(code: str, name: str) -> pd.DataFrame:
    return pd.DataFrame({"stats_data_id": "0000020201", "area_code": "13101", "area_name": "千代田区",
                         "area_full_name": "東京都 千代田区", "time_code": "2020100000", "year": 2020,
                         "item_code": code, "item_name": name, "unit": "人", "value": 100.0,
                         "annotation": None, "source": "e-Stat SSDS CSV x.csv"}, index=[0])


def ignored_lines(code: str, name: str) -> object:
    from sckpi_helpers.store.items import tidy_to_panel

    return [str(i) for i in tidy_to_panel(tidy(code, name), CATALOG, file="x.csv")[1]]


def panel_row(variable: str, value: float, source: str, unit: str = "人") -> pd.DataFrame:
    return pd.DataFrame({"area_code": "13101", "area_name": "千代田区", "year": 2020, "variable": variable,
                         "value": value, "unit": unit, "source": source, "annotation": None,
                         "published": None, "_file": "stats.csv", "_row": 7}, index=[0])


def out_of_range(source: str) -> object:
    from sckpi_helpers.store.validity import refuse_out_of_range

    flagged = refuse_out_of_range(panel_row("population_census", -5.0, source), CATALOG, {})
    return flagged[["value", "annotation"]].values.tolist()


def other_unit() -> None:
    from sckpi_helpers.store.validity import refuse_other_units

    refuse_other_units(panel_row("population_census", 66.7, "e-Stat 0000020201 A1101", unit="千人"), CATALOG)


def estat_client(home: Path, *answers, **kw):
    from sckpi_helpers.sources import estat_api as estat

    class Session:
        def __init__(self) -> None:
            self.answers = list(answers)

        def get(self, url, params=None, timeout=None):
            a = self.answers.pop(0)
            if isinstance(a, Exception):
                raise a
            return a

    class Response:
        def __init__(self, status_code: int, content: bytes) -> None:
            self.status_code, self.content = status_code, content

    estat._sleep = lambda s: None
    answers = tuple(Response(*a) if isinstance(a, tuple) else a for a in answers)
    return estat.EstatClient(app_id="APPID0123456789", cache_dir=home / "cache", session=Session(), **kw)


def all_status_1(home: Path) -> object:
    from sckpi_helpers.store.items import fetch_api

    nodata = (ESTAT / "status1_nodata.json").read_bytes()
    client = estat_client(home, (200, nodata), (200, nodata))
    return fetch_api(client, [{"stats_data_id": "0000020201", "areas": ["13101"]},
                              {"stats_data_id": "0000020202", "areas": ["13101"]}])


def status_1_not_cached(home: Path) -> object:
    nodata, data = (ESTAT / "status1_nodata.json").read_bytes(), (ESTAT / "single_page.json").read_bytes()
    client = estat_client(home, (200, nodata), (200, data))
    first = client.fetch_frame("0000020201", areas=["01100"])
    return (len(first), len(client.fetch_frame("0000020201", areas=["01100"])))


def settings_with(home: Path, text: str) -> Path:
    folder = home / "data" / "raw" / "13101"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.yaml").write_text(text, encoding="utf-8")
    return folder / "settings.yaml"


def broken_other_city(home: Path) -> object:
    settings_with(home, "city_code: [unclosed\n")
    return find_settings("99201").name_ja


def police_without_year(home: Path) -> object:
    from sckpi_helpers.sources.police_keishicho import read_keishicho

    p = home / "keishicho_ninchikensu.csv"
    shutil.copy(POLICE / "keishicho_ninchikensu_R4.csv", p)
    return read_keishicho(p)


def police_with_year(home: Path) -> object:
    from sckpi_helpers.sources.police_keishicho import read_keishicho

    p = home / "keishicho_ninchikensu.csv"
    shutil.copy(POLICE / "keishicho_ninchikensu_R4.csv", p)
    return sorted(set(read_keishicho(p, year=2022)[0]["year"]))


def full_width_target(home: Path) -> object:
    from sckpi_helpers.sources.logic_model import load_logic_model

    src = (home / "data" / "raw" / "demo" / "logic_model.yaml").read_text(encoding="utf-8")
    m = re.search(r"value: (\d+)", src)
    wide = m.group(1).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    p = home / "lm.yaml"
    p.write_text(src[:m.start(1)] + f'"{wide}"' + src[m.end(1):], encoding="utf-8")
    load_logic_model(p, CATALOG)
    return int(m.group(1))


def bad_logic_model(home: Path) -> object:
    from sckpi_helpers.sources.logic_model import load_logic_model

    src = (home / "data" / "raw" / "demo" / "logic_model.yaml").read_text(encoding="utf-8")
    m = re.search(r"catalog: (t3\.[\w.]+)", src)
    p = home / "lm.yaml"
    p.write_text(src[:m.start(1)] + "t3.no_such_indicator" + src[m.end(1):], encoding="utf-8")
    return load_logic_model(p, CATALOG)


# ---------------------------------------------------------------------------- the table
CASES = [
    # --- published statistics files
    ("csv cut off mid-number", lambda h: error_of(lambda: ingest_csv(h, ssds_file(h, "cut.csv", cut_mid_number)))),
    ("two files, one cell, two values", lambda h: error_of(lambda: ingest_csv(
        h, ssds_file(h, "a.csv"), ssds_file(h, "b.csv", lambda b: b.replace(b'"66680 "', b'"66681"'))))),
    ("header-only csv", lambda h: error_of(lambda: ingest_csv(h, ssds_file(
        h, "empty.csv", lambda b: b.split(b'"2015100000"')[0])))),
    ("neither utf-8 nor cp932", lambda h: error_of(lambda: ingest_csv(h, SSDS / "bad_encoding.csv"))),
    ("missing area-code column", lambda h: error_of(lambda: ingest_csv(h, SSDS / "bad_no_area_code.csv"))),
    ("text in a number column", lambda h: error_of(lambda: ingest_csv(h, SSDS / "bad_text_in_number.csv"))),
    ("area code 1310A", lambda h: error_of(lambda: ingest_csv(h, ssds_file(
        h, "x.csv", lambda b: b.replace(b'"13101"', b'"1310A"'))))),
    ("4-digit area code (Excel dropped the 0)", lambda h: error_of(lambda: sorted(pd.read_parquet(ingest_csv(
        h, ssds_file(h, "x.csv", lambda b: b.replace(b'"01100"', b'"1100"')))["areas"])["area_code"]))),
    ("--cities with a 4-digit code", lambda h: error_of(lambda: __import__(
        "sckpi_helpers.store.plan", fromlist=["build_areas"]).build_areas("99999,1310"))),
    ("unknown item code", lambda h: error_of(lambda: ignored_lines("Z9999", "謎の項目"))),
    ("known code, other published name", lambda h: error_of(lambda: ignored_lines("A1101", "日本人人口"))),
    ("item column without a code prefix", lambda h: cli("ingest", "--source", "estat-csv", "--city", "13101",
                                                        "--input", str(ssds_file(h, "x.csv", lambda b: b.replace(
                                                            "A1301_15歳未満人口【人】".encode(), "15歳未満人口【人】".encode()))),
                                                        stdout=True)),
    ("a file no reader recognises, nothing else", lambda h: cli(
        "ingest", "--source", "estat-csv", "--city", "13101", "--input", str(SSDS / "bad_encoding.csv"))),
    ("negative published count", lambda h: error_of(lambda: out_of_range("e-Stat 0000020201 A1101"))),
    ("negative count in the city's own file", lambda h: error_of(lambda: out_of_range("external: stats.csv"))),
    ("unit differs from the catalog's", lambda h: error_of(other_unit)),
    # --- e-Stat API
    ("STATUS 1 for every table", lambda h: error_of(lambda: all_status_1(h))),
    ("STATUS 1 is not cached", lambda h: error_of(lambda: status_1_not_cached(h))),
    ("STATUS 100", lambda h: error_of(lambda: estat_client(
        h, (200, (ESTAT / "status100_error.json").read_bytes())).get_stats_data("0000020201"))),
    ("retries then gives up", lambda h: error_of(lambda: estat_client(
        h, (503, b""), (503, b""), (503, b""), retries=2).get_stats_data("0000020201"))),
    ("paging", lambda h: error_of(lambda: len(estat_client(
        h, (200, (ESTAT / "paged_1.json").read_bytes()), (200, (ESTAT / "paged_2.json").read_bytes()))
        .fetch_frame("0000020201")))),
    # --- the city's own files
    ("Excel date in a period cell", lambda h: error_of(lambda: read_local(
        workbook(h, {"D4": datetime(2024, 10, 1), "E4": 12})))),
    ("negative count in the workbook", lambda h: error_of(lambda: read_local(workbook(h, {"E4": -40})))),
    ("142.3 %", lambda h: error_of(lambda: read_local(workbook(h, {"E3": 142.3})))),
    ("merged value cells", lambda h: error_of(lambda: read_local(workbook(h, {"E4": 10}, merge="E4:E5")))),
    ("era / 年度 period", lambda h: error_of(lambda: parse_period("令和4年度").label)),
    ("bad period", lambda h: error_of(lambda: parse_period("2025Q5"))),
    ("full-width digits in a logic-model target", full_width_target),
    ("logic model names an unknown indicator", lambda h: error_of(lambda: bad_logic_model(h))),
    ("HTML injection in user text", lambda h: __import__(
        "sckpi_helpers.pages.display", fromlist=["heading_html"]).heading_html("<script>alert(1)</script>市")),
    ("police file without a year", lambda h: error_of(lambda: police_without_year(h))),
    ("police file, year given", lambda h: error_of(lambda: police_with_year(h))),
    # --- settings
    ("bad YAML", lambda h: error_of(lambda: load_settings(settings_with(h, "city_code: [unclosed\n")))),
    ("logic_model: path typo", lambda h: error_of(lambda: load_settings(settings_with(
        h, 'city_code: "13101"\nlogic_model: logic_modle.yaml\n')))),
    ("broken settings in another city's folder", lambda h: error_of(lambda: broken_other_city(h))),
    # --- commands
    ("sckpi report --period 9999", lambda h: cli("report", "--city", "99201", "--period", "9999")),
    ("sckpi report --city 12345", lambda h: cli("report", "--city", "12345", "--period", "2024")),
    ("sckpi ingest --city without settings or source", lambda h: cli("ingest", "--city", "13101")),
    ("sckpi ingest --source estat-json without --input", lambda h: cli(
        "ingest", "--source", "estat-json", "--city", "13101")),
]

EXPECTED = {
    "csv cut off mid-number": r"^ERROR .*cut\.csv, row 10: ファイルが途中で切れています",
    "two files, one cell, two values": r"^ERROR .*13101 2020年.*66,680 \(a\.csv.*66,681 \(b\.csv",
    "header-only csv": r"^ERROR .*empty\.csv: データ行がありません",
    "neither utf-8 nor cp932": r"^ERROR .*bad_encoding\.csv: the file is neither UTF-8 nor Shift_JIS",
    "missing area-code column": r"^ERROR .*bad_no_area_code\.csv",
    "text in a number column": r"^ERROR .*bad_text_in_number\.csv, row \d+, column '.+'",
    "area code 1310A": r"^ERROR .*x\.csv, row 8, column '地域 コード'",
    "4-digit area code (Excel dropped the 0)": r"^OK \[.*'01100'",
    "--cities with a 4-digit code": r"^ERROR --cities: '1310' は5桁の標準地域コード.*\(not a 5-digit area code\)$",
    "unknown item code": r"^OK \['x\.csv 列「Z9999」: 項目 Z9999「謎の項目」はカタログのどの入力にも対応しない",
    "known code, other published name": r"^OK \[.x\.csv 列「A1101」: 項目 A1101 の公表名「日本人人口」がカタログの想定「総人口」と異なる",
    "item column without a code prefix": r"^exit 0: .*x\.csv 列「15歳未満人口【人】」: SSDS の項目でない列",
    "a file no reader recognises, nothing else": r"^exit 1: .*統計の行がありません.*bad_encoding\.csv",
    "negative published count": r"^OK \[\[nan, '範囲外のため欠測扱い: -5 は \[0, ∞\) の外",
    "negative count in the city's own file": r"^ERROR .*stats\.csv, row 7, column 'population_census': .*-5 は有効範囲 \[0, ∞\) の外",
    "unit differs from the catalog's": r"^ERROR .*stats\.csv, column 'A1101': .*単位「千人」がカタログの単位「人」と異なります",
    "STATUS 1 for every table": r"^ERROR e-Stat にデータ行がありません .*0000020201, 0000020202",
    "STATUS 1 is not cached": r"^OK \(0, 6\)$",
    "STATUS 100": r"^ERROR .*認証に失敗しました",
    "retries then gives up": r"^ERROR .*after 3 attempt",
    "paging": r"^OK \d+$",
    "Excel date in a period cell": r"^OK \[\['2024Q3', 12\.0\]\]$",
    "negative count in the workbook": r"^ERROR .*local\.xlsx, row 4, column '値': .*負の数",
    "142.3 %": r"^ERROR .*local\.xlsx, row 3, column '値': .*142\.3",
    "merged value cells": r"^ERROR .*local\.xlsx, row 4, column '値': .*E4:E5",
    "era / 年度 period": r"^OK '(FY)?2022",
    "bad period": r"^ERROR .*2025Q5",
    "full-width digits in a logic-model target": r"^\d+$",
    "logic model names an unknown indicator": r"^ERROR .*lm\.yaml.*t3\.no_such_indicator",
    "HTML injection in user text": r"^<h2[^>]*>&lt;script&gt;alert\(1\)&lt;/script&gt;市</h2>$",
    "police file without a year": r"^ERROR .*keishicho_ninchikensu\.csv: ファイル名から年が分かりません",
    "police file, year given": r"^OK \[2022\]$",
    "bad YAML": r"^ERROR .*13101/settings\.yaml: cannot read settings",
    "logic_model: path typo": r"^ERROR .*settings\.yaml.*column 'logic_model': ファイルがありません .*logic_modle\.yaml",
    "broken settings in another city's folder": r"^OK 'サンプル市'$",
    "sckpi report --period 9999": r"^exit 1: sckpi report: error: .*9999.*out of range[^\n]*\n$",
    "sckpi report --city 12345": r"^exit 1: sckpi report: error: city 12345: unknown",
    "sckpi ingest --city without settings or source": r"^exit 1: .*'sckpi ingest --source ssdse --city 13101'",
    "sckpi ingest --source estat-json without --input": r"^exit 1: .*estat-json: .*--input FILE_OR_FOLDER",
}


@pytest.mark.parametrize(("case", "build"), CASES, ids=[c[0] for c in CASES])
def test_fault(case, build, demo_home, monkeypatch):
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)
    got = build(demo_home)
    assert re.search(EXPECTED[case], str(got), re.DOTALL), got


def test_every_case_has_an_expectation():
    assert {c[0] for c in CASES} == set(EXPECTED)
