"""The catalog's formula language, parsed and evaluated safely (no ``eval``).

A formula is an arithmetic expression over named inputs (catalog ``inputs`` ids), e.g.
``crimes_recognised / adjusted_population * 1000``. Grammar, a strict subset of Python syntax:

- numbers, names, ``+ - * / **``, unary ``-``, parentheses;
- ``lag(x, k)`` — ``x`` as it was ``k`` years earlier in the same area (``k`` defaults to 1);
  used for year-on-year rates: ``(population_total - lag(population_total)) / lag(population_total)``;
- ``prev_obs(x)`` — the latest earlier year in which ``x`` was observed (elections happen every
  few years: ``turnout - prev_obs(turnout)`` compares with the previous election);
- ``min(a, b)``, ``max(a, b)``, ``abs(a)``.

Evaluation is vectorised over a complete, sorted ``(area_code, year)`` grid. Every intermediate
carries, row by row, *why* a value is missing (an input missing or annotated, a zero denominator)
and *which input years* produced it, so the engine can report provenance and reasons without a
per-area loop. A zero denominator gives a missing value with a reason, never ``inf``.

Stage 2 (catalog): imports ``errors``, ``atomic`` and ``config``.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from sckpi_helpers.errors import SckpiError

FUNCTIONS = {"lag": (1, 2), "prev_obs": (1, 1), "min": (2, 2), "max": (2, 2), "abs": (1, 1)}
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


class FormulaError(SckpiError, ValueError):
    """A formula that does not parse or uses something outside the grammar."""


def parse(expr: str) -> ast.Expression:
    """Parse and check ``expr`` against the grammar; raise :class:`FormulaError` if it strays.

    Returns a fresh tree each call (callers may transform it); the checked tree is cached.
    """
    return copy.deepcopy(_parse_checked(expr))


@lru_cache(maxsize=4096)
def _parse_checked(expr: str) -> ast.Expression:
    if not isinstance(expr, str) or not expr.strip():
        raise FormulaError("empty formula")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"formula '{expr}' does not parse: {exc.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Load, ast.Name, ast.operator, ast.unaryop)):
            if isinstance(node, ast.operator) and not isinstance(node, _BINOPS):
                raise FormulaError(f"formula '{expr}': operator {type(node).__name__} is not allowed")
            if isinstance(node, ast.unaryop) and not isinstance(node, (ast.USub, ast.UAdd)):
                raise FormulaError(f"formula '{expr}': operator {type(node).__name__} is not allowed")
            continue
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise FormulaError(f"formula '{expr}': only numeric constants are allowed")
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                name = getattr(node.func, "id", ast.unparse(node.func))
                raise FormulaError(f"formula '{expr}': unknown function '{name}' "
                                   f"(allowed: {', '.join(FUNCTIONS)})")
            lo, hi = FUNCTIONS[node.func.id]
            if not lo <= len(node.args) <= hi:
                raise FormulaError(f"formula '{expr}': {node.func.id}() takes {lo}–{hi} arguments")
            if node.func.id == "lag" and len(node.args) == 2:
                k = node.args[1]
                if not (isinstance(k, ast.Constant) and isinstance(k.value, int) and k.value >= 1):
                    raise FormulaError(f"formula '{expr}': lag()'s second argument must be a whole number ≥ 1")
            continue
        raise FormulaError(f"formula '{expr}': {type(node).__name__} is not allowed")
    return tree


def referenced_names(expr: str) -> set[str]:
    """The input names a formula reads (function names excluded)."""
    tree = _parse_checked(expr)
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in funcs}


def max_lag(expr: str) -> int:
    """How many earlier years the formula needs (sum of nested ``lag`` k's; ``prev_obs`` counts 1)."""

    def walk(node: ast.AST) -> int:
        if isinstance(node, ast.Call) and node.func.id == "lag":  # type: ignore[union-attr]
            k = node.args[1].value if len(node.args) == 2 else 1  # type: ignore[attr-defined]
            return k + walk(node.args[0])
        if isinstance(node, ast.Call) and node.func.id == "prev_obs":  # type: ignore[union-attr]
            return 1 + walk(node.args[0])
        return max((walk(c) for c in ast.iter_child_nodes(node)), default=0)

    return walk(_parse_checked(expr))


# ----------------------------------------------------------------------------------------- evaluation
@dataclass
class FormulaEnv:
    """Inputs on a complete ``(area_code, year)`` grid, sorted by area then year.

    ``values``: float columns named by input id. ``annotations``: optional object columns (same
    names) with the statistics' own mark for a missing cell (``X`` 秘匿, ``-`` …). ``source_years``:
    optional float columns with the year a value really comes from (differs from the row's year
    when a census input was carried forward).
    """

    values: pd.DataFrame
    annotations: pd.DataFrame | None = None
    source_years: pd.DataFrame | None = None
    _area: np.ndarray = field(init=False, repr=False)
    _year: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        idx = self.values.index
        if not isinstance(idx, pd.MultiIndex) or list(idx.names) != ["area_code", "year"]:
            raise ValueError("FormulaEnv.values needs a MultiIndex (area_code, year)")
        self._area = idx.get_level_values(0).to_numpy()
        self._year = idx.get_level_values(1).to_numpy().astype(np.int64)
        if len(self._area) > 1:
            same = self._area[1:] == self._area[:-1]
            step = np.diff(self._year)
            if not np.all(step[same] == 1) or len(np.unique(self._area)) != (~same).sum() + 1:
                raise ValueError("FormulaEnv grid must be complete and sorted by (area_code, year)")

    @classmethod
    def from_long(cls, df: pd.DataFrame, value: str = "value", annotation: str | None = "annotation",
                  variable: str = "variable") -> FormulaEnv:
        """Build the grid from a long frame (area_code, year, variable, value[, annotation])."""
        years = range(int(df["year"].min()), int(df["year"].max()) + 1)
        grid = pd.MultiIndex.from_product([sorted(df["area_code"].unique()), years],
                                          names=["area_code", "year"])
        wide = df.pivot_table(index=["area_code", "year"], columns=variable, values=value,
                              aggfunc="first", dropna=False).reindex(grid)
        ann = None
        if annotation and annotation in df:
            a = df[df[annotation].notna()]
            if len(a):
                ann = a.pivot_table(index=["area_code", "year"], columns=variable, values=annotation,
                                    aggfunc="first").reindex(grid)
        wide.columns.name = None
        return cls(wide.astype(float), ann)

    @classmethod
    def from_wide(cls, df: pd.DataFrame) -> FormulaEnv:
        """Build the grid from a wide frame with ``area_code`` and ``year`` columns."""
        long = df.melt(id_vars=["area_code", "year"], var_name="variable", value_name="value")
        return cls.from_long(long, annotation=None)

    @property
    def index(self) -> pd.MultiIndex:
        return self.values.index  # type: ignore[return-value]


@dataclass
class Value:
    """A vector of results with, per row, the reason it is missing and the input years used."""

    value: np.ndarray
    reason: np.ndarray  # object: None where nothing to explain
    sources: list[tuple[str, np.ndarray]]  # (input name, year used as float, NaN where absent)

    def to_frame(self, env: FormulaEnv) -> pd.DataFrame:
        """value / reason columns on the env's index (reason only where value is missing)."""
        reason = np.where(np.isnan(self.value), self.reason, None)
        return pd.DataFrame({"value": self.value, "reason": reason}, index=env.index)


def _shift(arr: np.ndarray, area: np.ndarray, k: int, fill) -> np.ndarray:
    """Shift ``arr`` down by ``k`` rows within each area (the grid is complete and sorted)."""
    out = np.empty_like(arr)
    out[:k] = fill
    out[k:] = arr[:-k] if k else arr
    if k:
        boundary = np.ones(len(arr), dtype=bool)
        boundary[k:] = area[k:] != area[:-k]
        out[boundary] = fill
    return out


def _year_texts(prefix: str, years: np.ndarray, suffix: str = "") -> np.ndarray:
    """``prefix + str(year) + suffix`` per row, built once per distinct year (rows share the str)."""
    codes, uniq = pd.factorize(np.asarray(years, dtype=np.int64))
    table = np.array([f"{prefix}{int(y)}{suffix}" for y in uniq] or [""], dtype=object)
    return table[codes]


def _missing_reason(name: str, kind: str, years: np.ndarray, mask: np.ndarray,
                    ann: np.ndarray | None) -> np.ndarray:
    reason = np.full(len(mask), None, dtype=object)
    if mask.any():
        txt = _year_texts(f"input {name} {kind} for ", years[mask])
        if ann is not None:
            a = ann[mask]
            has = pd.notna(a)
            if has.any():
                # one string per distinct (mark, year) pair
                marks = a[has].astype(str)
                ys = years[mask][has].astype(np.int64)
                m_codes, m_uniq = pd.factorize(marks)
                key = m_codes.astype(np.int64) * 100_000 + (ys - ys.min())
                k_codes, k_uniq = pd.factorize(key)
                table = np.array([f"input {name} marked '{m_uniq[k // 100_000]}' for "
                                  f"{k % 100_000 + ys.min()}" for k in k_uniq], dtype=object)
                txt[has] = table[k_codes]
        reason[mask] = txt
    return reason


def _merge_reason(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(pd.isna(a), b, a)


class _Evaluator:
    def __init__(self, env: FormulaEnv, expr: str) -> None:
        self.env = env
        self.expr = expr
        self.n = len(env.values)

    def const(self, x: float) -> Value:
        return Value(np.full(self.n, float(x)), np.full(self.n, None, dtype=object), [])

    def visit(self, node: ast.AST) -> Value:
        if isinstance(node, ast.Expression):
            return self.visit(node.body)
        if isinstance(node, ast.Constant):
            return self.const(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp):
            v = self.visit(node.operand)
            return Value(-v.value if isinstance(node.op, ast.USub) else v.value, v.reason, v.sources)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise FormulaError(f"formula '{self.expr}': cannot evaluate {type(node).__name__}")

    def name(self, name: str) -> Value:
        env = self.env
        if name not in env.values.columns:
            raise FormulaError(f"formula '{self.expr}': input '{name}' is not in the data")
        val = env.values[name].to_numpy(dtype=float)
        ann = env.annotations[name].to_numpy(dtype=object) if (
            env.annotations is not None and name in env.annotations.columns) else None
        src = (env.source_years[name].to_numpy(dtype=float) if (
            env.source_years is not None and name in env.source_years.columns)
            else env._year.astype(float))
        mask = np.isnan(val)
        src = np.where(mask, np.nan, src)
        return Value(val, _missing_reason(name, "missing", env._year, mask, ann), [(name, src)])

    def binop(self, node: ast.BinOp) -> Value:
        left, right = self.visit(node.left), self.visit(node.right)
        reason = _merge_reason(left.reason, right.reason)
        a, b = left.value, right.value
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if isinstance(node.op, ast.Add):
                out = a + b
            elif isinstance(node.op, ast.Sub):
                out = a - b
            elif isinstance(node.op, ast.Mult):
                out = a * b
            elif isinstance(node.op, ast.Pow):
                out = np.power(a, b)
            else:
                zero = (b == 0) & ~np.isnan(a)
                out = np.where(zero, np.nan, a / np.where(zero, 1.0, b))
                if zero.any():
                    den = ast.unparse(node.right)
                    reason = reason.copy()
                    reason[zero] = _year_texts(f"zero denominator ({den}) for ", self.env._year[zero])
        bad = ~np.isfinite(out) & ~np.isnan(out)
        if bad.any():
            out = np.where(bad, np.nan, out)
            reason = reason.copy()
            reason[bad & pd.isna(reason)] = "result not finite"
        return Value(out, reason, left.sources + right.sources)

    def call(self, node: ast.Call) -> Value:
        fn = node.func.id  # type: ignore[union-attr]
        args = [self.visit(a) for a in node.args[:1]] if fn in ("lag", "prev_obs", "abs") else \
            [self.visit(a) for a in node.args]
        env = self.env
        if fn == "lag":
            k = node.args[1].value if len(node.args) == 2 else 1  # type: ignore[attr-defined]
            v = args[0]
            shifted = _shift(v.value, env._area, k, np.nan)
            reason = _shift(v.reason, env._area, k, None)
            lost = np.isnan(shifted) & pd.isna(reason)
            if lost.any():
                reason[lost] = _year_texts(f"no data {k} year(s) earlier (", env._year[lost] - k, ")")
            return Value(shifted, reason, [(n, _shift(s, env._area, k, np.nan)) for n, s in v.sources])
        if fn == "prev_obs":
            v = args[0]
            grp = pd.Series(env._area)
            prev = pd.Series(_shift(v.value, env._area, 1, np.nan)).groupby(grp.values).ffill().to_numpy()
            srcs = [(n, pd.Series(_shift(s, env._area, 1, np.nan)).groupby(grp.values).ffill().to_numpy())
                    for n, s in v.sources]
            reason = np.full(self.n, None, dtype=object)
            miss = np.isnan(prev)
            reason[miss] = f"no earlier observation of {ast.unparse(node.args[0])}"
            return Value(prev, reason, srcs)
        if fn == "abs":
            v = args[0]
            return Value(np.abs(v.value), v.reason, v.sources)
        a, b = args
        op = np.fmin if fn == "min" else np.fmax
        out = np.where(np.isnan(a.value) | np.isnan(b.value), np.nan, op(a.value, b.value))
        return Value(out, _merge_reason(a.reason, b.reason), a.sources + b.sources)


def evaluate(expr: str, env: FormulaEnv) -> Value:
    """Evaluate ``expr`` over every row of ``env``; see :class:`Value` for what comes back."""
    return _Evaluator(env, expr).visit(_parse_checked(expr))


def evaluate_series(expr: str, env: FormulaEnv) -> pd.Series:
    """Convenience: just the values, indexed by (area_code, year)."""
    return pd.Series(evaluate(expr, env).value, index=env.index, name=expr)
