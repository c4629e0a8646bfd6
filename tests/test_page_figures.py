"""The reviewer's figures and their accessibility, without a browser: a colour-blind-safe palette with
readable text on every coloured label and in the page's CSS, the bundled municipal boundaries, maps
that outline the city and hatch missing values, the 偏差値 radar with the peers' median ring, the
two-indicator scatter, peers named with their neighbours in rank, and figures as light SVG files with
alternative text and a table beside them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sckpi_helpers.config import palette

REPO = Path(__file__).resolve().parents[1]
CSS = REPO / "sckpi_helpers" / "pages" / "templates" / "sckpi.css"
SHARED = Path("/work/shared/real-data")  # where the bundled boundaries were copied from


# ------------------------------------------------------------------------------------------ palette
def test_figures_draw_with_the_okabe_ito_colours():
    okabe = set(palette.OKABE_ITO.values())
    assert {palette.CITY, palette.PEER, palette.TARGET, palette.BASELINE} <= okabe
    assert set(palette.STATUS_COLOURS.values()) - {palette.GREY} <= okabe
    assert set(palette.PROGRESS_COLOURS.values()) - {palette.GREY} <= okabe
    from sckpi_helpers.viz import plots

    assert plots.CITY_COLOUR == palette.CITY and plots.PEER_COLOUR == palette.PEER


def test_wcag_contrast_is_computed_as_the_standard_defines_it():
    assert palette.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert palette.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near-miss


@pytest.mark.parametrize("colour", sorted({*palette.STATUS_COLOURS.values(), *palette.PROGRESS_COLOURS.values(),
                                           *palette.DEVIATION_COLOURS}))
def test_text_on_every_coloured_label_has_a_contrast_of_at_least_4_5(colour):
    assert palette.contrast(palette.text_on(colour), colour) >= palette.MIN_CONTRAST


def test_a_status_reads_without_colour():
    from sckpi_helpers.pages.display import progress_cell, status_cell

    for status, word in (("behind", "遅れ"), ("achieved", "達成")):
        cell = status_cell(status)
        assert word in cell and palette.STATUS_MARKS[status] in cell
    cell = progress_cell("worsening")
    assert "悪化" in cell and "▼" in cell and "color:#000000" in cell


def _css_rules(text: str) -> list[tuple[str, dict[str, str]]]:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    out = []
    for sel, body in re.findall(r"([^{}@]+)\{([^{}]*)\}", text):
        decls = {k.strip(): v.strip() for k, v in (d.split(":", 1) for d in body.split(";") if ":" in d)}
        out.append((sel.strip(), decls))
    return out


def _hex(value: str | None) -> str | None:
    m = re.search(r"#[0-9a-fA-F]{3,6}\b", value or "")
    return m[0] if m else None


def test_every_text_colour_of_the_page_css_has_a_contrast_of_at_least_4_5():
    rules = _css_rules(CSS.read_text(encoding="utf-8"))
    backgrounds = {_hex(d.get("background") or d.get("background-color")) for _, d in rules} - {None}
    page_backgrounds = {"#ffffff"} | {b for b in backgrounds if palette.luminance(b) > 0.8}
    nav_bg = next(_hex(d["background"]) for s, d in rules if s == ".sckpi-nav")
    checked = 0
    for sel, decls in rules:
        fg = _hex(decls.get("color"))
        if fg is None or "badge" in sel:  # badges take their text colour from palette.text_on
            continue
        own = _hex(decls.get("background") or decls.get("background-color"))
        grounds = {own} if own else ({nav_bg} if "sckpi-nav" in sel else page_backgrounds)
        for bg in grounds:
            assert palette.contrast(fg, bg) >= palette.MIN_CONTRAST, (sel, fg, bg)
            checked += 1
    assert checked >= 10


# ------------------------------------------------------------------------------------------ boundaries
def test_the_boundaries_ship_byte_for_byte_with_both_credits():
    folder = REPO / "data" / "raw" / "boundaries"
    credits = (folder / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "国土交通省" in credits and "国土数値情報" in credits and "スマートニュース メディア研究所" in credits
    shared = SHARED / "boundaries"
    if not shared.is_dir():
        pytest.skip("the shared real data is not on this machine")
    for f in shared.iterdir():
        assert hashlib.sha256((folder / f.name).read_bytes()).digest() == hashlib.sha256(f.read_bytes()).digest()


@pytest.fixture(scope="module")
def geo():
    from sckpi_helpers.sources.boundaries import load_boundaries

    return load_boundaries(REPO / "data" / "raw" / "boundaries" / "N03-21_210101_designated_city.topojson.json")


def test_boundaries_give_one_shape_per_area_code(geo):
    assert geo["area_code"].is_unique and len(geo) > 1700
    assert geo.attrs["without_code"] == 3  # 所属未定地 and the like, counted, not drawn
    chiyoda = geo[geo["area_code"] == "13101"].iloc[0]
    assert chiyoda["name"] == "千代田区" and 139.7 < chiyoda.geometry.centroid.x < 139.8
    assert not geo["area_code"].str.startswith("99").any()  # the fictional demo prefecture has no shape


def test_a_missing_boundary_file_is_an_error_naming_the_file(tmp_path):
    from sckpi_helpers.errors import InputFileError
    from sckpi_helpers.sources.boundaries import load_boundaries

    with pytest.raises(InputFileError, match="境界データがありません"):
        load_boundaries(tmp_path / "none.topojson.json")


# ------------------------------------------------------------------------------------------ maps
def test_deviation_classes_follow_their_bins():
    from sckpi_helpers.viz.maps import deviation_class

    assert [deviation_class(v) for v in (30, 40, 44.9, 50, 55, 60, 75)] == [0, 1, 1, 2, 3, 4, 4]
    assert deviation_class(float("nan")) is None


def test_the_map_outlines_the_city_and_hatches_missing_values(geo):
    from sckpi_helpers.viz.maps import MISSING_HATCH, plot_deviation_maps

    codes = sorted(c for c in geo["area_code"] if c.startswith("13"))
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"area_code": codes, "deviation_score": rng.normal(50, 10, len(codes))})
    frame.loc[frame["area_code"] == "13102", "deviation_score"] = np.nan
    fig = plot_deviation_maps(geo, [("防犯性", frame)], "13101", codes)
    ax = fig.axes[0]
    hatched = [c for c in ax.collections if c.get_hatch() == MISSING_HATCH]
    assert len(hatched) == 1 and len(hatched[0].get_paths()) >= 1
    outlines = [c for c in ax.collections if max(c.get_linewidths(), default=0) >= 2]
    assert outlines and matplotlib.colors.to_hex(outlines[0].get_edgecolor()[0]) == "#000000"
    legend = {t.get_text() for t in fig.legends[0].get_texts()}
    assert {"データなし", "対象都市（太線）", "60以上（上位）"} <= legend
    assert "範囲外の比較団体" in fig._suptitle.get_text()  # 伊豆・小笠原 are off the frame, and it says so
    plt.close(fig)


# ------------------------------------------------------------------------------------------ radar, scatter
def test_radar_draws_the_city_and_the_peers_median_ring_with_values_in_the_labels():
    from sckpi_helpers.viz.radar import plot_radar

    pillars = pd.DataFrame({"label": ["社会", "経済", "環境"], "city": [55.0, 45.0, 61.2],
                            "peer_median": [50.0, 49.0, 51.0]})
    from sckpi_helpers.viz.radar import radius

    fig = plot_radar(pillars)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts if "\n" in t.get_text()]
    assert labels == ["社会\n55.0", "経済\n45.0", "環境\n61.2"]  # the first axis at the top, then clockwise
    assert ax.texts[-1].get_position()[0] < 0 < ax.texts[-2].get_position()[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    ring = lines["比較団体の中央値"]
    r = np.hypot(ring.get_xdata(), ring.get_ydata())
    np.testing.assert_allclose(r, [radius(v) for v in (50.0, 49.0, 51.0, 50.0)])  # closed, one vertex per axis
    city = lines["対象都市"]
    assert city.get_xdata()[0] == pytest.approx(0) and city.get_ydata()[0] == pytest.approx(radius(55.0))
    plt.close(fig)


def test_field_profile_takes_the_median_of_each_peers_own_mean():
    from sckpi_helpers.viz.radar import field_profile

    cmp = pd.DataFrame({"field": ["a", "a", "b"], "deviation_score": [60.0, 40.0, 55.0]})
    sc = pd.DataFrame({"area_code": ["c", "c", "p1", "p1", "p2", "p2", "p3"],
                       "field": ["a", "a", "a", "a", "a", "a", "b"],
                       "deviation_score": [60.0, 40.0, 30.0, 50.0, 70.0, 70.0, 45.0]})
    out = field_profile(cmp, sc, "field", {"a": "A", "b": "B"}, "c").set_index("key")
    assert out.loc["a", "city"] == 50.0 and out.loc["a", "peer_median"] == 55.0  # median of 40 and 70
    assert out.loc["b", "peer_median"] == 45.0


def test_the_scatter_names_the_city_and_says_which_way_is_better():
    from sckpi_helpers.viz.radar import plot_pair_scatter

    pts = pd.DataFrame({"area_code": ["1", "2", "3"], "name": ["本市", "隣市", "遠町"],
                        "x": [1.0, 2.0, 3.0], "y": [3.0, 2.0, np.nan]})
    fig = plot_pair_scatter(pts, "1", "防犯性", "交通安全性", x_better="lower", y_better="higher")
    ax = fig.axes[0]
    assert "← 良い" in ax.get_xlabel() and "↑ 良い" in ax.get_ylabel()
    assert {"本市", "隣市"} <= {t.get_text() for t in ax.texts}
    plt.close(fig)


# ------------------------------------------------------------------------------------------ peers named
@pytest.fixture
def peers_page():
    """A minimal Check❹ reading: four peers, one lower-is-better indicator."""
    from sckpi_helpers.catalog import load_catalog

    catalog = load_catalog()
    areas = pd.DataFrame({"area_code": ["99000", "99201", "99202", "99203", "99204"],
                          "area_name": ["サンプル県", "本市", "北市", "南市", "東町"],
                          "level": ["prefecture"] + ["municipality"] * 4})
    results = pd.DataFrame({"area_code": ["99201", "99202", "99203", "99204"], "year": 2024,
                            "indicator_id": "t3.soc.crime_rate", "value": [3.0, 2.0, 4.0, 5.0],
                            "status": "ok", "reason": None, "provenance": ""})
    from sckpi_helpers.indicators.peers import compare

    codes = ["99201", "99202", "99203", "99204"]
    return SimpleNamespace(results=results, catalog=catalog, year=2024, peer_codes=codes, areas=areas,
                           panel=pd.DataFrame(columns=["area_code", "variable", "year", "value"]),
                           params=SimpleNamespace(city_code="99201", peer_group="prefecture"),
                           comparison=compare(results, catalog, "99201", 2024, codes), city_name="本市")


def test_the_citys_neighbours_in_rank_are_named(peers_page):
    from sckpi_helpers.notebook.peer_page import rank_neighbours

    # lower is better: 北市 2.0 (1位), 本市 3.0 (2位), 南市 4.0 (3位)
    assert rank_neighbours(peers_page) == {"t3.soc.crime_rate": "↑ 北市（1位）／↓ 南市（3位）"}


def test_peers_are_listed_with_the_rule_and_year_that_chose_them(peers_page):
    from sckpi_helpers.notebook.peer_page import peers_html

    html = peers_html(peers_page)
    assert html.startswith('<details class="sckpi-peers">') and "比較団体 3 団体の一覧" in html
    assert all(n in html for n in ("北市", "南市", "東町")) and "<li>本市" not in html
    assert "選び方：同じ都道府県の市区町村" in html and "2024年（令和6年）" in html


# ------------------------------------------------------------------------------------------ light pages
def test_a_figure_is_an_svg_with_its_text_kept_as_text():
    from sckpi_helpers.pages.display import SVG_FONTS, figure_svg
    from sckpi_helpers.viz.style import use_japanese_font

    use_japanese_font()
    fig, ax = plt.subplots()
    ax.plot([2020, 2024], [1.0, 2.0])
    ax.set_title("防犯性の推移")
    svg = figure_svg(fig).decode("utf-8")
    plt.close(fig)
    assert "防犯性の推移" in svg and SVG_FONTS in svg and "base64" not in svg
    assert len(svg) < 30_000


def test_a_figure_on_the_page_has_alt_text_and_its_table_beside_it():
    from sckpi_helpers.pages.display import figure_html, status_table

    html = figure_html("files/check4_outcome3/map.svg", "地図：<本市> は 5位", caption="出典",
                       table_html=status_table(pd.DataFrame({"団体": ["本市"]}), status_col=()))
    assert '<img src="files/check4_outcome3/map.svg" alt="地図：&lt;本市&gt; は 5位"' in html
    assert '<details class="sckpi-alt-table"><summary>図の内容を表で見る</summary>' in html and "<table" in html


def test_the_page_carries_only_the_lab_styles_it_uses():
    from sckpi_helpers.pages.html import _lab_index_css, used_lab_css

    page = '<body class="jp-Notebook"><div class="jp-Cell jp-RenderedHTMLCommon"><table></table></div></body>'
    css = used_lab_css(page)
    full = _lab_index_css()
    assert len(full) > 200_000 and len(css) < 20_000
    assert ".jp-RenderedHTMLCommon table" in css and ".jp-Toolbar" not in css
    assert "data:image/svg+xml" not in css  # the icons' data URIs are gone
    used_vars = set(re.findall(r"var\((--[\w-]+)", css))
    defined = set(re.findall(r"(--[\w-]+)\s*:", css))
    assert defined <= used_vars | {v for v in defined if v in css.split(":root", 1)[-1]}


def test_the_similar_class_is_named_in_japanese():
    from sckpi_helpers.notebook.peer_page import similar_class_ja

    assert similar_class_ja("core_city") == "中核市"
    assert similar_class_ja("city-II-3") == "一般市 II-3"
    assert similar_class_ja(None) == "不明"


def test_peers_across_prefectures_carry_their_prefecture(peers_page):
    from sckpi_helpers.notebook.peer_page import area_names

    peers_page.peer_codes = ["99201", "99202", "13101"]
    peers_page.areas = pd.concat([peers_page.areas, pd.DataFrame({
        "area_code": ["13000", "13101"], "area_name": ["東京都", "千代田区"], "level": ["prefecture", "municipality"]})])
    names = area_names(peers_page)
    assert names["13101"] == "東京都千代田区" and names["99202"] == "サンプル県北市"


def test_the_national_map_colours_each_class_once_and_hatches_municipalities_without_a_value(geo):
    """The national pages' map: one drawing per 偏差値 class (1,741 municipalities stay light), those
    without a value white and hatched, never coloured."""
    from sckpi_helpers.pages.display import figure_svg
    from sckpi_helpers.viz.maps import MISSING_HATCH, national_shapes, plot_national_map

    shapes = national_shapes(geo)
    codes = shapes[0]
    scores = {c: 35.0 if i % 2 else 65.0 for i, c in enumerate(codes[:100])}
    fig = plot_national_map(shapes, scores, title="防犯性")
    ax = fig.axes[0]
    hatched = [c for c in ax.collections if c.get_hatch() == MISSING_HATCH]
    coloured = [c for c in ax.collections if c.get_hatch() != MISSING_HATCH]
    assert len(hatched) == 1 and len(coloured) == 2  # the two classes used, one compound path each
    assert {tuple(np.round(c.get_facecolor()[0], 3)) for c in coloured} == {
        tuple(np.round(matplotlib.colors.to_rgba(palette.DEVIATION_COLOURS[k]), 3)) for k in (0, 4)}
    assert any("データなし" in t.get_text() for t in ax.get_legend().get_texts())
    svg = figure_svg(fig)
    plt.close(fig)
    assert svg.count(b"<path") < 200 and len(svg) < 400_000


def test_an_image_inside_an_svg_figure_is_a_palette_png():
    """A rasterised part of a figure (the strip plot's dots) is stored with a small palette."""
    import base64
    import io

    from PIL import Image

    from sckpi_helpers.pages.display import figure_svg

    fig, ax = plt.subplots(figsize=(4, 3))
    rng = np.random.default_rng(0)
    ax.scatter(rng.normal(size=300), rng.normal(size=300), s=9, alpha=0.5, rasterized=True)
    svg = figure_svg(fig).decode("utf-8")
    plt.close(fig)
    data = re.search(r'xlink:href="data:image/png;base64,([A-Za-z0-9+/=\s]+)"', svg)[1]
    assert Image.open(io.BytesIO(base64.b64decode("".join(data.split())))).mode == "P"
