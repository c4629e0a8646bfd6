"""Engine rules, one test per rule, on hand-computed examples (stand-in catalog) + the real catalog."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import FakeCatalog, FakeIndicator, hand_panel, real_catalog, synthetic_panel

from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators import engine
from sckpi_helpers.indicators.coverage import COVERAGE_STATES, coverage, coverage_summary
from sckpi_helpers.indicators.engine import compute

CAT = FakeCatalog()


def row(res: pd.DataFrame, ind: str, year: int, area: str = "01201") -> pd.Series:
    hit = res[(res["area_code"] == area) & (res["year"] == year) & (res["indicator_id"] == ind)]
    assert len(hit) == 1, (ind, year, area)
    return hit.iloc[0]


def base_rows(area: str = "01201") -> list[tuple]:
    """A small city: census 2020, yearly register population and crimes 2019–2024."""
    rows = []
    resident = {2019: 9_950, 2020: 10_000, 2021: 9_900, 2022: 9_800, 2023: 9_700, 2024: 9_600}
    crimes = {2019: 70, 2020: 60, 2021: 50, 2022: 48, 2023: 45, 2024: 40}
    for y, v in resident.items():
        rows.append((area, y, "population_resident", v))
        rows.append((area, y, "crimes_recognised", crimes[y]))
    rows += [(area, 2020, "population_census", 10_000), (area, 2020, "inflow_population", 2_000),
             (area, 2015, "population_census", 10_200), (area, 2015, "inflow_population", 1_800)]
    return rows


# --------------------------------------------------------------------------------- formula types
def test_ratio_per_1000_with_adjusted_population_resident_plus_inflow():
    res = compute(hand_panel(base_rows()), CAT, indicator_ids=["crime_rate"])
    r = row(res, "crime_rate", 2020)
    # 補正人口 = 10,000 × (1 + 2,000 / 10,000) = 12,000 → 60 / 12,000 × 1,000 = 5.0
    assert r["value"] == pytest.approx(5.0)
    assert r["status"] == "ok" and pd.isna(r["reason"])
    assert r["unit"] == "件/千人"


def test_census_carried_forward_is_estimated_and_flagged():
    res = compute(hand_panel(base_rows()), CAT, indicator_ids=["crime_rate"])
    r = row(res, "crime_rate", 2021)
    # census 2020 carried forward: 9,900 × 1.2 = 11,880 → 50 / 11,880 × 1,000
    assert r["value"] == pytest.approx(50 / 11_880 * 1000)
    assert r["status"] == "estimated"
    assert "population_census carried forward from 2020" in r["reason"]
    assert "inflow_population carried forward from 2020" in r["reason"]


def test_carry_forward_stops_at_max_fill_years():
    rows = base_rows() + [("01201", 2020, "doctors", 30)]
    res = compute(hand_panel(rows), CAT, indicator_ids=["doctors_per_adjusted"])
    assert row(res, "doctors_per_adjusted", 2023)["status"] == "estimated"  # 3 years: allowed
    late = row(res, "doctors_per_adjusted", 2024)  # 4 years > max_fill_years 3
    assert late["status"] == "missing" and np.isnan(late["value"])
    assert late["reason"] == "input doctors missing for 2024"


def test_population_change_rate_uses_previous_year():
    res = compute(hand_panel(base_rows()), CAT, indicator_ids=["population_change_rate"])
    assert row(res, "population_change_rate", 2020)["value"] == pytest.approx((10_000 - 9_950) / 9_950 * 100)
    assert row(res, "population_change_rate", 2021)["value"] == pytest.approx(-1.0)
    first = row(res, "population_change_rate", 2015)  # grid starts 2015 (census); no register data
    assert first["status"] == "missing"
    r2019 = row(res, "population_change_rate", 2019)
    assert r2019["status"] == "missing" and "2018" in r2019["reason"]


def test_percentage_point_change():
    cat = FakeCatalog([FakeIndicator("recycling_pt", "リサイクル率の変化", "Recycling change", "environment_energy",
                                     "environmental", "waste_recycled / waste_total * 100 - "
                                     "lag(waste_recycled / waste_total * 100)", "%pt")])
    rows = [("01201", 2019, "waste_recycled", 20), ("01201", 2019, "waste_total", 100),
            ("01201", 2020, "waste_recycled", 30), ("01201", 2020, "waste_total", 120)]
    res = compute(hand_panel(rows), cat)
    assert row(res, "recycling_pt", 2020)["value"] == pytest.approx(25.0 - 20.0)
    assert row(res, "recycling_pt", 2020)["unit"] == "%pt"


def test_turnout_compared_with_previous_election():
    rows = [("01201", 2015, "turnout", 50.0), ("01201", 2019, "turnout", 47.5), ("01201", 2023, "turnout", 48.0),
            ("01201", 2017, "population_resident", 1)]
    res = compute(hand_panel(rows), CAT, indicator_ids=["turnout_change"])
    assert row(res, "turnout_change", 2019)["value"] == pytest.approx(-2.5)
    assert row(res, "turnout_change", 2023)["value"] == pytest.approx(0.5)
    assert "turnout@2019" in row(res, "turnout_change", 2023)["provenance"]
    assert "turnout@2023" in row(res, "turnout_change", 2023)["provenance"]
    between = row(res, "turnout_change", 2021)
    assert between["status"] == "missing" and between["reason"] == "input turnout missing for 2021"
    first = row(res, "turnout_change", 2015)
    assert first["status"] == "missing" and "no earlier observation" in first["reason"]


def test_interpolation_only_where_the_catalog_says():
    rows = [("01201", 2015, "natural_land_area", 1000), ("01201", 2020, "natural_land_area", 1500),
            ("01201", 2015, "dwellings", 100), ("01201", 2020, "dwellings", 200),
            ("01201", 2015, "total_floor_area", 8000), ("01201", 2020, "total_floor_area", 17000)]
    rows += [("01201", y, "area_total", 5000) for y in range(2015, 2023)]
    res = compute(hand_panel(rows), CAT, indicator_ids=["natural_land_ratio", "floor_area_per_dwelling"])
    nl = row(res, "natural_land_ratio", 2017)  # interpolate: 1000 + 500 × 2/5 = 1200
    assert nl["value"] == pytest.approx(1200 / 5000 * 100)
    assert nl["status"] == "estimated"
    assert nl["reason"] == "natural_land_area interpolated between 2015 and 2020"
    assert "natural_land_area@2015-2020*" in nl["provenance"]
    fa = row(res, "floor_area_per_dwelling", 2017)  # carry_forward: 2015's values, not interpolated
    assert fa["value"] == pytest.approx(8000 / 100)
    assert "total_floor_area carried forward from 2015" in fa["reason"]
    edge = row(res, "natural_land_ratio", 2022)  # beyond the last census: carried forward
    assert edge["value"] == pytest.approx(1500 / 5000 * 100)
    assert "natural_land_area carried forward from 2020" in edge["reason"]


def test_fill_none_inputs_stay_missing():
    rows = base_rows()
    rows = [r for r in rows if not (r[1] == 2022 and r[2] == "crimes_recognised")]
    res = compute(hand_panel(rows), CAT, indicator_ids=["crime_rate"])
    r = row(res, "crime_rate", 2022)
    assert r["status"] == "missing" and np.isnan(r["value"])
    assert r["reason"] == "input crimes_recognised missing for 2022"


def test_adjusted_population_definitions():
    rows = base_rows() + [("01201", 2020, "day_night_ratio", 110.0), ("01201", 2020, "visitors_annual", 36_500)]
    for definition, adj in [("resident", 10_000), ("daytime", 11_000), ("mean_day_night", 10_500),
                            ("resident_plus_visitors", 10_100), (None, 12_000)]:
        res = compute(hand_panel(rows), CAT, adjusted_population=definition, indicator_ids=["crime_rate"])
        assert row(res, "crime_rate", 2020)["value"] == pytest.approx(60 / adj * 1000), definition
    with pytest.raises(SckpiError, match="adjusted_population"):
        compute(hand_panel(rows), CAT, adjusted_population="nonsense")


# ------------------------------------------------------------------------ missing / marked / zero
def test_missing_input_reason_and_never_zero():
    rows = [r for r in base_rows() if not (r[1] == 2019 and r[2] == "crimes_recognised")]
    res = compute(hand_panel(rows), CAT, indicator_ids=["crime_rate"])
    r = row(res, "crime_rate", 2019)
    assert np.isnan(r["value"]) and r["status"] == "missing"
    assert r["reason"] == "input crimes_recognised missing for 2019"


def test_annotated_input_reason():
    rows = [r for r in base_rows() if not (r[1] == 2019 and r[2] == "crimes_recognised")]
    rows.append(("01201", 2019, "crimes_recognised", np.nan))
    res = compute(hand_panel(rows, {("01201", 2019, "crimes_recognised"): "X"}), CAT,
                  indicator_ids=["crime_rate"])
    r = row(res, "crime_rate", 2019)
    assert np.isnan(r["value"])
    assert r["reason"] == "input crimes_recognised marked 'X' for 2019"


def test_marked_census_is_not_carried_over():
    rows = [r for r in base_rows() if not (r[1] == 2020 and r[2] == "population_census")]
    rows.append(("01201", 2020, "population_census", np.nan))
    res = compute(hand_panel(rows, {("01201", 2020, "population_census"): "X"}), CAT,
                  indicator_ids=["crime_rate"])
    # the 2015 census must not be carried across the suppressed 2020 one
    assert row(res, "crime_rate", 2021)["status"] == "missing"
    assert row(res, "crime_rate", 2020)["reason"] == "input population_census marked 'X' for 2020"


def test_zero_denominator_is_missing_with_reason():
    rows = [("01201", 2020, "waste_recycled", 0), ("01201", 2020, "waste_total", 0)]
    res = compute(hand_panel(rows), CAT, indicator_ids=["recycling_rate"])
    r = row(res, "recycling_rate", 2020)
    assert np.isnan(r["value"]) and r["status"] == "missing"
    assert r["reason"] == "zero denominator (waste_total) for 2020"


def test_zero_adjusted_population_names_it():
    rows = base_rows()
    rows = [r for r in rows if not (r[1] == 2020 and r[2] == "population_resident")]
    rows.append(("01201", 2020, "population_resident", 0))
    res = compute(hand_panel(rows), CAT, indicator_ids=["crime_rate"])
    assert row(res, "crime_rate", 2020)["reason"] == "zero denominator (adjusted_population) for 2020"


def test_input_absent_from_panel_does_not_crash():
    res = compute(hand_panel(base_rows()), CAT, indicator_ids=["traffic_death_rate"])
    r = row(res, "traffic_death_rate", 2020)
    assert r["status"] == "missing" and r["reason"] == "input traffic_deaths missing for 2020"


def test_change_of_a_carried_value_with_itself_is_missing():
    rows = [("01201", 2015, "natural_land_area", 1000), ("01201", 2020, "natural_land_area", 1500)]
    rows += [("01201", y, "area_total", 5000) for y in range(2015, 2024)]
    res = compute(hand_panel(rows), CAT, indicator_ids=["natural_land_change"])
    assert row(res, "natural_land_change", 2017)["value"] == pytest.approx(500 / 5 / 5000 * 100)
    late = row(res, "natural_land_change", 2022)  # 2022 and 2021 both carry 2020 forward
    assert late["status"] == "missing"
    assert "natural_land_area carried forward from 2020 on both sides" in late["reason"]


# ------------------------------------------------------------------------------------ provenance
def test_provenance_lists_inputs_and_years():
    res = compute(hand_panel(base_rows()), CAT, indicator_ids=["crime_rate", "population_change_rate"])
    assert row(res, "crime_rate", 2021)["provenance"] == (
        "crimes_recognised@2021; population_resident@2021; inflow_population@2020*; population_census@2020*")
    assert row(res, "crime_rate", 2020)["provenance"] == (
        "crimes_recognised@2020; population_resident@2020; inflow_population@2020; population_census@2020")
    # lag(x) used twice is listed once
    assert row(res, "population_change_rate", 2021)["provenance"] == (
        "population_resident@2021; population_resident@2020")


def test_result_columns_and_grid():
    res = compute(hand_panel(base_rows() + [("01202", 2019, "population_resident", 5)]), CAT)
    assert list(res.columns) == engine.RESULT_COLUMNS
    n_ind = len(engine.tier3_indicators(CAT, with_formula=True))
    assert len(res) == 2 * (2024 - 2015 + 1) * n_ind  # every area × every year × indicator
    assert set(res["status"]) <= {"ok", "estimated", "missing"}
    assert res.loc[res["status"] != "ok", "reason"].notna().all()


def test_unknown_indicator_id_is_an_error():
    with pytest.raises(SckpiError, match="unknown indicator"):
        compute(hand_panel(base_rows()), CAT, indicator_ids=["nope"])


def test_bad_panel_is_an_error():
    with pytest.raises(SckpiError, match="variable"):
        compute(pd.DataFrame({"area_code": ["01201"], "year": [2020], "value": [1.0]}), CAT)


# -------------------------------------------------------------------------------------- coverage
def test_coverage_states():
    rows = [r for r in base_rows() if not (r[1] == 2021 and r[2] == "crimes_recognised")]
    res = compute(hand_panel(rows), CAT)
    cov = coverage(res, CAT, "01201", 2021).set_index("indicator_id")
    assert cov.loc["population_change_rate", "state"] == "computed"
    assert cov.loc["traffic_accident_rate", "state"] == "missing_input"
    assert "traffic_accidents" in cov.loc["traffic_accident_rate", "detail"]
    assert cov.loc["crime_rate", "state"] == "missing_input"
    assert "crimes_recognised" in cov.loc["crime_rate", "detail"]
    assert cov.loc["transit_performance", "state"] == "needs_local_data"
    assert cov.loc["rent_to_income", "state"] == "not_available"
    assert "active_doctors" not in cov.index  # tier 2: not part of Check❹
    cov22 = coverage(res, CAT, "01201", 2022).set_index("indicator_id")
    assert cov22.loc["crime_rate", "state"] == "estimated"
    assert "carried forward" in cov22.loc["crime_rate", "detail"]
    summ = coverage_summary(coverage(res, CAT, "01201", 2021)).set_index("state")
    assert summ["count"].sum() == len(cov)
    assert summ.loc["needs_local_data", "count"] == 1 and summ.loc["not_available", "count"] == 1


# -------------------------------------------------------------------------------- real catalog
@pytest.fixture(scope="module")
def real():
    cat = real_catalog()
    if cat is None:
        pytest.skip("real catalog not available")
    return cat


def test_real_catalog_computes_every_tier3_formula(real):
    panel = synthetic_panel(real, 12, range(2014, 2025), seed=4, missing_frac=0.05)
    res = compute(panel, real)
    ids = {i.id for i in engine.tier3_indicators(real, with_formula=True)}
    assert set(res["indicator_id"]) == ids
    assert (res["status"] == "ok").any() and (res["status"] == "estimated").any()
    assert not np.isinf(res["value"]).any()
    assert res.loc[res["status"] == "missing", "value"].isna().all()
    crime = res[(res["indicator_id"] == "t3.soc.crime_rate") & (res["year"] == 2021) & (res["status"] != "missing")]
    # census inputs are carried forward from 2020 (2015 reaches no further than 2020: until the next
    # census); where 2020 is one of the 5 % gaps the area falls back along the default 補正人口 chain
    main = crime["adjusted_population"] == "resident_plus_inflow"
    assert main.any() and crime.loc[main, "provenance"].str.contains(r"inflow_population@2020\*", regex=True).all()
    assert (crime.loc[~main, "flag"] == "substitute").all()
    cov = coverage(res, real, panel["area_code"].iloc[0], 2024)
    assert set(cov["state"]) <= set(COVERAGE_STATES)
    assert (cov["state"] == "not_available").any()  # the OECD-style indicators


def test_real_catalog_adjusted_population_default(real):
    rows = base_rows()
    res = compute(hand_panel(rows), real, indicator_ids=["t3.soc.crime_rate"])
    assert row(res, "t3.soc.crime_rate", 2020)["value"] == pytest.approx(5.0)


# ------------------------------------------------------------------------- ranges and 補正人口
def test_an_input_outside_its_valid_range_is_missing_with_a_reason():
    rows = [r if not (r[1] == 2022 and r[2] == "crimes_recognised") else (r[0], 2022, r[2], -5)
            for r in base_rows()]
    res = compute(hand_panel(rows), CAT, indicator_ids=["crime_rate"])
    r = row(res, "crime_rate", 2022)
    assert np.isnan(r["value"]) and r["status"] == "missing"
    assert r["reason"] == "input crimes_recognised marked 'out of range [0, ∞)' for 2022"


def test_an_out_of_range_census_value_is_not_carried_forward():
    rows = [r if not (r[1] == 2020 and r[2] == "inflow_population") else (r[0], 2020, r[2], -1)
            for r in base_rows()]
    res = compute(hand_panel(rows), CAT, indicator_ids=["crime_rate"])
    assert row(res, "crime_rate", 2021)["status"] == "missing"


def test_resident_plus_inflow_uses_total_inflow_on_the_real_layout():
    """SSDS CSV layout → catalog items (A6105 + A6106) → engine, checked by hand."""
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.catalog.items import tidy_to_inputs

    cat = load_catalog()
    header = {"A1101": "A1101_総人口【人】",
              "A6105": "A6105_流入人口（県内他市区町村に常住している人口）【人】",
              "A6106": "A6106_流入人口（他県に常住している人口）【人】"}
    tidy = pd.DataFrame({"area_code": "08220", "year": 2020, "item_code": list(header),
                         "item_name": list(header.values()), "value": [245_000.0, 30_000.0, 8_000.0],
                         "annotation": None, "unit": "人"})
    items, _ = tidy_to_inputs(tidy, cat)
    panel = pd.concat([items[["area_code", "year", "variable", "value"]], pd.DataFrame(
        {"area_code": "08220", "year": 2020, "variable": ["population_resident", "crimes_recognised"],
         "value": [250_000.0, 1_900.0]})], ignore_index=True)
    res = compute(panel, cat, indicator_ids=["t3.soc.crime_rate"])
    # 補正人口 = 250,000 × (1 + (30,000 + 8,000) / 245,000) = 288,775.51… → 1,900 / 288,775.51 × 1,000
    assert res["value"].iloc[0] == pytest.approx(1_900 / (250_000 * (1 + 38_000 / 245_000)) * 1000)
    assert res["value"].iloc[0] == pytest.approx(6.5795, abs=1e-4)
