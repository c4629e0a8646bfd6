"""Peer-group membership: which municipalities a city is compared with.

Why in the store (stage 4): the ingest build needs the group to decide which areas to fetch, and
the scoring in ``indicators.peers`` (stage 5) needs it to compare; membership depends only on the
areas table and a few panel inputs, so it lives below both. Imports errors (0) only.

Specs (the ``peer_group`` setting and ``--peer-group`` option):

- ``prefecture`` — the municipalities of the city's prefecture;
- ``population_band`` — same band of the latest population (<10k, 10–50k, 50–100k, 100–300k,
  300k–1M, ≥1M; needs the panel);
- ``municipal_type`` — same group of 政令市 / 中核市 / 一般市 / 特別区 / 町村;
- ``similar`` — 類似団体, the kit's rule modelled on 総務省「類似団体別市町村財政指数表」:
  政令市, 中核市 and 特別区 are one group each; 一般市 and 町村 are split by population and
  industrial structure (needs the panel; see :func:`similar_class`);
- ``list:CODE,CODE,…`` — an explicit list;
- ``all`` — every municipality in the areas table.

The city is always in its group.

類似団体 (``similar``) rule. Population: the latest of 住民基本台帳人口 / 国勢調査人口.
Industrial structure: the shares of 第2次 (F2211) and 第3次 (F2221) 産業就業者 in the employed
classified by sector (F2201 + F2211 + F2221, latest census), in percent.

- 一般市: population I < 50,000 ≤ II < 100,000 ≤ III < 150,000 ≤ IV; industry
  3 = 2次+3次 ≥ 95 % and 3次 ≥ 65 %; 2 = 2次+3次 ≥ 95 % and 3次 < 65 %;
  1 = 90 % ≤ 2次+3次 < 95 %; 0 = 2次+3次 < 90 %.
- 町村: population I < 5,000 ≤ II < 10,000 ≤ III < 15,000 ≤ IV < 20,000 ≤ V; industry
  2 = 2次+3次 ≥ 80 % and 3次 ≥ 55 %; 1 = 2次+3次 ≥ 80 % and 3次 < 55 %; 0 = 2次+3次 < 80 %.

A class is written like ``city-II-3`` (一般市, 5万～10万人, 2次+3次 ≥ 95 % and 3次 ≥ 65 %).
"""

from __future__ import annotations

import pandas as pd

from sckpi_helpers.config.codes import AreaCodeError, parse_codes
from sckpi_helpers.errors import SckpiError

PEER_SPECS = ("prefecture", "population_band", "municipal_type", "similar", "list:CODE,CODE,…", "all")
#: population bands: (lower bound inclusive, label)
POPULATION_BANDS = [(0, "1万人未満"), (10_000, "1万～5万人"), (50_000, "5万～10万人"),
                    (100_000, "10万～30万人"), (300_000, "30万～100万人"), (1_000_000, "100万人以上")]
MUNICIPAL_GROUPS = {"designated_city": "政令市", "core_city": "中核市", "city": "一般市",
                    "special_ward": "特別区", "town": "町村", "village": "町村"}
#: 類似団体: population band lower bounds (Roman numeral labels) for 一般市 and 町村
SIMILAR_POPULATION = {"city": [(0, "I"), (50_000, "II"), (100_000, "III"), (150_000, "IV")],
                      "town": [(0, "I"), (5_000, "II"), (10_000, "III"), (15_000, "IV"), (20_000, "V")]}
#: 類似団体: industry classes as (class, minimum 2次+3次 %, minimum 3次 %), first match wins
SIMILAR_INDUSTRY = {"city": [(3, 95.0, 65.0), (2, 95.0, 0.0), (1, 90.0, 0.0), (0, 0.0, 0.0)],
                    "town": [(2, 80.0, 55.0), (1, 80.0, 0.0), (0, 0.0, 0.0)]}
#: panel inputs a spec reads (the ingest fetches them for every area before choosing peers)
PANEL_INPUTS = {"population_band": ("population_resident", "population_census"),
                "similar": ("population_resident", "population_census", "employed_primary",
                            "employed_secondary", "employed_tertiary")}
_MUNICIPAL_LEVELS = {"municipality"}
_SECTORS = ("employed_primary", "employed_secondary", "employed_tertiary")


def needs_panel(spec: str) -> bool:
    """True when the spec's membership depends on panel values (see :data:`PANEL_INPUTS`)."""
    return (spec or "").strip() in PANEL_INPUTS


def _municipalities(areas: pd.DataFrame) -> pd.DataFrame:
    if "level" in areas.columns:
        return areas[areas["level"].astype(str).isin(_MUNICIPAL_LEVELS)]
    return areas[~areas["area_code"].astype(str).str.endswith("000")]


def _band(value: float, bands: list[tuple[int, str]]) -> str:
    label = bands[0][1]
    for lo, name in bands:
        if value >= lo:
            label = name
    return label


def population_band(pop: float) -> str:
    """The band label of a population (see POPULATION_BANDS)."""
    return _band(pop, POPULATION_BANDS)


def latest(panel: pd.DataFrame, variable: str) -> pd.Series:
    """Latest observed value of one panel variable per area."""
    p = panel[(panel["variable"] == variable) & panel["value"].notna()]
    if p.empty:
        return pd.Series(dtype=float)
    return p.sort_values("year").groupby(p["area_code"].astype(str))["value"].last()


def latest_population(panel: pd.DataFrame, variables: tuple[str, ...] = ("population_resident",
                                                                          "population_census")) -> pd.Series:
    """Latest observed population per area (住民基本台帳 first, census as fallback)."""
    out = pd.Series(dtype=float)
    for var in variables:
        last = latest(panel, var)
        if not last.empty:
            out = last if out.empty else out.combine_first(last)
    return out


def similar_class(municipal_type: str, population: float, secondary_pct: float,
                  tertiary_pct: float) -> str:
    """The 類似団体 class of one municipality (see the module docstring), e.g. ``city-II-3``.

    政令市, 中核市 and 特別区 return their type alone; NaN shares give ``…-?`` (no class).
    """
    kind = {"town": "town", "village": "town", "city": "city"}.get(str(municipal_type))
    if kind is None:
        return str(municipal_type)
    band = _band(population, SIMILAR_POPULATION[kind])
    both = secondary_pct + tertiary_pct
    if pd.isna(both):
        return f"{kind}-{band}-?"
    cls = next(c for c, min_both, min_third in SIMILAR_INDUSTRY[kind]
               if both >= min_both and tertiary_pct >= min_third)
    return f"{kind}-{band}-{cls}"


def similar_classes(muni: pd.DataFrame, panel: pd.DataFrame) -> pd.Series:
    """area code → 類似団体 class for every municipality of ``muni`` with the inputs it needs."""
    pop = latest_population(panel)
    sectors = pd.concat({v: latest(panel, v) for v in _SECTORS}, axis=1).reindex(columns=list(_SECTORS))
    total = sectors.sum(axis=1, min_count=3)
    share = sectors.div(total.where(total > 0), axis=0) * 100.0
    codes = muni["area_code"].astype(str)
    kinds = muni["municipal_type"].astype(str).to_numpy() if "municipal_type" in muni.columns \
        else ["city"] * len(muni)
    out = {}
    for code, kind in zip(codes, kinds, strict=True):
        if code not in pop.index:
            continue
        sec = share["employed_secondary"].get(code, float("nan"))
        ter = share["employed_tertiary"].get(code, float("nan"))
        out[code] = similar_class(kind, float(pop[code]), sec, ter)
    return pd.Series(out, dtype=object)


def peer_group(areas: pd.DataFrame, city: str, spec: str, panel: pd.DataFrame | None = None) -> list[str]:
    """The area codes of ``city``'s peer group (sorted, the city included); see the module doc."""
    city = str(city).strip()
    spec = (spec or "").strip()
    codes = areas["area_code"].astype(str)
    if city not in set(codes):
        raise SckpiError(f"city {city} is not in the areas table (run 'sckpi ingest --city {city}' first; without a settings.yaml: 'sckpi ingest --source ssdse --city {city}')")
    row = areas[codes == city].iloc[0]
    muni = _municipalities(areas)
    mcodes = muni["area_code"].astype(str)
    if spec in PANEL_INPUTS and panel is None:
        raise SckpiError(f"peer group '{spec}' needs the panel ({', '.join(PANEL_INPUTS[spec])} per area)")
    if spec == "prefecture":
        pref = str(row["pref_code"]) if "pref_code" in areas.columns else city[:2]
        prefs = muni["pref_code"].astype(str) if "pref_code" in muni.columns else mcodes.str[:2]
        group = set(mcodes[prefs == pref])
    elif spec == "all":
        group = set(mcodes)
    elif spec == "municipal_type":
        kind = MUNICIPAL_GROUPS.get(str(row.get("municipal_type")))
        if kind is None:
            raise SckpiError(f"city {city} has municipal type '{row.get('municipal_type')}', not one of "
                             f"{', '.join(MUNICIPAL_GROUPS)}")
        group = set(mcodes[muni["municipal_type"].astype(str).map(MUNICIPAL_GROUPS) == kind])
    elif spec == "population_band":
        pop = latest_population(panel)
        if city not in pop.index:
            raise SckpiError(f"peer group 'population_band': no population for city {city} in the panel")
        band = population_band(float(pop[city]))
        bands = pop[pop.index.isin(set(mcodes))].map(population_band)
        group = set(bands.index[bands == band])
    elif spec == "similar":
        classes = similar_classes(muni, panel)
        mine = classes.get(city)
        if mine is None or str(mine).endswith("-?"):
            raise SckpiError(f"peer group 'similar' (類似団体): city {city} lacks population or "
                             f"産業別就業者数 ({', '.join(_SECTORS)}) in the panel")
        group = set(classes.index[classes == mine])
    elif spec.startswith("list:"):
        try:
            wanted = parse_codes(spec[5:], f"peer group '{spec}'")
        except AreaCodeError as exc:
            raise SckpiError(str(exc)) from None
        unknown = [c for c in wanted if c not in set(codes)]
        if unknown:
            raise SckpiError(f"peer group '{spec}': codes not in the areas table: {', '.join(unknown)}")
        group = set(wanted)
    else:
        raise SckpiError(f"unknown peer group '{spec}' (use one of: {', '.join(PEER_SPECS)})")
    group.add(city)
    return sorted(group)
