"""The national site (issue 20): one bulk table of every municipality × tier-3 indicator, an index of
every municipality, one page per indicator — all drawn from the same table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.indicators.national import NATIONAL_COLUMNS, input_years, national_table


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _areas():
    return pd.DataFrame({
        "area_code": ["13101", "13102", "13103", "01100", "01202"],
        "area_name": ["千代田区", "中央区", "港区", "札幌市", "函館市"],
        "pref_code": ["13", "13", "13", "01", "01"],
        "level": ["municipality"] * 5,
        "municipal_type": ["special_ward", "special_ward", "special_ward", "designated_city", "core_city"],
    })


def _results(catalog, values: dict[str, float], indicator: str = "t3.eco.unemployment_rate"):
    rows = [{"area_code": c, "year": 2022, "indicator_id": indicator, "value": v, "unit": "%",
             "status": "ok" if not np.isnan(v) else "missing",
             "reason": None if not np.isnan(v) else "input unemployed missing",
             "provenance": "unemployed@2020; labour_force@2020" if not np.isnan(v) else ""}
            for c, v in values.items()]
    return pd.DataFrame(rows)


def test_the_bulk_table_has_every_municipality_times_every_tier3_indicator(catalog):
    res = _results(catalog, {"13101": 3.0, "13102": 4.0})
    t = national_table(res, catalog, _areas(), None, 2022)
    n_ind = t["indicator_id"].nunique()
    assert len(t) == 5 * n_ind
    assert list(t.columns) == NATIONAL_COLUMNS
    no_result = t[(t["area_code"] == "01100") & (t["indicator_id"] == "t3.eco.unemployment_rate")].iloc[0]
    assert no_result["status"] == "missing" and "no result" in no_result["reason"]


def test_ranks_are_direction_aware_lower_unemployment_ranks_first(catalog):
    res = _results(catalog, {"13101": 3.0, "13102": 5.0, "13103": 4.0})
    t = national_table(res, catalog, _areas(), None, 2022)
    u = t[t["indicator_id"] == "t3.eco.unemployment_rate"].set_index("area_code")
    assert u.loc["13101", "rank"] == 1 and u.loc["13102", "rank"] == 3
    assert u.loc["13101", "deviation_score"] > 50 > u.loc["13102", "deviation_score"]
    assert u.loc["13101", "n"] == 3


def test_a_missing_value_keeps_its_row_and_reason(catalog):
    res = _results(catalog, {"13101": 3.0, "13102": float("nan")})
    t = national_table(res, catalog, _areas(), None, 2022)
    row = t[(t["area_code"] == "13102") & (t["indicator_id"] == "t3.eco.unemployment_rate")].iloc[0]
    assert np.isnan(row["value"]) and row["status"] == "missing" and "unemployed" in row["reason"]
    assert np.isnan(row["rank"])


def test_input_years_span_the_provenance():
    assert input_years("unemployed@2020; labour_force@2020") == "2020"
    assert input_years("doctors@2020; population_resident@2022") == "2020–2022"
    assert input_years("") == ""


def test_prefecture_names_come_from_the_area_code(catalog):
    t = national_table(_results(catalog, {"13101": 3.0}), catalog, _areas(), None, 2022)
    names = dict(zip(t["area_code"], t["pref_name"], strict=True))
    assert names["13101"] == "東京都" and names["01100"] == "北海道"
