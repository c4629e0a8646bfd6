"""Valid value ranges of inputs and indicators, and one check that readers, the store and the
engine call (issue #10).

Why in the catalog: what a value may be is part of what the value *is* (a count is never
negative, a share of a whole never above 100 %), so it is declared with the input or indicator:
``range: [low, high]`` in the YAML (``null`` = unbounded), or derived from the unit:

- a change (unit with ``pt``, ``前年比`` or ``前回``) — unbounded, it may be negative;
- ``%`` — 0 to 100 (a ratio that may exceed 100, such as 昼夜間人口比率, overrides it);
- ``…（a～b）`` — a to b (``係数（0～1）``);
- every other unit (counts, amounts, areas, per-capita rates, years, minutes) — 0 or more.

Stage 2: imports the catalog's own modules, numpy and pandas.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

Range = tuple[float | None, float | None]

_CHANGE = re.compile(r"pt|前年比|前回")
_BOUNDS = re.compile(r"[(（]\s*(-?\d+(?:\.\d+)?)\s*[~～〜]\s*(-?\d+(?:\.\d+)?)\s*[)）]")
#: columns added by :func:`check`
VIOLATION_COLUMNS = ["low", "high", "rule"]


def default_range(unit: Any) -> Range:
    """The valid range a unit implies (see the module docstring)."""
    u = unicodedata.normalize("NFKC", str(unit or "")).strip()
    if _CHANGE.search(u):
        return (None, None)
    if u == "%":
        return (0.0, 100.0)
    if m := _BOUNDS.search(u):
        return (float(m[1]), float(m[2]))
    return (0.0, None)


def range_of(entry: Any) -> Range:
    """The declared range of an input or indicator, else the one its unit implies."""
    declared = getattr(entry, "range", None)
    if declared is not None:
        lo, hi = declared
        return (None if lo is None else float(lo), None if hi is None else float(hi))
    return default_range(getattr(entry, "unit", ""))


def describe(rng: Range) -> str:
    """``[0, 100]``, ``[0, ∞)`` … for reasons and reports."""
    lo, hi = rng
    left = "(-∞" if lo is None else f"[{lo:g}"
    right = "∞)" if hi is None else f"{hi:g}]"
    return f"{left}, {right}"


def ranges(catalog: Any, kind: str = "inputs") -> dict[str, Range]:
    """id → valid range of every input (``kind='inputs'``) or indicator (``'indicators'``)."""
    return {k: range_of(v) for k, v in (getattr(catalog, kind, None) or {}).items()}


def out_of_range(values: np.ndarray, rng: Range) -> np.ndarray:
    """Boolean mask of the values outside ``rng`` (NaN is never out of range)."""
    lo, hi = rng
    v = np.asarray(values, dtype=float)
    bad = np.zeros(v.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        if lo is not None:
            bad |= v < lo
        if hi is not None:
            bad |= v > hi
    return bad


def check(frame: pd.DataFrame, catalog: Any, id_column: str | None = None,
          value_column: str = "value") -> pd.DataFrame:
    """The rows of ``frame`` whose value is outside the valid range of their input/indicator.

    ``frame``: long rows with an id column — ``variable`` (panel, tidy input rows: input ranges)
    or ``indicator_id`` (engine results: indicator ranges); ``id_column`` picks one explicitly.
    Ids the catalog does not know are not checked. Returns the offending rows (original index)
    with ``low``, ``high`` (NaN = unbounded) and ``rule`` (``[0, 100]`` …); empty when all are valid.
    """
    if id_column is None:
        id_column = "indicator_id" if "indicator_id" in frame.columns else "variable"
    kind = "indicators" if id_column == "indicator_id" else "inputs"
    table = ranges(catalog, kind)
    ids = frame[id_column].astype(str)
    codes, uniq = pd.factorize(ids)
    lo = np.array([_num(table.get(u, (None, None))[0]) for u in uniq] + [np.nan])
    hi = np.array([_num(table.get(u, (None, None))[1]) for u in uniq] + [np.nan])
    rule = np.array([describe(table[u]) if u in table else "" for u in uniq] + [""], dtype=object)
    v = pd.to_numeric(frame[value_column], errors="coerce").to_numpy(dtype=float)
    low, high = lo[codes], hi[codes]
    with np.errstate(invalid="ignore"):
        bad = (~np.isnan(low) & (v < low)) | (~np.isnan(high) & (v > high))
    out = frame[bad].copy()
    out["low"], out["high"], out["rule"] = low[bad], high[bad], rule[codes][bad]
    return out


def _num(x: float | None) -> float:
    return np.nan if x is None else float(x)
