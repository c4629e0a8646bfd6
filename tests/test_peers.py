"""Peers: groups, direction-aware rank/percentile/偏差値, trends, pillar summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import FakeCatalog, FakeIndicator, real_catalog, synthetic_areas, synthetic_panel

from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators import engine, peers
from sckpi_helpers.store import peer_groups

IND = [
    FakeIndicator("up", "高いほど良い指標", "Higher", "community", "social", "x", "件", "higher"),
    FakeIndicator("down", "低いほど良い指標", "Lower", "community", "social", "x", "件", "lower"),
    FakeIndicator("flat", "中立の指標", "Neutral", "community", "economic", "x", "件", "neutral"),
    FakeIndicator("gap", "値のない指標", "Empty", "community", "economic", "x", "件", "higher"),
]
CAT = FakeCatalog(IND)


def results(values: dict[str, list[float]], year: int = 2024, years: dict | None = None) -> pd.DataFrame:
    """Engine-shaped results: values[indicator] = one value per area A, B, C…"""
    rows = []
    for iid, vals in values.items():
        for i, v in enumerate(vals):
            rows.append({"area_code": f"0120{i + 1}", "year": year, "indicator_id": iid, "value": v,
                         "unit": "件", "status": "missing" if np.isnan(v) else "ok",
                         "reason": "input x missing for 2024" if np.isnan(v) else None, "provenance": ""})
    for (iid, area), series in (years or {}).items():
        for y, v in series.items():
            rows.append({"area_code": area, "year": y, "indicator_id": iid, "value": v, "unit": "件",
                         "status": "ok", "reason": None, "provenance": ""})
    return pd.DataFrame(rows)


GROUP = ["01201", "01202", "01203"]


def test_deviation_score_higher_is_better():
    cmp_ = peers.compare(results({"up": [3, 2, 1]}), CAT, "01201", 2024, GROUP).set_index("indicator_id")
    z = (3 - 2) / np.std([1, 2, 3])
    assert cmp_.loc["up", "deviation_score"] == pytest.approx(50 + 10 * z)
    assert cmp_.loc["up", "rank"] == 1 and cmp_.loc["up", "percentile"] == pytest.approx(100)


def test_deviation_score_flips_where_lower_is_better():
    cmp_ = peers.compare(results({"down": [3, 2, 1]}), CAT, "01201", 2024, GROUP).set_index("indicator_id")
    z = (3 - 2) / np.std([1, 2, 3])
    assert cmp_.loc["down", "deviation_score"] == pytest.approx(50 - 10 * z)
    assert cmp_.loc["down", "rank"] == 3 and cmp_.loc["down", "percentile"] == pytest.approx(0)
    best = peers.compare(results({"down": [3, 2, 1]}), CAT, "01203", 2024, GROUP).set_index("indicator_id")
    assert best.loc["down", "rank"] == 1 and best.loc["down", "deviation_score"] > 50


def test_neutral_is_unsigned():
    cmp_ = peers.compare(results({"flat": [3, 2, 1]}), CAT, "01201", 2024, GROUP).set_index("indicator_id")
    assert cmp_.loc["flat", "deviation_score"] == pytest.approx(50 + 10 * 1 / np.std([1, 2, 3]))


def test_rank_and_percentile_with_ties_and_missing():
    res = results({"up": [30, 20, 30, np.nan, 10]})
    group = [f"0120{i}" for i in range(1, 6)]
    cmp_ = peers.compare(res, CAT, "01201", 2024, group).set_index("indicator_id")
    assert cmp_.loc["up", "n"] == 4  # the area without a value is not counted
    assert cmp_.loc["up", "rank"] == 1  # tie for the best value shares rank 1
    # better than 2 of the 3 others, tied with 1 → (2 + 0.5) / 3
    assert cmp_.loc["up", "percentile"] == pytest.approx(100 * 2.5 / 3)
    assert cmp_.loc["up", "peer_median"] == pytest.approx(25)
    missing = peers.compare(res, CAT, "01204", 2024, group).set_index("indicator_id")
    assert np.isnan(missing.loc["up", "rank"]) and missing.loc["up", "status"] == "missing"
    assert missing.loc["up", "reason"] == "input x missing for 2024"


def test_all_equal_values_score_50():
    cmp_ = peers.compare(results({"up": [5, 5, 5]}), CAT, "01201", 2024, GROUP).set_index("indicator_id")
    assert cmp_.loc["up", "deviation_score"] == pytest.approx(50)


def test_scores_for_all_areas():
    sc = peers.scores(results({"up": [3, 2, 1], "down": [3, 2, 1]}), CAT, 2024)
    assert len(sc) == 6
    up = sc[sc["indicator_id"] == "up"].set_index("area_code")["deviation_score"]
    down = sc[sc["indicator_id"] == "down"].set_index("area_code")["deviation_score"]
    assert up.mean() == pytest.approx(50) and (up.values == down.values[::-1]).all()


def test_trend_labels_are_direction_aware():
    hist = {("down", "01201"): {2020: 10, 2021: 9, 2022: 8, 2023: 7},
            ("up", "01201"): {2020: 10, 2021: 9, 2022: 8, 2023: 7},
            ("flat", "01201"): {2020: 5, 2021: 6, 2022: 7, 2023: 8}}
    res = results({"down": [6, 8, 10], "up": [6, 8, 10], "flat": [9, 8, 10]}, years=hist)
    cmp_ = peers.compare(res, CAT, "01201", 2024, GROUP).set_index("indicator_id")
    assert cmp_.loc["down", "trend_slope"] == pytest.approx(-1)
    assert cmp_.loc["down", "trend_ja"] == "改善"
    assert cmp_.loc["up", "trend_ja"] == "悪化"
    assert cmp_.loc["flat", "trend_ja"] == "増加"
    few = peers.compare(res, CAT, "01201", 2024, GROUP, trend_years=2).set_index("indicator_id")
    assert few.loc["down", "trend_ja"] == "データ不足"


def test_pillar_summary_counts_what_went_in():
    res = results({"up": [3, 2, 1], "down": [3, 2, 1], "flat": [1, 2, 3], "gap": [np.nan] * 3})
    cmp_ = peers.compare(res, CAT, "01201", 2024, GROUP)
    summ = peers.pillar_summary(cmp_, CAT).set_index("pillar")
    assert summ.loc["social", "n_indicators"] == 2 and summ.loc["social", "n_total"] == 2
    assert summ.loc["social", "deviation_score"] == pytest.approx(50)  # +z and −z cancel
    assert summ.loc["economic", "n_indicators"] == 1 and summ.loc["economic", "n_total"] == 2
    assert summ.loc["economic", "note"] == "1 / 2 指標"
    assert summ.loc["social", "pillar_ja"] == "社会"
    assert "中立の指標" in summ.loc["economic", "indicators"]


# ----------------------------------------------------------------------------------- peer groups
CODES = ["01201", "01202", "01203", "01204", "02201", "02202", "02203", "02204"]
AREAS = synthetic_areas(CODES)


def test_peer_group_prefecture_is_municipalities_of_the_prefecture():
    assert peer_groups.peer_group(AREAS, "01201", "prefecture") == ["01201", "01202", "01203", "01204"]


def test_peer_group_all_and_list():
    assert peer_groups.peer_group(AREAS, "01201", "all") == CODES
    assert peer_groups.peer_group(AREAS, "01201", "list:02201, 02202") == ["01201", "02201", "02202"]


def test_peer_group_municipal_type():
    # synthetic types cycle city, city, town, village, core_city, city, town, designated_city
    assert peer_groups.peer_group(AREAS, "01203", "municipal_type") == ["01203", "01204", "02203"]  # 町村
    assert peer_groups.peer_group(AREAS, "01201", "municipal_type") == ["01201", "01202", "02202"]  # 一般市


def test_peer_group_population_band():
    panel = pd.DataFrame({"area_code": CODES, "year": 2024, "variable": "population_resident",
                          "value": [5_000, 8_000, 20_000, 40_000, 150_000, 2_000_000, 9_999, 10_000]})
    assert peer_groups.peer_group(AREAS, "01201", "population_band", panel) == ["01201", "01202", "02203"]
    assert peer_groups.peer_group(AREAS, "01203", "population_band", panel) == ["01203", "01204", "02204"]
    with pytest.raises(SckpiError, match="needs the panel"):
        peer_groups.peer_group(AREAS, "01201", "population_band")


def test_peer_group_errors():
    with pytest.raises(SckpiError, match="unknown peer group"):
        peer_groups.peer_group(AREAS, "01201", "neighbours")
    with pytest.raises(SckpiError, match="not in the areas table"):
        peer_groups.peer_group(AREAS, "99999", "all")
    with pytest.raises(SckpiError, match="not in the areas table"):
        peer_groups.peer_group(AREAS, "01201", "list:05201")
    with pytest.raises(SckpiError, match="5-digit"):
        peer_groups.peer_group(AREAS, "01201", "list:abc")


def test_compare_on_real_catalog():
    cat = real_catalog()
    if cat is None:
        pytest.skip("real catalog not available")
    panel = synthetic_panel(cat, 30, range(2015, 2025), seed=7, missing_frac=0.05)
    res = engine.compute(panel, cat)
    areas = synthetic_areas(sorted(panel["area_code"].unique()))
    group = peer_groups.peer_group(areas, "01201", "all", panel)
    cmp_ = peers.compare(res, cat, "01201", 2024, group)
    assert list(cmp_.columns) == peers.COMPARE_COLUMNS
    assert len(cmp_) == len(engine.tier3_indicators(cat, with_formula=True))
    ok = cmp_[cmp_["deviation_score"].notna()]
    assert ((ok["percentile"] >= 0) & (ok["percentile"] <= 100)).all()
    assert set(cmp_["trend_ja"]) <= set(peers.TREND_JA.values())
    summ = peers.pillar_summary(cmp_, cat)
    assert set(summ["pillar"]) == {"social", "economic", "environmental"}
    assert summ["n_total"].sum() == len(cmp_)


# ----------------------------------------------------------------------------- 類似団体 (similar)
def test_similar_class_cities_by_population_and_industry():
    # 一般市: 5万～10万人 (II); 2次+3次 = 96 % ≥ 95 % and 3次 = 70 % ≥ 65 % → 3
    assert peer_groups.similar_class("city", 80_000, 26.0, 70.0) == "city-II-3"
    assert peer_groups.similar_class("city", 80_000, 36.0, 60.0) == "city-II-2"
    assert peer_groups.similar_class("city", 160_000, 30.0, 62.0) == "city-IV-1"   # 92 %
    assert peer_groups.similar_class("city", 40_000, 25.0, 60.0) == "city-I-0"     # 85 %


def test_similar_class_towns_by_population_and_industry():
    assert peer_groups.similar_class("town", 12_000, 25.0, 60.0) == "town-III-2"   # 85 %, 3次 ≥ 55 %
    assert peer_groups.similar_class("village", 4_000, 35.0, 50.0) == "town-I-1"
    assert peer_groups.similar_class("town", 25_000, 20.0, 50.0) == "town-V-0"


def test_similar_class_designated_and_core_cities_are_one_group_each():
    assert peer_groups.similar_class("designated_city", 2_000_000, 15.0, 84.0) == "designated_city"
    assert peer_groups.similar_class("core_city", 400_000, 25.0, 73.0) == "core_city"


def test_peer_group_similar_uses_the_panel_shares():
    # synthetic types: 01201 city, 01202 city, 02202 city (see test_peer_group_municipal_type)
    rows = []
    for code, pop, (p1, p2, p3) in [("01201", 80_000, (4, 26, 70)), ("01202", 90_000, (3, 27, 70)),
                                    ("02202", 70_000, (4, 36, 60))]:
        rows += [(code, 2020, "population_census", pop), (code, 2020, "employed_primary", p1 * 100),
                 (code, 2020, "employed_secondary", p2 * 100), (code, 2020, "employed_tertiary", p3 * 100)]
    panel = pd.DataFrame(rows, columns=["area_code", "year", "variable", "value"])
    assert peer_groups.peer_group(AREAS, "01201", "similar", panel) == ["01201", "01202"]
    with pytest.raises(SckpiError, match="needs the panel"):
        peer_groups.peer_group(AREAS, "01201", "similar")
    with pytest.raises(SckpiError, match="lacks population or 産業別就業者数"):
        peer_groups.peer_group(AREAS, "02201", "similar", panel)
