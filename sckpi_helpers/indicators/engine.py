"""Tier-3 composite indicators (Check❹) for every area and year, vectorised, with provenance.

One :class:`~sckpi_helpers.formula.FormulaEnv` is built over the whole ``(area_code, year)`` grid
and every formula is evaluated once over it — no per-area Python loop. The steps:

1. pivot the long panel into a complete grid (one column per input the formulas read);
2. apply each input's fill rule from the catalog (``carry_forward`` / ``interpolate`` up to
   ``max_fill_years``; ``none`` leaves gaps alone), remembering the year each value really comes
   from, so results built on filled inputs are flagged ``estimated`` with a reason
   (``population_census carried forward from 2020``);
   then, where an input still has no value, its declared ``substitutes`` in order (住民基本台帳人口
   ← 国勢調査人口), remembered too, so the result is flagged ``substitute`` (代替) with what was used;
3. ``adjusted_population`` (補正人口) is a pseudo-input: the chosen definition's formula from the
   catalog is substituted into every formula that names it, so its inputs' reasons (missing,
   annotated, zero) and years flow into the result's reason and provenance like any other input.
   With a fallback chain each definition is evaluated and, per indicator and year, the first one
   the comparison's city can compute serves every area alike (``adjusted_population`` column);
4. evaluate each indicator's formula (formulas come from the catalog only) and turn the
   evaluator's per-row reasons and source years into ``status``, ``reason``, ``provenance`` and
   ``flag``. A formula comparing years (``lag``/``prev_obs``) is missing wherever an input was
   carried forward or substituted: such a value never makes a change.

Reason and provenance strings are built per *distinct* combination of source years (a few dozen
per indicator), then spread to the rows with one ``take`` — never one Python string per row.

Input values outside their valid range (``catalog.ranges``) are treated as missing with a reason
(``input x marked 'out of range [0, 100]' for 2020``), never used as numbers.

Result columns (``indicators.parquet``): ``area_code, year, indicator_id, value, unit, status
(ok|estimated|missing), reason, provenance, adjusted_population, flag (estimated|substitute)``. Which indicators a city can have and why not
(coverage) is :mod:`.coverage`. Stage 6: imports the catalog (2) and errors (0).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
RESULT_COLUMNS = ["area_code", "year", "indicator_id", "value", "unit", "status", "reason", "provenance",
                  "adjusted_population", "flag"]
#: ``flag`` of a value that rests on a carried / interpolated input (推計) or on a substitute or a
#: fallen-back 補正人口 definition (代替); Japanese labels: ``config.vocabulary.FLAG_JA``
FLAGS = ("estimated", "substitute")


# Source years are floats; the fractional part marks how a filled cell was obtained, so the mark
# survives the evaluator's lag()/prev_obs() shifts (they move the numbers, not their meaning):
#   2019.0                 observed in 2019
#   2015.25                carried forward from 2015
#   2015.5 + gap / 1000    interpolated between 2015 and 2015 + gap
#   2020.7 + k / 100       the input's k-th substitute (catalog ``substitutes``), observed in 2020
#   2020.85 + k / 100      the k-th substitute, itself carried forward (or interpolated) from 2020
_CARRIED = 0.25
_INTERP = 0.5
_SUB_OBS = 0.7
_SUB_FILLED = 0.85


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


def _default_definition(catalog: Any) -> str | None:
    return _attr(getattr(catalog, "adjusted_population", None), "default") or getattr(catalog, "default_adjusted", None)


def adjusted_population_chain(catalog: Any, definition: str | Sequence[str] | None = None,
                              fallbacks: Sequence[str] | None = None) -> list[str | None]:
    """The 補正人口 definitions to try, in order, for one comparison.

    ``definition`` a list: that chain as given. A string: that definition, then ``fallbacks`` when
    given (a city's ``adjusted_population_fallbacks``; empty or None: none). None: the catalog's
    default chain, its ``default`` then its ``fallbacks`` (the rule for a city without settings).
    Unknown ids are an :class:`SckpiError`. ``None`` in the result stands for the catalog default
    of a stand-in catalog that does not name it.
    """
    if definition is None:
        ap = getattr(catalog, "adjusted_population", None)
        chain: list[str | None] = [_default_definition(catalog), *(list(_attr(ap, "fallbacks", None) or []))]
    elif isinstance(definition, str):
        chain = [definition, *(fallbacks or [])]
    else:
        chain = list(definition)
        if not chain:
            raise SckpiError("empty 補正人口 (adjusted_population) chain: name at least one definition")
    chain = list(dict.fromkeys(chain))
    for d in chain:
        adjusted_population_formula(catalog, d)  # unknown ids fail here, before any computing
    return chain


def settings_chain(catalog: Any, definition: str | None, fallbacks: Sequence[str] | None) -> list[str | None]:
    """The chain a city's settings state: its ``adjusted_population`` then its
    ``adjusted_population_fallbacks``, or — when it lists none — the catalog's ``fallbacks``."""
    ap = getattr(catalog, "adjusted_population", None)
    tail = list(fallbacks) if fallbacks else list(_attr(ap, "fallbacks", None) or [])
    return adjusted_population_chain(catalog, [definition or _default_definition(catalog), *tail])


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
    wanted = set(variables) if variables is not None else set(panel["variable"].astype(str).unique())
    names = sorted(wanted | {sub for n in wanted for sub in substitutes_of(catalog, n)})
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
        _apply_substitutes(grid, names, catalog, ann_mask, src_cols, year_col)

    values = pd.DataFrame(grid, index=index, columns=names)
    src_df = pd.DataFrame(src_cols, index=index) if src_cols else None
    return FormulaEnv(values, ann_df, src_df)


def substitutes_of(catalog: Any, name: str) -> list[str]:
    """The inputs that stand in for ``name`` where it has no value, in order (catalog ``substitutes``)."""
    var = (getattr(catalog, "inputs", None) or {}).get(name) if catalog is not None else None
    return [str(_attr(sub, "input")) for sub in (_attr(var, "substitutes", None) or [])] if var is not None else []


def _apply_substitutes(grid: np.ndarray, names: list[str], catalog: Any, ann_mask: dict[str, np.ndarray],
                       src_cols: dict[str, np.ndarray], year_col: np.ndarray) -> None:
    """Where an input has no value after its own fill window (and the publisher did not mark the
    cell), take its first substitute that has one; the source year records which (``_SUB_*``)."""
    pos = {n: j for j, n in enumerate(names)}
    for j, name in enumerate(names):
        subs = substitutes_of(catalog, name)
        need = np.isnan(grid[:, j])
        if name in ann_mask:
            need &= ~ann_mask[name]
        if not subs or not need.any():
            continue
        src = src_cols[name].copy() if name in src_cols else year_col.astype(float)
        changed = False
        for k, sub in enumerate(subs):
            s = pos.get(sub)
            if s is None:
                continue
            take = need & ~np.isnan(grid[:, s])
            if not take.any():
                continue
            base = src_cols[sub] if sub in src_cols else year_col.astype(float)
            filled = (base - np.floor(base)) >= 0.1
            grid[take, j] = grid[take, s]
            src[take] = np.floor(base[take]) + np.where(filled[take], _SUB_FILLED, _SUB_OBS) + k / 100
            need &= ~take
            changed = True
        if changed:
            src_cols[name] = src


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
    """(kind, year, second) of an encoded source year; kind in observed|carried|interpolated|
    substituted|substituted_filled (second: the later year of an interpolation, the substitute's
    index for a substitute)."""
    y = int(np.floor(s))
    frac = s - y
    if frac < 0.1:
        return "observed", y, y
    if frac < 0.4:
        return "carried", y, y
    if frac < 0.6:
        return "interpolated", y, y + round((frac - _INTERP) * 1000)
    if frac < 0.8:
        return "substituted", y, round((frac - _SUB_OBS) * 100)
    return "substituted_filled", y, round((frac - _SUB_FILLED) * 100)


def _sub_name(subs: dict[str, list[str]], name: str, k: int) -> str:
    lst = subs.get(name) or []
    return lst[k] if 0 <= k < len(lst) else "?"


def _dedupe_sources(sources: Sequence[tuple[str, np.ndarray]]) -> list[tuple[str, np.ndarray]]:
    out: list[tuple[str, np.ndarray]] = []
    for name, arr in sources:
        if any(n == name and (a is arr or np.array_equal(a, arr, equal_nan=True)) for n, a in out):
            continue
        out.append((name, arr))
    return out


def _provenance(sources: Sequence[tuple[str, np.ndarray]], n: int, subs: dict[str, list[str]] | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Provenance per distinct combination of source years.

    Returns ``codes`` (per row, index into the tables), and per combination the provenance
    string, whether an input was filled (estimated), the estimated-reason string (or None) and
    whether an input was substituted (代替).
    """
    subs = subs or {}
    sources = _dedupe_sources(sources)
    if not sources:
        return (np.zeros(n, dtype=np.int64), np.array([""], dtype=object), np.zeros(1, dtype=bool),
                np.array([None], dtype=object), np.zeros(1, dtype=bool))
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
    sub = np.zeros(k, dtype=bool)
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
            elif kind == "interpolated":
                toks.append(f"{name}@{ya}-{yb}*")
                why.append(f"{name} interpolated between {ya} and {yb}")
            else:
                other = _sub_name(subs, name, yb)
                filled = kind == "substituted_filled"
                toks.append(f"{name}<-{other}@{ya}" + ("*" if filled else ""))
                why.append(f"{name} substituted by {other}" + (f" carried forward from {ya}" if filled else f"@{ya}"))
                sub[c] = True
        prov[c] = "; ".join(toks)
        if why:
            est[c] = True
            est_reason[c] = "; ".join(dict.fromkeys(why))
    return combo_codes.astype(np.int64), prov, est, est_reason, sub


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


def _is_change(formula: str) -> bool:
    """Whether a formula compares years (``lag``/``prev_obs``): a change needs observed values."""
    return any(isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("lag", "prev_obs")
               for node in ast.walk(parse(formula)))


def _unobserved_in_change(sources: Sequence[tuple[str, np.ndarray]], subs: dict[str, list[str]]
                          ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Rows of a change formula where an input was carried forward or substituted: such a value
    never makes a change (人口増減率 from a carried population is missing, not 0 %)."""
    bad = None
    why = None
    for name, arr in _dedupe_sources(sources):
        with np.errstate(invalid="ignore"):
            frac = arr - np.floor(arr)
            hit = ((frac >= 0.1) & (frac < 0.4)) | (frac >= 0.6)
        if not hit.any():
            continue
        if bad is None:
            bad = np.zeros(len(arr), dtype=bool)
            why = np.full(len(arr), None, dtype=object)
        new = hit & ~bad
        codes, uniq = pd.factorize(arr[new])
        texts = []
        for u in uniq:
            kind, y, k = _decode(float(u))
            used = (f"carried forward from {y}" if kind == "carried"
                    else f"substituted by {_sub_name(subs, name, k)}@{y}")
            texts.append(f"{name} {used}: a change needs observed values on both sides")
        why[new] = np.array(texts, dtype=object)[codes]
        bad |= hit
    return bad, why


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


@dataclass
class _Result:
    """One indicator evaluated with one formula: values and per-row codes into small tables."""

    value: np.ndarray
    status: np.ndarray  # 0 ok, 1 estimated, 2 missing
    flag: np.ndarray  # 0 none, 1 estimated (推計), 2 substitute (代替)
    why: tuple[np.ndarray, np.ndarray]
    prov: tuple[np.ndarray, np.ndarray]


def _evaluate_one(formula: str, env: FormulaEnv, adj_text: str | None, subs: dict[str, list[str]]) -> _Result:
    n = len(env.values)
    v = evaluate(formula, env)
    val = v.value
    for rule in (_stale_comparison(v.sources), _unobserved_in_change(v.sources, subs) if _is_change(formula)
                 else (None, None)):
        bad, bad_why = rule
        if bad is not None:
            bad = bad & ~np.isnan(val)
            val = np.where(bad, np.nan, val)
            v.reason = np.where(bad, bad_why, v.reason)
    miss = np.isnan(val)
    p_codes, p_text, p_est, p_why, p_sub = _provenance(v.sources, n, subs)
    est = p_est[p_codes]
    st = np.where(miss, 2, np.where(est, 1, 0)).astype(np.int64)
    flag = np.where(miss, 0, np.where(p_sub[p_codes], 2, np.where(est, 1, 0))).astype(np.int64)
    # reason codes: estimated rows point into the combination table, missing rows after it
    why_codes = np.where(est & ~miss, p_codes, -1)
    why_table = p_why
    if miss.any():
        m_codes, m_text = _tidy_reasons(v.reason[miss], adj_text)
        why_codes[miss] = m_codes + len(p_why)
        why_table = np.concatenate([p_why, m_text])
    return _Result(val, st, flag, (why_table, why_codes), (p_text, p_codes))


def _pick_definitions(results: list[_Result], env: FormulaEnv, city: str | None) -> np.ndarray:
    """Per row, the index of the 補正人口 definition used: with ``city``, per year the first one the
    city can compute, for every area alike (0 when none); without, each row's first computable one."""
    ok = np.stack([r.status != 2 for r in results])
    first = np.where(ok.any(axis=0), ok.argmax(axis=0), 0)
    if city is None:
        return first
    mine = env._area == str(city)
    if not mine.any():
        return first
    by_year = dict(zip(env._year[mine].tolist(), first[mine].tolist(), strict=True))
    years = env._year
    return np.array([by_year.get(int(y), 0) for y in range(int(years.min()), int(years.max()) + 1)],
                    dtype=np.int64)[years - years.min()]


def _merge(results: list[_Result], pick: np.ndarray, chain: list[str | None], env: FormulaEnv,
           city: str | None) -> _Result:
    """One result from several definitions' results, row by row per ``pick``; a row that used a
    later definition than the first is flagged 代替 (substitute) and its reason says which and why."""
    value = np.choose(pick, [r.value for r in results])
    status = np.choose(pick, [r.status for r in results])
    flag = np.choose(pick, [r.flag for r in results])
    tables, codes, p_tables, p_codes = [], np.full(len(pick), -1, dtype=np.int64), [], np.zeros(len(pick), np.int64)
    off = p_off = 0
    for d, r in enumerate(results):
        at = pick == d
        codes[at] = np.where(r.why[1][at] >= 0, r.why[1][at] + off, -1)
        p_codes[at] = r.prov[1][at] + p_off
        tables.append(r.why[0])
        p_tables.append(r.prov[0])
        off += len(r.why[0])
        p_off += len(r.prov[0])
    table = np.concatenate(tables) if tables else np.array([], dtype=object)
    fell = (pick > 0) & (status != 2)
    if fell.any():
        who = f"for {city}" if city is not None and (env._area == str(city)).any() else "for this area"
        key = (pick[fell] * 10_000 + (env._year[fell] - env._year.min())) * (len(table) + 1) + (codes[fell] + 1)
        k_codes, k_uniq = pd.factorize(key)
        texts = []
        for kk in k_uniq:
            rest, c = divmod(int(kk), len(table) + 1)
            d, dy = divmod(rest, 10_000)
            text = (f"adjusted_population {chain[d]} used: {chain[0]} not computable {who} in "
                    f"{int(env._year.min()) + dy}")
            texts.append(text if c == 0 else f"{text}; {table[c - 1]}")
        codes[fell] = k_codes + len(table)
        table = np.concatenate([table, np.array(texts, dtype=object)])
        status = np.where(fell, 1, status)
        flag = np.where(fell, 2, flag)
    return _Result(value, status, flag, (table, codes), (np.concatenate(p_tables), p_codes))


def compute(panel: pd.DataFrame, catalog: Any, *, adjusted_population: str | Sequence[str] | None = None,
            indicator_ids: Iterable[str] | None = None, city: str | None = None) -> pd.DataFrame:
    """Every outcome-tier-3 indicator with a formula, for every area and year of ``panel``.

    ``adjusted_population``: a 補正人口 definition id (that one only), an ordered list of ids (a
    fallback chain, see :func:`adjusted_population_chain`) or None (the catalog's default chain).
    With a chain, per indicator and year the first definition ``city`` can compute is used for
    every area alike (a peer lacking it is missing with its reason); without ``city``, each area
    walks the chain on its own. The ``adjusted_population`` column names the definition used; a
    later one than the first is flagged ``substitute`` (代替).
    ``indicator_ids``: restrict to these (unknown ids → SckpiError; ids without a formula are
    skipped — :func:`coverage` says why). Returns the ``indicators.parquet`` columns, one row per
    (area_code, year, indicator_id); a value is never invented: missing inputs, marked cells and
    zero denominators give ``status='missing'`` with the evaluator's reason. ``flag``: ``estimated``
    (推計: an input carried forward or interpolated) or ``substitute`` (代替: an input's substitute or
    a fallen-back 補正人口), what was used in ``reason``.
    """
    inds = _select(catalog, indicator_ids)
    if not inds:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "value" else
                                          "int64" if c == "year" else object) for c in RESULT_COLUMNS})
    uses_adj = any(ADJUSTED in referenced_names(ind.formula) for ind in inds)
    chain = adjusted_population_chain(catalog, adjusted_population) if uses_adj else []
    adj = [(d, adjusted_population_formula(catalog, d)) for d in chain]
    adj_texts = [ast.unparse(parse(f).body) for _, f in adj]
    formulas: dict[str, list[str]] = {}
    for ind in inds:
        try:
            if adj and ADJUSTED in referenced_names(ind.formula):
                formulas[ind.id] = [expand_formula(ind.formula, f) for _, f in adj]
            else:
                formulas[ind.id] = [expand_formula(ind.formula, None)]
        except FormulaError as exc:
            raise SckpiError(f"indicator {ind.id}: {exc}") from None
    needed = set().union(*(referenced_names(f) for fs in formulas.values() for f in fs))
    env = build_env(panel, catalog, needed)
    subs = {name: substitutes_of(catalog, name) for name in env.values.columns}
    subs = {k: v for k, v in subs.items() if v}
    n = len(env.values)
    chain_ids = np.array([_default_definition(catalog) if d is None else d for d in chain], dtype=object)

    values, status, reason, prov, used, flags = [], [], [], [], [], []
    for ind in inds:
        fs = formulas[ind.id]
        uses = bool(adj) and ADJUSTED in referenced_names(ind.formula)
        first = _evaluate_one(fs[0], env, adj_texts[0] if uses else None, subs)
        if len(fs) > 1 and (first.status == 2).any():
            results = [first] + [_evaluate_one(f, env, t, subs) for f, t in zip(fs[1:], adj_texts[1:], strict=True)]
            pick = _pick_definitions(results, env, city)
            r = _merge(results, pick, chain, env, city)
        else:
            r, pick = first, np.zeros(n, dtype=np.int64)
        values.append(r.value)
        status.append((_STATUS, r.status))
        reason.append(r.why)
        prov.append(r.prov)
        flags.append((_FLAGS, r.flag - 1))
        used.append((chain_ids, pick) if uses else (np.array([], dtype=object), np.full(n, -1, dtype=np.int64)))

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
        "adjusted_population": _str_column(used),
        "flag": _str_column(flags),
    })


_STATUS = np.array(["ok", "estimated", "missing"], dtype=object)
_FLAGS = np.array(FLAGS, dtype=object)


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
