"""Local data: the validated reader (sources.local_workbook), numbers and periods as clerks type them."""

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.checks.template import write_template
from sckpi_helpers.config import periods
from sckpi_helpers.errors import InputFileError, ValidationError
from sckpi_helpers.sources import local_workbook as lw
from sckpi_helpers.sources.base import get_reader, reader_for
from sckpi_helpers.sources.numbers import parse_number, plausible_range

FIX = Path(__file__).parent / "fixtures" / "local"
EXTRA = [("demo.app_users", "アプリ利用者数", "人", "monthly")]
INDS = [("t2.transport.satisfaction", "満足度", "%", "yearly"),
        ("sec.cameras", "防犯カメラ設置台数", "台", "quarterly")]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _problems(exc):
    return {(p.row, p.column) for p in exc.problems}


def _filled(tmp_path, cells, name="t.xlsx", merge=None):
    """A template for INDS over FY2024 with ``cells`` ({'E3': 5, …}) typed in, as a clerk would."""
    out = write_template(tmp_path / name, "99201", INDS, "2024")
    wb = openpyxl.load_workbook(out)
    ws = wb[lw.DATA_SHEET]
    for ref, v in cells.items():
        ws[ref] = v
    if merge:
        ws.merge_cells(merge)
    wb.save(out)
    return out


# ------------------------------------------------------------------ every problem at once
def test_every_offending_row_is_listed(catalog):
    with pytest.raises(ValidationError) as ei:
        lw.read_local(FIX / "bad_local.csv", catalog, city_code="99201", extra_indicators=EXTRA)
    assert _problems(ei.value) == {(4, "indicator_id"), (5, "unit"), (6, "period"), (7, "value"),
                                   (8, "period"), (11, "indicator_id"), (11, "value")}
    text = str(ei.value)
    assert "bad_local.csv" in text and "指標ID 't2.transport.no_such'" in text
    assert "最初は 2 行目" in text  # the duplicate names the row it repeats
    assert all(p.file.endswith("bad_local.csv") for p in ei.value.problems)


def test_valid_rows_are_read_with_canonical_periods(tmp_path, catalog):
    src = (FIX / "bad_local.csv").read_text(encoding="utf-8-sig").splitlines()
    p = tmp_path / "good.csv"
    p.write_text("\n".join([src[0], src[1], src[2], src[8], src[9]]) + "\n", encoding="utf-8-sig")
    df = lw.read_local(p, catalog, city_code="99201", extra_indicators=EXTRA)
    assert list(df.columns) == lw.LOCAL_COLUMNS
    assert df["value"].tolist() == [62.5, 1234.0, 350.0]  # full-width, thousands; empty row dropped
    assert df["period"].tolist() == ["2024", "2024-11", "2024-10"]
    assert set(df["area_code"]) == {"99201"} and df["value"].dtype == "float64"


def test_japanese_headers_and_example_row(tmp_path, catalog):
    p = tmp_path / "ja.csv"
    p.write_text("指標ID,期間,値,単位,担当課,出典,備考\n"
                 "記入例（この行は読み込まれません）,2025Q1,120,人,環境政策課,名簿,\n"
                 "t2.transport.satisfaction,令和6年度,６２．５,％,市民課,アンケート,速報値\n"
                 "t2.transport.satisfaction,2023年度,60,%,市民課,アンケート,\n", encoding="cp932")
    res = get_reader("local-workbook").read(p, catalog=catalog, city_code="99201")
    assert res.target == "local"
    assert res.frame[["period", "value", "note"]].values.tolist() == [["2024", 62.5, "速報値"],
                                                                      ["2023", 60.0, None]]
    assert [(i.row, i.column) for i in res.ignored] == [(2, "指標ID")]


def test_problems_name_the_japanese_column(tmp_path, catalog):
    p = tmp_path / "ja.csv"
    p.write_text("指標ID,期間,値,単位\nt2.transport.satisfaction,2024,abc,%\n", encoding="utf-8")
    with pytest.raises(ValidationError) as ei:
        lw.read_local(p, catalog, city_code="99201")
    assert _problems(ei.value) == {(2, "値")} and "数値ではありません" in str(ei.value)


def test_unknown_without_extra_indicators(tmp_path, catalog):
    p = tmp_path / "x.csv"
    p.write_text("indicator_id,period,value\ndemo.app_users,2024-10,3\n", encoding="utf-8")
    with pytest.raises(ValidationError) as ei:
        lw.read_local(p, catalog, city_code="99201")
    assert _problems(ei.value) == {(2, "indicator_id")}


def test_missing_columns_and_city(tmp_path, catalog):
    p = tmp_path / "x.csv"
    p.write_text("indicator,when,amount\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="no header row"):
        lw.read_local(p, catalog, city_code="99201")
    q = tmp_path / "y.csv"
    q.write_text("indicator_id,period,value\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="団体コード"):
        lw.read_local(q, catalog)


def test_excel_rows_are_numbered_as_excel_shows_them(tmp_path, catalog):
    out = _filled(tmp_path, {"E4": "十", "F3": "件", "E3": 50})  # row 3 = FY2024 satisfaction
    with pytest.raises(ValidationError) as ei:
        lw.read_local(out, catalog, extra_indicators=INDS[1:])
    assert _problems(ei.value) == {(4, "値"), (3, "単位")}


def test_the_reader_is_registered_and_recognises_the_template(tmp_path, catalog):
    out = _filled(tmp_path, {"E4": 3})
    assert reader_for(out).kind == "local-workbook"
    res = reader_for(out).read(out, catalog=catalog, extra_indicators=INDS[1:])
    assert res.frame[["indicator_id", "period", "value"]].values.tolist() == [["sec.cameras", "2024Q1", 3.0]]
    assert {i.reason for i in res.ignored} == {"記入例の行（読み込みません）", "値が空欄の行（未報告として扱います）"}


# ------------------------------------------------------------------ issue #10: dates in the period column
def test_an_excel_date_is_read_as_the_quarter_that_holds_it(tmp_path, catalog):
    # row 4 = sec.cameras 2024Q1; the clerk typed the date 2024-10-01 over the label (2024Q3)
    out = _filled(tmp_path, {"D4": datetime(2024, 10, 1), "E4": 12})
    df = lw.read_local(out, catalog, extra_indicators=INDS[1:])
    assert df[["period", "value"]].values.tolist() == [["2024Q3", 12.0]]


def test_a_date_for_an_indicator_without_cadence_is_refused(tmp_path, catalog):
    p = tmp_path / "x.csv"
    p.write_text("indicator_id,period,value,unit\nx.any,2024/10/1,3,件\n", encoding="utf-8")
    with pytest.raises(ValidationError) as ei:
        lw.read_local(p, catalog, city_code="99201", extra_indicators=[("x.any", "随時", "件", "as_needed")])
    assert _problems(ei.value) == {(2, "period")} and "日付" in str(ei.value)


def test_a_month_for_a_quarterly_indicator_is_refused_with_the_right_label(tmp_path, catalog):
    out = _filled(tmp_path, {"D4": "2024-10", "E4": 12})
    with pytest.raises(ValidationError) as ei:
        lw.read_local(out, catalog, extra_indicators=INDS[1:])
    assert _problems(ei.value) == {(4, "期間")} and "'2024Q3'" in str(ei.value)


# ------------------------------------------------------------------ issue #10: impossible values
def test_a_negative_count_is_an_error(tmp_path, catalog):
    out = _filled(tmp_path, {"E4": -40})
    with pytest.raises(ValidationError) as ei:
        lw.read_local(out, catalog, extra_indicators=INDS[1:])
    assert _problems(ei.value) == {(4, "値")} and "負の数" in str(ei.value)


def test_a_share_above_100_percent_is_an_error(tmp_path, catalog):
    out = _filled(tmp_path, {"E3": 142.3})
    with pytest.raises(ValidationError) as ei:
        lw.read_local(out, catalog, extra_indicators=INDS[1:])
    assert _problems(ei.value) == {(3, "値")}


@pytest.mark.parametrize("unit,bounds", [("%", (0, 100)), ("％", (0, 100)), ("台", (0, None)),
                                         ("千人", (0, None)), ("kWh/世帯", (0, None)), ("件/人・日", (0, None)),
                                         ("%pt", (None, None)), ("増減数(人)", (None, None)),
                                         ("千円", (None, None)), ("点", (None, None)), ("", (None, None))])
def test_plausible_range_comes_from_the_unit(unit, bounds):
    assert plausible_range(unit) == bounds


# ------------------------------------------------------------------ issue #10: merged cells
def test_merged_value_cells_are_an_error_naming_the_range(tmp_path, catalog):
    out = _filled(tmp_path, {"E4": 10}, merge="E4:E5")
    with pytest.raises(ValidationError) as ei:
        lw.read_local(out, catalog, extra_indicators=INDS[1:])
    assert (4, "値") in _problems(ei.value) and "E4:E5" in str(ei.value)


# ------------------------------------------------------------------ issue #10: one number and one period parser
@pytest.mark.parametrize("text,value", [("1,234", 1234.0), ("１２３", 123.0), ("−5", -5.0), ("▲5", -5.0),
                                        (" 12.5 ", 12.5), ("1e3", 1000.0), ("", None), (None, None)])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["12,34", "abc", "1.2.3", "5%", "-", True])
def test_parse_number_rejects(text):
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize("text,label", [("令和6年度", "2024"), ("2024年度", "2024"), ("R6", "2024"),
                                        ("2024年度第3四半期", "2024Q3"), ("2024年度下期", "2024H2"),
                                        ("令和6年10月", "2024-10"), ("２０２４Ｑ３", "2024Q3")])
def test_japanese_period_forms(text, label):
    assert periods.read_period(text).label == label


def test_a_calendar_year_is_not_taken_for_a_fiscal_year():
    with pytest.raises(periods.PeriodError, match="暦年"):
        periods.read_period("2024年")


def test_logic_model_targets_use_the_same_parsers(catalog, tmp_path):
    from sckpi_helpers.sources.logic_model import Milestone

    m = Milestone(value="１，２００", period="令和6年度")
    assert (m.value, m.period) == (1200.0, "2024")
    with pytest.raises(ValueError):
        Milestone(value="abc", period="2024")


def test_period_spec():
    spec = periods.parse_period_spec
    assert [p.label for p in spec("2025Q1-2025Q4")] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert [p.label for p in spec("2025-04-2025-06")] == ["2025-04", "2025-05", "2025-06"]
    assert [p.label for p in spec("2024,2025")] == ["2024", "2025"]


# ------------------------------------------------------------------ the shared row validation (sources.tables)
def test_validate_rows_names_every_bad_cell_and_the_first_of_a_duplicate(tmp_path):
    from sckpi_helpers.sources.tables import read_table, validate_rows

    p = tmp_path / "t.csv"
    p.write_text("コード,数\nA,1\nB,x\nA,2\n", encoding="cp932")
    table = read_table(p, ["code", "n"], aliases={"コード": "code", "数": "n"})

    def number(v, row):
        return parse_number(v)

    checked = validate_rows(table, {"code": lambda v, row: v, "n": number},
                            key=lambda r: (r["code"],), key_column="code")
    assert [(p.row, p.column) for p in checked.problems] == [(3, "数"), (4, "コード")]
    assert "最初は 2 行目" in checked.problems[1].message
    assert checked.rows == [(2, {"code": "A", "n": 1.0})]


def test_a_japanese_csv_is_recognised_as_local_data(tmp_path):
    p = tmp_path / "地域データ.csv"
    p.write_text("指標ID,期間,値,単位\nt2.transport.satisfaction,2024,60,%\n", encoding="cp932")
    assert reader_for(p).kind == "local-workbook"
