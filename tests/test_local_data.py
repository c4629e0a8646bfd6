"""Local data: templates (xlsx/csv) and the validated reader."""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sckpi_helpers.sources import local_data as ld
from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.errors import InputFileError, ValidationError

FIX = Path(__file__).parent / "fixtures" / "local"
ROOT = Path(__file__).resolve().parents[1]
EXTRA = [("demo.app_users", "アプリ利用者数", "人", "monthly")]



@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _problems(exc):
    return {(p.row, p.column) for p in exc.problems}


def test_every_offending_row_is_listed(catalog):
    with pytest.raises(ValidationError) as ei:
        ld.read_local(FIX / "bad_local.csv", catalog, city_code="99201", extra_indicators=EXTRA)
    got = _problems(ei.value)
    assert got == {(4, "indicator_id"), (5, "unit"), (6, "period"), (7, "value"), (8, "period"),
                   (11, "indicator_id"), (11, "value")}
    text = str(ei.value)
    assert "bad_local.csv" in text and "unknown indicator id 't2.transport.no_such'" in text
    assert "first at row 2" in text  # the duplicate names the row it repeats
    assert all(p.file.endswith("bad_local.csv") for p in ei.value.problems)


def test_valid_rows_are_read_with_canonical_periods(tmp_path, catalog):
    src = (FIX / "bad_local.csv").read_text(encoding="utf-8-sig").splitlines()
    good = [src[0], src[1], src[2], src[8], src[9]]
    p = tmp_path / "good.csv"
    p.write_text("\n".join(good) + "\n", encoding="utf-8-sig")
    df = ld.read_local(p, catalog, city_code="99201", extra_indicators=EXTRA)
    assert list(df.columns) == ld.LOCAL_COLUMNS
    assert df["value"].tolist() == [62.5, 1234.0, 350.0]  # full-width, thousands; empty row dropped
    assert df["period"].tolist() == ["2024", "2025", "2024-10"]
    assert set(df["area_code"]) == {"99201"}
    assert df["value"].dtype == "float64"


def test_unknown_without_extra_indicators(tmp_path, catalog):
    p = tmp_path / "x.csv"
    p.write_text("indicator_id,period,value\ndemo.app_users,2024-10,3\n", encoding="utf-8")
    with pytest.raises(ValidationError) as ei:
        ld.read_local(p, catalog, city_code="99201")
    assert _problems(ei.value) == {(2, "indicator_id")}


def test_missing_columns_and_city(tmp_path, catalog):
    p = tmp_path / "x.csv"
    p.write_text("indicator,when,amount\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="no header row"):
        ld.read_local(p, catalog, city_code="99201")
    q = tmp_path / "y.csv"
    q.write_text("indicator_id,period,value\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="city code"):
        ld.read_local(q, catalog)


@pytest.mark.parametrize("text,value", [("1,234", 1234.0), ("１２３", 123.0), ("−5", -5.0), ("▲5", -5.0),
                                        (" 12.5 ", 12.5), ("1e3", 1000.0), ("", None), (None, None)])
def test_parse_number(text, value):
    assert ld.parse_number(text) == value


@pytest.mark.parametrize("text", ["12,34", "abc", "1.2.3", "5%", "-"])
def test_parse_number_rejects(text):
    with pytest.raises(ValueError):
        ld.parse_number(text)


def test_period_spec():
    assert [p.label for p in ld.parse_period_spec("2025Q1-2025Q4")] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert [p.label for p in ld.parse_period_spec("2025-04-2025-06")] == ["2025-04", "2025-05", "2025-06"]
    assert [p.label for p in ld.parse_period_spec("2024,2025")] == ["2024", "2025"]
    span = ld.parse_period_spec("2025")
    assert len(ld.periods_for_cadence(span, "monthly")) == 12
    assert [p.label for p in ld.periods_for_cadence(span, "semiannual")] == ["2025H1", "2025H2"]


INDS = [("t2.transport.satisfaction", "満足度", "%", "yearly"),
        ("demo.app_users", "アプリ利用者数", "人", "quarterly")]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_template_round_trip(tmp_path, catalog, suffix):
    values = pd.DataFrame({"area_code": ["99201"] * 3,
                           "indicator_id": ["t2.transport.satisfaction", "demo.app_users", "demo.app_users"],
                           "period": ["2025", "2025Q2", "2025Q4"], "value": [61.5, 1200, 1450],
                           "unit": ["%", "人", "人"], "source": ["アンケート", "ログ", "ログ"],
                           "note": [None, None, "速報値"]})
    out = ld.write_template(tmp_path / f"t{suffix}", "99201", INDS, "2025", values=values)
    assert out.exists()
    if suffix == ".xlsx":
        wb = openpyxl.load_workbook(out)
        assert wb.sheetnames == ["data", "README"]
        ws = wb["data"]
        assert [c.value for c in ws[1]] == ld.TEMPLATE_COLUMNS
        assert ws.max_row == 1 + 1 + 4  # 1 yearly row + 4 quarters
        readme = "\n".join(str(c.value) for row in wb["README"].iter_rows() for c in row if c.value)
        assert "期間ラベル" in readme and "fiscal quarter" in readme
    else:
        raw = out.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
    back = ld.read_local(out, catalog, city_code=None if suffix == ".xlsx" else "99201",
                         extra_indicators=INDS[1:])
    assert sorted(zip(back["indicator_id"], back["period"], back["value"], strict=True)) == [
        ("demo.app_users", "2025Q2", 1200.0), ("demo.app_users", "2025Q4", 1450.0),
        ("t2.transport.satisfaction", "2025", 61.5)]
    assert set(back["area_code"]) == {"99201"}  # xlsx remembers its city
    assert back.loc[back["period"] == "2025Q4", "note"].item() == "速報値"


def test_template_is_deterministic(tmp_path):
    a = ld.write_template(tmp_path / "a.xlsx", "99201", INDS, "2025")
    b = ld.write_template(tmp_path / "b.xlsx", "99201", INDS, "2025")
    assert a.read_bytes() == b.read_bytes()


def test_template_rejects_other_suffix(tmp_path):
    with pytest.raises(InputFileError):
        ld.write_template(tmp_path / "t.ods", "99201", INDS, "2025")


def test_excel_rows_are_numbered_as_excel_shows_them(tmp_path, catalog):
    out = ld.write_template(tmp_path / "t.xlsx", "99201", INDS, "2025")
    wb = openpyxl.load_workbook(out)
    ws = wb["data"]
    ws["D3"] = "十"      # row 3: first quarter of demo.app_users
    ws["E2"] = "件"      # row 2: wrong unit for the satisfaction row
    ws["D2"] = 50
    wb.save(out)
    with pytest.raises(ValidationError) as ei:
        ld.read_local(out, catalog, extra_indicators=INDS[1:])
    assert _problems(ei.value) == {(3, "value"), (2, "unit")}


def test_logic_model_indicators_from_demo(catalog):
    from sckpi_helpers.checks.logic_model import load_logic_model

    lm = ROOT / "data" / "raw" / "demo" / "logic_model.yaml"
    specs = ld.logic_model_indicators(load_logic_model(lm, catalog), catalog)
    assert specs and all(s.id and s.cadence for s in specs)
    assert "env.course_participants" in {s.id for s in specs}


def test_cli_template(tmp_path, monkeypatch, demo_home):
    from sckpi_helpers.cli import main

    out = tmp_path / "x.xlsx"
    assert main(["template", "--city", "99201", "--out", str(out), "--periods", "2025Q1-2025Q4"]) == 0
    wb = openpyxl.load_workbook(out)
    ids = {r[0] for r in wb["data"].iter_rows(min_row=2, values_only=True)}
    assert "env.course_participants" in ids
    # a city without a logic model gets the catalog's local indicators
    out2 = tmp_path / "y.csv"
    assert main(["template", "--city", "13101", "--out", str(out2)]) == 0
    assert "t2.transport.satisfaction" in out2.read_text(encoding="utf-8-sig")
