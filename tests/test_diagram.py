"""The logic-model diagram: a Figure, Japanese glyphs present, boxes coloured by status."""

from __future__ import annotations

import logging
import warnings

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import yaml
from lm_fixtures import FIX, fake_catalog, load_demo
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from sckpi_helpers.checks.kpi import latest_status, track
from sckpi_helpers.config.vocabulary import STATUS_COLOURS
from sckpi_helpers.sources.logic_model import load_logic_model
from sckpi_helpers.viz.diagram import NO_INDICATOR_COLOUR, draw_logic_model

CAT = fake_catalog()


@pytest.fixture()
def course():
    model = load_logic_model(FIX / "course.yaml", CAT)
    qs = [f"{y}Q{q}" for y in (2023, 2024) for q in range(1, 5)]
    rows = [{"area_code": "99201", "indicator_id": "env.participants", "period": q, "value": 55.0 + 60 * i,
             "unit": "人", "source": "s", "note": None} for i, q in enumerate(qs)]
    rows += [{"area_code": "99201", "indicator_id": "env.understanding", "period": q, "value": 40.0,
              "unit": "%", "source": "s", "note": None} for q in qs]
    rows += [{"area_code": "99201", "indicator_id": "env.home_co2", "period": "2023", "value": 488.0,
              "unit": "千t-CO2", "source": "s", "note": None}]
    # 2024Q3: participants 415 ≥ 400 achieved, understanding flat behind, FY2023 CO2 on its path,
    # tier 3 without engine results no_data
    return model, track(model, CAT, pd.DataFrame(rows), period="2024Q3")


def box_patches(fig: Figure) -> dict[str, object]:
    return {p.get_gid(): p for ax in fig.axes for p in ax.patches if (p.get_gid() or "").startswith("box:")}


def draw_quietly(fig: Figure, caplog) -> list[str]:
    """Render the figure; return glyph/font complaints from warnings and matplotlib's log."""
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, logger="matplotlib"):
        warnings.simplefilter("always")
        fig.canvas.draw()
    msgs = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    return [m for m in msgs if "Glyph" in m or "missing from" in m or "findfont" in m]


def test_returns_a_figure_with_no_missing_glyphs(course, caplog):
    model, t = course
    fig = draw_logic_model(model, t)
    try:
        assert isinstance(fig, Figure)
        assert draw_quietly(fig, caplog) == []
        texts = " ".join(x.get_text() for ax in fig.axes for x in ax.texts)
        for word in ("インプット", "事業・取組", "アウトプット", "第1階層", "第2階層", "第3階層", "環境問題学習講座"):
            assert word in texts
    finally:
        plt.close(fig)


def test_boxes_are_coloured_by_the_worst_status_of_their_indicators(course):
    model, t = course
    fig = draw_logic_model(model, t)
    try:
        patches = box_patches(fig)
        assert len(patches) == len(model.measure("env_course").boxes)
        latest = latest_status(t)
        expected = {r.box_id: r.status for r in latest.itertuples()}
        assert expected == {"attend": "achieved", "understand": "behind", "co2_home": "on_track",
                            "co2_city": "no_data"}
        for box_id, status in expected.items():
            p = patches[f"box:env_course:{box_id}"]
            assert to_hex(p.get_facecolor()) == STATUS_COLOURS[status], box_id
            assert fig.sckpi_boxes[("env_course", box_id)]["status"] == status
        for box_id in ("resources", "course"):  # input and activity carry no indicator
            assert to_hex(patches[f"box:env_course:{box_id}"].get_facecolor()) == NO_INDICATOR_COLOUR
        legend = [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
        assert legend[:4] == ["◎ 達成", "○ 順調", "△ 遅れ", "－ データなし"]  # words and marks, not colour alone
        texts = {t.get_text() for t in fig.axes[0].texts}
        assert "△ 遅れ" in texts or "◎ 達成" in texts  # each assessed box says its status
    finally:
        plt.close(fig)


def test_a_box_with_one_behind_indicator_is_behind(tmp_path):
    data = yaml.safe_load((FIX / "course.yaml").read_text(encoding="utf-8"))
    attend = next(b for b in data["measures"][0]["boxes"] if b["id"] == "attend")
    attend["indicators"].append({"id": "env.sessions", "name_ja": "開催回数", "unit": "回", "direction": "higher",
                                 "cadence": "quarterly", "baseline": {"value": 0, "period": "2022Q4"},
                                 "targets": [{"value": 16, "period": "2024Q4"}], "source": "s"})
    p = tmp_path / "lm.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    model = load_logic_model(p, CAT)
    lf = pd.DataFrame([{"area_code": "99201", "indicator_id": i, "period": "2024Q4", "value": v, "unit": "",
                        "source": "s", "note": None} for i, v in (("env.participants", 500.0), ("env.sessions", 4.0))])
    fig = draw_logic_model(model, track(model, CAT, lf, period="2024Q4"))
    try:
        assert to_hex(box_patches(fig)["box:env_course:attend"].get_facecolor()) == STATUS_COLOURS["behind"]
    finally:
        plt.close(fig)


def test_without_tracking_and_for_one_measure(course, caplog):
    model, _ = course
    fig = draw_logic_model(model)
    try:
        assert draw_quietly(fig, caplog) == []
        assert all(v["status"] is None for v in fig.sckpi_boxes.values())
    finally:
        plt.close(fig)
    fig = draw_logic_model(model, measure_id="env_course")
    plt.close(fig)
    with pytest.raises(KeyError):
        draw_logic_model(model, measure_id="nope")


def test_the_demo_model_draws_every_measure(caplog):
    catalog, model, make_local_frame = load_demo()
    t = track(model, catalog, make_local_frame(), period="2024")
    fig = draw_logic_model(model, t)
    try:
        assert draw_quietly(fig, caplog) == []
        patches = box_patches(fig)
        assert len(patches) == sum(len(m.boxes) for m in model.measures)
        assert to_hex(patches["box:watch_cam:cam_installed"].get_facecolor()) == STATUS_COLOURS["behind"]
        assert to_hex(patches["box:env_course:env_understand"].get_facecolor()) == STATUS_COLOURS["behind"]
    finally:
        plt.close(fig)
