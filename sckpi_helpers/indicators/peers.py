"""How a city stands among its peers: rank, percentile, 偏差値, trends, pillar summary.

Which areas are the peers is :mod:`sckpi_helpers.store.peer_groups` (the ingest needs it too);
this module scores the engine's results over a given list of peer codes. Stage 6: imports the
engine (same stage), errors (0) and the vocabulary (1).

Scores are direction-aware, so "higher is better" holds for
every score: rank 1 is the best value, percentile 100 the best, and the deviation score
(偏差値 = 50 + 10·z, population standard deviation) has its sign flipped for indicators where
lower is better. Indicators with direction ``neutral`` are scored unsigned (larger value → higher
score, rank 1 = largest) and their trend reads 増加 / 減少 instead of 改善 / 悪化.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.config.vocabulary import PILLAR_JA, TREND_JA
from sckpi_helpers.indicators.engine import _attr, tier3_indicators


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
