"""The bundled catalog says what docs/GUIDELINE.md says: fields, indicators, required flags, formulas."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from sckpi_helpers.catalog import (
    FRAME_COLUMNS,
    TIER_CHECK,
    Catalog,
    load_catalog,
)
from sckpi_helpers.catalog import formula as fm
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.pages.catalog_page import render_catalog_html


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


# ------------------------------------------------------------------ fields and themes
def test_the_twelve_fields_plus_cross_field_with_design_ids(cat):
    assert list(cat.fields) == [
        "mobility", "environment_energy", "disaster_crime", "infrastructure", "health_medical",
        "industry_economy", "community", "education_culture", "administration",
        "it_platform", "operations", "talent", "cross_field"]
    kinds = Counter(f.kind for f in cat.fields.values())
    assert kinds == {"service": 9, "foundation": 3, "other": 1}


def test_themes_as_the_field_table_lists_them(cat):
    assert [t.name_ja for t in cat.fields["mobility"].themes] == ["交通／モビリティ", "物流", "交通拠点"]
    assert len(cat.fields["industry_economy"].themes) == 7
    assert len(cat.fields["it_platform"].themes) == 7
    assert sum(len(f.themes) for f in cat.fields.values()) == 3 + 4 + 2 + 6 + 3 + 7 + 3 + 3 + 3 + 7 + 4 + 2


# ------------------------------------------------------------------ counts (counted from docs/GUIDELINE.md)
def test_outcome3_service_indicators_per_pillar(cat):
    """社会 19 rows, 環境 14 (7 CO2, 1 大気, 4 廃棄物, 2 土地利用), 経済 13; plus the kit's
    街頭犯罪 variant of 防犯性 (for cities without 刑法犯認知件数)."""
    t3 = [i for i in cat.filter(tier="outcome3") if i.pillar in ("social", "environmental", "economic")]
    assert Counter(i.pillar for i in t3) == {"social": 19 + 1, "environmental": 14, "economic": 13}


def test_foundation_indicators_per_field_and_tier(cat):
    got = Counter((i.field, i.tier) for i in cat.indicators.values()
                  if i.field in ("it_platform", "operations", "talent"))
    assert got == {("it_platform", "outcome1"): 9, ("it_platform", "outcome2"): 7,
                   ("it_platform", "outcome3"): 1,
                   ("operations", "outcome1"): 3, ("operations", "outcome2"): 2,
                   ("talent", "outcome1"): 1, ("talent", "outcome2"): 4}


def test_outcome2_examples_per_theme(cat):
    """Seminar text 「アウトカム第2階層 評価指標」: 交通・モビリティ 6+10+3, 物流 5+3+1,
    エネルギー 3+6+2, 防災 3, 農林水産業 3+3+1, 観光・地域活性化 1+7+1, 産業・事業創出 1+5+1."""
    t2 = [i for i in cat.filter(tier="outcome2") if i.pillar in ("social", "economic", "environmental")]
    assert Counter(i.group for i in t2) == {"交通・モビリティ": 19, "物流": 9, "エネルギー": 11, "防災": 3,
                                            "農林水産業": 7, "観光・地域活性化": 9, "産業・事業創出": 7}
    pillars = Counter((i.group, i.pillar) for i in t2)
    assert pillars[("交通・モビリティ", "economic")] == 10
    assert pillars[("エネルギー", "environmental")] == 2


def test_totals_per_tier(cat):
    assert Counter(i.tier for i in cat.indicators.values()) == {"outcome1": 13, "outcome2": 78,
                                                                "outcome3": 47 + 1}
    assert len(cat.indicators) == 138 + 1  # + t3.soc.street_crime_rate


def test_guideline_order_is_kept(cat):
    ids = list(cat.indicators)
    assert ids.index("t2.transport.safety") < ids.index("t3.soc.rent_to_income") < ids.index(
        "t3.env.co2_industry") < ids.index("t3.eco.employment_rate") < ids.index("f1.it.od_catalog_access")


# ------------------------------------------------------------------ required (必須), provisional
REQUIRED = {
    "t3.soc.floor_area_per_dwelling", "t3.soc.population_change", "t3.soc.crime_rate",
    "t3.soc.traffic_accident_rate", "t3.soc.disaster_readiness", "t3.soc.childcare_capacity",
    "t3.soc.elderly_care_capacity", "t3.soc.medical_capacity",
    "t3.env.co2_industry", "t3.env.co2_residential", "t3.env.co2_commercial", "t3.env.co2_transport",
    "t3.env.co2_non_energy", "t3.env.msw_recycling_rate", "t3.env.natural_land_ratio",
    "t3.eco.local_tax_revenue", "t3.eco.local_bonds",
}


def test_required_exactly_as_the_guideline_note_lists_and_marked_provisional(cat):
    req = cat.filter(required=True)
    assert {i.id for i in req} == REQUIRED
    assert all(i.required_provisional for i in req)
    assert not any(i.required_provisional for i in cat.filter(required=False))


def test_oecd_style_indicators_are_optional(cat):
    for i in ("t3.soc.rent_to_income", "t3.soc.neet_18_24", "t3.eco.gini",
              "t3.eco.migrant_employment_gap", "t3.eco.income_quintile_ratio"):
        assert not cat.get(i).required


# ------------------------------------------------------------------ per-indicator rules
def test_every_indicator_has_japanese_and_english_names(cat):
    for i in cat.indicators.values():
        assert i.name_ja.strip() and i.name_en.strip(), i.id


def test_check_follows_tier(cat):
    for i in cat.indicators.values():
        assert i.check == TIER_CHECK[i.tier], i.id


def test_service_tier3_all_have_formulas_and_local_ones_may_not(cat):
    for i in cat.filter(tier="outcome3"):
        if i.pillar in ("social", "environmental", "economic"):
            assert i.formula, i.id
    for i in cat.indicators.values():
        if i.formula is None:
            assert i.availability == "local", i.id


def test_formulas_named_in_the_guideline(cat):
    assert cat.get("t3.soc.crime_rate").formula == "crimes_recognised / adjusted_population * 1000"
    assert cat.get("t3.soc.crime_rate").inputs == ["adjusted_population", "crimes_recognised"]
    assert "lag(population_resident)" in cat.get("t3.soc.population_change").formula
    assert "prev_obs(turnout)" in cat.get("t3.soc.turnout_change").formula
    assert "lag(tree_cover_area)" in cat.get("t3.env.tree_cover_change").formula
    assert cat.get("t3.soc.childcare_capacity").inputs == ["nurseries", "population_0_5"]


def test_statistics_that_do_not_exist_per_municipality_say_so(cat):
    for i in ("t3.eco.gini", "t3.soc.neet_18_24", "t3.eco.migrant_employment_gap",
              "t3.eco.income_quintile_ratio", "t3.eco.disabled_poverty_risk", "t3.soc.rent_to_income"):
        ind = cat.get(i)
        assert ind.availability == "unavailable" and "市区町村" in ind.availability_note, i


def test_crime_and_traffic_inputs_have_estat_and_police_sources(cat):
    for name, code in (("crimes_recognised", "K4201"), ("traffic_accidents", "K3101")):
        kinds = {s.kind: s for s in cat.inputs[name].sources}
        assert kinds["estat"].item_code == code and kinds["estat"].stats_data_id == "0000020211"
        assert "2000年代後半" in kinds["estat"].note
        assert "警察" in kinds["external"].name


# ------------------------------------------------------------------ inputs
CORE_INPUTS = """population_census population_resident population_under15 population_15_64
population_65plus population_0_5 births deaths in_migrants out_migrants daytime_population
inflow_population outflow_population day_night_ratio households area_total area_habitable hospitals
clinics doctors nurseries elderly_care_facilities crimes_recognised traffic_accidents traffic_deaths
disaster_base_hospitals_area medical_area_population labour_force employed unemployed
local_tax_revenue local_bonds_outstanding dwellings floor_area_per_dwelling rooms_per_dwelling visitors_annual turnout
life_expectancy co2_industry co2_residential co2_commercial co2_transport co2_non_energy waste_total
waste_recycled cars_registered natural_land_area""".split()  # noqa: SIM905 - reads like DESIGN.md


def test_every_core_input_of_the_design_is_declared(cat):
    assert not set(CORE_INPUTS) - set(cat.inputs)


def test_design_item_codes(cat):
    codes = {"population_census": "A1101", "population_resident": "A2301", "births": "A4101",
             "deaths": "A4200", "day_night_ratio": "A6108", "households": "A7101", "area_total": "B1101",
             "hospitals": "I510120", "doctors": "I6100", "nurseries": "J250302", "labour_force": "F1101"}
    for name, code in codes.items():
        estat = [s for s in cat.inputs[name].sources if s.kind == "estat"]
        assert estat[0].item_code == code
        assert estat[0].stats_data_id == "00000202" + f"{'ABCDEFGHIJK'.index(code[0]) + 1:02d}"


def test_census_inputs_are_carried_forward_at_most_nine_years(cat):
    for name in ("population_census", "day_night_ratio", "inflow_population", "population_0_5"):
        var = cat.inputs[name]
        assert (var.cadence, var.fill, var.max_fill_years) == ("every_5_years", "carry_forward", 9)


def test_unconfirmed_item_codes_are_flagged(cat):
    src = cat.inputs["traffic_deaths"].sources[0]  # K3103: in no published material
    assert src.kind == "estat" and src.confirmed is False
    assert cat.inputs["daytime_population"].sources[0].confirmed  # A6107: SSDS download header


# ------------------------------------------------------------------ every formula evaluates
def _synthetic_env(cat: Catalog) -> fm.FormulaEnv:
    """Every input over 3 years and 2 areas, positive and varying, like a tiny panel."""
    grid = pd.MultiIndex.from_product([["99201", "99202"], [2020, 2021, 2022]],
                                      names=["area_code", "year"])
    rng = np.random.default_rng(0)
    cols = {name: rng.uniform(500, 5000, len(grid)) for name in cat.inputs}
    cols["waste_group_collection"] = np.full(len(grid), 50.0)
    cols["tree_cover_area"] = cols["area_total"] * 0.3
    values = pd.DataFrame(cols, index=grid)
    env = fm.FormulaEnv(values)
    values["adjusted_population"] = fm.evaluate_series(cat.adjusted_population_formula(), env).to_numpy()
    return fm.FormulaEnv(values)


def test_every_formula_gives_finite_values_on_a_synthetic_panel(cat):
    env = _synthetic_env(cat)
    last = env.index.get_level_values("year") == 2022
    checked = 0
    for ind in cat.indicators.values():
        if not ind.formula:
            continue
        vals = fm.evaluate_series(ind.formula, env)
        assert np.isfinite(vals[last]).all(), (ind.id, vals)
        checked += 1
    assert checked == 47


def test_every_adjusted_population_definition_evaluates(cat):
    env = _synthetic_env(cat)
    for key in cat.adjusted_population.definitions:
        vals = fm.evaluate_series(cat.adjusted_population_formula(key), env)
        assert np.isfinite(vals).all() and (vals > 0).all(), key


# ------------------------------------------------------------------ 補正人口
def test_adjusted_population_defaults_to_resident_plus_inflow(cat):
    ap = cat.adjusted_population
    assert ap.default == "resident_plus_inflow"
    assert list(ap.definitions) == ["resident", "resident_plus_inflow", "daytime", "mean_day_night",
                                    "resident_plus_visitors"]
    assert cat.adjusted_population_formula() == \
        "population_resident * (1 + inflow_population / population_census)"
    assert cat.adjusted_population_formula("daytime") == "population_resident * day_night_ratio / 100"
    for d in ap.definitions.values():
        assert d.name_ja and d.name_en and d.description and d.rationale


def test_unknown_adjusted_population_definition_names_the_valid_ones(cat):
    with pytest.raises(SckpiError, match="resident_plus_inflow"):
        cat.adjusted_population_formula("nighttime")


def test_inputs_of_expands_adjusted_population(cat):
    assert cat.inputs_of("t3.soc.crime_rate") == ["crimes_recognised", "inflow_population",
                                                  "population_census", "population_resident"]
    assert cat.inputs_of("t3.soc.crime_rate", "daytime") == ["crimes_recognised", "day_night_ratio",
                                                             "population_resident"]


# ------------------------------------------------------------------ API
def test_get_unknown_id_suggests_close_matches(cat):
    with pytest.raises(KeyError) as exc:
        cat.get("t3.soc.crime_rat")
    assert "t3.soc.crime_rate" in str(exc.value)


def test_filter_combines_criteria(cat):
    got = cat.filter(field="disaster_crime", tier="outcome3")
    assert [i.id for i in got] == ["t3.soc.crime_rate", "t3.soc.street_crime_rate", "t3.soc.disaster_readiness"]
    assert len(cat.filter(check=4)) == 48
    assert len(cat.filter(pillar="it_platform")) == 17


def test_filter_rejects_unknown_values(cat):
    with pytest.raises(SckpiError, match="valid"):
        cat.filter(field="mobilty")


def test_to_frame_columns(cat):
    df = cat.to_frame()
    assert list(df.columns) == FRAME_COLUMNS
    assert len(df) == 139 and df["id"].is_unique
    assert df.loc[df.id == "t3.soc.crime_rate", "inputs"].item() == "adjusted_population crimes_recognised"


def test_load_catalog_is_cached(cat):
    assert load_catalog() is load_catalog()


# ------------------------------------------------------------------ HTML page
def test_html_page_is_self_contained_and_lists_everything(cat):
    html = render_catalog_html(cat)
    assert html.startswith("<!DOCTYPE html>") and '<meta name="viewport"' in html
    assert "<script" not in html and "http://" not in html and "https://" not in html
    for ind in cat.indicators.values():
        assert ind.id in html
    assert 'id="adjusted-population"' in html and "補正人口" in html
    assert "必須（暫定）" in html and "@media print" in html


def test_html_subset_and_title_are_escaped(cat):
    html = render_catalog_html(cat, cat.filter(required=True), title="A & <B>")
    assert "<title>A &amp; &lt;B&gt;</title>" in html
    assert "t3.soc.crime_rate" in html and "t2.transport.safety" not in html


def test_field_labels_have_one_home():
    """The evaluation fields' Japanese names in the vocabulary are the catalog's."""
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.config.vocabulary import FIELD_JA

    assert FIELD_JA == {k: f.name_ja for k, f in load_catalog().fields.items()}
