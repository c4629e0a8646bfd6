"""The catalog against what publishers ship: item codes, published names, units, sums of items.

Real names come from tests/data/real/ssds_items_catalog.csv (see its README for the attribution).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.catalog.items import (
    estat_sources,
    estat_tables,
    names_agree,
    normalize_unit,
    tidy_to_inputs,
)

REAL = Path(__file__).parent / "data" / "real" / "ssds_items_catalog.csv"
#: evidence that counts as published material (another developer's code does not)
PUBLISHED = {"real-download-header", "ssdse-header", "real-api-metadata"}
CAT = load_catalog()


def published_names() -> dict[str, set[str]]:
    real = pd.read_csv(REAL, dtype=str, keep_default_na=False)
    real = real[real["evidence_kind"].isin(PUBLISHED)]
    return real.groupby("code")["name_published"].agg(set).to_dict()


# ------------------------------------------------------------------------------------ the codes
def test_every_confirmed_item_is_published_under_the_catalogs_name():
    names = published_names()
    for input_id, s in estat_sources(CAT):
        if not s.confirmed:
            continue
        for code, name in s.published_names.items():
            assert code in names, f"{input_id}: {code} is confirmed but not in published material"
            assert any(names_agree(p, name) for p in names[code]), (input_id, code, name, names[code])


def test_an_item_no_published_material_names_stays_unconfirmed():
    names = published_names()
    for input_id, s in estat_sources(CAT):
        if any(c not in names for c in s.item_codes):
            assert not s.confirmed, f"{input_id}: {s.item_codes} not in published material"


@pytest.mark.parametrize("input_id, codes", [
    ("inflow_population", ["A6105", "A6106"]),       # 流入 = 県内他市区町村から + 他県から
    ("outflow_population", ["A6103", "A6104"]),      # 流出 = 県内他市区町村へ + 他県へ
    ("daytime_population", ["A6107"]),
    ("population_0_5", ["A1405"]),                   # A1401 is 3歳人口
    ("nurseries", ["J250302"]),                      # J2503 is the older 保育所等数 series
    ("hospitals", ["I510120"]),                      # I5101 is 病院数 (psychiatric included)
    ("establishments", ["C2108"]),                   # 事業所数（民営）
    ("local_tax_revenue", ["D320101"]),              # not D3103
    ("local_bonds_outstanding", ["D3205"]),          # not D3304
    ("population_15plus", ["F1101", "F1108"]),       # 労働力人口 + 非労働力人口
])
def test_inputs_read_the_published_items(input_id, codes):
    s = next(s for iid, s in estat_sources(CAT) if iid == input_id)
    assert s.summed_codes == codes


def test_elderly_care_homes_change_code_in_2018():
    srcs = [s for iid, s in estat_sources(CAT) if iid == "elderly_care_facilities"]
    assert [(s.item_code, s.to_year, s.from_year) for s in srcs] == [("J230121", 2017, None),
                                                                       ("J230127", None, 2018)]


def test_tables_to_fetch_include_every_component_and_the_designated_city_items():
    assert {"A6103", "A6104", "A6105", "A6106", "A6107"} <= set(estat_tables(CAT)["0000020201"])


# ---------------------------------------------------------------------------------- name guard
def test_names_agree_forgives_width_blanks_code_prefix_and_unit_suffix():
    assert names_agree("A6103_流出人口（県内他市区町村で従業・通学している人口）【人】",
                       "流出人口(県内他市区町村で従業・通学している人口)")
    assert names_agree("第１次産業就業者数", "第1次産業就業者数")
    assert names_agree("0〜5歳人口", "0～5歳人口")


@pytest.mark.parametrize("published, catalog", [
    ("病院数", "一般病院数"),
    ("保育所等数", "保育所等数（基本票）"),
    ("事業所数（経済センサス‐基礎調査結果）", "事業所数（民営）"),
    ("流入人口（他県に常住している人口）", "流入人口（県内他市区町村に常住している人口）"),
])
def test_names_agree_refuses_any_other_difference(published, catalog):
    assert not names_agree(published, catalog)


def test_normalize_unit_is_nfkc():
    assert normalize_unit("ｈａ") == "ha"
    assert normalize_unit("％") == "%"
    assert normalize_unit("【人】") == "人"
    assert normalize_unit("人:person") == "人"
    assert normalize_unit("㎡") == normalize_unit("m²") == "m2"
    assert normalize_unit(None) == ""


# ----------------------------------------------------------------------------- sums of items
def tidy(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["area_code", "year", "item_code", "item_name", "value", "annotation",
                                       "unit"]).assign(stats_data_id="0000020201", area_name="")


NAMES = {"A6103": "A6103_流出人口（県内他市区町村で従業・通学している人口）【人】",
         "A6104": "A6104_流出人口（他県で従業・通学している人口）【人】",
         "A6105": "A6105_流入人口（県内他市区町村に常住している人口）【人】",
         "A6106": "A6106_流入人口（他県に常住している人口）【人】"}


def flows(area: str, a6103: float, a6104: float, a6105: float, a6106: float, year: int = 2020) -> list[tuple]:
    return [(area, year, c, NAMES[c], v, None, "人") for c, v in
            (("A6103", a6103), ("A6104", a6104), ("A6105", a6105), ("A6106", a6106))]


def value(rows: pd.DataFrame, variable: str, area: str) -> float:
    hit = rows[(rows["variable"] == variable) & (rows["area_code"] == area)]
    assert len(hit) == 1
    return float(hit["value"].iloc[0])


def test_total_inflow_is_the_sum_of_both_published_inflows():
    rows, _ = tidy_to_inputs(tidy(flows("08220", 9_000, 21_000, 30_000, 8_000)), CAT)
    assert value(rows, "inflow_population", "08220") == 38_000
    assert value(rows, "outflow_population", "08220") == 30_000
    assert rows["unit"].eq("人").all()


def test_a_sum_with_a_missing_part_is_missing_and_names_the_part():
    rows, _ = tidy_to_inputs(tidy(flows("08220", 9_000, 21_000, 30_000, 8_000)[:3]), CAT)  # no A6106
    hit = rows[rows["variable"] == "inflow_population"].iloc[0]
    assert pd.isna(hit["value"])  # never 30,000 (A6105 alone) presented as the total inflow
    assert hit["lacking"] == "A6106" and "A6106" in hit["annotation"]
    assert value(rows, "outflow_population", "08220") == 30_000  # the complete sum is unaffected


def test_a_derived_input_says_how_it_was_made_and_from_which_rows():
    t = tidy(flows("08220", 9_000, 21_000, 30_000, 8_000))
    rows, _ = tidy_to_inputs(t, CAT)
    hit = rows[rows["variable"] == "outflow_population"].iloc[0]
    assert hit["derivation"] == "outflow_population = A6103 + A6104"
    assert sorted(t["item_code"].iloc[hit["item_rows"]]) == ["A6103", "A6104"]


def test_designated_city_inflow_nets_out_commuting_between_its_wards():
    # 札幌市 2020: A6103 = 452,836 is the sum of its ten wards, commuting between wards included.
    # Rule: inflow from outside the city = A6106 + max(0, A6105 − A6103) (inter-ward flows cancel).
    t = tidy(flows("01100", 452_836, 3_000, 500_000, 4_000) + flows("01202", 5_000, 1_000, 7_000, 2_000))
    rows, _ = tidy_to_inputs(t, CAT, designated={"01100"})
    assert value(rows, "inflow_population", "01100") == 4_000 + (500_000 - 452_836)
    assert value(rows, "outflow_population", "01100") == 3_000 + 0
    assert value(rows, "inflow_population", "01202") == 9_000  # not designated: the plain sum
    src = rows[(rows["variable"] == "inflow_population") & (rows["area_code"] == "01100")]["source"].iloc[0]
    assert "政令指定都市" in src
    des = rows[(rows["variable"] == "inflow_population") & (rows["area_code"] == "01100")].iloc[0]
    assert des["derivation"] == "inflow_population = A6106 + max(0, A6105 - A6103) (政令指定都市)"
    assert sorted(t["item_code"].iloc[des["item_rows"]]) == ["A6103", "A6105", "A6106"]


def test_designated_city_sum_lacking_the_rules_item_is_missing():
    t = tidy([r for r in flows("01100", 452_836, 3_000, 500_000, 4_000) if r[2] != "A6103"])
    rows, _ = tidy_to_inputs(t, CAT, designated={"01100"})
    hit = rows[(rows["variable"] == "inflow_population") & (rows["area_code"] == "01100")].iloc[0]
    assert pd.isna(hit["value"]) and hit["lacking"] == "A6103"  # not A6105 + A6106 with inter-ward commuting


def test_an_item_published_under_another_name_is_not_used():
    t = tidy([("01202", 2020, "I510120", "病院数", 5.0, None, "施設")])
    rows, unused = tidy_to_inputs(t, CAT)
    assert rows.empty
    assert any(u.startswith("I510120: e-Stat names it '病院数'") for u in unused)


def test_item_codes_apply_only_to_their_years():
    t = pd.DataFrame({"area_code": "01202", "year": [2017, 2018, 2017, 2018],
                      "item_code": ["J230121", "J230121", "J230127", "J230127"],
                      "value": [3.0, 99.0, 98.0, 4.0], "annotation": None})
    rows, _ = tidy_to_inputs(t, CAT)
    got = rows[rows["variable"] == "elderly_care_facilities"].set_index("year")["value"].to_dict()
    assert got == {2017: 3.0, 2018: 4.0}


# ------------------------------------------------------------------------------- provisional
def test_indicators_reading_an_unconfirmed_input_are_provisional():
    assert CAT.provisional_inputs("t3.soc.crime_rate") == ["crimes_recognised"]  # K4201 unconfirmed
    assert CAT.is_provisional("t3.soc.crime_rate")
    assert not CAT.is_provisional("t3.soc.childcare_capacity")


def test_indicator_with_a_stand_in_age_band_says_so():
    note = CAT.get("t3.soc.childcare_capacity").note
    assert note and "0～5歳" in note


def test_designated_city_rule_is_printable():
    assert "A6106" in CAT.adjusted_population.designated_city_rule
    assert CAT.designated_city_rules("t3.soc.crime_rate")[0][0] == "inflow_population"


def test_street_crime_variant_of_crime_safety():
    ind = CAT.get("t3.soc.street_crime_rate")
    assert ind.inputs == ["adjusted_population", "street_crimes"]
    assert CAT.get_input("street_crimes").availability == "external"
