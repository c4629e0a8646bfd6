"""Valid value ranges from the catalog (issue #10): one test per rule."""

from __future__ import annotations

import pandas as pd

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.catalog.ranges import check, default_range, describe, range_of

CAT = load_catalog()


def test_counts_are_never_negative():
    assert default_range("人") == (0.0, None)
    assert range_of(CAT.get_input("crimes_recognised")) == (0.0, None)


def test_shares_lie_between_0_and_100_percent():
    assert default_range("%") == (0.0, 100.0)
    assert default_range("％") == (0.0, 100.0)  # full-width, as e-Stat writes it
    assert range_of(CAT.get("t3.eco.unemployment_rate")) == (0.0, 100.0)


def test_changes_may_be_negative():
    assert default_range("%pt") == (None, None)
    assert default_range("%（前年比）") == (None, None)
    assert range_of(CAT.get("t3.soc.population_change")) == (None, None)


def test_a_unit_that_states_its_bounds_is_read():
    assert default_range("係数（0～1）") == (0.0, 1.0)


def test_the_yaml_overrides_the_unit():
    # 昼夜間人口比率 is in % but exceeds 100 in city centres (千代田区: more than 1,000 %)
    assert CAT.get_input("day_night_ratio").unit == "%"
    assert range_of(CAT.get_input("day_night_ratio")) == (0.0, None)


def test_check_returns_the_rows_outside_their_range():
    panel = pd.DataFrame({"area_code": "13101", "year": 2020,
                          "variable": ["crimes_recognised", "crimes_recognised", "day_night_ratio", "turnout",
                                       "not_in_catalog"],
                          "value": [-1.0, 5.0, 1_753.7, 104.0, -9.0]})
    bad = check(panel, CAT)
    assert list(bad.index) == [0, 3]
    assert list(bad["rule"]) == ["[0, ∞)", "[0, 100]"]


def test_check_reads_indicator_ranges_for_engine_results():
    res = pd.DataFrame({"area_code": "13101", "year": 2020, "indicator_id": ["t3.eco.unemployment_rate"],
                        "value": [120.0]})
    assert len(check(res, CAT)) == 1


def test_describe():
    assert describe((None, None)) == "(-∞, ∞)"
