"""sckpi ingest: files and folders of any registered format, a console report per file, and the
faults of issue #10 (conflicting duplicates, empty downloads, unknown area codes, settings)."""

from __future__ import annotations

import re
import shlex

import pandas as pd
import pytest

from sckpi_helpers.cli import main
from sckpi_helpers.config.settings import load_settings
from sckpi_helpers.errors import SckpiError, ValidationError
from sckpi_helpers.store import build, items
from sckpi_helpers.store import processed as store

HEADER = '"調査年 コード","調査年","地域 コード","地域",{items}\n'


def ssds_csv(path, rows, items_=("A1101_総人口【人】",)):
    """A small SSDS download: rows are (area_code, year, value, …) with one value per item."""
    head = HEADER.format(items=",".join(f'"{i}","注釈"' for i in items_))
    body = "".join(f'"{y}100000","{y}年度","{a}","サンプル県 テスト市",'
                   + ",".join(f'"{v}",""' for v in values) + "\n" for a, y, *values in rows)
    path.write_text(head + body, encoding="utf-8")
    return path


@pytest.fixture
def city(demo_home):
    """A city (99202) with its own folder and settings, reading downloaded files only."""
    folder = demo_home / "data" / "raw" / "testcity"
    folder.mkdir()
    (folder / "settings.yaml").write_text('city_code: "99202"\nsource: estat-csv\nyears: 2015-2024\n',
                                          encoding="utf-8")
    return folder


def run(capsys, *argv):
    code = main(["ingest", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------ folders and the report
def test_a_folder_is_read_file_by_file_and_unrecognised_files_are_listed(city, capsys):
    ssds_csv(city / "population.csv", [("99202", 2020, "100000"), ("99201", 2020, "400000")])
    (city / "memo.txt").write_text("downloaded on 2025-04-01\n", encoding="utf-8")
    code, out, _ = run(capsys, "--city", "99202", "--input", str(city))
    assert code == 0
    assert re.search(r"population\.csv — ssds-csv .*: 2 行を使用 / 2 行", out)
    assert re.search(r"memo\.txt — 認識できない形式", out)
    panel = store.load_panel(load_settings(city / "settings.yaml"))
    assert sorted(panel["area_code"]) == ["99201", "99202"]


def test_source_defaults_to_the_city_settings(city, capsys):
    ssds_csv(city / "population.csv", [("99202", 2020, "100000")])
    code, out, _ = run(capsys, "--city", "99202", "--input", str(city / "population.csv"))
    assert code == 0 and out.startswith("sckpi ingest --source estat-csv: city 99202")


def test_items_the_catalog_does_not_know_or_names_otherwise_are_printed(city, capsys):
    ssds_csv(city / "mixed.csv", [("99202", 2020, "100000", "5", "18000")],
             items_=("A1101_総人口【人】", "Z9999_謎の項目【件】", "A7101_事業所数【所】"))
    code, out, _ = run(capsys, "--city", "99202", "--input", str(city))
    assert code == 0
    assert "Z9999「謎の項目」はカタログのどの入力にも対応しない" in out
    assert re.search(r"A7101 の公表名「事業所数」がカタログの想定「[^」]+」と異なる", out)
    assert "1 行を使用 / 3 行" in out


def test_the_hint_for_a_city_without_downloads_is_a_command_that_works(city, capsys, monkeypatch):
    monkeypatch.chdir(city.parents[2])
    code, _, err = run(capsys, "--city", "99202")
    assert code == 1
    hint = re.search(r"run '(sckpi ingest [^']+)'", err)[1]
    ssds_csv(city / "population.csv", [("99202", 2020, "100000")])
    assert main(shlex.split(hint)[1:]) == 0


# ------------------------------------------------------------------ issue #10
def test_two_rows_with_different_values_for_one_cell_are_an_error_naming_both(city):
    a = ssds_csv(city / "a.csv", [("99202", 2020, "100000")])
    b = ssds_csv(city / "b.csv", [("99202", 2020, "100500")])
    settings = load_settings(city / "settings.yaml")
    with pytest.raises(ValidationError) as exc:
        build.ingest(settings, source="estat-csv", inputs=[a, b])
    msg = str(exc.value)
    assert "99202 2020年" in msg and "a.csv" in msg and "b.csv" in msg
    assert "100,000 (a.csv" in msg and "100,500 (b.csv" in msg


def test_equal_duplicates_collapse(city):
    a = ssds_csv(city / "a.csv", [("99202", 2020, "100000")])
    b = ssds_csv(city / "b.csv", [("99202", 2020, "100,000")])
    settings = load_settings(city / "settings.yaml")
    build.ingest(settings, source="estat-csv", inputs=[a, b])
    assert len(store.load_panel(settings)) == 1


def test_a_header_only_download_is_a_one_line_error(city, capsys):
    ssds_csv(city / "empty.csv", [])
    code, _, err = run(capsys, "--city", "99202", "--input", str(city / "empty.csv"))
    assert code == 1
    assert "empty.csv" in err and "no data rows" in err and len(err.strip().splitlines()) == 1


def test_e_stat_answering_no_data_for_every_table_is_a_clear_error():
    class NoData:
        def get_stats_data(self, sid, refresh=False, **kw):
            return [{"GET_STATS_DATA": {"RESULT": {"STATUS": 1}, "PARAMETER": {"STATS_DATA_ID": sid}}}]

    with pytest.raises(SckpiError, match="no data rows.*0000020201"):
        items.fetch_api(NoData(), [{"stats_data_id": "0000020201", "areas": ["99999"]}])


def test_unknown_area_codes_are_listed_and_never_become_areas(city, capsys):
    ssds_csv(city / "population.csv", [("99202", 2020, "100000")])
    (city / "police.csv").write_text(
        "area_code,year,variable,value,unit,source,published\n"
        "99202,2020,crimes_recognised,120,件,テスト県警,2021-03-01\n"
        "99999,2020,crimes_recognised,7,件,テスト県警,2021-03-01\n"
        "9202,2020,crimes_recognised,8,件,テスト県警,2021-03-01\n", encoding="utf-8")
    code, out, _ = run(capsys, "--city", "99202", "--input", str(city))
    assert code == 0
    assert re.search(r"police\.csv 3行目, 列「area_code」: 地域コード 99999 は地域一覧にない", out)
    assert re.search(r"police\.csv 4行目, 列「area_code」: 地域コード 09202 は地域一覧にない", out)
    settings = load_settings(city / "settings.yaml")
    assert set(store.load_panel(settings)["area_code"]) == {"99202"}
    assert set(store.load_areas(settings)["area_code"]) == {"99202"}


def test_a_broken_settings_file_of_another_city_does_not_stop_this_one(city, capsys):
    broken = city.parent / "zzz" / "settings.yaml"
    broken.parent.mkdir()
    broken.write_text("city_code: [unclosed\n", encoding="utf-8")
    ssds_csv(city / "population.csv", [("99202", 2020, "100000")])
    code, _, err = run(capsys, "--city", "99202", "--input", str(city))
    assert code == 0 and "zzz" not in err


def test_missing_files_in_settings_are_one_error_naming_file_and_keys(city, capsys):
    (city / "settings.yaml").write_text(
        'city_code: "99202"\nsource: estat-csv\nlogic_model: logic_modle.yaml\n'
        "local_data:\n  - local.xlsx\n", encoding="utf-8")
    code, _, err = run(capsys, "--city", "99202")
    assert code == 1
    assert str(city / "settings.yaml") in err
    assert "logic_model" in err and "logic_modle.yaml" in err
    assert "local_data" in err and "local.xlsx" in err


def test_an_empty_build_does_not_crash_the_areas_table():
    from sckpi_helpers.sources.areas import areas_table

    out = areas_table(pd.DataFrame({"area_code": [], "area_name": []}), None)
    assert out.empty and "municipal_type" in out.columns


def test_a_settings_path_is_checked_when_loading_unless_asked_not_to(city):
    (city / "settings.yaml").write_text('city_code: "99202"\nmergers: nope.csv\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="mergers"):
        load_settings(city / "settings.yaml")
    assert load_settings(city / "settings.yaml", check_files=False).city_code == "99202"


def test_a_city_without_settings_is_told_which_source_to_name(demo_home, capsys):
    code, _, err = run(capsys, "--city", "13101")
    assert code == 1 and "sckpi ingest --source estat-api --city 13101" in err


def test_a_conflict_names_the_rows_when_the_reader_numbers_them(city):
    """Readers may add a ``row`` column (the editor's line); a conflict then names both rows."""
    from sckpi_helpers.sources import base

    class Numbered(base.Reader):
        kind, title_ja, target = "test-numbered", "番号付き", "items"

        def recognise(self, path, head):
            return path.suffix == ".numbered"

        def read(self, path, **context):
            rows = [dict(zip(base.ITEM_COLUMNS, ["0000020201", "99202", "テスト市", "テスト市", "2020100000",
                                                 2020, "A1101", "総人口", "人", v, None, "test"],
                             strict=True), row=line) for line, v in ((7, 100.0), (9, 101.0))]
            return base.ReadResult(self.kind, "items", pd.DataFrame(rows), [], str(path))

    base.register(Numbered())
    try:
        (city / "x.numbered").write_text("-", encoding="utf-8")
        with pytest.raises(ValidationError) as exc:
            build.ingest(load_settings(city / "settings.yaml"), inputs=[city / "x.numbered"])
    finally:
        base._REGISTRY.pop("test-numbered")
    assert "x.numbered 7行目" in str(exc.value) and "x.numbered 9行目" in str(exc.value)


def test_the_hint_for_a_missing_build_is_the_command_that_builds_it(city, capsys, monkeypatch):
    monkeypatch.chdir(city.parents[2])
    ssds_csv(city / "estat.csv", [("99202", 2020, "100000")])
    (city / "settings.yaml").write_text('city_code: "99202"\nsource: estat-csv\nestat_csv: [estat.csv]\n',
                                        encoding="utf-8")
    settings = load_settings(city / "settings.yaml")
    with pytest.raises(SckpiError, match=r"run '([^']+)'") as exc:
        store.load_panel(settings)
    hint = re.search(r"run '([^']+)'", str(exc.value))[1]
    assert main(shlex.split(hint)[1:]) == 0
    assert len(store.load_panel(settings)) == 1


def test_the_demo_folder_as_input_reads_each_file_once(demo_home, capsys, monkeypatch):
    """Its settings, areas, mergers and logic model are configuration, and its e-Stat cache is
    read by the API step: none is listed as unrecognised nor read twice."""
    monkeypatch.chdir(demo_home)
    code, out, _ = run(capsys, "--input", "data/raw/demo")
    assert code == 0
    unrecognised = re.findall(r"(\S+) — 認識できない形式", out)
    assert unrecognised == ["data/raw/demo/README.md"]
    assert out.count("external_statistics.csv —") == 1
