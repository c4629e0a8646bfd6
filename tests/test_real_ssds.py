"""Conformance of the SSDS CSV reader with real e-Stat downloads (tests/data/real/ssds-csv).

Every value below was read by hand from the file (see the README there).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sckpi_helpers.sources.base import ITEM_COLUMNS, get_reader, sniff
from sckpi_helpers.sources.ssds_csv import read_ssds

REAL = Path(__file__).parent / "data" / "real" / "ssds-csv"
POPULATION = REAL / "population_A1101-A1231_1980-2015.csv"
AREA = REAL / "area_B1101-B1103_1981-2019.csv"
LABOUR = REAL / "labour_F_1980-2015.csv"


@pytest.fixture(scope="module")
def frames():
    return {p.name: read_ssds(p) for p in (POPULATION, AREA, LABOUR)}


def cell(res, area, item, year):
    df = res.frame
    rows = df[(df.area_code == area) & (df.item_code == item) & (df.year == year)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_every_real_download_is_recognised_and_ssdse_is_not():
    reader = get_reader("ssds-csv")
    for p in (POPULATION, AREA, LABOUR):
        assert reader.recognise(p, sniff(p))
    ssdse = REAL.parent / "ssdse" / "SSDSE-A-2025_head.csv"
    assert not reader.recognise(ssdse, sniff(ssdse))


def test_layout_with_item_code_row_reads_every_area_year_and_item(frames):
    res = frames[POPULATION.name]
    df = res.frame
    assert list(df.columns) == [*ITEM_COLUMNS, "row"] and res.ignored == []
    assert sorted(df.item_code.unique()) == ["A1101", "A110101", "A110102", "A1102", "A110201",
                                             "A110202", "A1231"]
    assert df.area_code.nunique() == 1916
    assert len(df) == 7 * (POPULATION.read_bytes().count(b"\n") - 2)   # 2 header rows


def test_values_as_published(frames):
    pop, area, lab = (frames[p.name] for p in (POPULATION, AREA, LABOUR))
    assert cell(pop, "01100", "A1101", 2015).value == 1_952_356
    assert cell(pop, "01100", "A1231", 2015).value == 46.4
    assert cell(pop, "47375", "A1101", 1980).value == 1667
    assert cell(area, "01100", "B1101", 2019).value == 112_126
    assert cell(area, "01100", "B1103", 2019).value == 43_898
    expected = {"F2201": 3790, "F2211": 118_503, "F2221": 645_868, "F2705": 403_594,
                "F2803": 408_899}
    assert {k: cell(lab, "01100", k, 2015).value for k in expected} == expected


def test_names_years_and_areas(frames):
    row = cell(frames[POPULATION.name], "01101", "A1231", 2015)
    assert (row.item_name, row.unit, row.time_code) == ("年齢中位数", "歳", "2015100000")
    assert (row.area_name, row.area_full_name) == ("札幌市中央区", "北海道 札幌市 中央区")
    assert cell(frames[LABOUR.name], "01100", "F2201", 2015).item_name == "第1次産業就業者数"


def test_marks_are_kept_as_annotations_with_no_value(frames):
    marked = cell(frames[POPULATION.name], "47375", "A110101", 1980)
    assert math.isnan(marked.value) and marked.annotation == "***"
    for item in ("F2705", "F2803"):   # 一関市 2010, line 2155: "-"
        row = cell(frames[LABOUR.name], "03209", item, 2010)
        assert math.isnan(row.value) and row.annotation == "-"
    assert cell(frames[LABOUR.name], "01100", "F2201", 2015).annotation is None


def test_full_width_units_are_normalised(frames):
    assert set(frames[AREA.name].frame.unit) == {"ha"}   # published as 【ｈａ】


def test_a_real_download_cut_off_mid_number_is_an_error(tmp_path):
    data = POPULATION.read_bytes()
    cut = data[:data.index(b'"1952356"') + len(b'"1952')]   # …,"1952 — the rest of the file lost
    (tmp_path / "cut.csv").write_bytes(cut)
    from sckpi_helpers.errors import InputFileError

    with pytest.raises(InputFileError, match="ファイルが途中で切れています") as info:
        read_ssds(tmp_path / "cut.csv")
    assert info.value.problem.row == 3
