"""Plots: each returns a Figure with Japanese text and no missing-glyph warnings."""

from __future__ import annotations

import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from synthetic import FakeCatalog, real_catalog, synthetic_areas, synthetic_panel

from sckpi_helpers.indicators import engine, peers
from sckpi_helpers.store import peer_groups
from sckpi_helpers.viz import plots

JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="module", params=["fake", "real"])
def data(request):
    cat = FakeCatalog() if request.param == "fake" else real_catalog()
    if cat is None:
        pytest.skip("real catalog not available")
    panel = synthetic_panel(cat, 25, range(2015, 2025), seed=3, missing_frac=0.03)
    res = engine.compute(panel, cat)
    areas = synthetic_areas(sorted(panel["area_code"].unique()))
    group = peer_groups.peer_group(areas, "01201", "all")
    cmp_ = peers.compare(res, cat, "01201", 2024, group)
    return cat, res, group, cmp_


def texts(fig: Figure) -> str:
    return " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def draw_clean(make) -> Figure:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = make()
        fig.canvas.draw()
    glyph = [str(w.message) for w in caught if "Glyph" in str(w.message) or "missing from" in str(w.message)]
    assert not glyph, glyph
    assert isinstance(fig, Figure)
    assert JA.search(texts(fig)), "no Japanese text"
    return fig


def test_peer_strip_from_results(data):
    cat, res, group, _ = data
    fig = draw_clean(lambda: plots.plot_peer_strip(res, cat, "01201", 2024, group))
    assert "偏差値" in texts(fig)
    plt.close(fig)


def test_peer_strip_from_comparison_and_subset(data):
    cat, _, group, cmp_ = data
    ids = list(cmp_.loc[cmp_["deviation_score"].notna(), "indicator_id"][:3])
    fig = draw_clean(lambda: plots.plot_peer_strip(cmp_, cat, "01201", 2024, group, indicator_ids=ids))
    assert len(fig.axes[0].get_yticklabels()) == 3
    plt.close(fig)


def test_pillar_scores(data):
    cat, _, _, cmp_ = data
    fig = draw_clean(lambda: plots.plot_pillar_scores(peers.pillar_summary(cmp_, cat)))
    assert "社会" in texts(fig)
    plt.close(fig)


def test_timeseries_with_peers(data):
    cat, res, group, cmp_ = data
    iid = cmp_["indicator_id"].iloc[1]
    fig = draw_clean(lambda: plots.plot_timeseries_with_peers(res, iid, "01201", group, cat))
    assert "比較団体の中央値" in texts(fig)
    plt.close(fig)


def test_the_japanese_font_is_registered_once_per_process():
    """Every figure asks for the Japanese font; registering the font file again each time made a
    national run's kernel slower with every figure."""
    from matplotlib import font_manager

    from sckpi_helpers.viz.style import use_japanese_font

    use_japanese_font()
    before = len(font_manager.fontManager.ttflist)
    for _ in range(3):
        assert use_japanese_font() == "IPAexGothic"
    assert len(font_manager.fontManager.ttflist) == before
