"""Synthetic panels, areas and a small stand-in catalog for the engine/peers tests and the bench.

``FakeCatalog`` mimics the real catalog's API (``indicators``, ``inputs``,
``adjusted_population_formula``) with the guideline's main tier-3 formulas, so the engine can be
tested without depending on the catalog's data. ``synthetic_panel`` builds a long panel in the
``panel.parquet`` format for *any* catalog (real or fake): every input the tier-3 formulas read,
yearly inputs every year, census-type inputs (cadence every_5_years / every_10_years) only in
census years, elections every 4 years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.catalog.formula import referenced_names


@dataclass
class FakeIndicator:
    id: str
    name_ja: str
    name_en: str
    field: str
    pillar: str
    formula: str | None
    unit: str
    direction: str = "higher"
    required: bool = False
    tier: str = "outcome3"
    availability: str = "estat"
    cadence: str = "yearly"
    inputs: list[str] = field(default_factory=list)


@dataclass
class FakeInput:
    id: str
    fill: str = "none"
    max_fill_years: int | None = None
    cadence: str = "yearly"
    unit: str = ""
    range: tuple[float | None, float | None] | None = None


ADJUSTED_DEFINITIONS = {
    "resident": "population_resident",
    "resident_plus_inflow": "population_resident * (1 + inflow_population / population_census)",
    "daytime": "population_resident * day_night_ratio / 100",
    "mean_day_night": "population_resident * (1 + day_night_ratio / 100) / 2",
    "resident_plus_visitors": "population_resident + visitors_annual / 365",
}

_I = FakeIndicator
FAKE_INDICATORS = [
    _I("population_change_rate", "人口増減率", "Population change rate", "community", "social",
       "(population_resident - lag(population_resident)) / lag(population_resident) * 100", "%",
       "higher", True),
    _I("crime_rate", "防犯性（補正人口千人当たり刑法犯認知件数）", "Crimes per 1,000 adjusted population",
       "disaster_crime", "social", "crimes_recognised / adjusted_population * 1000", "件/千人", "lower", True),
    _I("traffic_accident_rate", "交通安全性", "Traffic accidents per 1,000 adjusted population",
       "mobility", "social", "traffic_accidents / adjusted_population * 1000", "件/千人", "lower", True),
    _I("traffic_death_rate", "交通関連の死亡率", "Traffic deaths per 100,000", "mobility", "social",
       "traffic_deaths / population_resident * 100000", "人/10万人", "lower"),
    _I("doctors_per_adjusted", "医療サービス充実度", "Doctors per 1,000 adjusted population",
       "health_medical", "social", "doctors / adjusted_population * 1000", "人/千人", "higher", True),
    _I("floor_area_per_dwelling", "住居水準充実度", "Floor area per dwelling", "infrastructure", "social",
       "total_floor_area / dwellings", "㎡", "higher", True),
    _I("nursery_capacity", "保育サービス充実度", "Nurseries per 1,000 under-5s", "education_culture",
       "social", "nurseries / population_under5 * 1000", "施設/千人", "higher", True),
    _I("turnout_change", "投票率（前回選挙との差）", "Turnout vs previous election", "administration",
       "social", "turnout - prev_obs(turnout)", "%pt", "higher"),
    _I("cars_per_100", "100人当たりの自動車の数", "Cars per 100 residents", "environment_energy",
       "environmental", "cars_registered / population_resident * 100", "台/100人", "lower"),
    _I("recycling_rate", "一般廃棄物のリサイクル率", "Municipal waste recycling rate", "environment_energy",
       "environmental", "waste_recycled / waste_total * 100", "%", "higher", True),
    _I("natural_land_ratio", "自然的土地比率", "Natural land share", "environment_energy", "environmental",
       "natural_land_area / area_total * 100", "%", "higher", True),
    _I("natural_land_change", "自然的土地比率の変化", "Change of natural land share", "environment_energy",
       "environmental", "natural_land_area / area_total * 100 - lag(natural_land_area / area_total * 100)",
       "%pt", "higher"),
    _I("unemployment_rate", "失業率", "Unemployment rate", "industry_economy", "economic",
       "unemployed / labour_force * 100", "%", "lower"),
    _I("local_tax_revenue", "地方税収入額", "Local tax revenue", "industry_economy", "economic",
       "local_tax_revenue", "千円", "higher", True),
    _I("local_bonds", "地方債残高", "Local bonds outstanding", "industry_economy", "economic",
       "local_bonds_outstanding", "千円", "lower", True),
    _I("day_night", "昼夜間人口比率", "Day/night population ratio", "community", "social",
       "day_night_ratio", "%", "neutral"),
    _I("rent_to_income", "世帯収入に対する総家賃の中央値", "Median rent to income", "infrastructure", "social",
       None, "%", "lower", availability="unavailable"),
    _I("transit_performance", "公共交通ネットワークのパフォーマンス", "Public transport performance",
       "mobility", "social", None, "%", "higher", availability="local"),
    _I("active_doctors", "アクティブな医師の割合", "Active doctors per 1,000", "health_medical", "social",
       None, "人/千人", "higher", tier="outcome2"),
]

FAKE_INPUTS = {
    "population_census": FakeInput("population_census", "carry_forward", 9, "every_5_years", "人"),
    "inflow_population": FakeInput("inflow_population", "carry_forward", 9, "every_5_years", "人"),
    "day_night_ratio": FakeInput("day_night_ratio", "carry_forward", 9, "every_5_years", "%", (0, None)),
    "population_under5": FakeInput("population_under5", "carry_forward", 9, "every_5_years", "人"),
    "dwellings": FakeInput("dwellings", "carry_forward", 9, "every_5_years", "戸"),
    "total_floor_area": FakeInput("total_floor_area", "carry_forward", 9, "every_5_years", "㎡"),
    "labour_force": FakeInput("labour_force", "carry_forward", 9, "every_5_years", "人"),
    "unemployed": FakeInput("unemployed", "carry_forward", 9, "every_5_years", "人"),
    "natural_land_area": FakeInput("natural_land_area", "interpolate", 9, "every_5_years", "ha"),
    "doctors": FakeInput("doctors", "carry_forward", 3, "every_5_years", "人"),
    "turnout": FakeInput("turnout", "none", None, "as_needed", "%"),
    "area_total": FakeInput("area_total", "carry_forward", 9, "yearly", "ha"),
}
for _name in ("population_resident", "crimes_recognised", "traffic_accidents", "traffic_deaths", "nurseries",
              "cars_registered", "waste_recycled", "waste_total", "local_tax_revenue",
              "local_bonds_outstanding", "visitors_annual"):
    FAKE_INPUTS[_name] = FakeInput(_name)


class FakeCatalog:
    """Just enough of ``sckpi_helpers.catalog.Catalog`` for the engine and peers."""

    def __init__(self, indicators: list[FakeIndicator] | None = None,
                 inputs: dict[str, FakeInput] | None = None, default_adjusted: str = "resident_plus_inflow"):
        inds = FAKE_INDICATORS if indicators is None else indicators
        self.indicators = {i.id: i for i in inds}
        self.inputs = dict(FAKE_INPUTS if inputs is None else inputs)
        self.default_adjusted = default_adjusted

    def get(self, indicator_id: str) -> FakeIndicator:
        return self.indicators[indicator_id]

    def adjusted_population_formula(self, definition: str | None = None) -> str:
        d = definition or self.default_adjusted
        if d not in ADJUSTED_DEFINITIONS:
            raise KeyError(f"{d} (known: {', '.join(ADJUSTED_DEFINITIONS)})")
        return ADJUSTED_DEFINITIONS[d]


def real_catalog() -> Any | None:
    """The real catalog when it loads and has tier-3 formulas, else None."""
    try:
        from sckpi_helpers.catalog import load_catalog

        cat = load_catalog()
    except Exception:  # noqa: BLE001 - catalog not written yet or broken: tests skip
        return None
    if not any(getattr(i, "tier", None) == "outcome3" and getattr(i, "formula", None)
               for i in cat.indicators.values()):
        return None
    return cat


# --------------------------------------------------------------------------------------------- data
def area_codes(n: int) -> list[str]:
    """``n`` plausible municipal codes spread over the 47 prefectures (e.g. 01201, 01202 …)."""
    per = -(-n // 47)
    codes = [f"{p:02d}{201 + i:03d}" for p in range(1, 48) for i in range(per)]
    return codes[:n]


def needed_inputs(catalog: Any, definition: str | None = None) -> set[str]:
    """Inputs the catalog's tier-3 formulas read (補正人口 expanded with ``definition``)."""
    names: set[str] = set()
    for ind in catalog.indicators.values():
        if getattr(ind, "tier", None) == "outcome3" and getattr(ind, "formula", None):
            names |= referenced_names(ind.formula)
    if "adjusted_population" in names:
        names.discard("adjusted_population")
        names |= referenced_names(catalog.adjusted_population_formula(definition))
    return names


_SCALE = {  # rough magnitude per resident for plausible values
    "population_census": 1.0, "population_resident": 1.0, "inflow_population": 0.15,
    "outflow_population": 0.15, "daytime_population": 1.0, "crimes_recognised": 0.006,
    "traffic_accidents": 0.003, "traffic_deaths": 0.00003, "doctors": 0.0025, "nurseries": 0.0003,
    "population_under5": 0.04, "dwellings": 0.42, "total_floor_area": 40.0, "cars_registered": 0.6,
    "waste_total": 0.33, "waste_recycled": 0.07, "unemployed": 0.015, "labour_force": 0.5,
    "visitors_annual": 3.0, "local_tax_revenue": 150.0, "local_bonds_outstanding": 400.0,
}
_RATIO = {"day_night_ratio": (100.0, 15.0), "turnout": (50.0, 8.0), "life_expectancy": (84.0, 1.0),
          "natural_land_area": (3000.0, 800.0), "area_total": (8000.0, 1500.0)}


def synthetic_panel(catalog: Any, n_areas: int = 50, years: range = range(2010, 2025), seed: int = 0,
                    missing_frac: float = 0.0, variables: set[str] | None = None) -> pd.DataFrame:
    """A long panel (panel.parquet columns) with every tier-3 input of ``catalog`` for ``n_areas``.

    Census-type inputs only in years divisible by 5, turnout every 4 years, others yearly.
    ``missing_frac`` of the cells are dropped at random (and a few of those kept as an ``X`` mark).
    """
    rng = np.random.default_rng(seed)
    codes = area_codes(n_areas)
    names = sorted(variables if variables is not None else needed_inputs(catalog))
    ys = np.arange(years.start, years.stop)
    pop0 = np.exp(rng.uniform(np.log(2_000), np.log(1_500_000), n_areas))
    growth = rng.normal(-0.004, 0.008, n_areas)
    t = ys - ys[0]
    pop = pop0[:, None] * np.exp(growth[:, None] * t[None, :])  # areas x years
    frames = []
    for name in names:
        var = getattr(catalog, "inputs", {}).get(name)
        cadence = getattr(var, "cadence", "yearly") if var is not None else "yearly"
        if name in _RATIO:
            mu, sd = _RATIO[name]
            base = rng.normal(mu, sd, n_areas)[:, None] * np.ones((1, len(ys)))
            vals = base * (1 + rng.normal(0, 0.01, base.shape))
        else:
            rate = _SCALE.get(name, rng.uniform(0.001, 0.5))
            vals = pop * rate * rng.lognormal(0, 0.25, n_areas)[:, None] * rng.lognormal(0, 0.03, pop.shape)
            if name.startswith("population") or name.endswith("_population"):
                vals = pop * rate if name in ("population_census", "population_resident") else vals
        vals = np.round(vals, 3)
        if cadence in ("every_5_years",):
            keep = ys % 5 == 0
        elif cadence == "every_10_years":
            keep = ys % 10 == 0
        elif name == "turnout" or cadence == "as_needed":
            keep = ys % 4 == 3
        else:
            keep = np.ones(len(ys), dtype=bool)
        a, y = np.meshgrid(np.arange(n_areas), np.arange(len(ys)), indexing="ij")
        m = keep[y]
        frames.append(pd.DataFrame({
            "area_code": np.asarray(codes, dtype=object)[a[m]],
            "year": ys[y[m]],
            "variable": name,
            "value": vals[m],
        }))
    panel = pd.concat(frames, ignore_index=True)
    panel["area_name"] = "市" + panel["area_code"]
    panel["unit"] = ""
    panel["source"] = "synthetic"
    panel["annotation"] = None
    panel["published"] = None
    if missing_frac > 0:
        drop = rng.random(len(panel)) < missing_frac
        mark = drop & (rng.random(len(panel)) < 0.3)
        panel.loc[mark, "value"] = np.nan
        panel.loc[mark, "annotation"] = "X"
        panel = panel[~drop | mark].reset_index(drop=True)
    return panel[["area_code", "area_name", "year", "variable", "value", "unit", "source", "annotation",
                  "published"]]


def synthetic_areas(codes: list[str]) -> pd.DataFrame:
    """An areas frame (areas.parquet columns) for ``codes``; types cycle through the municipal types."""
    types = ["city", "city", "town", "village", "core_city", "city", "town", "designated_city"]
    rows = []
    for i, c in enumerate(codes):
        rows.append({"area_code": c, "area_name": f"市{c}", "pref_code": c[:2], "level": "municipality",
                     "municipal_type": types[i % len(types)], "parent_code": c[:2] + "000",
                     "lg_code": c + "0"})
    for p in sorted({c[:2] for c in codes}):
        rows.append({"area_code": p + "000", "area_name": f"県{p}", "pref_code": p, "level": "prefecture",
                     "municipal_type": "prefecture", "parent_code": "00000", "lg_code": p + "0000"})
    return pd.DataFrame(rows)


def hand_panel(rows: list[tuple[str, int, str, float]], annotations: dict | None = None) -> pd.DataFrame:
    """A panel from (area_code, year, variable, value) tuples; ``annotations[(a, y, v)] = mark``."""
    df = pd.DataFrame(rows, columns=["area_code", "year", "variable", "value"])
    df["value"] = df["value"].astype(float)
    df["annotation"] = [(annotations or {}).get((a, y, v)) for a, y, v in
                        zip(df["area_code"], df["year"], df["variable"], strict=True)]
    df["area_name"] = "x"
    df["unit"] = ""
    df["source"] = "test"
    df["published"] = None
    return df
