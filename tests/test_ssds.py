"""SSDS CSV downloads: found header, both encodings, flags and messy numbers, bad files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sckpi_helpers.sources import estat_api as estat
from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources.ssds_csv import SSDS_COLUMNS, read_ssds_csv

FIX = Path(__file__).parent / "fixtures" / "ssds"


def cell(df, area, item, year=2020):
    return df[(df.area_code == area) & (df.item_code == item) & (df.year == year)].iloc[0]


@pytest.mark.parametrize("name", ["utf8bom_4lines.csv", "cp932_8lines.csv",
                                  "utf8_nobom_8lines.csv"])
def test_reads_each_encoding_and_preamble_length(name):
    df = read_ssds_csv(FIX / name)
    assert len(df) == 5 * 3
    assert cell(df, "11100", "A1101").value == 1_324_025.0


def test_columns_match_the_api_parser_plus_source():
    df = read_ssds_csv(FIX / "cp932_8lines.csv")
    assert list(df.columns) == SSDS_COLUMNS == [*estat.COLUMNS, "source"]
    assert (df.source == "e-Stat SSDS CSV cp932_8lines.csv").all()
    assert df["year"].dtype == "int64" and df["value"].dtype == "float64"


def test_item_code_name_and_unit_from_header():
    row = cell(read_ssds_csv(FIX / "utf8bom_4lines.csv"), "11100", "A7101")
    assert (row.item_name, row.unit) == ("世帯数", "世帯")


def test_area_name_keeps_municipality_part_and_full_text():
    df = read_ssds_csv(FIX / "utf8bom_4lines.csv")
    row = cell(df, "11100", "A1101")
    assert (row.area_name, row.area_full_name) == ("さいたま市", "埼玉県 さいたま市")
    assert cell(df, "01101", "A1101").area_name == "札幌市中央区"


def test_year_and_time_code_from_fiscal_year():
    row = cell(read_ssds_csv(FIX / "cp932_8lines.csv"), "11100", "A1101", 2015)
    assert (row.year, row.time_code) == (2015, "2015100000")


def test_thousands_separators_trailing_spaces_and_full_width_digits():
    df = read_ssds_csv(FIX / "cp932_8lines.csv")
    assert cell(df, "13101", "A1101").value == 66_680.0          # "66680 "
    assert cell(df, "01101", "A1101").value == 248_680.0         # "２４８，６８０"


def test_flags_become_nan_with_annotation():
    df = read_ssds_csv(FIX / "cp932_8lines.csv")
    for area, item, flag in [("01101", "A1301", "X"), ("01101", "A7101", "***"),
                             ("01100", "A1301", "-"), ("01100", "A7101", "…")]:
        row = cell(df, area, item)
        assert math.isnan(row.value) and row.annotation == flag


def test_annotation_column_is_kept_next_to_a_number():
    row = cell(read_ssds_csv(FIX / "cp932_8lines.csv"), "01100", "A1101")
    assert row.value == 1_973_395.0 and row.annotation == "p"
    assert cell(read_ssds_csv(FIX / "cp932_8lines.csv"), "11100", "A1101").annotation is None


def test_stats_data_id_found_in_title_lines():
    assert (read_ssds_csv(FIX / "cp932_8lines.csv").stats_data_id == "0000020201").all()


def test_no_header_row_names_the_file():
    with pytest.raises(InputFileError, match=r"bad_no_header\.csv.*no header row"):
        read_ssds_csv(FIX / "bad_no_header.csv")


def test_missing_area_code_column_names_row_and_column():
    with pytest.raises(InputFileError) as info:
        read_ssds_csv(FIX / "bad_no_area_code.csv")
    p = info.value.problem
    assert p.file.endswith("bad_no_area_code.csv") and p.row == 5 and p.column == "地域 コード"


def test_text_in_numeric_column_names_line_and_header():
    with pytest.raises(InputFileError, match="約9千") as info:
        read_ssds_csv(FIX / "bad_text_in_number.csv")
    p = info.value.problem
    assert (p.row, p.column) == (8, "A1301_15歳未満人口【人】")
    assert p.file.endswith("bad_text_in_number.csv")


def test_file_in_neither_encoding_is_named():
    with pytest.raises(InputFileError, match=r"bad_encoding\.csv.*neither UTF-8 nor Shift_JIS"):
        read_ssds_csv(FIX / "bad_encoding.csv")


def test_bad_area_code_names_line(tmp_path):
    src = (FIX / "utf8bom_4lines.csv").read_bytes().replace(b'"13101"', b'"1310A"')
    (tmp_path / "x.csv").write_bytes(src)
    with pytest.raises(InputFileError) as info:
        read_ssds_csv(tmp_path / "x.csv")
    assert (info.value.problem.row, info.value.problem.column) == (8, "地域 コード")


def test_leading_zero_dropped_by_excel_is_restored(tmp_path):
    src = (FIX / "utf8bom_4lines.csv").read_bytes().replace(b'"01100"', b'"1100"')
    (tmp_path / "x.csv").write_bytes(src)
    assert "01100" in set(read_ssds_csv(tmp_path / "x.csv").area_code)
