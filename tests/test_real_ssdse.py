"""SSDSE-A, read from the real 2025 edition: values and years checked by hand against the file."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest
from real_data import all_real_files, real

from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources import base, ssdse
from sckpi_helpers.sources.base import ITEM_COLUMNS

SSDSE_FILE = real("ssdse", "SSDSE-A-2025.csv")
BUNDLED = Path(__file__).resolve().parents[1] / "data" / "raw" / "ssdse"


@pytest.fixture(scope="module")
def frame():
    df, ignored = ssdse.read_ssdse(SSDSE_FILE)
    assert ignored == []  # the 2025 edition has no blank cell
    return df


def cell(df, area, item):
    rows = df[(df.area_code == area) & (df.item_code == item)]
    assert len(rows) == 1
    return rows.iloc[0]


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\r\n")


def write(tmp_path: Path, name: str, lines: list[bytes]) -> Path:
    out = tmp_path / name
    out.write_bytes(b"\r\n".join(lines))
    return out


def set_cell(line: bytes, index: int, text: str) -> bytes:
    cells = line.split(b",")
    cells[index] = text.encode("cp932")
    return b",".join(cells)


# ------------------------------------------------------------------------------ recognition
def test_reader_for_picks_ssdse_for_the_ssdse_file():
    assert base.reader_for(SSDSE_FILE).kind == "ssdse"


@pytest.mark.parametrize("path", [p for p in all_real_files() if p.parent.name != "ssdse"],
                         ids=lambda p: p.name)
def test_ssdse_reader_does_not_claim_other_publishers_files(path):
    """An SSDS CSV download, an e-Stat API response and police files are not SSDSE."""
    assert not ssdse.SSDSE.recognise(path, base.sniff(path))


def test_recognised_by_content_not_by_name(tmp_path):
    renamed = tmp_path / "download.csv"
    renamed.write_bytes(SSDSE_FILE.read_bytes())
    assert ssdse.SSDSE.recognise(renamed, base.sniff(renamed))


# --------------------------------------------------------------------------------- values
def test_every_municipality_and_every_item(frame):
    assert list(frame.columns) == [*ITEM_COLUMNS, "row"]  # + the file line of each municipality
    assert (frame["row"] >= 4).all()  # data start on line 4 (under codes, years and names)
    assert set(frame.loc[frame["area_code"] == "13101", "row"]) == {631}  # `R13101,東京都,千代田区,…`
    assert frame["area_code"].nunique() == 1741
    assert frame["item_code"].nunique() == 125
    assert len(frame) == 1741 * 125
    assert frame["area_code"].str.fullmatch(r"\d{5}").all()  # R01100 → 01100


@pytest.mark.parametrize(("area", "item", "year", "value"), [
    ("01100", "A1101", 2020, 1_973_395),   # 札幌市 総人口
    ("13101", "A1101", 2020, 66_680),      # 千代田区 総人口
    ("01100", "A4101", 2022, 11_172),      # 札幌市 出生数
    ("13101", "I510120", 2022, 15),        # 千代田区 一般病院数
    ("01100", "C310201", 2019, 347),       # 札幌市 農家数（販売農家）
    ("13101", "D2203", 2021, 73.4),        # 千代田区 経常収支比率
    ("13101", "B1101", 2023, 1_166),       # 千代田区 総面積
])
def test_values_and_the_year_of_each_column_as_published(frame, area, item, year, value):
    row = cell(frame, area, item)
    assert (row.year, row.value) == (year, value)
    assert row.time_code == f"{year}100000"


def test_years_differ_between_items_of_one_file(frame):
    assert sorted(frame["year"].unique()) == [2019, 2020, 2021, 2022, 2023]


def test_names_units_and_source(frame):
    row = cell(frame, "13101", "J250302")
    assert (row.item_name, row.unit, row.source) == ("保育所等数（基本票）", "", "SSDSE-A 2025")
    assert (row.area_name, row.area_full_name) == ("千代田区", "東京都 千代田区")
    assert cell(frame, "01100", "D320101").item_name == "地方税（市町村財政）"
    assert frame["stats_data_id"].eq("").all()


def test_an_edition_takes_its_years_from_row_2_not_from_the_edition(tmp_path):
    lines = lines_of(SSDSE_FILE)
    lines[0] = lines[0].replace(b"SSDSE-A-2025", b"SSDSE-A-2024")
    lines[1] = set_cell(lines[1], 3, "2015")  # A1101 surveyed in another year
    df, _ = ssdse.read_ssdse(write(tmp_path, "edition.csv", lines))
    row = cell(df, "01100", "A1101")
    assert (row.year, row.source) == (2015, "SSDSE-A 2024")
    assert cell(df, "01100", "A4101").year == 2022


# ---------------------------------------------------------------------------------- marks
def test_marks_are_kept_as_annotations_with_no_value(tmp_path):
    lines = lines_of(SSDSE_FILE)
    sapporo = next(i for i, ln in enumerate(lines) if ln.startswith(b"R01100,"))
    lines[sapporo] = set_cell(set_cell(lines[sapporo], 3, "-"), 4, "Ｘ")
    lines[sapporo] = set_cell(lines[sapporo], 5, '"1,054,713"')
    df, _ = ssdse.read_ssdse(write(tmp_path, "marks.csv", lines))
    total, men, women = (cell(df, "01100", c) for c in ("A1101", "A110101", "A110102"))
    assert math.isnan(total.value) and total.annotation == "-"
    assert math.isnan(men.value) and men.annotation == "X"
    assert women.value == 1_054_713 and women.annotation is None
    assert cell(df, "01202", "A1101").value == 251_084  # the rest of the column still numbers


def test_blank_cells_are_listed_not_read_as_zero(tmp_path):
    lines = lines_of(SSDSE_FILE)
    sapporo = next(i for i, ln in enumerate(lines) if ln.startswith(b"R01100,"))
    lines[sapporo] = set_cell(lines[sapporo], 3, "")
    df, ignored = ssdse.read_ssdse(write(tmp_path, "blank.csv", lines))
    assert df[(df.area_code == "01100") & (df.item_code == "A1101")].empty
    assert [(i.column, i.count) for i in ignored] == [("A1101", 1)]


def test_utf8_with_bom_reads_the_same(tmp_path, frame):
    text = SSDSE_FILE.read_bytes().decode("cp932")
    path = tmp_path / "utf8.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert ssdse.SSDSE.recognise(path, base.sniff(path))
    df, _ = ssdse.read_ssdse(path)
    assert df["value"].equals(frame["value"])


# --------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("line", "text", "row"), [(3, "約90万", 4),   # text in a number cell
                                                   (1, "", 2)])      # an item without a year
def test_a_bad_cell_is_refused_naming_line_and_item(tmp_path, line, text, row):
    lines = lines_of(SSDSE_FILE)
    lines[line] = set_cell(lines[line], 4, text)
    with pytest.raises(InputFileError) as err:
        ssdse.read_ssdse(write(tmp_path, "bad.csv", lines))
    assert (err.value.problem.row, err.value.problem.column) == (row, "A110101")


def test_reading_another_format_as_ssdse_is_refused():
    with pytest.raises(InputFileError):
        ssdse.read_ssdse(real("police", "tokyo_2021syazyounerai.csv"))


# -------------------------------------------------------------------------------- bundled
def test_the_kit_bundles_ssdse_a_byte_for_byte_with_attribution():
    bundled = BUNDLED / "SSDSE-A-2025.csv"
    digest = hashlib.sha256(bundled.read_bytes()).hexdigest()
    assert digest == hashlib.sha256(SSDSE_FILE.read_bytes()).hexdigest()
    assert "教育用標準データセット（SSDSE）" in (BUNDLED / "README.md").read_text(encoding="utf-8")


def test_municipality_names_of_the_bundled_file():
    names = ssdse.municipality_names()
    assert len(names) == 1741
    row = names[names.area_code == "13401"].iloc[0]
    assert (row.pref_name, row.area_name) == ("東京都", "八丈町")


def test_the_registered_reader_returns_item_rows():
    result = base.get_reader("ssdse").read(SSDSE_FILE)
    assert (result.kind, result.target, len(result.frame)) == ("ssdse", "items", 1741 * 125)
