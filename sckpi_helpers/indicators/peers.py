"""How a city stands among its peers: peer groups, rank, percentile, 偏差値, trends, pillar summary.

Peer groups (``peer_group`` specs, also the ``peer_group`` setting and ``--peer-group`` option):

- ``prefecture`` — the municipalities of the city's prefecture;
- ``population_band`` — municipalities in the same band of the latest population
  (<10k, 10–50k, 50–100k, 100–300k, 300k–1M, ≥1M; needs the panel);
- ``municipal_type`` — same group of 政令市 / 中核市 / 一般市 / 特別区 / 町村;
- ``list:CODE,CODE,…`` — an explicit list;
- ``all`` — every municipality in the areas table.

The city is always in its group. Scores are direction-aware, so "higher is better" holds for
every score: rank 1 is the best value, percentile 100 the best, and the deviation score
(偏差値 = 50 + 10·z, population standard deviation) has its sign flipped for indicators where
lower is better. Indicators with direction ``neutral`` are scored unsigned (larger value → higher
score, rank 1 = largest) and their trend reads 増加 / 減少 instead of 改善 / 悪化.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.indicators.engine import _attr, tier3_indicators
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.viz.style import PILLAR_JA

PEER_SPECS = ("prefecture", "population_band", "municipal_type", "list:CODE,CODE,…", "all")
#: population bands: (lower bound inclusive, label)
POPULATION_BANDS = [(0, "1万人未満"), (10_000, "1万～5万人"), (50_000, "5万～10万人"),
                    (100_000, "10万～30万人"), (300_000, "30万～100万人"), (1_000_000, "100万人以上")]
MUNICIPAL_GROUPS = {"designated_city": "政令市", "core_city": "中核市", "city": "一般市",
                    "special_ward": "特別区", "town": "町村", "village": "町村"}
TREND_JA = {"better": "改善", "worse": "悪化", "flat": "横ばい", "up": "増加", "down": "減少",
            "insufficient": "データ不足"}
_MUNICIPAL_LEVELS = {"municipality"}


# ---------------------------------------------------------------------------------------- peer groups
def _municipalities(areas: pd.DataFrame) -> pd.DataFrame:
    if "level" in areas.columns:
        return areas[areas["level"].astype(str).isin(_MUNICIPAL_LEVELS)]
    return areas[~areas["area_code"].astype(str).str.endswith("000")]


def population_band(pop: float) -> str:
    """The band label of a population (see POPULATION_BANDS)."""
    label = POPULATION_BANDS[0][1]
    for lo, name in POPULATION_BANDS:
        if pop >= lo:
            label = name
    return label


def latest_population(panel: pd.DataFrame, variables: tuple[str, ...] = ("population_resident",
                                                                          "population_census")) -> pd.Series:
    """Latest observed population per area (住民基本台帳 first, census as fallback)."""
    out = pd.Series(dtype=float)
    for var in variables:
        p = panel[(panel["variable"] == var) & panel["value"].notna()]
        if p.empty:
            continue
        last = p.sort_values("year").groupby(p["area_code"].astype(str))["value"].last()
        out = last if out.empty else out.combine_first(last)
    return out


def peer_group(areas: pd.DataFrame, city: str, spec: str, panel: pd.DataFrame | None = None) -> list[str]:
    """The area codes of ``city``'s peer group (sorted, the city included); see the module doc."""
    city = str(city).strip()
    spec = (spec or "").strip()
    codes = areas["area_code"].astype(str)
    if city not in set(codes):
        raise SckpiError(f"city {city} is not in the areas table (run 'sckpi ingest' for it first)")
    row = areas[codes == city].iloc[0]
    muni = _municipalities(areas)
    mcodes = muni["area_code"].astype(str)
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
        if panel is None:
            raise SckpiError("peer group 'population_band' needs the panel (latest population per area)")
        pop = latest_population(panel)
        if city not in pop.index:
            raise SckpiError(f"peer group 'population_band': no population for city {city} in the panel")
        band = population_band(float(pop[city]))
        bands = pop[pop.index.isin(set(mcodes))].map(population_band)
        group = set(bands.index[bands == band])
    elif spec.startswith("list:"):
        wanted = [c.strip() for c in spec[5:].split(",") if c.strip()]
        bad = [c for c in wanted if not (len(c) == 5 and c.isdigit())]
        if bad:
            raise SckpiError(f"peer group '{spec}': not 5-digit area codes: {', '.join(bad)}")
        unknown = [c for c in wanted if c not in set(codes)]
        if unknown:
            raise SckpiError(f"peer group '{spec}': codes not in the areas table: {', '.join(unknown)}")
        group = set(wanted)
    else:
        raise SckpiError(f"unknown peer group '{spec}' (use one of: {', '.join(PEER_SPECS)})")
    group.add(city)
    return sorted(group)


# -------------------------------------------------------------------------------------------- scoring
def _signs(catalog: Any, ids: np.ndarray) -> np.ndarray:
    """+1 per row, −1 where the indicator's direction is ``lower`` (one look-up per distinct id)."""
    codes, uniq = pd.factorize(ids)
    table = np.array([-1.0 if (ind := catalog.indicators.get(i)) is not None
                      and _attr(ind, "direction") == "lower" else 1.0 for i in uniq] + [1.0])
    return table[codes]


def scores(results: pd.DataFrame, catalog: Any, year: int, area_codes: list[str] | None = None) -> pd.DataFrame:
    """Direction-aware scores of every area (or ``area_codes``) for every indicator in ``year``.

    Columns: ``area_code, indicator_id, value, status, rank, n, percentile, deviation_score,
    peer_median``. Vectorised (one groupby per statistic over all indicators). ``n`` counts the
    areas with a value; areas without one get NaN scores.
    """
    r = results[results["year"] == int(year)]
    if area_codes is not None:
        r = r[r["area_code"].isin(set(map(str, area_codes)))]
    r = r[["area_code", "indicator_id", "value", "status"]].reset_index(drop=True)
    ids = r["indicator_id"].to_numpy(dtype=object)
    val = r["value"].to_numpy(dtype=float)
    s = _signs(catalog, ids) * val  # higher is better
    key = pd.Series(ids)
    g = pd.Series(s).groupby(key.values)
    n = g.transform("count").to_numpy(dtype=float)
    mean = g.transform("mean").to_numpy(dtype=float)
    std = g.transform("std", ddof=0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tiny = std <= 1e-12 * np.maximum(np.abs(mean), 1.0)
        z = np.where(tiny, 0.0, (s - mean) / np.where(tiny, 1.0, std))
    dev = np.where(np.isnan(s), np.nan, 50.0 + 10.0 * z)
    rank_min = g.rank(method="min", ascending=False).to_numpy(dtype=float)
    rank_max = g.rank(method="max", ascending=False).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(n > 1, 100.0 * ((n - rank_max) + 0.5 * (rank_max - rank_min)) / (n - 1), np.nan)
    pct = np.where(np.isnan(s), np.nan, pct)
    median = pd.Series(val).groupby(key.values).transform("median").to_numpy(dtype=float)
    out = r.copy()
    out["rank"] = rank_min
    out["n"] = n.astype(int)
    out["percentile"] = pct
    out["deviation_score"] = dev
    out["peer_median"] = median
    return out


def _trend(results: pd.DataFrame, catalog: Any, city: str, year: int, trend_years: int,
           spread: pd.Series) -> pd.DataFrame:
    """OLS slope per indicator over the city's last ``trend_years`` years up to ``year``."""
    r = results[(results["area_code"] == city) & (results["year"] <= year)
                & (results["year"] > year - trend_years) & results["value"].notna()]
    cols = ["indicator_id", "trend_slope", "trend_n", "trend", "trend_ja"]
    if r.empty:
        return pd.DataFrame(columns=cols)
    x = r["year"].to_numpy(dtype=float)
    y = r["value"].to_numpy(dtype=float)
    d = pd.DataFrame({"id": r["indicator_id"].to_numpy(), "x": x, "y": y, "xx": x * x, "xy": x * y})
    s = d.groupby("id").agg(n=("x", "size"), sx=("x", "sum"), sy=("y", "sum"), sxx=("xx", "sum"),
                            sxy=("xy", "sum"), span_lo=("x", "min"), span_hi=("x", "max"),
                            mean=("y", "mean"))
    den = s["n"] * s["sxx"] - s["sx"] ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(den > 0, (s["n"] * s["sxy"] - s["sx"] * s["sy"]) / den, np.nan)
    out = pd.DataFrame({"indicator_id": s.index, "trend_slope": slope, "trend_n": s["n"].to_numpy()})
    change = slope * (s["span_hi"] - s["span_lo"]).to_numpy()
    scale = spread.reindex(s.index).to_numpy(dtype=float)
    fallback = np.abs(s["mean"].to_numpy())
    # flat when the fitted change over the window is under 0.1 peer standard deviations (one
    # deviation point); without a peer spread, under 1 % of the city's mean level
    thresh = np.where(np.isfinite(scale) & (scale > 0), 0.1 * scale, 0.01 * fallback)
    labels = []
    for i, iid in enumerate(s.index):
        ind = catalog.indicators.get(iid)
        direction = _attr(ind, "direction", "neutral") if ind is not None else "neutral"
        if s["n"].iloc[i] < 3 or not np.isfinite(change[i]):
            labels.append("insufficient")
        elif abs(change[i]) <= thresh[i]:
            labels.append("flat")
        elif direction == "neutral":
            labels.append("up" if change[i] > 0 else "down")
        else:
            good = change[i] > 0 if direction == "higher" else change[i] < 0
            labels.append("better" if good else "worse")
    out["trend"] = labels
    out["trend_ja"] = out["trend"].map(TREND_JA)
    return out


COMPARE_COLUMNS = ["indicator_id", "name_ja", "name_en", "field", "pillar", "required", "direction", "unit",
                   "year", "value", "status", "reason", "rank", "n", "percentile", "deviation_score",
                   "peer_median", "trend_slope", "trend_n", "trend", "trend_ja"]


def compare(results: pd.DataFrame, catalog: Any, city: str, year: int, peer_codes: list[str],
            trend_years: int = 5) -> pd.DataFrame:
    """The city's standing among ``peer_codes`` in ``year``, one row per tier-3 indicator computed.

    ``rank`` (1 = best), ``n`` (peers with a value, city included), ``percentile`` (share of the
    other peers the city does better than, ties half; 100 = best), ``deviation_score``
    (偏差値, higher is better), ``peer_median`` (raw value), the city's ``trend_slope`` (units per
    year over the last ``trend_years`` years, OLS, needs ≥3 values) with ``trend`` /
    ``trend_ja`` (改善/悪化/横ばい; 増加/減少 for neutral indicators; データ不足), and ``status``
    / ``reason`` from the engine. A city without a value keeps its row with NaN scores.
    """
    city = str(city)
    year = int(year)
    group = sorted(set(map(str, peer_codes)) | {city})
    yr = results["year"].to_numpy()
    window = results[(yr <= year) & (yr > year - max(int(trend_years), 1))]  # cheap int filter first
    window = window[window["area_code"].isin(set(group))]
    sc = scores(window, catalog, year)
    mine = sc[sc["area_code"] == city].set_index("indicator_id")
    # peers' spread (raw units) for the trend's flat threshold
    spread = sc.groupby("indicator_id")["value"].std(ddof=0)
    medians = sc.groupby("indicator_id")["peer_median"].first()
    counts = sc.groupby("indicator_id")["value"].count()
    history = window[window["area_code"] == city]
    trend = _trend(history, catalog, city, year, trend_years, spread).set_index("indicator_id")
    city_rows = history[history["year"] == year].set_index("indicator_id")
    present = set(pd.unique(sc["indicator_id"])) | set(pd.unique(history["indicator_id"]))
    rows = []
    for ind in tier3_indicators(catalog, with_formula=True):
        if ind.id not in present:
            continue
        m = mine.loc[ind.id] if ind.id in mine.index else None
        cr = city_rows.loc[ind.id] if ind.id in city_rows.index else None
        t = trend.loc[ind.id] if ind.id in trend.index else None
        rows.append({
            "indicator_id": ind.id, "name_ja": _attr(ind, "name_ja"), "name_en": _attr(ind, "name_en"),
            "field": _attr(ind, "field"), "pillar": _attr(ind, "pillar"),
            "required": bool(_attr(ind, "required", False)), "direction": _attr(ind, "direction"),
            "unit": _attr(ind, "unit"), "year": year,
            "value": float(cr["value"]) if cr is not None else np.nan,
            "status": cr["status"] if cr is not None else "missing",
            "reason": cr["reason"] if cr is not None else f"no result for {city} in {year}",
            "rank": m["rank"] if m is not None else np.nan,
            "n": int(counts.get(ind.id, 0)),
            "percentile": m["percentile"] if m is not None else np.nan,
            "deviation_score": m["deviation_score"] if m is not None else np.nan,
            "peer_median": float(medians.get(ind.id, np.nan)),
            "trend_slope": t["trend_slope"] if t is not None else np.nan,
            "trend_n": int(t["trend_n"]) if t is not None else 0,
            "trend": t["trend"] if t is not None else "insufficient",
            "trend_ja": t["trend_ja"] if t is not None else TREND_JA["insufficient"],
        })
    out = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    out["rank"] = out["rank"].astype(float)
    return out


def pillar_summary(comparison: pd.DataFrame, catalog: Any) -> pd.DataFrame:
    """Mean deviation score per pillar, saying how many indicators went into each mean.

    Columns: ``pillar, pillar_ja, deviation_score, n_indicators`` (with a score),
    ``n_total`` (computed for the pillar), ``indicators`` (name_ja of those used, 「、」-joined),
    ``note`` (e.g. ``5 / 8 指標``).
    """
    fields = getattr(catalog, "fields", None) or {}
    rows = []
    order = list(PILLAR_JA) + [p for p in pd.unique(comparison["pillar"].dropna()) if p not in PILLAR_JA]
    for pillar in order:
        sub = comparison[comparison["pillar"] == pillar]
        if sub.empty:
            continue
        used = sub[sub["deviation_score"].notna()]
        f = fields.get(pillar) if isinstance(fields, dict) else None
        ja = PILLAR_JA.get(pillar) or (_attr(f, "name_ja") if f is not None else None) or str(pillar)
        rows.append({
            "pillar": pillar, "pillar_ja": ja,
            "deviation_score": float(used["deviation_score"].mean()) if len(used) else np.nan,
            "n_indicators": len(used), "n_total": len(sub),
            "indicators": "、".join(map(str, used["name_ja"])),
            "note": f"{len(used)} / {len(sub)} 指標",
        })
    return pd.DataFrame(rows, columns=["pillar", "pillar_ja", "deviation_score", "n_indicators", "n_total",
                                       "indicators", "note"])
