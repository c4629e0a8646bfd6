"""SSDS CSV downloads: found header, both encodings, flags and messy numbers, bad files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources import estat_api as estat
from sckpi_helpers.sources.base import ITEM_COLUMNS, get_reader, reader_for
from sckpi_helpers.sources.ssds_csv import SSDS_COLUMNS, TRUNCATED, read_ssds, read_ssds_csv

FIX = Path(__file__).parent / "fixtures" / "ssds"


def cell(df, area, item, year=2020):
    return df[(df.area_code == area) & (df.item_code == item) & (df.year == year)].iloc[0]


@pytest.mark.parametrize("name", ["utf8bom_4lines.csv", "cp932_8lines.csv",
                                  "utf8_nobom_8lines.csv"])
def test_reads_each_encoding_and_preamble_length(name):
    df = read_ssds_csv(FIX / name)
    assert len(df) == 5 * 3
    assert cell(df, "11100", "A1101").value == 1_324_025.0


def test_columns_match_the_api_parser_and_the_items_columns():
    df = read_ssds_csv(FIX / "cp932_8lines.csv")
    assert list(df.columns) == [*ITEM_COLUMNS, "row"]  # + the line each row was read from
    assert SSDS_COLUMNS == estat.COLUMNS == ITEM_COLUMNS
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


# ------------------------------------------------------------------- cut-off files (issue #10)
def _cut(tmp_path, tail: bytes) -> Path:
    src = (FIX / "utf8bom_4lines.csv").read_bytes().rstrip(b"\r\n")
    lines = src.split(b"\n")
    out = tmp_path / "cut.csv"
    out.write_bytes(b"\n".join(lines[:-1]) + b"\n" + tail)
    return out


def test_file_cut_off_inside_a_quoted_number_names_file_and_line(tmp_path):
    # the last row stops in the middle of "1,973,395": a reader must not make 1,973 → 1973
    path = _cut(tmp_path, '"2020100000","2020年度","01100","北海道 札幌市","1,97'.encode())
    with pytest.raises(InputFileError, match=TRUNCATED) as info:
        read_ssds_csv(path)
    assert info.value.problem.file.endswith("cut.csv")
    assert info.value.problem.row == path.read_bytes().count(b"\n") + 1


def test_file_cut_off_after_a_cell_names_the_short_last_row(tmp_path):
    path = _cut(tmp_path, '"2020100000","2020年度","01100","北海道 札幌市","1,973,395"\n'.encode())
    with pytest.raises(InputFileError, match=TRUNCATED) as info:
        read_ssds_csv(path)
    assert info.value.problem.row == path.read_bytes().count(b"\n")


def test_notes_under_the_table_are_ignored_and_reported(tmp_path):
    src = (FIX / "cp932_8lines.csv").read_bytes() + "\r\n\"注）2020年度は速報値\"\r\n".encode("cp932")
    (tmp_path / "x.csv").write_bytes(src)
    res = read_ssds(tmp_path / "x.csv")
    assert len(res.frame) == 15 and any("注記" in i.reason for i in res.ignored)


# ------------------------------------------------------------------------- the reader
def test_reader_is_registered_and_recognises_downloads():
    reader = get_reader("ssds-csv")
    for name in ("utf8bom_4lines.csv", "cp932_8lines.csv", "utf8_nobom_8lines.csv"):
        assert reader_for(FIX / name) is reader
    res = reader.read(FIX / "cp932_8lines.csv")
    assert (res.kind, res.target, len(res.frame)) == ("ssds-csv", "items", 15)


def test_reader_does_not_claim_a_table_without_survey_year(tmp_path):
    (tmp_path / "x.csv").write_text("地域コード,都道府県,市区町村,総人口\nR01100,北海道,札幌市,1\n",
                                    encoding="utf-8")
    assert not get_reader("ssds-csv").recognise(tmp_path / "x.csv",
                                                (tmp_path / "x.csv").read_bytes())


def test_nan_typed_in_a_cell_is_text_not_a_missing_value(tmp_path):
    src = (FIX / "utf8bom_4lines.csv").read_bytes().replace(b'"38210"', b'"nan"')
    (tmp_path / "x.csv").write_bytes(src)
    with pytest.raises(InputFileError, match="'nan' is not a number"):
        read_ssds_csv(tmp_path / "x.csv")
