"""The local-data workbook a clerk can fill without help (issue #11): checks.template and sckpi template."""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.checks import template as tp
from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources import local_workbook as lw

ROOT = Path(__file__).resolve().parents[1]
INDS = [("t2.transport.satisfaction", "満足度", "%", "yearly"),
        ("demo.app_users", "アプリ利用者数", "人", "quarterly")]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def book(tmp_path):
    out = tp.write_template(tmp_path / "t.xlsx", "99201", INDS, "2025", city_name="サンプル市",
                            source="estat-csv")
    return openpyxl.load_workbook(out)


def test_sheets_and_japanese_headers(book):
    assert book.sheetnames == ["データ", "説明"]
    assert [c.value for c in book["データ"][1]] == ["指標ID", "指標名", "定義", "期間", "値", "単位", "担当課",
                                                  "出典", "備考"]


def test_one_row_per_indicator_and_period_of_its_cadence(book):
    rows = [r for r in book["データ"].iter_rows(min_row=3, values_only=True) if r[0]]
    assert [(r[0], r[3]) for r in rows] == [("t2.transport.satisfaction", "2025")] + [
        ("demo.app_users", f"2025Q{q}") for q in (1, 2, 3, 4)]


def test_the_example_row_is_marked(book):
    example = [c.value for c in book["データ"][2]]
    assert example[0].startswith(lw.EXAMPLE_MARK) and example[4] == 120


def test_definition_comes_from_the_catalog(tmp_path, catalog):
    ind = catalog.indicators["f1.it.od_standardised"]
    out = tp.write_template(tmp_path / "t.xlsx", "99201", [ind], "2025")
    row = [c.value for c in openpyxl.load_workbook(out)["データ"][3]]
    assert row[:3] == ["f1.it.od_standardised", "データ標準使用のOD", ind.description] and row[2]


def test_value_cells_only_take_numbers_in_the_units_range(book):
    dvs = [dv for dv in book["データ"].data_validations.dataValidation if dv.type == "decimal"]
    by_cells = {str(dv.sqref): (dv.operator, dv.formula1, dv.formula2) for dv in dvs}
    assert by_cells["E3"] == ("between", "0", "100")                  # a share in %
    assert by_cells["E4:E7"] == ("greaterThanOrEqual", "0", None)     # a count of 人
    assert all(dv.allow_blank and dv.showErrorMessage and dv.error for dv in dvs)  # Excel explains a refusal


def test_unit_is_a_list_and_period_has_the_label_format(book):
    dvs = {dv.type: dv for dv in book["データ"].data_validations.dataValidation if dv.type != "decimal"}
    assert dvs["list"].formula1 == '"%,人"'
    assert "LEN(D3)" in dvs["custom"].formula1 and str(dvs["custom"].sqref).startswith("D3:")


def test_instructions_name_the_real_ingest_command(book):
    text = "\n".join(str(c.value) for row in book["説明"].iter_rows() for c in row if c.value)
    assert "サンプル市（99201）" in text and "記入例" in text and "2025Q1" in text
    assert "sckpi ingest --city 99201 --source estat-csv" in text
    assert "--source demo" not in text


def test_template_is_deterministic(tmp_path):
    a = tp.write_template(tmp_path / "a" / "t.xlsx", "99201", INDS, "2025")
    b = tp.write_template(tmp_path / "b" / "t.xlsx", "99201", INDS, "2025")
    assert a.read_bytes() == b.read_bytes()


def test_template_rejects_other_suffix(tmp_path):
    with pytest.raises(InputFileError):
        tp.write_template(tmp_path / "t.ods", "99201", INDS, "2025")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_template_round_trip(tmp_path, catalog, suffix):
    values = pd.DataFrame({"area_code": ["99201"] * 3,
                           "indicator_id": ["t2.transport.satisfaction", "demo.app_users", "demo.app_users"],
                           "period": ["2025", "2025Q2", "2025Q4"], "value": [61.5, 1200, 1450],
                           "unit": ["%", "人", "人"], "source": ["アンケート", "ログ", "ログ"],
                           "note": [None, None, "速報値"]})
    out = tp.write_template(tmp_path / f"t{suffix}", "99201", INDS, "2025", values=values)
    if suffix == ".csv":
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    back = lw.read_local(out, catalog, city_code=None if suffix == ".xlsx" else "99201",
                         extra_indicators=INDS[1:])
    assert sorted(zip(back["indicator_id"], back["period"], back["value"], strict=True)) == [
        ("demo.app_users", "2025Q2", 1200.0), ("demo.app_users", "2025Q4", 1450.0),
        ("t2.transport.satisfaction", "2025", 61.5)]
    assert set(back["area_code"]) == {"99201"}  # xlsx remembers its city
    assert back.loc[back["period"] == "2025Q4", "note"].item() == "速報値"


def test_logic_model_indicators_from_demo(catalog):
    from sckpi_helpers.sources.logic_model import load_logic_model

    specs = tp.logic_model_indicators(load_logic_model(ROOT / "data/raw/demo/logic_model.yaml", catalog), catalog)
    assert specs and all(s.id and s.cadence for s in specs)
    by_id = {s.id: s for s in specs}
    assert by_id["env.course_participants"].source == "環境政策課 受講者名簿"
    assert by_id["t2.transport.outing_rate"].name_ja == "外出率"  # a catalog indicator brings its names


def test_cli_template(tmp_path, demo_home):
    from sckpi_helpers.cli import main

    out = tmp_path / "x.xlsx"
    assert main(["template", "--city", "99201", "--out", str(out), "--periods", "2025Q1-2025Q4"]) == 0
    wb = openpyxl.load_workbook(out)
    assert "env.course_participants" in {r[0] for r in wb["データ"].iter_rows(min_row=3, values_only=True)}
    text = "\n".join(str(c.value) for row in wb["説明"].iter_rows() for c in row if c.value)
    assert "sckpi ingest --city 99201 --source demo" in text  # the demo city's own source
    # a city without settings nor logic model gets the catalog's local indicators, and no demo command
    out2 = tmp_path / "y.csv"
    assert main(["template", "--city", "13101", "--out", str(out2)]) == 0
    assert "t2.transport.satisfaction" in out2.read_text(encoding="utf-8-sig")
    out3 = tmp_path / "z.xlsx"
    assert main(["template", "--city", "13101", "--out", str(out3)]) == 0
    text = "\n".join(str(c.value) for row in openpyxl.load_workbook(out3)["説明"].iter_rows() for c in row if c.value)
    assert "--source SOURCE" in text and "--source demo" not in text
