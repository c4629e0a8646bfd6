"""Tier-3 composite indicators (Check❹) for every area and year, vectorised, with provenance.

One :class:`~sckpi_helpers.formula.FormulaEnv` is built over the whole ``(area_code, year)`` grid
and every formula is evaluated once over it — no per-area Python loop. The steps:

1. pivot the long panel into a complete grid (one column per input the formulas read);
2. apply each input's fill rule from the catalog (``carry_forward`` / ``interpolate`` up to
   ``max_fill_years``; ``none`` leaves gaps alone), remembering the year each value really comes
   from, so results built on filled inputs are flagged ``estimated`` with a reason
   (``population_census carried forward from 2020``);
3. ``adjusted_population`` (補正人口) is a pseudo-input: the chosen definition's formula from the
   catalog is substituted into every formula that names it, so its inputs' reasons (missing,
   annotated, zero) and years flow into the result's reason and provenance like any other input;
4. evaluate each indicator's formula (formulas come from the catalog only) and turn the
   evaluator's per-row reasons and source years into ``status``, ``reason`` and ``provenance``.

Reason and provenance strings are built per *distinct* combination of source years (a few dozen
per indicator), then spread to the rows with one ``take`` — never one Python string per row.

Input values outside their valid range (``catalog.ranges``) are treated as missing with a reason
(``input x marked 'out of range [0, 100]' for 2020``), never used as numbers.

Result columns (``indicators.parquet``): ``area_code, year, indicator_id, value, unit, status
(ok|estimated|missing), reason, provenance``. Which indicators a city can have and why not
(coverage) is :mod:`.coverage`. Stage 6: imports the catalog (2) and errors (0).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.catalog.formula import FormulaEnv, FormulaError, evaluate, parse, referenced_names
from sckpi_helpers.catalog.ranges import describe, out_of_range, range_of
from sckpi_helpers.errors import SckpiError

ADJUSTED = "adjusted_population"
TIER3 = "outcome3"
#: the mark of an input value outside its valid range (the reason reads "input x marked 'out of range [0, 100]'")
OUT_OF_RANGE = "out of range"
RESULT_COLUMNS = ["area_code", "year", "indicator_id", "value", "unit", "status", "reason", "provenance"]


# Source years are floats; the fractional part marks how a filled cell was obtained, so the mark
# survives the evaluator's lag()/prev_obs() shifts (they move the numbers, not their meaning):
#   2019.0                 observed in 2019
#   2015.25                carried forward from 2015
#   2015.5 + gap / 1000    interpolated between 2015 and 2015 + gap
_CARRIED = 0.25
_INTERP = 0.5


# ------------------------------------------------------------------------------------- catalog access
def _attr(obj: Any, name: str, default: Any = None) -> Any:
    return getattr(obj, name, default) if not isinstance(obj, dict) else obj.get(name, default)


def tier3_indicators(catalog: Any, *, with_formula: bool = False) -> list[Any]:
    """The catalog's outcome-tier-3 indicators in catalog order (optionally only those with a formula)."""
    out = [ind for ind in catalog.indicators.values() if _attr(ind, "tier") == TIER3]
    if with_formula:
        out = [ind for ind in out if _attr(ind, "formula")]
    return out


def adjusted_population_formula(catalog: Any, definition: str | None = None) -> str:
    """The 補正人口 formula for ``definition`` (catalog default when None); SckpiError if unknown."""
    try:
        f = catalog.adjusted_population_formula(definition)
    except SckpiError:
        raise
    except (KeyError, ValueError, LookupError) as exc:
        raise SckpiError(f"unknown 補正人口 (adjusted_population) definition '{definition}': {exc}") from None
    if not f:
        raise SckpiError(f"unknown 補正人口 (adjusted_population) definition '{definition}'")
    return str(f)


class _Substitute(ast.NodeTransformer):
    def __init__(self, name: str, body: ast.AST) -> None:
        self.name, self.body = name, body

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.body if node.id == self.name else node


def expand_formula(formula: str, adjusted_formula: str | None) -> str:
    """``formula`` with ``adjusted_population`` replaced by the chosen definition's formula."""
    if adjusted_formula is None or ADJUSTED not in referenced_names(formula):
        return formula
    # parse() is cached: transform copies, never the shared trees
    body = copy.deepcopy(parse(adjusted_formula).body)
    tree = _Substitute(ADJUSTED, body).visit(copy.deepcopy(parse(formula)))
    return ast.unparse(tree)


# ----------------------------------------------------------------------------------------- the grid
def _fill_spec(catalog: Any, name: str) -> tuple[str, int | None]:
    var = (getattr(catalog, "inputs", None) or {}).get(name)
    if var is None:
        return "none", None
    fill = str(_attr(var, "fill", "none") or "none")
    mx = _attr(var, "max_fill_years")
    return fill, (int(mx) if mx is not None else None)


def build_env(panel: pd.DataFrame, catalog: Any = None, variables: Iterable[str] | None = None,
              *, fill: bool = True) -> FormulaEnv:
    """The complete ``(area_code, year)`` grid of ``variables`` (all panel variables if None).

    Every area in the panel gets every year from the panel's first to its last. Variables the
    panel lacks become all-missing columns (so formulas report "input … missing" instead of
    failing). With ``fill`` and a catalog, each input's fill rule is applied and the source years
    are recorded in ``env.source_years`` (see the module docstring for the encoding).
    """
    for col in ("area_code", "year", "variable", "value"):
        if col not in panel.columns:
            raise SckpiError(f"panel has no '{col}' column (columns: {', '.join(map(str, panel.columns))})")
    if panel.empty:
        raise SckpiError("panel is empty: run 'sckpi ingest --city CODE' first (a city without settings: "
                         "'sckpi ingest --source ssdse --city CODE')")
    names = sorted(set(variables) if variables is not None else set(panel["variable"].astype(str).unique()))
    a_codes, a_uniq = pd.factorize(panel["area_code"])
    a_uniq = np.asarray(a_uniq, dtype=object).astype(str).astype(object)
    order = np.argsort(a_uniq, kind="stable")
    areas = a_uniq[order]
    a_rank = np.empty(len(order), dtype=np.int64)
    a_rank[order] = np.arange(len(order))
    years_all = panel["year"].to_numpy().astype(np.int64)
    y0, y1 = int(years_all.min()), int(years_all.max())
    ny, na, nv = y1 - y0 + 1, len(areas), len(names)
    n = na * ny

    v_codes, v_uniq = pd.factorize(panel["variable"])
    pos = {nm: j for j, nm in enumerate(names)}
    v_map = np.array([pos.get(str(u), -1) for u in v_uniq] + [-1], dtype=np.int64)
    var = v_map[v_codes]  # factorize's −1 (missing variable) maps to the trailing −1
    keep = var >= 0
    a_idx = a_rank[a_codes[keep]]
    row = a_idx * ny + (years_all[keep] - y0)
    vcode = var[keep]
    val = pd.to_numeric(panel["value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[keep]
    grid = np.full((n, nv), np.nan)
    # duplicates: the first row wins (assign in reverse so the earliest assignment lands last)
    grid[row[::-1], vcode[::-1]] = val[::-1]

    area_col = np.repeat(areas, ny)
    year_col = np.tile(np.arange(y0, y1 + 1, dtype=np.int64), na)
    index = pd.MultiIndex.from_arrays([area_col, year_col], names=["area_code", "year"])

    ann_df = None
    ann_mask: dict[str, np.ndarray] = {}
    ann_cols: dict[str, np.ndarray] = {}
    if "annotation" in panel.columns:
        ann = panel["annotation"].to_numpy(dtype=object)[keep]
        has = pd.notna(ann) & np.isnan(val)
        if has.any():
            h = np.flatnonzero(has)
            h = h[np.argsort(vcode[h], kind="stable")]
            bounds = np.flatnonzero(np.diff(vcode[h])) + 1
            for part in np.split(h, bounds):
                j = int(vcode[part[0]])
                col = np.full(n, None, dtype=object)
                col[row[part][::-1]] = ann[part][::-1].astype(str)
                col[~np.isnan(grid[:, j])] = None
                ann_cols[names[j]] = col
                ann_mask[names[j]] = pd.notna(col)
    if catalog is not None:
        _mask_out_of_range(grid, names, catalog, ann_cols, ann_mask)
    if ann_cols:
        ann_df = pd.DataFrame(ann_cols, index=index, dtype=object)

    src_cols: dict[str, np.ndarray] = {}
    if fill and catalog is not None:
        area_start = np.repeat(np.arange(na, dtype=np.int64) * ny, ny)
        area_end = area_start + ny - 1
        for j, name in enumerate(names):
            rule, mx = _fill_spec(catalog, name)
            if rule not in ("carry_forward", "interpolate"):
                continue
            filled, src = _fill_column(grid[:, j], ann_mask.get(name), year_col, area_start, area_end,
                                       rule, mx)
            if src is not None:
                grid[:, j] = filled
                src_cols[name] = src

    values = pd.DataFrame(grid, index=index, columns=names)
    src_df = pd.DataFrame(src_cols, index=index) if src_cols else None
    return FormulaEnv(values, ann_df, src_df)


def _mask_out_of_range(grid: np.ndarray, names: list[str], catalog: Any, ann_cols: dict[str, np.ndarray],
                       ann_mask: dict[str, np.ndarray]) -> None:
    """Values outside their input's valid range (catalog.ranges) become missing, marked
    ``out of range [lo, hi]`` so the reason says why; a marked cell is not filled over."""
    inputs = getattr(catalog, "inputs", None) or {}
    for j, name in enumerate(names):
        var = inputs.get(name)
        if var is None:
            continue
        rng = range_of(var)
        bad = out_of_range(grid[:, j], rng)
        if not bad.any():
            continue
        grid[bad, j] = np.nan
        col = ann_cols.get(name)
        if col is None:
            col = np.full(len(grid), None, dtype=object)
        col[bad] = f"{OUT_OF_RANGE} {describe(rng)}"
        ann_cols[name] = col
        ann_mask[name] = pd.notna(col)


def _fill_column(v: np.ndarray, annotated: np.ndarray | None, years: np.ndarray, area_start: np.ndarray,
                 area_end: np.ndarray, rule: str, max_years: int | None
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """Fill one grid column by its rule; return (values, encoded source years) or (v, None)."""
    n = len(v)
    obs = ~np.isnan(v)
    barrier = obs if annotated is None else (obs | annotated)  # a marked cell is not filled over
    target = ~barrier
    if not target.any() or not obs.any():
        return v, None
    pos = np.arange(n, dtype=np.int64)
    last = np.maximum.accumulate(np.where(barrier, pos, -1))
    has_last = (last >= area_start) & obs[np.maximum(last, 0)]
    dist = years - years[np.maximum(last, 0)]
    limit = max_years if max_years is not None else n
    out = v.copy()
    src = years.astype(float)
    ip = np.zeros(n, dtype=bool)
    if rule == "interpolate":
        nxt = np.minimum.accumulate(np.where(barrier, pos, n)[::-1])[::-1]
        nxt_c = np.minimum(nxt, n - 1)
        has_next = (nxt <= area_end) & obs[nxt_c]
        gap = years[nxt_c] - years[np.maximum(last, 0)]
        ip = target & has_last & has_next & (gap - 1 <= limit)
        if ip.any():
            lo, hi = v[last[ip]], v[nxt_c[ip]]
            out[ip] = lo + (hi - lo) * (dist[ip] / gap[ip])
            src[ip] = years[last[ip]] + _INTERP + gap[ip] / 1000.0
        # beyond the last observation (or across a gap too wide to interpolate): carry forward
        cf = target & has_last & ~ip & ~has_next & (dist <= limit)
    else:
        cf = target & has_last & (dist <= limit)
    if cf.any():
        out[cf] = v[last[cf]]
        src[cf] = years[last[cf]] + _CARRIED
    if not (cf.any() or ip.any()):
        return v, None
    return out, src


# --------------------------------------------------------------------------------- source bookkeeping
def _decode(s: float) -> tuple[str, int, int]:
    """(kind, year, second year) of an encoded source year; kind in observed|carried|interpolated."""
    y = int(np.floor(s))
    frac = s - y
    if frac < 0.1:
        return "observed", y, y
    if frac < 0.4:
        return "carried", y, y
    return "interpolated", y, y + round((frac - _INTERP) * 1000)


def _dedupe_sources(sources: Sequence[tuple[str, np.ndarray]]) -> list[tuple[str, np.ndarray]]:
    out: list[tuple[str, np.ndarray]] = []
    for name, arr in sources:
        if any(n == name and (a is arr or np.array_equal(a, arr, equal_nan=True)) for n, a in out):
            continue
        out.append((name, arr))
    return out


def _provenance(sources: Sequence[tuple[str, np.ndarray]], n: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Provenance per distinct combination of source years.

    Returns ``codes`` (per row, index into the tables), and per combination the provenance
    string, whether an input was filled (estimated), and the estimated-reason string (or None).
    """
    sources = _dedupe_sources(sources)
    if not sources:
        return (np.zeros(n, dtype=np.int64), np.array([""], dtype=object), np.zeros(1, dtype=bool),
                np.array([None], dtype=object))
    combined = np.zeros(n, dtype=np.int64)
    tables = []
    for _name, arr in sources:
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
        m = len(uniques) + 1
        combined = combined * m + (codes.astype(np.int64) + 1)
        tables.append((uniques, m))
    combo_codes, combos = pd.factorize(combined)
    k = len(combos)
    prov = np.empty(k, dtype=object)
    est = np.zeros(k, dtype=bool)
    est_reason = np.full(k, None, dtype=object)
    # decode each combination back into its per-source codes (mixed radix, last source fastest)
    digits = np.empty((k, len(sources)), dtype=np.int64)
    rest = np.asarray(combos, dtype=np.int64)
    for i in range(len(sources) - 1, -1, -1):
        m = tables[i][1]
        digits[:, i] = rest % m
        rest = rest // m
    for c in range(k):
        toks, why = [], []
        for i, (name, _arr) in enumerate(sources):
            d = digits[c, i]
            if d == 0:
                continue
            kind, ya, yb = _decode(float(tables[i][0][d - 1]))
            if kind == "observed":
                toks.append(f"{name}@{ya}")
            elif kind == "carried":
                toks.append(f"{name}@{ya}*")
                why.append(f"{name} carried forward from {ya}")
            else:
                toks.append(f"{name}@{ya}-{yb}*")
                why.append(f"{name} interpolated between {ya} and {yb}")
        prov[c] = "; ".join(toks)
        if why:
            est[c] = True
            est_reason[c] = "; ".join(dict.fromkeys(why))
    return combo_codes.astype(np.int64), prov, est, est_reason


def _stale_comparison(sources: Sequence[tuple[str, np.ndarray]]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Rows where a change (``x - lag(x)``, ``prev_obs``) would compare one carried-forward
    observation with itself: such a "change" is an artefact of the fill, not data → missing."""
    by_name: dict[str, list[np.ndarray]] = {}
    for name, arr in _dedupe_sources(sources):
        by_name.setdefault(name, []).append(arr)
    stale = None
    why = None
    for name, arrs in by_name.items():
        for i in range(len(arrs)):
            for j in range(i + 1, len(arrs)):
                a = arrs[i]
                with np.errstate(invalid="ignore"):
                    eq = (a == arrs[j]) & (np.abs(a - np.floor(a) - _CARRIED) < 0.01)
                if not eq.any():
                    continue
                if stale is None:
                    stale = np.zeros(len(a), dtype=bool)
                    why = np.full(len(a), None, dtype=object)
                new = eq & ~stale
                codes, uniq = pd.factorize(np.floor(a[new]).astype(np.int64))
                table = np.array([f"{name} carried forward from {y} on both sides of the comparison "
                                  "(no observed change)" for y in uniq], dtype=object)
                why[new] = table[codes]
                stale |= eq
    return stale, why


def _tidy_reasons(reason: np.ndarray, replace: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct texts) of the evaluator's reasons: None → a generic text; the expanded
    補正人口 formula → ``adjusted_population``. Done once per distinct reason."""
    codes, uniques = pd.factorize(reason, use_na_sentinel=True)
    fixed = np.empty(len(uniques) + 1, dtype=object)
    for i, u in enumerate(uniques):
        t = str(u)
        if replace and not replace.isidentifier():
            t = t.replace(f"zero denominator ({replace})", f"zero denominator ({ADJUSTED})")
        fixed[i] = t
    fixed[-1] = "not computable from the inputs"
    return np.where(codes < 0, len(uniques), codes).astype(np.int64), fixed


# ------------------------------------------------------------------------------------------ compute
def _select(catalog: Any, indicator_ids: Iterable[str] | None) -> list[Any]:
    tier3 = tier3_indicators(catalog, with_formula=True)
    if indicator_ids is None:
        return tier3
    wanted = list(dict.fromkeys(indicator_ids))
    unknown = [i for i in wanted if i not in catalog.indicators]
    if unknown:
        raise SckpiError(f"unknown indicator id(s): {', '.join(unknown)} (see 'sckpi catalog --tier outcome3')")
    by_id = {ind.id: ind for ind in tier3}
    return [by_id[i] for i in wanted if i in by_id]


def compute(panel: pd.DataFrame, catalog: Any, *, adjusted_population: str | None = None,
            indicator_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Every outcome-tier-3 indicator with a formula, for every area and year of ``panel``.

    ``adjusted_population``: 補正人口 definition id (catalog default when None).
    ``indicator_ids``: restrict to these (unknown ids → SckpiError; ids without a formula are
    skipped — :func:`coverage` says why). Returns the ``indicators.parquet`` columns, one row per
    (area_code, year, indicator_id); a value is never invented: missing inputs, marked cells and
    zero denominators give ``status='missing'`` with the evaluator's reason.
    """
    inds = _select(catalog, indicator_ids)
    if not inds:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "value" else
                                          "int64" if c == "year" else object) for c in RESULT_COLUMNS})
    uses_adj = any(ADJUSTED in referenced_names(ind.formula) for ind in inds)
    adj_formula = adjusted_population_formula(catalog, adjusted_population) if uses_adj else None
    adj_text = ast.unparse(parse(adj_formula).body) if adj_formula else None
    formulas = {}
    for ind in inds:
        try:
            formulas[ind.id] = expand_formula(ind.formula, adj_formula)
        except FormulaError as exc:
            raise SckpiError(f"indicator {ind.id}: {exc}") from None
    needed = set().union(*(referenced_names(f) for f in formulas.values()))
    env = build_env(panel, catalog, needed)
    n = len(env.values)

    values, status, reason, prov = [], [], [], []
    for ind in inds:
        v = evaluate(formulas[ind.id], env)
        val = v.value
        stale, stale_why = _stale_comparison(v.sources)
        if stale is not None:
            val = np.where(stale, np.nan, val)
            v.reason = np.where(stale, stale_why, v.reason)
        miss = np.isnan(val)
        p_codes, p_text, p_est, p_why = _provenance(v.sources, n)
        est = p_est[p_codes]
        st = np.where(miss, 2, np.where(est, 1, 0)).astype(np.int64)
        # reason codes: estimated rows point into the combination table, missing rows after it
        why_codes = np.where(est & ~miss, p_codes, -1)
        why_table = p_why
        if miss.any():
            m_codes, m_text = _tidy_reasons(v.reason[miss], adj_text)
            why_codes[miss] = m_codes + len(p_why)
            why_table = np.concatenate([p_why, m_text])
        values.append(val)
        status.append((_STATUS, st))
        reason.append((why_table, why_codes))
        prov.append((p_text, p_codes))

    k = len(inds)
    area_uniq, area_codes = pd.factorize(env._area, sort=False)[::-1]
    ids = np.array([ind.id for ind in inds], dtype=object)
    units = np.array([_attr(ind, "unit") for ind in inds], dtype=object)
    rep = np.repeat(np.arange(k), n)
    return pd.DataFrame({
        "area_code": _str_column([(area_uniq, area_codes)] * k),
        "year": np.tile(env._year, k),
        "indicator_id": _str_column([(ids, rep)]),
        "value": np.concatenate(values),
        "unit": _str_column([(units, rep)]),
        "status": _str_column(status),
        "reason": _str_column(reason),
        "provenance": _str_column(prov),
    })


_STATUS = np.array(["ok", "estimated", "missing"], dtype=object)


def _str_column(chunks: Sequence[tuple[np.ndarray, np.ndarray]]) -> pd.Series:
    """An object column of shared ``str`` objects from (distinct values, codes) chunks; −1 = None.

    Rows point at the few distinct strings (one ``take`` per chunk), so no per-row string is built
    or converted; Parquet stores the column as strings and reads it back as ``str``.
    """
    out = []
    for uniq, codes in chunks:
        table = np.empty(len(uniq) + 1, dtype=object)
        table[:-1] = [None if u is None else str(u) for u in uniq]
        table[-1] = None
        out.append(table[np.asarray(codes, dtype=np.int64)])  # code −1 picks the trailing None
    return pd.Series(np.concatenate(out), dtype=object)
