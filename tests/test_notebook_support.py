"""Helpers the notebooks call, and the shape of the committed notebooks themselves."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sckpi_helpers.reports import notebook as ns
from sckpi_helpers.config.vocabulary import STATUS_COLOURS

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
DESIGN_PARAMS = {"city_code": "99201", "period": "2024", "logic_model_path": "", "source": "demo",
                 "peer_group": "", "lang": "ja", "output_dir": ""}


# ------------------------------------------------------------------------------------ parameters

def test_validate_parameters_defaults(demo_home, tmp_path):
    p = ns.validate_parameters(**DESIGN_PARAMS, setup=False)
    assert p.city_code == "99201" and p.period_label == "2024" and p.period_ja == "2024年度"
    assert p.fiscal_year == 2024 and p.source == "demo" and p.lang == "ja" and p.output_dir is None
    assert p.city_name == "サンプル市"
    assert p.logic_model_path == demo_home / "data" / "raw" / "demo" / "logic_model.yaml"
    assert p.peer_group == "prefecture"  # from the settings
    out = tmp_path / "out" / "x"
    q = ns.validate_parameters("99201", "2024Q4", "", "demo", "all", "ja", str(out), setup=False)
    assert q.output_dir == out and out.is_dir() and q.peer_group == "all" and q.period_ja == "2024年度第4四半期"


def test_validate_parameters_lists_every_problem(demo_home):
    with pytest.raises(ns.ParameterError) as exc:
        ns.validate_parameters("1234", "2024Q7", "/no/such/model.yaml", "web", "", "fr", "", setup=False)
    msg = str(exc.value)
    for part in ("city_code '1234'", "period", "logic_model_path", "source 'web'", "lang 'fr'"):
        assert part in msg
    assert msg.count("\n  - ") == 5


def test_city_without_settings_has_no_logic_model(demo_home):
    p = ns.validate_parameters("99202", "2024", setup=False)
    assert p.logic_model_path is None and p.settings.base_dir is None


# ------------------------------------------------------------------------------------ tables

def test_status_table_escapes_and_colours():
    df = pd.DataFrame({"name": ["<img src=x onerror=alert(1)>", "A&B"], "value": [1234.5, float("nan")],
                       "status": ["behind", "no_data"]})
    html = ns.status_table(df, columns={"name": "指標", "value": "値", "status": "状況"}, caption="<b>cap</b>")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "A&amp;B" in html and "&lt;b&gt;cap&lt;/b&gt;" in html
    assert "遅れ" in html and "データなし" in html
    assert STATUS_COLOURS["behind"] in html and STATUS_COLOURS["no_data"] in html
    assert "1,234.5" in html and "—" in html
    assert "overflow-x:auto" in html  # scrolls sideways on a phone
    assert html.index("指標") < html.index("値") < html.index("状況")


def test_status_cell_unknown_value_is_escaped():
    assert ns.status_cell("<x>") == "&lt;x&gt;"
    assert "達成" in ns.status_cell("achieved")


def test_number_format():
    assert ns._fmt(3154.0) == "3,154"
    assert ns._fmt(0.5) == "0.5"
    assert ns._fmt(None) == "—"
    assert ns._fmt(float("nan")) == "—"


# ------------------------------------------------------------------------------------ summaries

def test_summary_ja_lines():
    lines = ns.summary_ja(2, improved=["延べ利用回数"], behind=["住民の温暖化理解度"], no_data=[],
                          diagnosis=["環境問題学習講座：第1階層が遅れています"],
                          counts={"achieved": 1, "on_track": 0, "behind": 1, "no_data": 0})
    text = "\n".join(lines)
    assert lines[0].startswith("Check❷（アウトカム第1階層）の指標 2 件")
    assert "改善・達成：延べ利用回数" in text and "遅れ：住民の温暖化理解度" in text
    assert "診断：環境問題学習講座" in text
    assert "事業の取組内容の軌道修正" in text
    calm = ns.summary_ja(3, improved=[], behind=[])
    assert "遅れている指標はありません" in "\n".join(calm) and "継続" in calm[-1]
    many = ns.summary_ja(1, behind=[f"指標{i}" for i in range(9)])
    assert "ほか3件" in "\n".join(many)


def test_publish_summary_and_show_figure(demo_home, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sckpi_helpers.viz.style import use_japanese_font

    use_japanese_font()

    p = ns.validate_parameters("99201", "2024", output_dir=str(tmp_path / "o"), setup=False)
    data = ns.publish_summary(p, "見出し", lines=["a"])
    assert json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8")) == data
    fig, ax = plt.subplots()
    ax.set_title("テスト図")
    assert ns._figure_alt(fig) == "テスト図"
    ns.show_figure(fig, "fig 1", p)
    png = (tmp_path / "o" / "fig_1.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.get_fignums()  # closed after display


def test_missing_notes_and_notice_escape(monkeypatch):
    shown = []
    monkeypatch.setattr(ns, "_display_html", shown.append)
    ns.show_missing_notes(pd.DataFrame({"name": ["<b>x</b>"], "reason": ["no <data>"]}))
    ns.show_notice("a<script>\nb")
    ns.show_missing_notes(None)
    html = "".join(shown)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "no &lt;data&gt;" in html and "a&lt;script&gt;<br>b" in html
    assert "欠損しているデータはありません" in html


def test_peer_group_ja():
    assert ns.peer_group_ja("prefecture") == "同じ都道府県の市区町村"
    assert "99201,99202" in ns.peer_group_ja("list:99201,99202")


# ------------------------------------------------------------------------------------ the notebooks

@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_shape(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "outputs not stripped"
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse("".join(tagged[0]["source"]))
    values = {t.targets[0].id: ast.literal_eval(t.value) for t in tree.body if isinstance(t, ast.Assign)}
    assert values == DESIGN_PARAMS
    after = code[code.index(tagged[0]) + 1]
    assert "validate_parameters(city_code, period, logic_model_path, source, peer_group, lang, output_dir)" in \
        "".join(after["source"])
    headings = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("#")]
    assert headings and all(any("\u3040" <= ch <= "\u9fff" for ch in h) for h in headings), headings


def test_notebooks_match_their_build_script():
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "build_notebooks.py"), "--check"], check=False,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_expected_notebooks_exist():
    assert {p.stem for p in NOTEBOOKS} >= {"00_ingest", "check1_outputs", "check2_outcome1", "check3_outcome2",
                                          "check4_outcome3", "explorer"}
