"""Published items kept as published; inputs derived from them (issue #18, item 1).

The store keeps every item a statistics file publishes (``items.parquet``: code, name, unit, year,
value, mark, file, row) and derives the catalog's inputs from the items of all files together, so
a download carrying one item of a sum keeps its rows and the console says what still lacks. Every
file's console line counts its own rows. Real files: ``tests/data/real/`` (attribution there).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from real_data import real

from sckpi_helpers.cli import main
from sckpi_helpers.config.settings import CitySettings

A6103_FILE = "outflow_A6103_1980-2020.csv"  # a real SSDS download carrying A6103 alone
A6103_ROWS = 17_179                        # its data rows (9 census years × ~1,910 areas)
SETTINGS = CitySettings(city_code="13101", source="estat-csv")


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A project root with the bundled SSDSE-A only (nothing else)."""
    root = tmp_path / "home"
    repo = Path(__file__).resolve().parents[1]
    shutil.copytree(repo / "data" / "raw" / "ssdse", root / "data" / "raw" / "ssdse")
    monkeypatch.setenv("SCKPI_HOME", str(root))
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)
    return root


def downloads(tmp_path: Path, *extra: tuple[str, str]) -> Path:
    """A folder with the real A6103 download and small files (name, text) beside it."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(real("ssds-csv", A6103_FILE), folder / A6103_FILE)
    for name, text in extra:
        (folder / name).write_text(text, encoding="utf-8")
    return folder


#: the real file's layout (the newer one, with a 注釈 column), for a file carrying A6104; the value
#: is the one 東京都's census table implies (千代田区 2020 流出 13,824 = A6103 11,980 + A6104 1,844)
A6104_FILE = ('"調査年 コード","調査年","地域 コード","地域","/項目",'
              '"A6104_流出人口（他県で従業・通学している人口）【人】","注釈"\n'
              '"2020100000","2020年度","13101","東京都 千代田区","","1,844",""\n')


def ingest(capsys, folder: Path) -> tuple[str, dict]:
    from sckpi_helpers.store.processed import read_manifest

    assert main(["ingest", "--source", "estat-csv", "--city", "13101", "--input", str(folder)]) == 0
    out = capsys.readouterr().out
    return out, {Path(f["file"]).name: f for f in read_manifest(SETTINGS)["files"]}


def counted(report: dict) -> int:
    """Rows used plus every ignored line's count."""
    import re

    return report["used"] + sum(int(m[1].replace(",", "")) if (m := re.search(r"（([\d,]+)件）$", t)) else 1
                                for t in report["ignored"])


# ------------------------------------------------------------------ a download with part of a sum
def test_a_download_with_one_item_of_a_sum_keeps_every_row(home, tmp_path, capsys):
    from sckpi_helpers.store.processed import load_items, load_panel

    out, files = ingest(capsys, downloads(tmp_path))
    items = load_items(SETTINGS)
    assert len(items) == A6103_ROWS  # nothing gone: every published row is stored
    chiyoda = items.query("area_code == '13101' and year == 2020 and item_code == 'A6103'").iloc[0]
    assert chiyoda["value"] == 11_980
    # the console says which derived input still lacks which item, and every row is accounted for
    assert "outflow_population は項目 A6104 がないため欠測" in out
    assert counted(files[A6103_FILE]) == A6103_ROWS
    # the sum is missing with its reason — never A6103 alone presented as the total outflow
    row = load_panel(SETTINGS).query("area_code == '13101' and year == 2020 "
                                     "and variable == 'outflow_population'").iloc[0]
    assert pd.isna(row["value"]) and "A6104" in row["annotation"]


def test_a_second_download_completes_the_sum_and_the_derivation_names_both(home, tmp_path, capsys):
    from sckpi_helpers.store.processed import load_panel

    _out, files = ingest(capsys, downloads(tmp_path, ("A6104.csv", A6104_FILE)))
    row = load_panel(SETTINGS).query("area_code == '13101' and year == 2020 "
                                     "and variable == 'outflow_population'").iloc[0]
    assert row["value"] == 11_980 + 1_844
    assert row["derivation"] == ("outflow_population = A6103 + A6104; "
                                 f"A6103 = 11,980 ({A6103_FILE} 660行目); A6104 = 1,844 (A6104.csv 2行目)")
    assert files["A6104.csv"]["used"] == 1  # its one row went into the sum
    assert files[A6103_FILE]["used"] >= 1 and counted(files[A6103_FILE]) == A6103_ROWS


def test_items_round_trip_with_their_file_and_row(home, tmp_path, capsys):
    from sckpi_helpers.store.processed import load_items

    folder = downloads(tmp_path)
    ingest(capsys, folder)
    items = load_items(SETTINGS)
    lines = (folder / A6103_FILE).read_text(encoding="utf-8").splitlines()
    for item in items.sample(200, random_state=1).itertuples():
        cells = [c.strip('"') for c in lines[item.row - 1].split('","')]
        assert Path(item.file).name == A6103_FILE and cells[2] == item.area_code
        assert int(cells[0][:4]) == item.year
        published = cells[5].replace(",", "")
        assert (published == item.annotation) if pd.isna(item.value) else (float(published) == item.value)
    assert set(items["item_name"]) == {"流出人口（県内他市区町村で従業・通学している人口）"}  # as published
    assert set(items["unit"]) == {"人"}
    assert items["annotation"].dropna().eq("-").all() and items["annotation"].notna().any()  # its marks kept


# ------------------------------------------------------------------ the 政令指定都市 rule on the items
def test_the_designated_city_rule_is_applied_when_deriving(home, tmp_path, capsys):
    from sckpi_helpers.store.processed import load_panel

    sapporo = ('"調査年 コード","調査年","地域 コード","地域","/項目",'
               '"A6104_流出人口（他県で従業・通学している人口）【人】","注釈",'
               '"A6105_流入人口（県内他市区町村に常住している人口）【人】","注釈"\n'
               '"2020100000","2020年度","01100","北海道 札幌市","","3,000","","500,000",""\n')
    ingest(capsys, downloads(tmp_path, ("sapporo.csv", sapporo)))
    row = load_panel(SETTINGS).query("area_code == '01100' and year == 2020 "
                                     "and variable == 'outflow_population'").iloc[0]
    # 札幌市 2020 A6103 = 452,836 (the real file): the sum of its wards, inter-ward commuting included
    assert row["value"] == 3_000 + max(0, 452_836 - 500_000)
    assert row["derivation"].startswith("outflow_population = A6104 + max(0, A6103 - A6105) (政令指定都市)")


# ------------------------------------------------------------------ police open data of one year
def test_each_police_file_of_a_year_counts_its_own_rows(home, tmp_path, capsys):
    from sckpi_helpers.store.processed import read_manifest

    one = real("police", "tokyo_2021syazyounerai.csv")
    text = one.read_bytes().decode("cp932")
    two = tmp_path / "tokyo_2021buhinnerai.csv"  # a second 手口 file of the same year, real layout
    two.write_bytes(text.replace(",車上ねらい,", ",部品ねらい,").encode("cp932"))
    assert main(["ingest", "--source", "ssdse", "--city", "13101", "--years", "2020-2023",
                 "--police", str(one), "--police", str(two)]) == 0
    out = capsys.readouterr().out
    from sckpi_helpers.city import resolve_city

    files = {Path(f["file"]).name: f for f in read_manifest(resolve_city("13101").build)["files"]}
    first, second = files[one.name], files[two.name]
    assert first["used"] > 0 and second["used"] == first["used"]  # both went into 街頭犯罪
    assert f"{second['used']:,} 行を使用" in out.split(two.name)[1].splitlines()[0]
    assert json.dumps(second).count("0 行を使用") == 0


# ------------------------------------------------------------------ the reason reaches the indicator
def test_an_indicator_over_a_sum_lacking_an_item_is_missing_and_names_the_item():
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.catalog.items import tidy_to_inputs
    from sckpi_helpers.indicators.engine import compute

    cat = load_catalog()
    names = {"A1101": "A1101_総人口【人】", "A2301": "A2301_住民基本台帳人口（総数）【人】",
             "A6105": "A6105_流入人口（県内他市区町村に常住している人口）【人】", "I6100": "I6100_医師数【人】"}
    tidy = pd.DataFrame({"area_code": "08220", "year": 2020, "item_code": list(names),
                         "item_name": list(names.values()), "value": [245_000.0, 250_000.0, 30_000.0, 500.0],
                         "annotation": None, "unit": "人"})  # A6106 (inflow from other prefectures) absent
    rows, _ = tidy_to_inputs(tidy, cat)
    res = compute(rows, cat, indicator_ids=["t3.soc.medical_capacity"], adjusted_population="resident_plus_inflow")
    assert res["status"].iloc[0] == "missing" and pd.isna(res["value"].iloc[0])
    assert "A6106" in res["reason"].iloc[0]  # not 500 / (250,000 × (1 + 30,000 / 245,000)) from a partial inflow
