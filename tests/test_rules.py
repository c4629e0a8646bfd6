"""Rules instead of gaps (issue 18, item 3–4): declared carry-forward windows, substitutes, the 補正人口
fallback chain applied per comparison, 推計/代替 flags, the 常住人口 warning and the plan of missing
inputs. One test per rule, on hand-made panels with the real catalog."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import hand_panel, real_catalog

from sckpi_helpers.config.settings import CitySettings
from sckpi_helpers.config.vocabulary import FLAG_JA
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators import engine
from sckpi_helpers.indicators.engine import compute
from sckpi_helpers.indicators.plan import missing_table, plan, resident_fallback_warning, where_to_get
from sckpi_helpers.indicators.reasons import reason_ja

CRIME, MEDICAL, CHANGE, DOCTORS = ("t3.soc.crime_rate", "t3.soc.medical_capacity", "t3.soc.population_change",
                                   "t3.soc.active_doctors")


@pytest.fixture(scope="module")
def cat():
    c = real_catalog()
    if c is None:
        pytest.skip("real catalog not available")
    return c


def row(res: pd.DataFrame, ind: str, year: int, area: str = "13101") -> pd.Series:
    hit = res[(res["area_code"] == area) & (res["year"] == year) & (res["indicator_id"] == ind)]
    assert len(hit) == 1, (ind, year, area)
    return hit.iloc[0]


def census(area: str, pop: float, year: int = 2020, **more: float) -> list[tuple]:
    return [(area, year, "population_census", pop)] + [(area, year, k, v) for k, v in more.items()]


# ------------------------------------------------------------------------------------ substitutes
def test_register_population_substituted_by_the_census_is_flagged_with_what_was_used(cat):
    rows = census("13101", 66_680) + [("13101", 2022, "doctors", 1_935)]
    res = compute(hand_panel(rows), cat, indicator_ids=[DOCTORS])
    r = row(res, DOCTORS, 2022)
    assert r["value"] == pytest.approx(1_935 / 66_680 * 1000)
    assert r["status"] == "estimated" and r["flag"] == "substitute"
    assert r["reason"] == "population_resident substituted by population_census carried forward from 2020"
    assert "population_resident<-population_census@2020*" in r["provenance"]
    assert reason_ja(r["reason"], cat) == "「総人口（住民基本台帳）」の代わりに「総人口（国勢調査）」の2020年の値を繰越して使用（代替）"


def test_the_inputs_own_value_and_window_come_before_its_substitute(cat):
    rows = census("13101", 66_680) + [("13101", 2021, "population_resident", 67_000),
                                      ("13101", 2022, "doctors", 1_935), ("13101", 2023, "doctors", 1_935)]
    res = compute(hand_panel(rows), cat, indicator_ids=[DOCTORS])
    r = row(res, DOCTORS, 2022)  # the register's 2021 value carried one year (its declared window)
    assert r["flag"] == "estimated" and r["reason"] == "population_resident carried forward from 2021"
    later = row(res, DOCTORS, 2023)  # two years: beyond the window, the census stands in
    assert later["flag"] == "substitute" and "substituted by population_census" in later["reason"]


def test_census_value_is_carried_no_further_than_the_next_census(cat):
    rows = census("13101", 58_406, 2015) + [("13101", y, "doctors", 1_900) for y in (2020, 2021)]
    res = compute(hand_panel(rows), cat, indicator_ids=[DOCTORS])
    assert row(res, DOCTORS, 2020)["status"] == "estimated"  # 2015 + 5
    late = row(res, DOCTORS, 2021)  # 6 years: no value is invented
    assert late["status"] == "missing" and np.isnan(late["value"])
    assert late["reason"] == "input population_resident missing for 2021"


# ------------------------------------------------------------------------- a change needs observations
def test_population_change_from_a_carried_population_is_missing_not_zero(cat):
    rows = [("13101", 2020, "population_resident", 66_000), ("13101", 2021, "population_resident", 67_000)]
    res = compute(hand_panel(rows + [("13101", 2022, "doctors", 1)]), cat, indicator_ids=[CHANGE])
    assert row(res, CHANGE, 2021)["value"] == pytest.approx(1000 / 66_000 * 100)
    r = row(res, CHANGE, 2022)  # 2022 is 2021 carried forward: not a change of 0 %
    assert r["status"] == "missing" and np.isnan(r["value"])
    assert "population_resident carried forward from 2021" in r["reason"]


def test_population_change_from_a_substituted_population_is_missing(cat):
    rows = census("13101", 66_680) + [("13101", 2018, "population_resident", 65_000)]
    res = compute(hand_panel(rows), cat, indicator_ids=[CHANGE])
    r = row(res, CHANGE, 2020)  # 2020 only from the census: a register change would be an artefact
    assert r["status"] == "missing"
    assert r["reason"] == ("population_resident substituted by population_census@2020: a change needs observed "
                           "values on both sides")


# ---------------------------------------------------------------------------- the 補正人口 chain
def chain_rows() -> list[tuple]:
    """13101 has a day/night ratio but no inflow; 13102 has both; 13103 has neither."""
    rows = []
    for area, pop in (("13101", 66_680), ("13102", 141_183), ("13103", 260_486)):
        rows += [(area, 2020, "population_resident", pop), (area, 2020, "population_census", pop),
                 (area, 2020, "crimes_recognised", pop / 50)]
    rows += [("13101", 2020, "day_night_ratio", 1_355.4), ("13102", 2020, "day_night_ratio", 431.1),
             ("13102", 2020, "inflow_population", 500_000)]
    return rows


def test_chain_uses_the_first_definition_the_city_has_for_the_city_and_all_peers(cat):
    res = compute(hand_panel(chain_rows()), cat, indicator_ids=[CRIME], city="13101")
    mine, peer, lacking = (row(res, CRIME, 2020, a) for a in ("13101", "13102", "13103"))
    assert {mine["adjusted_population"], peer["adjusted_population"]} == {"daytime"}
    assert mine["value"] == pytest.approx(66_680 / 50 / (66_680 * 13.554) * 1000)
    assert peer["value"] == pytest.approx(141_183 / 50 / (141_183 * 4.311) * 1000)  # not its own first choice
    assert mine["flag"] == "substitute" and mine["status"] == "estimated"
    assert mine["reason"].startswith("adjusted_population daytime used: resident_plus_inflow not computable for "
                                     "13101 in 2020")
    assert lacking["status"] == "missing" and lacking["adjusted_population"] == "daytime"
    assert lacking["reason"] == "input day_night_ratio missing for 2020"


def test_chain_keeps_the_first_definition_when_the_city_has_it(cat):
    res = compute(hand_panel(chain_rows()), cat, indicator_ids=[CRIME], city="13102")
    assert set(res.loc[res["year"] == 2020, "adjusted_population"]) == {"resident_plus_inflow"}
    assert row(res, CRIME, 2020, "13102")["flag"] is None
    assert row(res, CRIME, 2020, "13101")["status"] == "missing"  # the peer lacking inflow: missing, not mixed


def test_one_definition_asked_for_has_no_fallback(cat):
    res = compute(hand_panel(chain_rows()), cat, indicator_ids=[CRIME], adjusted_population="resident_plus_inflow",
                  city="13101")
    assert row(res, CRIME, 2020)["status"] == "missing"


def test_default_chain_and_settings_chain(cat):
    assert engine.adjusted_population_chain(cat) == ["resident_plus_inflow", "daytime", "resident"]
    assert engine.settings_chain(cat, "daytime", []) == ["daytime", "resident"]  # the catalog's fallbacks
    assert engine.settings_chain(cat, "mean_day_night", []) == ["mean_day_night", "daytime", "resident"]
    assert engine.settings_chain(cat, "daytime", ["resident"]) == ["daytime", "resident"]
    s = CitySettings(city_code="13101", adjusted_population_fallbacks=["resident"])
    assert s.adjusted_population_fallbacks == ["resident"]
    with pytest.raises(SckpiError, match="nope"):
        engine.adjusted_population_chain(cat, ["resident", "nope"])


def test_fallen_back_reason_in_japanese(cat):
    text = "adjusted_population resident used: resident_plus_inflow not computable for 13101 in 2022"
    assert reason_ja(text, cat) == ("補正人口は「常住人口（夜間人口）」を使用（「常住人口＋流入人口（＝昼間人口＋流出人口）」は"
                                    "13101の2022年に算出できないため、代替）")
    assert FLAG_JA == {"estimated": "推計", "substitute": "代替"}


# -------------------------------------------------------------------- the 常住人口 warning
def test_warning_when_a_city_of_commuters_falls_back_to_residents(cat):
    rows = census("13101", 58_406, 2015, daytime_population=853_068) + [
        ("13101", 2020, "population_census", 66_680), ("13101", 2022, "doctors", 1_935),
        ("13101", 2022, "crimes_recognised", 2_800)]
    panel = hand_panel(rows)
    res = compute(panel, cat, indicator_ids=[CRIME, MEDICAL], city="13101")
    text = resident_fallback_warning(res, panel, cat, "13101", 2022, "千代田区")
    assert text is not None and "千代田区の昼間人口は常住人口の14.6倍です（2015年国勢調査）" in text
    assert "防犯性" in text and "医療サービス充実度" in text and "過大" in text
    # a city whose daytime population is close to its residents gets no warning
    quiet = hand_panel([(a, y, v, x * 0.1 if a == "x" else x) for a, y, v, x in rows])
    quiet = quiet.assign(value=np.where(quiet["variable"] == "daytime_population", 60_000, quiet["value"]))
    assert resident_fallback_warning(compute(quiet, cat, indicator_ids=[CRIME], city="13101"), quiet, cat,
                                     "13101", 2022) is None


# ----------------------------------------------------------------------------------- the plan
def test_plan_ranks_an_input_that_alone_unlocks_a_required_indicator_first(cat):
    rows = census("13101", 66_680) + [("13101", 2022, "doctors", 1_935)]
    res = compute(hand_panel(rows), cat, city="13101")
    steps = plan(res, cat, "13101", 2022)
    assert list(steps.columns)[:4] == ["input_id", "name_ja", "unlocks", "unlocks_required"]
    assert steps.iloc[0]["unlocks_required"] >= 1
    ranked = steps[steps["availability"] != "unavailable"]
    assert ranked["unlocks_required"].is_monotonic_decreasing
    crime = steps[steps["input_id"] == "crimes_recognised"].iloc[0]
    assert crime["unlocks"] == 1 and "防犯性" in crime["indicators"] and "--police" in crime["where_to_get"]


def test_where_to_get_from_the_catalog_or_derived_from_sources(cat):
    assert "住民基本台帳に基づく人口" in where_to_get(cat, "population_resident")
    derived = where_to_get(cat, "elderly_care_facilities")
    assert "0000020210" in derived and "J230121" in derived and "J230127" in derived
    assert "sckpi template --city 13101" in where_to_get(cat, "electricity_generated", "13101")


def test_compact_table_names_missing_inputs_and_since_when(cat):
    rows = census("13101", 66_680) + [("13101", y, "crimes_recognised", 3_000) for y in (2020, 2021)] + [
        ("13101", y, "population_resident", 66_000 + y) for y in (2019, 2020, 2021)]
    res = compute(hand_panel(rows + [("13101", 2023, "doctors", 1)]), cat, city="13101")
    table = missing_table(res, cat, "13101", 2023)
    crime = table[table["indicator_id"] == CRIME].iloc[0]
    assert crime["missing_inputs"] == ["crimes_recognised"] and crime["since"] == "2022年から"
    assert set(table["state"]) <= {"estimated", "missing_input", "needs_local_data", "not_available"}
    assert table["required"].iloc[0]  # required first


def test_carried_values_make_no_trend(cat):
    from sckpi_helpers.indicators.peers import compare

    rows = [("13101", 2020, "employed", 40_000), ("13101", 2020, "population_15plus", 55_000)]
    res = compute(hand_panel(rows + [("13101", 2023, "doctors", 1)]), cat, indicator_ids=["t3.eco.employment_rate"])
    assert (res.loc[res["year"] > 2020, "flag"] == "estimated").all()  # 2021–2023 carry 2020 forward
    cmp_ = compare(res, cat, "13101", 2023, ["13101"]).set_index("indicator_id")
    assert cmp_.loc["t3.eco.employment_rate", "trend"] == "insufficient"  # not 横ばい from one observation
    assert cmp_.loc["t3.eco.employment_rate", "trend_n"] == 1


def test_check4_has_the_section_of_data_to_add():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "notebooks" / "check4_outcome3.py").read_text(encoding="utf-8")
    head = text.index("## データを追加すると算出できる指標")
    assert text.index("sections.show_missing_plan(D)", head) > head
