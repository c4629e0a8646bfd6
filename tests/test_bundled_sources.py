"""The publications bundled under data/raw/, each read by its registered reader (one test per rule).

The files are the real published ones (attribution: ``data/raw/<folder>/ATTRIBUTION.md``); the kit
ships them, so these tests never skip. Published values checked across all files: test_conformance.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.catalog.items import tidy_to_inputs
from sckpi_helpers.config.settings import national_settings
from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources import base
from sckpi_helpers.sources.bundled import BUNDLED, bundled_paths, locate, national_inputs
from sckpi_helpers.sources.juki import read_juki
from sckpi_helpers.sources.police_keishicho import read_keishicho
from sckpi_helpers.sources.sugata import read_sugata
from sckpi_helpers.sources.tokyo_daytime import read_tokyo_daytime
from sckpi_helpers.sources.zaisei import read_zaisei
from sckpi_helpers.store.plan import mergers_file, plan_inputs

RAW = locate(BUNDLED[0].path).parents[1]  # the checkout's data/raw (the kit ships them)
CAT = load_catalog()


def cell(frame: pd.DataFrame, area: str, item: str, year: int | None = None) -> pd.Series:
    rows = frame[(frame.area_code == area) & (frame.item_code == item)]
    if year is not None:
        rows = rows[rows.year == year]
    assert len(rows) == 1, (area, item, year, len(rows))
    return rows.iloc[0]


def count_of(ignored, words: str) -> int:
    return sum(i.count for i in ignored if words in i.reason)


# ------------------------------------------------------------------------ the list of what ships
def test_every_bundled_file_ships_and_its_registered_reader_recognises_it():
    assert len(bundled_paths()) == len(BUNDLED) == 32
    for entry in BUNDLED:
        path = RAW / entry.path
        assert base.reader_for(path).kind == entry.kind, entry.path


def test_every_bundled_folder_carries_its_attribution():
    for folder in {Path(b.path).parts[0] for b in BUNDLED} - {"ssdse"}:
        text = (RAW / folder / "ATTRIBUTION.md").read_text(encoding="utf-8")
        assert "出典" in text and "byte for byte" in text, folder
    assert "出典" in (RAW / "ssdse" / "README.md").read_text(encoding="utf-8")


def test_the_national_build_reads_every_bundled_file_but_the_lone_street_crime_method():
    planned = {p.resolve() for p in plan_inputs(national_settings(), "ssdse")["inputs"]}
    national = [b for b in BUNDLED if b.national]
    assert {(RAW / b.path).resolve() for b in national} == planned  # SSDSE-A added by the plan
    assert len(national_inputs()) == len(national) - 1
    left_out = [b for b in BUNDLED if not b.national]
    assert [b.path for b in left_out] == ["police/tokyo_2021syazyounerai.csv"]
    assert all(b.why_not for b in left_out)
    assert (RAW / left_out[0].path).resolve() not in planned


def test_the_national_build_moves_nakagawa_machi_to_its_city_code():
    merges = mergers_file(national_settings(), "ssdse")
    assert merges is not None
    text = merges.read_text(encoding="utf-8")
    assert "40305,40231,2018-10-01" in text


# ------------------------------------------------------------------------ 統計でみる市区町村のすがた
@pytest.fixture(scope="module")
def sugata_a():
    return read_sugata(RAW / "sugata-2019" / "2019-a.xls")


@pytest.fixture(scope="module")
def sugata_h():
    return read_sugata(RAW / "sugata-2019" / "2019-h.xls")


def test_sugata_takes_the_year_of_each_column_from_row_10(sugata_a):
    frame, _ = sugata_a
    assert cell(frame, "13101", "A6107").year == 2015
    assert cell(frame, "13101", "A4101").year == 2017
    assert sorted(frame["year"].unique()) == [2015, 2017]


def test_sugata_item_names_lose_their_line_breaks(sugata_h):
    frame, _ = sugata_h
    row = cell(frame, "01100", "H5609")
    assert (row.item_name, row.unit, row.value) == ("ごみ総排出量", "t", 645436)


def test_sugata_no_data_mark_is_a_flagged_missing_value(sugata_h):
    row = cell(sugata_h[0], "13101", "H5614")
    assert math.isnan(row.value) and row.annotation == "…"


def test_sugata_area_code_comes_from_the_last_column_and_sums_are_left_out_with_a_count(sugata_a):
    frame, ignored = sugata_a
    assert frame["area_code"].nunique() == 1916  # 1,741 municipalities and 175 wards
    assert {"01101", "13101"} <= set(frame["area_code"]) and "13100" not in set(frame["area_code"])
    assert count_of(ignored, "都道府県") == 47 and count_of(ignored, "特別区部") == 1
    assert frame["stats_data_id"].eq("sugata-2019").all()


def test_sugata_rows_reach_the_catalog_under_its_own_published_names():
    frame, _ = read_sugata(RAW / "sugata-2019" / "2019-j.xls")
    inputs, _ = tidy_to_inputs(frame[frame.area_code == "29201"], CAT)
    row = inputs[inputs.variable == "elderly_care_facilities"].iloc[0]
    assert (row.year, row.value, row.unit) == (2017, 22, "施設")  # published 所, the catalog's 施設


def test_a_bundled_datasets_items_reach_the_catalog_only_through_its_own_sources():
    frame, _ = read_sugata(RAW / "sugata-2019" / "2019-b.xls")  # B1101 in k㎡, the catalog's in ha
    inputs, unused = tidy_to_inputs(frame, CAT)
    assert inputs.empty and {"B1101", "B1103"} <= unused


# ------------------------------------------------------------------------ 住民基本台帳
@pytest.fixture(scope="module")
def juki_2022():
    return read_juki(RAW / "juki" / "2203ssjin.xlsx")


def test_juki_finds_its_columns_although_the_header_rows_differ_between_years(juki_2022):
    old, _ = read_juki(RAW / "juki" / "1803ssjin.xls")
    assert cell(old, "13101", "人口／計").value == 61269
    assert cell(juki_2022[0], "13101", "人口／計").value == 67049


def test_juki_1_january_population_is_filed_under_the_fiscal_year_of_the_date(juki_2022):
    row = cell(juki_2022[0], "13101", "人口／計")
    assert (row.year, row.time_code) == (2021, "2022-01-01")
    births = cell(juki_2022[0], "13101", "住民票記載数／出生者数")
    assert (births.year, births.time_code, births.value) == (2021, "2021", 616)


def test_juki_drops_gun_prefecture_and_total_rows_with_counts(juki_2022):
    frame, ignored = juki_2022
    assert count_of(ignored, "郡") == 308 and count_of(ignored, "都道府県") == 47
    assert count_of(ignored, "全国の合計") == 1 and count_of(ignored, "北方地域") == 6
    assert frame["area_code"].nunique() == 1916
    assert "02300" not in set(frame["area_code"])  # 東津軽郡, a subtotal


def test_juki_refuses_a_code_with_a_wrong_check_digit(tmp_path):
    from openpyxl import Workbook

    from sckpi_helpers.sources.spreadsheet import sheet_rows

    rows = sheet_rows(RAW / "juki" / "2203ssjin.xlsx")
    rows = rows[:8] + [["131017", *rows[772][1:]]]  # 千代田区 with the wrong check digit
    book = Workbook()
    for r in rows:
        book.active.append(r)
    path = tmp_path / "2203ssjin.xlsx"
    book.save(path)
    with pytest.raises(InputFileError, match="check digit") as err:
        read_juki(path)
    assert (err.value.problem.row, err.value.problem.column) == (9, "団体コード")


def test_juki_population_is_the_catalogs_resident_population(juki_2022):
    frame, _ = juki_2022
    inputs, _ = tidy_to_inputs(frame[frame.area_code == "01100"], CAT)
    row = inputs[inputs.variable == "population_resident"].iloc[0]
    assert (row.year, row.value, row.unit) == (2021, 1960668, "人")
    assert "births" not in set(inputs.variable)  # register entries are not 人口動態統計


# ------------------------------------------------------------------------ 主要財政指標
def test_zaisei_fiscal_year_from_the_title_full_width_digits_too():
    frame, ignored = read_zaisei(RAW / "zaisei" / "city_R2.xlsx")  # 令和２年度
    assert frame["year"].unique().tolist() == [2020]
    assert frame["area_code"].nunique() == 1741 and count_of(ignored, "全国市町村平均") == 1


def test_zaisei_dash_is_a_flagged_missing_value():
    frame, _ = read_zaisei(RAW / "zaisei" / "city_R3.xlsx")
    row = cell(frame, "13101", "将来負担比率")
    assert math.isnan(row.value) and row.annotation == "-"
    assert cell(frame, "13101", "実質公債費比率").value == -0.6


def test_zaisei_and_ssdse_agree_on_the_current_balance_ratio():
    frame, _ = read_zaisei(RAW / "zaisei" / "city_R3.xlsx")
    inputs, _ = tidy_to_inputs(frame, CAT)
    ours = inputs[inputs.variable == "current_balance_ratio"].set_index("area_code")["value"]
    ssdse = base.get_reader("ssdse").read(RAW / "ssdse" / "SSDSE-A-2025.csv").frame
    theirs = ssdse[(ssdse.item_code == "D2203") & (ssdse.year == 2021)].set_index("area_code")["value"]
    assert len(theirs) == 1741 and (ours.reindex(theirs.index) == theirs).all()


# ------------------------------------------------------------------------ 東京都の昼間人口
def test_tokyo_both_header_spellings_read_and_level_rows_left_out():
    for name in ("平成27年第1表_地域_昼間_常住_男女別人口.csv", "令和2年第1表_地域_昼間_常住_男女別人口.csv"):
        frame, ignored = read_tokyo_daytime(RAW / "tokyo-daytime" / name)
        assert frame["area_code"].nunique() == 62
        assert count_of(ignored, "階層") == 5


def test_tokyo_total_inflow_is_the_sum_of_both_origins():
    frame, _ = read_tokyo_daytime(RAW / "tokyo-daytime" /
                                  "令和2年第4表_地域_流入_流出先_通勤者(15歳以上)_通学者状態別人口.csv")
    inputs, _ = tidy_to_inputs(frame, CAT)
    inflow = inputs[inputs.variable == "inflow_population"].set_index("area_code")["value"]
    total = frame[frame.item_code == "流入人口／総数"].set_index("area_code")["value"]
    assert inflow["13101"] == total["13101"] == 850920
    both = total.index.intersection(inflow.index)
    assert len(both) >= 60 and (inflow[both] == total[both]).all()


def test_tokyo_year_comes_from_the_era_in_the_file_name():
    frame, _ = read_tokyo_daytime(RAW / "tokyo-daytime" / "平成27年第1表_地域_昼間_常住_男女別人口.csv")
    assert frame["year"].unique().tolist() == [2015]


# ------------------------------------------------------------------------ 警視庁 町丁別
@pytest.mark.parametrize(("era", "year", "shinjuku"), [
    ("H29", 2017, 6485), ("H30", 2018, 6416), ("H31", 2019, 5898), ("R3", 2021, 4421),
    ("R5", 2023, 5537)])
def test_every_keishicho_year_gives_the_municipal_totals(era, year, shinjuku):
    frame, _ = read_keishicho(RAW / "police" / f"keishicho_ninchikensu_{era}.csv")
    row = frame[frame.area_code == "13104"].iloc[0]
    assert (row.year, row.value, row.variable) == (year, shinjuku, "crimes_recognised")
    assert 58 <= len(frame) <= 62  # some islands have no row in some years: no value, never 0


def test_a_project_home_elsewhere_still_reads_what_the_kit_ships(tmp_path, monkeypatch):
    monkeypatch.setenv("SCKPI_HOME", str(tmp_path))
    assert [p.name for p in national_inputs()] == [Path(b.path).name for b in BUNDLED
                                                   if b.national and b.kind != "ssdse"]
    own = tmp_path / "data" / "raw" / "zaisei" / "city_R3.xlsx"
    own.parent.mkdir(parents=True)
    own.write_bytes((RAW / "zaisei" / "city_R3.xlsx").read_bytes())
    assert locate("zaisei/city_R3.xlsx") == own  # the project's copy wins


def test_the_readme_lists_every_bundled_file():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Bundled data", 1)[1].split("\n## ", 1)[0]
    for entry in BUNDLED:
        folder, name = entry.path.split("/", 1)
        assert f"`{folder}/`: " in section and f"`{name}`" in section, entry.path
        assert entry.publisher in section, entry.path
