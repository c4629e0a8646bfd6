"""A figure is saved as its plot function laid it out (``pages.display.figure_svg`` does not crop): so
every figure the pages draw must keep all of its text — titles, tick labels, legends, names — on its
own canvas, with long Japanese labels too."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sckpi_helpers.config.vocabulary import FIELD_JA, PILLAR_JA

REPO = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(7)


@pytest.fixture(scope="module")
def geo():
    from sckpi_helpers.sources.boundaries import load_boundaries

    return load_boundaries(REPO / "data" / "raw" / "boundaries" / "N03-21_210101_designated_city.topojson.json")


@pytest.fixture(scope="module")
def tier3():
    from synthetic import real_catalog, synthetic_areas, synthetic_panel

    from sckpi_helpers.indicators import engine, peers
    from sckpi_helpers.store import peer_groups

    cat = real_catalog()
    panel = synthetic_panel(cat, 25, range(2015, 2025), seed=3, missing_frac=0.03)
    res = engine.compute(panel, cat)
    group = peer_groups.peer_group(synthetic_areas(sorted(panel["area_code"].unique())), "01201", "all")
    return cat, res, group, peers.compare(res, cat, "01201", 2024, group)


def radar(_):
    from sckpi_helpers.viz.radar import plot_radar

    pillars = pd.DataFrame({"label": list(PILLAR_JA.values()), "city": [71.2, 28.4, 55.0],
                            "peer_median": [50.0, 49.0, 51.0]})
    fields = pd.DataFrame({"label": list(FIELD_JA.values()), "city": RNG.uniform(25, 78, len(FIELD_JA)),
                           "peer_median": RNG.uniform(45, 55, len(FIELD_JA))})
    return plot_radar(pillars, fields)


def scatter(_):
    from sckpi_helpers.viz.radar import plot_pair_scatter

    names = ["北海道札幌市中央区", "千代田区", "小笠原村", "東京都青ヶ島村", "鹿児島県十島村"]
    pts = pd.DataFrame({"area_code": [str(i) for i in range(5)], "name": names,
                        "x": [0.0, 1.0, 2.0, 3.0, 4.0], "y": [4.0, 0.0, 2.0, 3.9, 0.1]})
    return plot_pair_scatter(pts, "4", "人口あたり刑法犯認知件数（件／千人）", "交通事故発生件数（件／千人）",
                             x_better="lower", y_better="lower")


def strip(data):
    from sckpi_helpers.viz import plots

    cat, res, group, _ = data["tier3"]
    return plots.plot_peer_strip(res, cat, "01201", 2024, group)


def pillar(data):
    from sckpi_helpers.indicators import peers
    from sckpi_helpers.viz import plots

    cat, _, _, cmp_ = data["tier3"]
    return plots.plot_pillar_scores(peers.pillar_summary(cmp_, cat))


def timeseries(data):
    from sckpi_helpers.viz import plots

    cat, res, group, cmp_ = data["tier3"]
    return plots.plot_timeseries_with_peers(res, cmp_["indicator_id"].iloc[1], "01201", group, cat)


def city_maps(data):
    from sckpi_helpers.viz.maps import plot_deviation_maps

    geo = data["geo"]
    codes = sorted(c for c in geo["area_code"] if c.startswith("13"))[:30]
    frame = pd.DataFrame({"area_code": codes, "deviation_score": RNG.normal(50, 10, len(codes))})
    return plot_deviation_maps(geo, [("人口あたり刑法犯認知件数", frame), ("交通事故", frame), ("雇用率", frame)],
                               codes[0], codes)


def national_map(data):
    from sckpi_helpers.viz.maps import national_shapes, plot_national_map

    shapes = national_shapes(data["geo"])
    return plot_national_map(shapes, {c: 35.0 for c in shapes[0][:50]}, title="人口あたり刑法犯認知件数（件／千人）")


def logic_model(_):
    from lm_fixtures import load_demo

    from sckpi_helpers.viz.diagram import draw_logic_model

    model = load_demo()[1]
    return draw_logic_model(model)


def kpi_series(_):
    from sckpi_helpers.notebook.sections import plot_kpi_series

    periods = [f"{y}Q{q}" for y in (2023, 2024) for q in range(1, 5)]
    rows = [{"tier": "outcome1", "measure_id": m, "indicator_id": f"{m}.i", "period": p, "period_end": i,
             "expected": 10.0 + i, "actual": 9.0 + i * 1.1, "status": "on_track", "baseline_period": periods[0],
             "baseline": 9.0, "target": 20.0, "target_period": "2026Q4", "unit": "人",
             "name_ja": "地域公共交通の利用者数（デマンド交通を含む）"}
            for m in ("a", "b", "c") for i, p in enumerate(periods)]
    d = SimpleNamespace(tracking=pd.DataFrame(rows), measure_name=lambda m: "公共交通の再編と利用促進")
    return plot_kpi_series(d, "outcome1")


MAKERS = [radar, scatter, strip, pillar, timeseries, city_maps, national_map, logic_model, kpi_series]


@pytest.mark.parametrize("make", MAKERS, ids=[m.__name__ for m in MAKERS])
def test_a_figure_keeps_its_text_on_its_own_canvas(make, geo, tier3):
    fig = make({"geo": geo, "tier3": tier3})
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        # what a tight crop would keep (every drawn artist); it must fit the canvas (½ pt of slack)
        drawn = fig.get_tightbbox(renderer)
        canvas = fig.bbox_inches
        slack = 0.5 / 72
        assert drawn.x0 >= canvas.x0 - slack and drawn.y0 >= canvas.y0 - slack, (drawn, canvas)
        assert drawn.x1 <= canvas.x1 + slack and drawn.y1 <= canvas.y1 + slack, (drawn, canvas)
    finally:
        plt.close(fig)
