"""Published e-Stat items → the catalog's input variables: name guard, units, sums of items.

Why in the catalog: which item codes make an input, under which published name, and how several
items add up (流入人口 = A6105 + A6106) is catalog *data*; the rules that read it must be one pure
function that every reader and the store call, so a CSV download, SSDSE and the API map the same
item to the same input in the same way. Stage 2: imports the catalog's own modules and pandas.

- :func:`normalize_unit` — one spelling of a unit (NFKC: ``ｈａ`` → ``ha``, ``％`` → ``%``,
  ``㎡`` → ``m2``; ``人:person`` → ``人``).
- :func:`names_agree` — the name guard: a published item name and the catalog's name for that code
  must be equal after NFKC, blanks, the ``CODE_`` prefix and a trailing ``【unit】`` are normalised.
  Any other difference (a qualifier in brackets included) refuses the item: a wrong code must show
  as a missing input, never as another statistic's numbers.
- :func:`tidy_to_inputs` — tidy item rows (``area_code, year, item_code, value, annotation`` …)
  → input rows (``variable``), summing the components of combined sources and applying the
  designated-city rule of a source (``designated_city`` formula over item codes) to 政令指定都市;
  each row says how it was derived and from which item rows, and a sum one of whose items is
  absent is a missing value naming the absent item (never a partial sum).
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.catalog import formula as fm

#: columns of :func:`tidy_to_inputs`'s frame
INPUT_COLUMNS = ["area_code", "area_name", "year", "variable", "value", "unit", "annotation", "source"]
#: :data:`INPUT_COLUMNS` and how each row was derived from the published items
DERIVED_COLUMNS = [*INPUT_COLUMNS, "derivation", "lacking", "item_rows"]

_WAVES = str.maketrans({"〜": "~", "～": "~", "∼": "~"})
_CODE_PREFIX = re.compile(r"^[A-Z]\d{3,8}_")
_UNIT_SUFFIX = re.compile(r"【[^】]*】$")


def normalize_unit(text: Any) -> str:
    """One spelling of a published unit: NFKC, no blanks, no brackets, no English gloss.

    ``ｈａ`` → ``ha``, ``％`` → ``%``, ``㎡``/``m²`` → ``m2``, ``【人】`` → ``人``,
    ``人:person`` → ``人`` (an English gloss only: ``人:1,000`` stays); ``None``/NaN → ``""``.
    The one implementation: ``sources.cells.normalize_unit`` and ``sources.numbers.normalize_unit``
    call it.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    t = unicodedata.normalize("NFKC", str(text)).strip()
    t = t.strip("【】[]")
    t = re.sub(r"(?<=.):[A-Za-z][A-Za-z .'()/-]*$", "", t)  # an English gloss (人:person), not 人:1,000
    return re.sub(r"\s+", "", t)


def core_name(text: Any) -> str:
    """An item name as the guard compares it: NFKC, wave dashes unified, no blanks, without a
    leading ``A6103_`` code and a trailing ``【unit】`` (the SSDS CSV header layout)."""
    t = unicodedata.normalize("NFKC", str(text or "")).translate(_WAVES)
    t = re.sub(r"\s+", "", t)
    t = _CODE_PREFIX.sub("", t)
    return _UNIT_SUFFIX.sub("", t)


def names_agree(published: Any, expected: Any) -> bool:
    """True when the publisher's name for an item is the catalog's name for its code.

    Only spelling is forgiven (full-/half-width, blanks, the CSV's code prefix and unit suffix);
    ``病院数`` is not ``一般病院数`` and ``保育所等数`` is not ``保育所等数（基本票）``. A missing
    published name (a file without names) cannot disagree.
    """
    a, b = core_name(published), core_name(expected)
    return not a or not b or a == b


# --------------------------------------------------------------------------------------- look-ups
def estat_sources(catalog: Any) -> list[tuple[str, Any]]:
    """(input id, source) for every e-Stat source with item codes, in catalog order."""
    out = []
    for input_id, var in (getattr(catalog, "inputs", {}) or {}).items():
        for s in getattr(var, "sources", []) or []:
            if getattr(s, "kind", None) == "estat" and s.item_codes:
                out.append((str(input_id), s))
    return out


def item_sources(catalog: Any) -> list[tuple[str, Any]]:
    """(input id, source) for every source whose items readers publish: e-Stat item codes and a
    bundled dataset's items (``dataset``: sugata-2019, juki, zaisei, tokyo-daytime)."""
    out = []
    for input_id, var in (getattr(catalog, "inputs", {}) or {}).items():
        for s in getattr(var, "sources", []) or []:
            if s.item_codes and (getattr(s, "kind", None) == "estat" or getattr(s, "dataset", None)):
                out.append((str(input_id), s))
    return out


def table_of(source: Any) -> str:
    """The key a source's items are published under: its dataset, or "" for e-Stat (whose rows
    match by item code, whatever table or file they came from)."""
    return str(getattr(source, "dataset", None) or "")


def expected_names(catalog: Any) -> dict[str, str]:
    """item code → the name the catalog expects the publisher to give it (e-Stat items)."""
    out: dict[str, str] = {}
    for _iid, s in estat_sources(catalog):
        for code, name in s.published_names.items():
            out.setdefault(str(code), str(name))
    return out


def expected_names_by_table(catalog: Any) -> dict[tuple[str, str], str]:
    """(dataset or "", item code) → the name the catalog expects: a bundled dataset may publish an
    SSDS code under its own name (すがた: J230121 「介護老人福祉施設数」)."""
    out: dict[tuple[str, str], str] = {}
    for _iid, s in item_sources(catalog):
        for code, name in s.published_names.items():
            out.setdefault((table_of(s), str(code)), str(name))
    return out


def estat_tables(catalog: Any) -> dict[str, list[str]]:
    """stats_data_id → item codes the catalog reads from it (catalog order, unique): what to fetch."""
    out: dict[str, list[str]] = {}
    for _iid, s in estat_sources(catalog):
        if s.stats_data_id:
            items = out.setdefault(str(s.stats_data_id), [])
            items.extend(c for c in s.item_codes if c not in items)
    return out


# --------------------------------------------------------------------------------------- mapping
def _evaluate(tree: ast.AST, cols: dict[str, np.ndarray]) -> np.ndarray:
    """A parsed item formula over item columns (NaN propagates; no lag/prev_obs here)."""
    if isinstance(tree, ast.Expression):
        return _evaluate(tree.body, cols)
    if isinstance(tree, ast.Name):
        return cols[tree.id]
    if isinstance(tree, ast.Constant):
        return np.float64(tree.value)
    if isinstance(tree, ast.UnaryOp):
        v = _evaluate(tree.operand, cols)
        return -v if isinstance(tree.op, ast.USub) else v
    if isinstance(tree, ast.BinOp):
        a, b = _evaluate(tree.left, cols), _evaluate(tree.right, cols)
        with np.errstate(invalid="ignore", divide="ignore"):
            if isinstance(tree.op, ast.Add):
                return a + b
            if isinstance(tree.op, ast.Sub):
                return a - b
            if isinstance(tree.op, ast.Mult):
                return a * b
            if isinstance(tree.op, ast.Div):
                return np.where(b == 0, np.nan, a / np.where(b == 0, 1, b))
            return a ** b
    if isinstance(tree, ast.Call) and tree.func.id in ("max", "min", "abs"):  # type: ignore[attr-defined]
        args = [_evaluate(x, cols) for x in tree.args]
        if tree.func.id == "abs":  # type: ignore[attr-defined]
            return np.abs(args[0])
        f = np.maximum if tree.func.id == "max" else np.minimum  # type: ignore[attr-defined]
        return f(args[0], args[1])  # NaN propagates
    raise fm.FormulaError(f"item formula: {ast.unparse(tree)} is not allowed here")


#: the mark of a derived input one of whose items is absent (the engine's reason quotes it)
LACKING = "項目 {codes} がない (item {codes} missing)"
#: priority of a derived row when several sources give one cell: a value, a mark, an item lacking
_RANK_VALUE, _RANK_MARKED, _RANK_LACKING = 0, 1, 2


def _combine(rows: pd.DataFrame, source: Any, designated: set[str]) -> pd.DataFrame:
    """Rows of one (area, year) per key: the source's items summed (or its designated-city
    formula for 政令指定都市), with the ``_id`` of every item row that went in.

    A marked component (``X``, ``-`` …) gives a missing value carrying its mark. A component
    without a row gives a missing value marked :data:`LACKING` naming it (``lacking``): a partial
    sum is never presented as the total, and the items that are there are kept (``item_rows``)
    so the store can say what still lacks."""
    codes = source.item_codes
    keys = ["area_code", "year"]
    g = rows.groupby(keys + ["item_code"], sort=True)
    vals = g["value"].first().unstack("item_code").reindex(columns=codes)
    ids = g["_id"].first().unstack("item_code").reindex(columns=codes)
    present = ids.notna()
    ann = rows[rows["annotation"].notna()].groupby(keys + ["item_code"])["annotation"].first()
    ann = ann.unstack("item_code").reindex(index=vals.index, columns=codes) if len(ann) else \
        pd.DataFrame(None, index=vals.index, columns=codes, dtype=object)
    cols = {c: vals[c].to_numpy(dtype=float) for c in codes}
    summed = source.summed_codes
    total = np.sum([cols[c] for c in summed], axis=0)
    area = vals.index.get_level_values("area_code").astype(str)
    is_des = area.isin(list(designated)) if designated and source.designated_city else np.zeros(len(vals), bool)
    if is_des.any():
        tree = fm.parse(source.designated_city)
        used = [c for c in codes if c in fm.referenced_names(source.designated_city)]
        total = np.where(is_des, _evaluate(tree, cols), total)
    else:
        used = summed
    pres = present.to_numpy(dtype=bool)
    col_of = {c: j for j, c in enumerate(codes)}
    plain_idx = [col_of[c] for c in summed]
    des_idx = [col_of[c] for c in used]
    id_arr = ids.to_numpy(dtype=float)
    lacking, item_rows = [], []
    for i in range(len(vals)):
        take = des_idx if is_des[i] else plain_idx
        lacking.append(" ".join(codes[j] for j in take if not pres[i, j]))
        item_rows.append([int(id_arr[i, j]) for j in take if pres[i, j]])
    lacking_arr = np.array(lacking, dtype=object)
    is_lacking = lacking_arr != ""
    total = np.where(is_lacking, np.nan, total)
    first_ann = ann[summed].bfill(axis=1).iloc[:, 0].to_numpy(dtype=object)
    mark = np.where(np.isnan(total), first_ann, None)
    mark = np.where(is_lacking, [LACKING.format(codes=c) for c in lacking_arr] if len(lacking_arr) else [],
                    mark)
    out = pd.DataFrame({"area_code": area, "year": vals.index.get_level_values("year").astype("int64"),
                        "value": total, "annotation": mark, "designated": is_des,
                        "lacking": np.where(is_lacking, lacking_arr, None), "item_rows": item_rows})
    out["_rank"] = np.where(is_lacking, _RANK_LACKING, np.where(np.isnan(total), _RANK_MARKED, _RANK_VALUE))
    # a key with none of its formula's items (only an item another area type reads) is no row
    return out[np.array([bool(r) for r in item_rows], dtype=bool)]


def refused_names(tidy: pd.DataFrame, catalog: Any) -> list[tuple[str, str, str]]:
    """(item code, published name, the catalog's name) for every item of ``tidy`` whose published
    name is not the catalog's for its code (:func:`names_agree`): a wrong code, never used."""
    if "item_name" not in tidy.columns:
        return []
    expected = expected_names_by_table(catalog)
    datasets = {k[0] for k in expected}
    sid = (tidy["stats_data_id"].fillna("").astype(str) if "stats_data_id" in tidy.columns
           else pd.Series("", index=tidy.index))
    table = sid.where(sid.isin(datasets), "")
    pairs = pd.DataFrame({"table": table, "item_code": tidy["item_code"].astype(str),
                          "item_name": tidy["item_name"]}).drop_duplicates()
    return [(code, published, expected[(tab, code)])
            for tab, code, published in zip(pairs["table"], pairs["item_code"], pairs["item_name"],
                                            strict=True)
            if (tab, code) in expected and not names_agree(published, expected[(tab, code)])]


def derivation_text(input_id: str, source: Any, designated: bool) -> str:
    """``outflow_population = A6103 + A6104`` (or the source's 政令指定都市 formula): how a
    derived input is made of the published items (the panel's ``derivation`` column)."""
    if designated and source.designated_city:
        return f"{input_id} = {source.designated_city} (政令指定都市)"
    return f"{input_id} = {' + '.join(source.summed_codes)}"


def tidy_to_inputs(tidy: pd.DataFrame, catalog: Any, designated: Iterable[str] = ()
                   ) -> tuple[pd.DataFrame, set[str]]:
    """Tidy e-Stat item rows → input rows; also the item codes not used (with why).

    ``tidy`` columns: ``area_code, year, item_code, value, annotation`` and optionally
    ``stats_data_id, item_name, unit, area_name``. ``designated``: area codes of 政令指定都市,
    whose rows use a source's ``designated_city`` formula where the source has one.
    Returns :data:`DERIVED_COLUMNS`: :data:`INPUT_COLUMNS` (``unit`` normalised by
    :func:`normalize_unit`, ``source`` the source's label), ``derivation``
    (:func:`derivation_text`), ``lacking`` (the item codes a sum still lacks: then ``value`` is
    NaN and ``annotation`` is :data:`LACKING`) and ``item_rows`` (positions in ``tidy`` of the
    item rows that went in); also the set of unused item codes plus one message per refused
    item name. Where several sources give one cell, a value beats a mark beats a lacking item,
    then catalog order wins.
    """
    empty = pd.DataFrame({c: pd.Series(dtype="int64" if c == "year" else float if c == "value" else object)
                          for c in DERIVED_COLUMNS})
    if tidy is None or tidy.empty:
        return empty, set()
    t = tidy.copy()
    t["_id"] = np.arange(len(t), dtype=np.int64)
    t["item_code"] = t["item_code"].fillna("").astype(str)
    t["area_code"] = t["area_code"].astype(str)
    t["year"] = t["year"].astype("int64")
    if "annotation" not in t.columns:
        t["annotation"] = None
    unused: set[str] = set()
    for code, published, expected in refused_names(t, catalog):
        t = t[~((t["item_code"] == code) & (t["item_name"] == published))]
        unused.add(f"{code}: e-Stat names it '{published}', the catalog expects '{expected}' — not used")
    t = t[t["value"].notna() | t["annotation"].notna()]
    sid = t["stats_data_id"].fillna("").astype(str) if "stats_data_id" in t.columns else pd.Series("", index=t.index)
    used: set[str] = set()
    frames = []
    for order, (input_id, s) in enumerate(item_sources(catalog)):
        codes = s.item_codes
        if table_of(s):  # a bundled dataset's items: only that dataset's rows
            sel = t["item_code"].isin(codes) & (sid == table_of(s))
        else:
            sel = t["item_code"].isin(codes) & ((sid == "") | (sid == str(s.stats_data_id or "")))
        if s.from_year is not None:
            sel &= t["year"] >= s.from_year
        if s.to_year is not None:
            sel &= t["year"] <= s.to_year
        rows = t[sel]
        if rows.empty:
            continue
        used.update(rows["item_code"])
        out = _combine(rows, s, set(map(str, designated)))
        if out.empty:
            continue
        first = rows.drop_duplicates(["area_code", "year"]).set_index(["area_code", "year"])
        idx = pd.MultiIndex.from_arrays([out["area_code"], out["year"]])
        out["area_name"] = (first["area_name"].reindex(idx).to_numpy() if "area_name" in first else None)
        if "unit" in first:
            units = first["unit"].reindex(idx)
            spelled = {u: normalize_unit(u) for u in units.dropna().unique()}
            out["unit"] = units.map(spelled).fillna("").to_numpy(dtype=object)
        else:
            out["unit"] = ""
        declared = getattr(s, "unit", None)
        if declared is not None:  # the publisher's spelling of the input's unit (所 = 施設, 住宅 = 戸)
            want = normalize_unit(getattr((catalog.inputs or {}).get(input_id), "unit", ""))
            out["unit"] = np.where(pd.Series(out["unit"]).to_numpy() == normalize_unit(declared),
                                   want, out["unit"])
        out["variable"] = input_id
        label = s.label
        des = out.pop("designated").to_numpy(dtype=bool)
        out["source"] = np.where(des, f"{label} (政令指定都市: {s.designated_city})", label)
        out["derivation"] = np.where(des, derivation_text(input_id, s, True), derivation_text(input_id, s, False))
        out["_order"] = order
        frames.append(out[[*DERIVED_COLUMNS, "_rank", "_order"]])
    unused |= set(t["item_code"]) - used - {""}
    if not frames:
        return empty, unused
    res = pd.concat(frames, ignore_index=True).sort_values(["_rank", "_order"], kind="stable")
    res = res.drop_duplicates(["area_code", "year", "variable"], keep="first")  # value > mark > lacking, catalog order
    res = res.drop(columns=["_rank", "_order"])
    return res.sort_values(["variable", "area_code", "year"], kind="stable").reset_index(drop=True), unused
