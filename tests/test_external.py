"""External statistics (police, MHLW, election commissions…): layout, validation, special marks."""

import math
from pathlib import Path

import openpyxl
import pytest

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.errors import InputFileError, ValidationError
from sckpi_helpers.sources import external as ex

FIX = Path(__file__).parent / "fixtures" / "external"
HEADER = "area_code,year,variable,value,unit,source,published,note\n"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_every_offending_row_is_listed(catalog):
    with pytest.raises(ValidationError) as ei:
        ex.read_external(FIX / "bad_external.csv", catalog)
    got = {(p.row, p.column) for p in ei.value.problems}
    assert got == {(4, "area_code"), (6, "variable"), (7, "unit"), (8, "variable"), (9, "value"),
                   (13, "year"), (15, "published")}
    text = str(ei.value)
    assert "check digit" in text and "first at row 2" in text and "not a catalog input id" in text


def _good_rows():
    lines = (FIX / "bad_external.csv").read_text(encoding="utf-8-sig").splitlines()
    return [lines[i - 1] for i in (1, 2, 3, 5, 10, 11, 12, 14)]


def test_valid_rows_in_panel_format(tmp_path, catalog):
    p = tmp_path / "ok.csv"
    p.write_text("\n".join(_good_rows()) + "\n", encoding="utf-8-sig")
    df = ex.read_external(p, catalog)
    assert list(df.columns) == ex.PANEL_COLUMNS
    assert str(df["year"].dtype) == "int64" and str(df["value"].dtype) == "float64"
    got = {(r.area_code, r.year, r.variable): r for r in df.itertuples()}
    assert len(df) == 6  # the empty value is dropped
    assert got[("99201", 2023, "crimes_recognised")].value == 2345.0
    assert got[("99201", 2022, "crimes_recognised")].published == "2023-03-10"  # 6-digit code → 5
    assert ("09920", 2021, "crimes_recognised") in got  # Excel dropped the leading zero
    x = got[("99203", 2024, "traffic_accidents")]
    assert math.isnan(x.value) and x.annotation == "X; 秘匿"
    assert got[("99203", 2022, "traffic_accidents")].annotation == "…"
    t = got[("99204", 2023, "turnout")]  # 令和5年度, full-width digits, unit '%'
    assert t.value == 56.2 and t.published == "2023-11" and t.unit == "%"
    assert all(s.startswith("external: ") for s in df["source"])


@pytest.mark.parametrize("mark", ["-", "…", "x", "X", "***"])
def test_special_marks(tmp_path, catalog, mark):
    p = tmp_path / "m.csv"
    p.write_text(HEADER + f"99201,2020,crimes_recognised,{mark},件,県警,,\n", encoding="utf-8")
    df = ex.read_external(p, catalog)
    assert math.isnan(df["value"].item()) and df["annotation"].item() == mark


@pytest.mark.parametrize("code,ok", [("131016", True), ("011002", True), ("131017", False),
                                     ("13101", True), ("1310", True), ("131", False), ("13101a", False)])
def test_area_codes(code, ok):
    if ok:
        assert len(ex.normalize_area_code(code)) == 5
    else:
        with pytest.raises(ValueError):
            ex.normalize_area_code(code)


def test_year_cells_are_read_by_the_one_period_parser(tmp_path, catalog):
    p = tmp_path / "y.csv"
    p.write_text(HEADER + "99201,令和2年度,turnout,55,%,選管,2020-01-01,\n", encoding="utf-8")
    assert ex.read_external(p, catalog)["year"].item() == 2020


def test_the_layout_is_a_registered_reader_recognised_by_its_header(tmp_path):
    from sckpi_helpers.sources import base

    p = tmp_path / "police.csv"
    p.write_text(HEADER, encoding="utf-8")
    other = tmp_path / "local.csv"
    other.write_text("indicator_id,period,value,unit,source,note\n", encoding="utf-8")
    assert base.reader_for(p).kind == "external" and base.get_reader("external").target == "panel"
    assert base.reader_for(other) is None or base.reader_for(other).kind != "external"


def test_empty_values_and_unknown_areas_are_reported_not_dropped_silently(tmp_path, catalog):
    p = tmp_path / "e.csv"
    p.write_text(HEADER + "99201,2020,turnout,,%,選管,2020-01-01,\n"
                 "99999,2020,turnout,50,%,選管,2020-01-01,\n"
                 "99999,2021,turnout,51,%,選管,2021-01-01,\n", encoding="utf-8")
    res = ex.read_external_result(p, catalog, known_areas={"99201"})
    assert res.frame.empty
    assert [(i.column, i.row, i.count) for i in res.ignored] == [("value", 2, 1), ("area_code", None, 2)]
    assert "99999" in str(res.ignored[1]) and "3, 4行目" in str(res.ignored[1])


def test_empty_unit_takes_the_catalogs(tmp_path, catalog):
    p = tmp_path / "u.csv"
    p.write_text(HEADER + "99201,2020,turnout,55,,選管,2020-01-01,\n", encoding="utf-8")
    assert ex.read_external(p, catalog)["unit"].item() == "%"


def test_excel_layout(tmp_path, catalog):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["サンプル県警察 刑法犯認知件数（転記）"])  # a title row above the header is fine
    ws.append(HEADER.strip().split(","))
    ws.append([99201, 2021, "crimes_recognised", 2100, "件", "県警", "2022-03-10", None])
    ws.append([99201, 2022, "crimes_recognised", "abc", "件", "県警", None, None])
    p = tmp_path / "e.xlsx"
    wb.save(p)
    with pytest.raises(ValidationError) as ei:
        ex.read_external(p, catalog)
    assert [(q.row, q.column) for q in ei.value.problems] == [(4, "value")]


def test_missing_columns(tmp_path, catalog):
    p = tmp_path / "m.csv"
    p.write_text("code,year,value\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="no header row"):
        ex.read_external(p, catalog)


def test_demo_file_is_valid(catalog):
    demo = Path(__file__).resolve().parents[1] / "data" / "raw" / "demo" / "external_statistics.csv"
    df = ex.read_external(demo, catalog)
    assert df["area_code"].nunique() >= 29 and {"crimes_recognised", "traffic_accidents",
                                                "turnout"} <= set(df["variable"])
    assert df["published"].notna().all()
