"""The data-quality gate's rules: pure functions over value frames that return findings.

A *value frame* has one row per value judged: ``area_code, year, subject, kind (input|indicator),
value, source``. Each rule returns a *findings frame* (:data:`FINDING_COLUMNS`): what tripped, the
range that was expected and the reason in Japanese. Thresholds come per subject from a callable
(``thresholds(subject, kind) -> QualityThresholds``, :func:`sckpi_helpers.catalog.quality.thresholds`)
so these functions know nothing about the catalog files or settings.

The rules (issue 21): the area's own history (year-over-year factor), its peers (robust z-score,
median / MAD), scale (about 1,000× or 1/1,000× the peers' median: 人 vs 千人, 円 vs 千円), a
revision (a published figure that changed since the last ingest of the same source and year), and
a tier-3 value whose newest input is much newer than its oldest (numerator vs denominator).

Why pure: the same rules serve ``sckpi ingest``, ``sckpi check``, the report runner and the check
pages (:mod:`.gate` does the I/O); tests feed them frames.

Stage 6 (indicators): imports ``config`` (thresholds, the one number format) and pandas/numpy only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from sckpi_helpers.config.formatting import SCORE_DECIMALS, format_number
from sckpi_helpers.config.quality import QualityThresholds

FINDING_COLUMNS = ["area_code", "year", "subject", "kind", "rule", "value", "expected_low", "expected_high",
                   "reason", "source"]
VALUE_COLUMNS = ["area_code", "year", "subject", "kind", "value", "source"]
Thresholds = Callable[[str, str], QualityThresholds]
_PROV = re.compile(r"([A-Za-z_][\w.]*)@(\d{4})")
MAD_SCALE = 1.4826  # MAD → standard deviation for normal data
#: the spread is never taken smaller than 10 % of the median (0.0414 decades on log10): peers that
#: share one value (a medical area's figure copied to its towns) have a MAD near 0, and a z-score
#: over a near-zero spread flags ordinary differences
MIN_SPREAD = 0.10


def empty_findings() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("value", "expected_low", "expected_high")
                                      else "int64" if c == "year" else "object") for c in FINDING_COLUMNS})


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=FINDING_COLUMNS) if rows else empty_findings()


def panel_values(panel: pd.DataFrame) -> pd.DataFrame:
    """The processed panel's published values (missing ones are not judged) as a value frame."""
    v = panel[panel["value"].notna()]
    return pd.DataFrame({"area_code": v["area_code"].astype(str), "year": v["year"].astype(int),
                         "subject": v["variable"].astype(str), "kind": "input",
                         "value": v["value"].astype(float), "source": v["source"].astype(object)})


def result_values(results: pd.DataFrame) -> pd.DataFrame:
    """The engine's tier-3 values as a value frame; ``source`` is the provenance (inputs@year)."""
    v = results[results["value"].notna()]
    return pd.DataFrame({"area_code": v["area_code"].astype(str), "year": v["year"].astype(int),
                         "subject": v["indicator_id"].astype(str), "kind": "indicator",
                         "value": v["value"].astype(float), "source": v.get("provenance", "").astype(object)})


# ------------------------------------------------------------------ the area's own history
def _judged(values: pd.DataFrame, thresholds: Thresholds,
            applies: Callable[[QualityThresholds], bool]) -> dict[tuple[str, str], QualityThresholds]:
    """(subject, kind) → thresholds, for the pairs in ``values`` a rule ``applies`` to."""
    pairs = values[["subject", "kind"]].drop_duplicates()
    return {(s, k): th for s, k in zip(pairs["subject"], pairs["kind"], strict=True)
            if applies(th := thresholds(s, k))}


def year_over_year(values: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """A value beyond ``yoy_factor`` times (or below 1/``yoy_factor`` of) the area's previous value
    (the previous year it has, within five years: census inputs come every five). Pairs where
    either value is 0 or negative, or both are below ``yoy_min``, are not judged."""
    rows = []
    judged = _judged(values, thresholds, lambda th: bool(th.yoy_factor))
    if not judged:
        return _frame(rows)
    # every judged (subject, kind) at once: each area's previous value within its own series
    g = values[pd.MultiIndex.from_frame(values[["subject", "kind"]]).isin(list(judged))]
    g = g.sort_values(["subject", "kind", "area_code", "year"], kind="stable")
    series = g.groupby(["subject", "kind", "area_code"], sort=False)
    prev_v, prev_y = series["value"].shift(), series["year"].shift()
    th_of = pd.MultiIndex.from_frame(g[["subject", "kind"]]).map(judged)
    factor = np.array([t.yoy_factor for t in th_of], dtype=float)
    floor = np.array([t.yoy_min or 0 for t in th_of], dtype=float)
    ok = (prev_v > 0) & (g["value"] > 0) & ((g["year"] - prev_y) <= 5)
    ok &= np.maximum(prev_v.abs(), g["value"].abs()) >= floor
    ratio = g["value"] / prev_v
    hit = ok & ((ratio > factor) | (ratio < 1 / factor))
    for j in np.flatnonzero(hit.to_numpy()):
        r, f, pv, py, k = g.iloc[j], ratio.iloc[j], prev_v.iloc[j], int(prev_y.iloc[j]), factor[j]
        rows.append({**r[["area_code", "year", "subject", "kind", "value", "source"]].to_dict(), "rule": "yoy",
                     "expected_low": pv / k, "expected_high": pv * k,
                     "reason": f"{py}年の {format_number(pv)} の {format_number(f)} 倍"
                               f"（許容 1/{format_number(k)}～{format_number(k)} 倍）"})
    return _frame(rows)


# ------------------------------------------------------------------ peers
def _back(t: float, *, use_log: bool, factor: float) -> float:
    """A compared value (log10, per unit) back in the published unit."""
    return (10 ** t if use_log else t) * factor


def _carried(values: pd.DataFrame, subject: str) -> pd.DataFrame:
    """``area_code, per_year, per`` — ``subject``'s published values (the denominators)."""
    s = values[(values["subject"] == subject) & (values["kind"] == "input")][["area_code", "year", "value"]]
    return s.rename(columns={"value": "per", "year": "per_year"})


def _with_per(g: pd.DataFrame, per: pd.DataFrame, max_years: int = 9) -> pd.Series:
    """``g``'s values divided by each area's ``per`` value of the same or latest earlier year."""
    left = g[["area_code", "year"]].reset_index().sort_values("year")
    right = per.sort_values("per_year")
    m = pd.merge_asof(left, right, left_on="year", right_on="per_year", by="area_code",
                      tolerance=max_years, direction="backward")
    denom = m.set_index("index")["per"].reindex(g.index)
    return g["value"] / denom.where(denom > 0)


def _per_values(values: pd.DataFrame, vals: pd.DataFrame, per_of: dict[tuple[str, str], str]) -> pd.Series:
    """Each input row of ``vals`` whose subject is compared per unit (``per_of``: (subject, kind) →
    the denominators in order) divided by the first denominator its area has: one ``merge_asof``
    per (list of denominators, denominator) for all the subjects sharing the list. A subject is
    never divided by itself."""
    x = pd.Series(np.nan, index=vals.index)
    carried: dict[str, pd.DataFrame] = {}  # a denominator's values, once however many lists name it
    by_spec: dict[str, list[str]] = {}
    for (subject, _), spec in per_of.items():
        by_spec.setdefault(spec, []).append(subject)
    for spec, subjects in by_spec.items():
        rows = vals[(vals["kind"] == "input") & vals["subject"].isin(subjects)]
        got = pd.Series(np.nan, index=rows.index)
        for name in [n.strip() for n in spec.split(",") if n.strip()]:
            if name not in carried:
                carried[name] = _carried(values, name)
            ratio = _with_per(rows, carried[name])
            got = got.fillna(ratio.where(rows["subject"] != name))
        x.loc[rows.index] = got
    return x


def peers(values: pd.DataFrame, groups: pd.Series, thresholds: Thresholds,
          areas: set[str] | None = None) -> pd.DataFrame:
    """Robust z-score and scale against the area's peers, per (peer group, subject, year) cell.

    ``groups``: area_code → peer-group key (one key: a city and its peers; national: municipal
    type). Inputs are compared per unit of ``per`` (counts per resident), on log10 when ``log`` and
    the cell has a positive value. ``scale``: the ratio to the peers' median within
    10^±``scale_tolerance`` of ``scale_factor`` or its inverse (a unit mix-up) — reported instead of
    the z-score finding. ``areas``: report only these areas (all are still peers)."""
    rows = []
    vals = values[values["area_code"].isin(groups.index)].copy()
    vals["group"] = vals["area_code"].map(groups)
    judged = _judged(vals, thresholds, lambda th: bool(th.z_threshold or th.scale_factor))
    per_of = {sk: th.per for sk, th in judged.items() if sk[1] == "input" and th.per}
    x_all = _per_values(values, vals, per_of)
    # every (subject, kind) at once: the statistics per (subject, kind, peer group, year) by groupby
    pair = pd.MultiIndex.from_frame(vals[["subject", "kind"]])
    vals = vals[pair.isin(list(judged))]
    pair = pd.MultiIndex.from_frame(vals[["subject", "kind"]])
    per_row = pair.isin(list(per_of))
    vals = vals.assign(x=np.where(per_row, x_all.reindex(vals.index).to_numpy(), vals["value"].to_numpy()))
    vals = vals[np.isfinite(vals["x"].to_numpy(dtype=float))]
    keys = ["subject", "kind"]
    wants_log = pd.MultiIndex.from_frame(vals[keys]).map(lambda sk: bool(judged[sk].log)).to_numpy(dtype=bool)
    positive = vals["x"].to_numpy(dtype=float) > 0
    vals = vals.assign(_log=wants_log, _pos=positive)
    use_log_cell = (vals["_log"] & vals.groupby([*keys, "group", "year"], sort=False)["_pos"].transform("any")
                    ).to_numpy(dtype=bool)
    keep = ~use_log_cell | positive
    vals, use_log_row = vals[keep], use_log_cell[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        vals = vals.assign(t=np.where(use_log_row, np.log10(vals["x"].to_numpy(dtype=float)), vals["x"]))
    cells = vals.groupby([*keys, "group", "year"], sort=False)["t"]
    vals = vals.assign(med=cells.transform("median"), n=cells.transform("count"))
    vals = vals.assign(dev=(vals["t"] - vals["med"]).abs())
    vals = vals.assign(mad=vals.groupby([*keys, "group", "year"], sort=False)["dev"].transform("median"))
    # each row's thresholds, then every rule at once; only the findings are built one by one
    ths = [judged[sk] for sk in zip(vals["subject"], vals["kind"], strict=True)]
    med, n, sig = (vals[c].to_numpy(dtype=float) for c in ("med", "n", "mad"))
    t = vals["t"].to_numpy(dtype=float)
    floor = np.where(use_log_row, np.log10(1 + MIN_SPREAD), MIN_SPREAD * np.abs(med))
    sig = np.maximum(sig * MAD_SCALE, floor)
    enough = n >= np.array([th.min_peers or 5 for th in ths], dtype=float)
    target = vals["area_code"].isin(areas).to_numpy() if areas is not None else np.ones(len(vals), bool)
    scale_factor = np.array([th.scale_factor or np.nan for th in ths], dtype=float)
    z_threshold = np.array([th.z_threshold or np.inf for th in ths], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (t - med) / sig
        ratio_t = np.where(use_log_row, t - med, np.log10(t / med))
        tol = np.array([th.scale_tolerance or 0.5 for th in ths], dtype=float)
        scale_hit = enough & target & (np.abs(np.abs(ratio_t) - np.log10(scale_factor)) <= tol)
        factor = vals["value"].to_numpy(dtype=float) / vals["x"].to_numpy(dtype=float)  # back to the published unit
    z_hit = enough & target & ~scale_hit & (sig > 0) & (np.abs(z) > z_threshold)
    for j in np.flatnonzero(scale_hit | z_hit):
        r = vals.iloc[j]
        subject, kind = r["subject"], r["kind"]
        th = judged[subject, kind]
        per = th.per if kind == "input" else ""
        back = partial(_back, use_log=bool(use_log_row[j]), factor=factor[j])
        base = {"area_code": r["area_code"], "year": int(r["year"]), "subject": subject, "kind": kind,
                "value": float(r["value"]), "source": r["source"]}
        per_txt = f"；{'（なければ'.join(per.replace(' ', '').split(','))}{'）' * per.count(',')} あたりで比較" if per else ""
        if scale_hit[j]:
            times = 10 ** ratio_t[j]
            rows.append({**base, "rule": "scale", "expected_low": back(med[j] - (th.z_threshold or 3) * sig[j]),
                         "expected_high": back(med[j] + (th.z_threshold or 3) * sig[j]),
                         "reason": f"比較団体の中央値の約 {format_number(times) if times >= 1 else '1/' + format_number(1 / times)} 倍"
                                   f"{per_txt}：人と千人、円と千円などの単位の取り違えの疑い"})
        else:
            lo, hi = med[j] - th.z_threshold * sig[j], med[j] + th.z_threshold * sig[j]
            rows.append({**base, "rule": "peer", "expected_low": back(lo), "expected_high": back(hi),
                         "reason": f"比較団体（{int(n[j])} 団体）の中央値 {format_number(back(med[j]))} から頑健 z = "
                                   f"{'+' if z[j] >= 0 else ''}{format_number(z[j], decimals=SCORE_DECIMALS)}"
                                   f"（閾値 ±{format_number(th.z_threshold)}、中央値と MAD による）{per_txt}"})
    return _frame(rows)


# ------------------------------------------------------------------ revisions
def revisions(log: pd.DataFrame | None, current: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """Published figures that changed since the last ingest of the same source and year.

    ``log`` (the store's revisions log): ``area_code, year, variable, source, old_value, new_value,
    detected_at``. A revision is a finding while the panel still holds the revised value."""
    if log is None or log.empty:
        return empty_findings()
    last = log.sort_values("detected_at").drop_duplicates(["area_code", "year", "variable", "source"], keep="last")
    cur = current.set_index(["area_code", "year", "subject"])["value"]
    rows = []
    for r in last.itertuples(index=False):
        th = thresholds(r.variable, "input")
        tol = th.revision_tolerance if th.revision_tolerance is not None else 0.0
        old, new = float(r.old_value), float(r.new_value)
        if abs(new - old) <= tol * max(abs(old), abs(new)):
            continue
        now = cur.get((str(r.area_code), int(r.year), r.variable))
        if now is None or not np.isclose(float(now), new):
            continue
        rows.append({"area_code": str(r.area_code), "year": int(r.year), "subject": r.variable, "kind": "input",
                     "rule": "revision", "value": new, "expected_low": old, "expected_high": old,
                     "reason": f"前回の取り込みでは {format_number(old)}、{str(r.detected_at)[:10]} の取り込みで {format_number(new)} "
                               f"に変わった（公表値の改訂）", "source": r.source})
    return _frame(rows)


# ------------------------------------------------------------------ numerator vs denominator
def input_years(provenance: str) -> dict[str, int]:
    """``crimes_recognised@2024; population_census@2020`` → {input: year}."""
    return {m[1]: int(m[2]) for m in _PROV.finditer(str(provenance or ""))}


def lag(values: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """Tier-3 values whose newest input is more than ``max_lag_years`` newer than the oldest."""
    rows = []
    for r in values[values["kind"] == "indicator"].itertuples(index=False):
        th = thresholds(r.subject, "indicator")
        years = input_years(r.source)
        if th.max_lag_years is None or len(years) < 2:
            continue
        new, old = max(years.items(), key=lambda kv: kv[1]), min(years.items(), key=lambda kv: kv[1])
        if new[1] - old[1] > th.max_lag_years:
            rows.append({"area_code": r.area_code, "year": int(r.year), "subject": r.subject, "kind": "indicator",
                         "rule": "lag", "value": r.value, "expected_low": np.nan, "expected_high": np.nan,
                         "reason": f"{new[0]}（{new[1]}年）が {old[0]}（{old[1]}年）より {new[1] - old[1]} 年新しい"
                                   f"（許容 {th.max_lag_years} 年）", "source": r.source})
    return _frame(rows)
