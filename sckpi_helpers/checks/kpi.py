"""KPI tracking: actual, baseline, target, progress and status per indicator and period.

:func:`track` joins a logic model with the city's local data (outputs, tiers 1–2, foundation) and,
for catalog tier-3 indicators, with the engine's results (government statistics, fiscal years).
For every indicator it lists **every period of the indicator's cadence** from the start of the plan
up to the reporting period — a quarterly indicator gets one row per fiscal quarter, and a quarter
with no value is ``no_data`` for that quarter (values are never carried forward).

Rules, per row (indicator × period, ``E`` = last day of the period):

- ``target`` is the *next milestone*: the first target dated on or after ``E`` (the last target
  once all dates have passed); ``target_period`` is its label.
- ``progress = (actual − baseline) / (target − baseline)``. The same formula serves
  lower-is-better indicators: both differences change sign (baseline 10, target 6, actual 8 →
  (8 − 10) / (6 − 10) = 0.5).
- ``expected_progress`` is where a straight line from the baseline (at its date) to the milestone
  (at its date) stands at ``E``, clipped to 0–1; ``expected`` is that line's value.
- ``status``: ``no_data`` without an actual value; ``achieved`` when progress ≥ 1 (the milestone is
  reached); ``on_track`` when progress ≥ expected_progress − tolerance; otherwise ``behind``.
  When a target equals its baseline ("hold the level") the status is achieved if the actual is on
  the right side of it, behind otherwise.
- ``trend``: least-squares slope over the last ``trend_window`` values (at least 3) up to the period, relative
  to their mean level; below ``flat_threshold`` per period it is ``flat``, otherwise ``improving``
  or ``worsening`` by the indicator's direction (neutral indicators take the direction from
  baseline → target; without one the trend is left empty).

- ``progress_class``: progress in words for the page (:func:`progress_class`, docs/PROGRESS.md):
  achieved 達成, on_track 順調, accelerate 要加速, stalled 停滞, worsening 悪化, no_data. Pages print
  the word, never a percentage below 0 or above 100; the number stays in ``progress`` (and the CSV).

``as_needed`` (適宜) and ``every_N_years`` indicators get rows only for the periods that have values;
when they have none at all, one ``no_data`` row for the reporting period.

Stage 7 (checks): imports stages 0–6 (… store, city, indicators); never IPython.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.config.periods import (
    CADENCE_KIND,
    Period,
    fiscal_year,
    parse_period,
    period_for,
    period_range,
)
from sckpi_helpers.config.vocabulary import STATUS_JA
from sckpi_helpers.sources.logic_model import SPARSE_YEARS, IndicatorSpec, LogicModel, Milestone

#: the columns of :func:`track` (and :func:`latest_status`, which adds a few)
TRACK_COLUMNS = [
    "measure_id", "box_id", "tier", "indicator_id", "name_ja", "name_en", "unit", "direction", "cadence",
    "period", "period_start", "period_end", "actual", "baseline", "baseline_period", "target",
    "target_period", "expected", "progress", "expected_progress", "status", "status_ja", "trend",
    "data_source", "source", "note", "progress_class",
]
STATUS_ORDER = ["achieved", "on_track", "behind", "no_data"]

LOCAL_COLUMNS = ["area_code", "indicator_id", "period", "value", "unit", "source", "note"]
ENGINE_COLUMNS = ["area_code", "year", "indicator_id", "value", "unit", "status", "reason", "provenance"]


def _days(a: dt.date, b: dt.date) -> int:
    return (b - a).days


def next_milestone(spec: IndicatorSpec, when: dt.date) -> Milestone:
    """The first target dated on or after ``when``; the last target when all have passed."""
    ts = spec.sorted_targets()
    for t in ts:
        if t.when >= when:
            return t
    return ts[-1]


def effective_direction(spec: IndicatorSpec) -> str | None:
    """``higher``/``lower``; for neutral indicators the side the target lies on (None if equal)."""
    if spec.direction in ("higher", "lower"):
        return spec.direction
    t = spec.final_target.value
    b = spec.baseline.value
    if t > b:
        return "higher"
    if t < b:
        return "lower"
    return None


def judge(actual: float, spec: IndicatorSpec, when: dt.date, tolerance: float = 0.0) -> dict[str, Any]:
    """Progress and status of one value dated ``when`` (the period's last day) against ``spec``."""
    t = next_milestone(spec, when)
    b = spec.baseline
    span = _days(b.when, t.when)
    exp_p = 1.0 if span <= 0 else min(1.0, max(0.0, _days(b.when, when) / span))
    out: dict[str, Any] = {
        "baseline": b.value, "baseline_period": b.label, "target": t.value, "target_period": t.label,
        "expected_progress": exp_p, "expected": b.value + exp_p * (t.value - b.value),
        "progress": math.nan,
    }
    if actual is None or (isinstance(actual, float) and math.isnan(actual)):
        out["status"] = "no_data"
        return out
    diff = t.value - b.value
    if diff == 0:
        d = effective_direction(spec)
        ok = (actual >= t.value) if d == "higher" else (actual <= t.value) if d == "lower" else \
            math.isclose(actual, t.value, rel_tol=1e-9, abs_tol=1e-12)
        out["status"] = "achieved" if ok else "behind"
        out["progress"] = 1.0 if ok else 0.0
        return out
    prog = (actual - b.value) / diff
    out["progress"] = prog
    if prog >= 1.0 - 1e-12:
        out["status"] = "achieved"
    elif prog >= exp_p - tolerance - 1e-12:
        out["status"] = "on_track"
    else:
        out["status"] = "behind"
    return out


def _trend(values: list[float], positions: list[int], direction: str | None, flat_threshold: float) -> str | None:
    if direction is None or len(values) < 3:
        return None
    x = np.asarray(positions, dtype=float)
    y = np.asarray(values, dtype=float)
    if np.ptp(x) == 0:
        return None
    slope = float(np.polyfit(x, y, 1)[0])
    level = float(np.mean(np.abs(y)))
    rel = slope / level if level > 0 else (0.0 if slope == 0 else math.copysign(math.inf, slope))
    if abs(rel) < flat_threshold:
        return "flat"
    better = rel > 0 if direction == "higher" else rel < 0
    return "better" if better else "worse"


def _obs_frame(model: LogicModel, local: pd.DataFrame | None,
               indicators: pd.DataFrame | None) -> pd.DataFrame:
    """Observations of the model's city: indicator_id, period (label), kind, value, unit, source, note."""
    frames = []
    code = model.city.code
    if local is not None and len(local):
        lf = local.copy()
        for c in LOCAL_COLUMNS:
            if c not in lf.columns:
                lf[c] = None
        if lf["area_code"].notna().any():
            lf = lf[lf["area_code"].astype(str).str.strip() == code]
        lf = lf.assign(origin="local")
        frames.append(lf[["indicator_id", "period", "value", "unit", "source", "note", "origin"]])
    if indicators is not None and len(indicators):
        ef = indicators.copy()
        for c in ENGINE_COLUMNS:
            if c not in ef.columns:
                ef[c] = None
        ef = ef[ef["area_code"].astype(str).str.strip() == code]
        ef = ef.assign(
            period=ef["year"].astype(int).astype(str),
            source=["政府統計 (sckpi engine" + (f": {p}" if isinstance(p, str) and p else "") + ")"
                    for p in ef["provenance"]],
            note=[(f"{s}: {r}" if isinstance(r, str) and r else s) if s in ("estimated", "missing") else None
                  for s, r in zip(ef["status"], ef["reason"], strict=True)],
            origin="engine",
        )
        frames.append(ef[["indicator_id", "period", "value", "unit", "source", "note", "origin"]])
    if not frames:
        return pd.DataFrame(columns=["indicator_id", "period", "value", "unit", "source", "note", "origin",
                                     "kind", "pobj"])
    obs = pd.concat(frames, ignore_index=True)
    obs["indicator_id"] = obs["indicator_id"].astype(str).str.strip()
    obs["value"] = pd.to_numeric(obs["value"], errors="coerce")
    pobjs = [parse_period(p) for p in obs["period"].astype(str)]
    obs["pobj"] = pobjs
    obs["period"] = [p.label for p in pobjs]
    obs["kind"] = [p.kind for p in pobjs]
    # engine first, local fills the gaps (and a value beats a missing one)
    obs["_rank"] = np.where(obs["value"].notna(), 0, 1) * 2 + np.where(obs["origin"] == "engine", 0, 1)
    obs = obs.sort_values("_rank", kind="stable").drop_duplicates(["indicator_id", "period"]).drop(columns="_rank")
    return obs


def _infer_period(obs: pd.DataFrame, model: LogicModel) -> Period:
    if len(obs) and obs["value"].notna().any():
        return fiscal_year(max(p.fiscal_year for p in obs.loc[obs["value"].notna(), "pobj"]))
    return fiscal_year(model.plan.end)


def cadence_kind(cadence: str | None) -> str | None:
    """The period kind an indicator of ``cadence`` is reported in (None: any, as_needed)."""
    if cadence in SPARSE_YEARS:
        return "year"
    return CADENCE_KIND.get(cadence)


def _due_periods(cadence: str, start: dt.date, report: Period, have: list[Period]) -> list[Period]:
    kind = cadence_kind(cadence)
    if kind is None or cadence in SPARSE_YEARS:
        got = sorted({p for p in have if p.end >= start and p.end <= report.end
                      and (kind is None or p.kind == kind)})
        return got or [report]
    first = period_for(start, kind)
    last = period_for(report.end, kind)
    if last.end > report.end:
        last = last.previous()
    if last < first:
        return []
    return period_range(first, last)


#: within this share of the way from baseline to target (either side of the baseline) a value has
#: not moved: 停滞; further on the wrong side: 悪化
STALL_BAND = 0.05
PROGRESS_CLASSES = ("achieved", "on_track", "accelerate", "stalled", "worsening", "no_data")


def progress_class(status: str, progress: float, baseline: float | None = None,
                   target: float | None = None) -> str:
    """Progress in words, like Open SDG's progress measure but against the logic model's own line.

    ``achieved`` (達成) the milestone is reached; ``on_track`` (順調) at or beyond the straight line
    from baseline to target (the ``status`` rule); otherwise by how far the value moved:
    more than :data:`STALL_BAND` of the way toward the target → ``accelerate`` (要加速, right
    direction, too slow); within ±STALL_BAND of the baseline → ``stalled`` (停滞); further away from
    the target than the baseline → ``worsening`` (悪化). A "hold the level" target (target =
    baseline) missed is ``worsening``.
    """
    if status in ("no_data", None) or progress is None or (isinstance(progress, float) and math.isnan(progress)):
        return "no_data"
    if status in ("achieved", "on_track"):
        return status
    if baseline is not None and target is not None and baseline == target:
        return "worsening"
    if progress > STALL_BAND:
        return "accelerate"
    if progress >= -STALL_BAND:
        return "stalled"
    return "worsening"


def track(model: LogicModel, catalog: Any, local: pd.DataFrame | None,
          indicators: pd.DataFrame | None = None, period: str | Period | None = None, *,
          tolerance: float = 0.0, trend_window: int = 4, flat_threshold: float = 0.01) -> pd.DataFrame:
    """KPI tracking table of ``model``: one row per (measure, box, indicator, period).

    ``local`` — local data (``area_code, indicator_id, period, value, unit, source, note``);
    ``indicators`` — engine results (``area_code, year, indicator_id, value, unit, status, reason,
    provenance``), used for any indicator whose values it holds (catalog tier-3);
    ``period`` — the reporting period (label or :class:`Period`); None → the latest fiscal year with
    any value. Rows cover the plan's start up to the reporting period. Columns: :data:`TRACK_COLUMNS`.
    """
    del catalog  # catalog indicators were resolved by load_logic_model; kept for the contract
    obs = _obs_frame(model, local, indicators)
    report = parse_period(period) if period is not None else _infer_period(obs, model)
    by_ind = {k: g for k, g in obs.groupby("indicator_id", sort=False)} if len(obs) else {}
    start = model.plan.start_date
    rows: list[dict[str, Any]] = []
    for m, b, spec in model.iter_indicators():
        kind = cadence_kind(spec.cadence)
        g = by_ind.get(spec.id)
        have: dict[str, Any] = {}
        other_kinds: set[str] = set()
        if g is not None:
            for r in g.itertuples(index=False):
                if kind is not None and r.kind != kind:
                    other_kinds.add(r.kind)
                    continue
                have[r.period] = r
        periods = _due_periods(spec.cadence, start, report, [h.pobj for h in have.values()])
        direction = effective_direction(spec)
        hist_vals: list[float] = []
        hist_pos: list[int] = []
        for pos, p in enumerate(periods):
            r = have.get(p.label)
            actual = float(r.value) if r is not None and pd.notna(r.value) else math.nan
            j = judge(actual, spec, p.end, tolerance)
            notes = []
            if r is not None and isinstance(r.note, str) and r.note:
                notes.append(r.note)
            if r is not None and isinstance(r.unit, str) and r.unit and spec.unit and r.unit != spec.unit:
                notes.append(f"data unit '{r.unit}' differs from the indicator's '{spec.unit}'")
            if r is None and other_kinds:
                notes.append(f"values exist only as {', '.join(sorted(other_kinds))} periods, but the "
                             f"cadence is {spec.cadence}")
            if not math.isnan(actual):
                hist_vals.append(actual)
                hist_pos.append(pos)
            trend = None
            if not math.isnan(actual):
                trend = _trend(hist_vals[-trend_window:], hist_pos[-trend_window:], direction, flat_threshold)
            rows.append({
                "measure_id": m.id, "box_id": b.id, "tier": b.tier, "indicator_id": spec.id,
                "name_ja": spec.name_ja, "name_en": spec.name_en, "unit": spec.unit,
                "direction": spec.direction, "cadence": spec.cadence,
                "period": p.label, "period_start": p.start, "period_end": p.end, "actual": actual,
                **{k: j[k] for k in ("baseline", "baseline_period", "target", "target_period", "expected",
                                     "progress", "expected_progress", "status")},
                "status_ja": STATUS_JA[j["status"]], "trend": trend,
                "data_source": spec.source,
                "source": r.source if r is not None and isinstance(r.source, str) else None,
                "note": "; ".join(notes) or None,
                "progress_class": progress_class(j["status"], j["progress"], j["baseline"], j["target"]),
            })
    out = pd.DataFrame(rows, columns=TRACK_COLUMNS)
    out.attrs["period"] = report.label
    return out


def latest_status(tracking: pd.DataFrame, period: str | Period | None = None) -> pd.DataFrame:
    """One row per (measure, box, indicator): its status for the reporting ``period``.

    The row is the indicator's latest period that ends within the reporting period (for a
    quarterly indicator in a fiscal-year report, Q4; a missing Q4 is ``no_data`` — nothing is carried
    forward). ``as_needed`` indicators take their latest value; ``every_N_years`` ones their latest
    value of the last N years. Adds ``reporting_period``, ``last_period_with_data``,
    ``last_actual`` to :data:`TRACK_COLUMNS`.
    """
    label = period if period is not None else tracking.attrs.get("period")
    report = parse_period(label) if label is not None else None
    cols = TRACK_COLUMNS + ["reporting_period", "last_period_with_data", "last_actual"]
    if tracking.empty:
        return pd.DataFrame(columns=cols)
    if report is None:
        report = parse_period(max(tracking["period"], key=lambda s: parse_period(s).end))
    rows = []
    for _, g in tracking.groupby(["measure_id", "box_id", "indicator_id"], sort=False):
        g = g[[e <= report.end for e in g["period_end"]]]
        if g.empty:
            continue
        g = g.sort_values("period_end", kind="stable")
        with_data = g[g["status"] != "no_data"]
        cad = g["cadence"].iloc[0]
        row = g.iloc[-1]
        if cad == "as_needed" and len(with_data):
            row = with_data.iloc[-1]
        row = row.copy()
        if cad in SPARSE_YEARS and row["status"] != "no_data" and \
                row["period_end"] < dt.date(report.end.year - SPARSE_YEARS[cad], report.end.month, 1):
            # older than one cadence: not a current value
            row["period"], row["actual"], row["status"] = report.label, math.nan, "no_data"
            row["status_ja"], row["progress"], row["trend"] = STATUS_JA["no_data"], math.nan, None
            row["progress_class"] = "no_data"
        row["reporting_period"] = report.label
        row["last_period_with_data"] = with_data["period"].iloc[-1] if len(with_data) else None
        row["last_actual"] = with_data["actual"].iloc[-1] if len(with_data) else math.nan
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols).reset_index(drop=True)
    out.attrs["period"] = report.label
    return out


def worst_status(statuses: list[str] | pd.Series) -> str | None:
    """A box's status: behind > no_data > on_track > achieved (None when there is nothing)."""
    ss = [s for s in statuses if isinstance(s, str)]
    for s in ("behind", "no_data", "on_track", "achieved"):
        if s in ss:
            return s
    return None


def box_status(tracking: pd.DataFrame, period: str | Period | None = None) -> dict[tuple[str, str], str]:
    """(measure_id, box_id) → the worst status of the box's indicators in the reporting period."""
    latest = latest_status(tracking, period)
    out = {}
    for (mid, bid), g in latest.groupby(["measure_id", "box_id"], sort=False):
        s = worst_status(g["status"])
        if s is not None:
            out[(mid, bid)] = s
    return out
