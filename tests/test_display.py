"""The notebook parameters (notebook.params) and the HTML building blocks (pages.display): every
problem listed at once, every user-given text escaped by the package's one escaper."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sckpi_helpers.config.vocabulary import STATUS_COLOURS
from sckpi_helpers.notebook import params as nbp
from sckpi_helpers.pages import display as show

DESIGN_PARAMS = {"city_code": "99201", "period": "2024", "logic_model_path": "", "source": "demo",
                 "peer_group": "", "lang": "ja", "output_dir": ""}


# ------------------------------------------------------------------------------------ parameters

def test_validate_parameters_defaults(demo_home, tmp_path):
    p = nbp.validate_parameters(**DESIGN_PARAMS, setup=False)
    assert p.city_code == "99201" and p.period_label == "2024" and p.period_ja == "2024年度（令和6年度）"
    assert p.fiscal_year == 2024 and p.source == "demo" and p.lang == "ja" and p.output_dir is None
    assert p.city_name == "サンプル市"
    assert p.logic_model_path == demo_home / "data" / "raw" / "demo" / "logic_model.yaml"
    assert p.peer_group == "prefecture"  # from the settings
    out = tmp_path / "out" / "x"
    q = nbp.validate_parameters("99201", "2024Q4", "", "demo", "all", "ja", str(out), setup=False)
    assert q.output_dir == out and out.is_dir() and q.peer_group == "all" and q.period_ja == "2024年度（令和6年度）第4四半期"


def test_validate_parameters_lists_every_problem(demo_home):
    with pytest.raises(nbp.ParameterError) as exc:
        nbp.validate_parameters("1234", "2024Q7", "/no/such/model.yaml", "web", "", "fr", "", setup=False)
    msg = str(exc.value)
    for part in ("city_code: '1234'", "period", "logic_model_path", "source 'web'", "lang 'fr'"):
        assert part in msg
    assert msg.count("\n  - ") == 5


def test_city_without_settings_has_no_logic_model(demo_home):
    p = nbp.validate_parameters("99202", "2024", setup=False)
    assert p.logic_model_path is None and p.settings.base_dir is None


# ------------------------------------------------------------------------------------ tables

def test_status_table_escapes_and_colours():
    df = pd.DataFrame({"name": ["<img src=x onerror=alert(1)>", "A&B"], "value": [1234.5, float("nan")],
                       "status": ["behind", "no_data"]})
    html = show.status_table(df, columns={"name": "指標", "value": "値", "status": "状況"}, caption="<b>cap</b>")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "A&amp;B" in html and "&lt;b&gt;cap&lt;/b&gt;" in html
    assert "遅れ" in html and "データなし" in html
    assert STATUS_COLOURS["behind"] in html and STATUS_COLOURS["no_data"] in html
    assert "1,235" in html and "—" in html
    assert "overflow-x:auto" in html  # scrolls sideways on a phone
    assert html.index("指標") < html.index("値") < html.index("状況")


def test_numeric_columns_are_marked_for_right_alignment_text_columns_are_not():
    df = pd.DataFrame({"name": ["過密状態（居住者1人あたりの部屋数）", "人口増減率"], "pillar": ["社会", "社会"],
                       "value": [1.826, float("nan")], "unit": ["室/人", "%（前年比）"],
                       "rank": ["13 / 13", "—"], "progress": ["21%", "-298%"]})
    html = show.status_table(df, status_col=())
    assert '<td class="num sckpi-before-unit">1.826</td><td class="sckpi-unit">室/人</td>' in html
    assert '<td class="num sckpi-before-unit">—</td>' in html  # a missing number aligns with the numbers
    assert '<td class="num">13 / 13</td>' in html and '<td class="num">-298%</td>' in html
    assert '<td class="sckpi-nowrap">社会</td>' in html  # short text never wraps
    assert '<td class="sckpi-text">過密状態' in html  # longer text wraps at a readable width
    assert '<th class="num" scope="col">value</th>' in html and '<th scope="col">name</th>' in html
    assert 'class="sckpi-table"' in html  # six columns: normal type when printed
    wide = show.status_table(pd.DataFrame({f"c{i}": [1] for i in range(show.WIDE_TABLE)}), status_col=())
    assert 'class="sckpi-table sckpi-wide"' in wide  # many columns: smaller type on A4


@pytest.mark.parametrize(("values", "kind"), [
    ([1, 2.5, None], "num"), (["1,234", "5（2022）", "—"], "num"), (["社会", "選択"], "short"),
    (["推計（補完）", None], "short"), (["住居水準充実度（1住宅あたり延べ床面積）"], "text"),
    (["、".join(["高齢者サービス充実度"] * 7)], "long"), ([None, "—"], "short"), ([True, False], "short"),
])
def test_column_kind(values, kind):
    assert show.column_kind(values) == kind


def test_status_cell_unknown_value_is_escaped():
    assert show.status_cell("<x>") == "&lt;x&gt;"
    assert "達成" in show.status_cell("achieved")


def test_page_tables_write_numbers_by_the_one_rule_with_the_row_unit():
    import pandas as pd

    html = show.status_table(pd.DataFrame({"v": [3154.0, 0.5, 12.3456, None], "unit": ["人", "", "%", ""]}),
                             status_col=[])
    assert ">3,154<" in html and ">0.5<" in html and ">12.35<" in html and ">—<" in html


def test_publish_summary_and_show_figure(demo_home, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sckpi_helpers.viz.style import use_japanese_font

    use_japanese_font()

    p = nbp.validate_parameters("99201", "2024", output_dir=str(tmp_path / "o"), setup=False)
    data = show.publish_summary(p, "見出し", lines=["a"])
    assert json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8")) == data
    fig, ax = plt.subplots()
    ax.set_title("テスト図")
    assert show._figure_alt(fig) == "テスト図"
    shown = []
    monkeypatch.setattr(show, "_display_html", shown.append)
    monkeypatch.chdir(tmp_path)
    show.show_figure(fig, "fig 1", p, alt="テスト図：値 <3>")
    svg = (tmp_path / "o" / "fig_1.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "テスト図" in svg  # text kept as text
    assert '<img src="o/fig_1.svg" alt="テスト図：値 &lt;3&gt;"' in shown[0]  # a file beside the page
    assert "base64" not in shown[0]
    assert not plt.get_fignums()  # closed after display


def test_missing_notes_and_notice_escape(monkeypatch):
    shown = []
    monkeypatch.setattr(show, "_display_html", shown.append)
    show.show_missing_notes(pd.DataFrame({"name": ["<b>x</b>"], "reason": ["no <data>"]}))
    show.show_notice("a<script>\nb")
    show.show_missing_notes(None)
    html = "".join(shown)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "no &lt;data&gt;" in html and "a&lt;script&gt;<br>b" in html
    assert "欠損しているデータはありません" in html


def test_peer_group_ja():
    from sckpi_helpers.config.vocabulary import peer_group_ja

    assert peer_group_ja("prefecture") == "同じ都道府県の市区町村"
    assert "99201,99202" in peer_group_ja("list:99201,99202")


def test_one_html_escaper_for_the_package():
    """Notebook outputs, report pages (templates) and the catalog page escape the same way."""
    from sckpi_helpers.pages import catalog_page
    from sckpi_helpers.pages import html as rh

    assert rh.e is show.e and rh.templates().finalize is show.e and not hasattr(catalog_page, "_e")
    hostile = "<script>alert(\"x\")</script>&'市"
    page = rh.root_index_page(rows=[{"city_code": "99201", "city_name": hostile, "latest": None, "count": 1}],
                              version="0", generated="")
    assert show.e(hostile) in page and "<script>alert" not in page
    assert show.e(None) == "" and show.e(3) == "3"


def test_a_missing_logic_model_in_the_settings_is_a_parameter_problem(demo_home):
    settings = demo_home / "data" / "raw" / "demo" / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("logic_model: logic_model.yaml", "logic_model: logic_modle.yaml"),
                        encoding="utf-8")
    with pytest.raises(nbp.ParameterError, match="logic_modle.yaml"):
        nbp.validate_parameters("99201", "2024", setup=False)




def test_every_page_is_a_jinja2_template_on_the_shared_chrome():
    """One HTML path: no module writes a whole page or a stylesheet of its own; the standalone pages
    extend page.html.j2 and the notebook export includes the same nav and footer."""
    import ast
    from pathlib import Path

    pkg = Path(show.__file__).resolve().parents[1]
    own = []
    for path in pkg.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        patterns = {id(a) for n in ast.walk(tree) if isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute) and n.func.attr == "compile" for a in n.args}
        for node in ast.walk(tree):
            if id(node) in patterns:  # a pattern that reads a page (re.compile) writes none
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    "<!DOCTYPE" in node.value or "<html" in node.value or "<style" in node.value):
                own.append(f"{path.relative_to(pkg)}:{node.lineno}")
    assert not own, own
    templates = pkg / "pages" / "templates"
    for page in ("catalog", "city_index", "error", "report_set", "root_index"):
        assert (templates / f"{page}.html.j2").read_text(encoding="utf-8").startswith('{% extends "page.html.j2" %}')
    notebook = (templates / "notebook.html.j2").read_text(encoding="utf-8")
    assert "resources.sckpi_nav" in notebook and "resources.sckpi_footer" in notebook


def test_the_catalog_page_uses_the_kit_stylesheet(demo_home):
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.pages import html as rh
    from sckpi_helpers.pages.catalog_page import render_catalog_html

    page = render_catalog_html(load_catalog(), nav=[("index.html", "目次")], footer="sckpi x")
    assert page.count("<style>") == 1 and rh.CSS in page
    assert rh.nav_html([("index.html", "目次")]) in page and rh.footer_html("sckpi x") in page
