"""What a reviewer downloads from a report set (pages.attachments): every table and figure linked
from the set's index with a Japanese label, one workbook of every table, and copies of the inputs
the run used — never holding the e-Stat appId."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from sckpi_helpers.pages import attachments as att

FAKE_APP_ID = "fakeAppId0123456789abcdef"


def _report_set(folder: Path) -> Path:
    """A small report set: two notebooks' output files and a landing page holding the marker."""
    c1 = folder / "files" / "check1_outputs"
    c4 = folder / "files" / "check4_outcome3"
    c1.mkdir(parents=True)
    c4.mkdir(parents=True)
    pd.DataFrame({"指標": ["見守りカメラ設置数", "=HYPERLINK(\"http://x\")"], "実績": [12, 3.5]}).to_csv(
        c1 / "kpi_output.csv", index=False, encoding="utf-8-sig")
    (c1 / "logic_model.png").write_bytes(b"\x89PNG fake")
    (c1 / "summary.json").write_text("{}", encoding="utf-8")
    pd.DataFrame({"name_ja": ["人口増減率"], "value": [-0.05]}).to_csv(c4 / "peer_comparison.csv", index=False,
                                                                   encoding="utf-8-sig")
    (c4 / "timeseries_t3_soc_crime_rate.png").write_bytes(b"\x89PNG fake")
    (folder / "index.html").write_text(f"<html><body><h2>チェック</h2>{att.MARKER}<h2>資料</h2></body></html>",
                                       encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------------ labels

@pytest.mark.parametrize(("stem", "label"), [
    ("kpi_outcome1", "KPI表（アウトカム第1階層）"),
    ("kpi_series_output", "KPIの推移（アウトプット・グラフ）"),
    ("coverage_outcome2", "データ収集状況（アウトカム第2階層）"),
    ("peer_comparison", "第3階層指標と類似都市比較"),
    ("timeseries_t3_soc_crime_rate", "推移：防犯性（刑法犯認知件数／補正人口）（グラフ）"),
    ("something_new", "something_new"),
])
def test_files_get_japanese_labels(stem, label):
    assert att.file_label(stem) == label


def test_downloads_are_grouped_by_check_in_check_order(tmp_path):
    files = att.notebook_files(_report_set(tmp_path))
    assert list(files) == ["check1_outputs", "check4_outcome3"]
    assert [(d.href, d.kind) for d in files["check1_outputs"]] == [
        ("files/check1_outputs/kpi_output.csv", "表 CSV"), ("files/check1_outputs/logic_model.png", "図 PNG"),
        ("files/check1_outputs/summary.json", "JSON")]


# ------------------------------------------------------------------------------------ workbook

def test_sheet_names_are_excel_safe_short_and_unique():
    taken: set[str] = set()
    long = "推移：災害対応度（二次医療圏内の災害拠点病院数／二次医療圏域人口）"
    a = att.sheet_name("❹", long, taken)
    b = att.sheet_name("❹", long, taken)
    c = att.sheet_name("❶", "KPI表[案]: a/b?", taken)
    assert len(a) <= 31 and len(b) <= 31 and a != b and b.endswith("～2")
    assert not set("[]:*?/\\") & set(c) and c.startswith("❶KPI表")


def test_one_workbook_holds_every_table_one_sheet_each_and_is_deterministic(tmp_path):
    folder = _report_set(tmp_path)
    files = att.notebook_files(folder)
    first = att.write_workbook(folder, files)
    data1 = (folder / att.WORKBOOK).read_bytes()
    data2 = att.build_workbook([(nb, d.label, folder / d.href) for nb, ds in files.items() for d in ds
                                if d.href.endswith(".csv")])
    assert first is not None and first.href == att.WORKBOOK
    assert data1 == data2  # same tables, same bytes

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data1))
    assert wb.sheetnames == ["目次", "❶KPI表（アウトプット）", "❹第3階層指標と類似都市比較"]
    kpi = wb["❶KPI表（アウトプット）"]
    assert [c.value for c in kpi[1]] == ["指標", "実績"]
    assert kpi["B2"].value == 12 and kpi["B3"].value == 3.5  # numbers stay numbers
    assert kpi["A3"].data_type == "s"  # text from the data never becomes a formula
    assert wb["目次"]["D2"].value == "files/check1_outputs/kpi_output.csv"
    with zipfile.ZipFile(io.BytesIO(data1)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_no_tables_no_workbook(tmp_path):
    assert att.write_workbook(tmp_path, {}) is None and not (tmp_path / att.WORKBOOK).exists()


# ------------------------------------------------------------------------------------ inputs

def _inputs(root: Path, settings_text: str, workbook: bytes) -> list[dict]:
    city = root / "data" / "raw" / "city"
    city.mkdir(parents=True)
    (city / "settings.yaml").write_text(settings_text, encoding="utf-8")
    (city / "logic_model.yaml").write_text("measures: []\n", encoding="utf-8")
    (city / "local.xlsx").write_bytes(workbook)
    return [{"role": "settings", "path": "data/raw/city/settings.yaml"},
            {"role": "logic_model", "path": "data/raw/city/logic_model.yaml"},
            {"role": "local_data", "path": "data/raw/city/local.xlsx"},
            {"role": "local_data", "path": "data/raw/city/missing.xlsx"},
            {"role": "external_statistics", "path": "data/raw/city/big.csv"}]


def _xlsx(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", f"<sst><si><t>{text}</t></si></sst>")
    return buf.getvalue()


def test_settings_logic_model_and_local_data_are_copied(tmp_path, monkeypatch):
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)
    entries = _inputs(tmp_path / "home", "city_code: '99201'\n", _xlsx("来場者数"))
    copied, notes = att.copy_inputs(tmp_path / "set", entries, tmp_path / "home")
    assert [d.href for d in copied] == ["inputs/settings.yaml", "inputs/logic_model.yaml", "inputs/local.xlsx"]
    assert (tmp_path / "set" / "inputs" / "local.xlsx").read_bytes() == _xlsx("来場者数")
    assert len(notes) == 1 and "missing.xlsx" in notes[0]  # named, not silently dropped
    assert not (tmp_path / "set" / "inputs" / "big.csv").exists()  # statistics are not copied


def test_the_app_id_never_reaches_the_copied_inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("ESTAT_APP_ID", FAKE_APP_ID)
    entries = _inputs(tmp_path / "home", f"note: {FAKE_APP_ID}\n", _xlsx(FAKE_APP_ID))
    copied, notes = att.copy_inputs(tmp_path / "set", entries, tmp_path / "home")
    assert [d.href for d in copied] == ["inputs/settings.yaml", "inputs/logic_model.yaml"]
    assert any("local.xlsx" in n and "秘密情報" in n for n in notes)
    for f in (tmp_path / "set").rglob("*"):
        if f.is_file():
            assert FAKE_APP_ID.encode() not in f.read_bytes(), f


# ------------------------------------------------------------------------------------ the index

def test_attach_links_every_download_from_the_index(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("SCKPI_HOME", str(home))
    monkeypatch.setattr(att, "copy_inputs", lambda folder, inputs, root: ([], []))
    folder = _report_set(tmp_path / "set")
    added = att.attach(folder, inputs=[])
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert att.MARKER not in page and added["workbook"] == att.WORKBOOK
    for f in folder.rglob("*"):
        if f.is_file() and f.name != "index.html":
            assert f'href="{f.relative_to(folder).as_posix()}"' in page, f
    assert page.index("Check❶ アウトプット") < page.index("Check❹ アウトカム第3階層") < page.index("<h2>資料</h2>")
    assert "推移：防犯性" in page and "すべての表（2 表" in page


def test_user_text_in_labels_is_escaped(tmp_path):
    html = att.downloads_html({"check1_outputs": [att.Download("files/a&b.csv", "<b>x</b>", "表 CSV")]}, None, [], [])
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html and 'href="files/a&amp;b.csv"' in html
