"""Area codes: 5-digit 標準地域コード, 6-digit 全国地方公共団体コード, hierarchy, type, mergers.

Why this matters: peer groups compare a city with cities of its own kind (政令市 with 政令市), the
engine aggregates wards to their city, and a merged town's history must be added to its successor
or the successor's trend shows a jump that is only a boundary change.

Codes: ``PPMMM`` — ``00000`` = 全国, ``PP000`` = the prefecture, ``PP1xx`` = a designated city
(``PP1x0``) and its wards, or in Tokyo (13) the special wards (``131xx``; ``13100`` = 区部 as a
whole), ``PP2xx`` = cities, ``PP3xx``–``PP7xx`` = towns and villages by district.

A code in a user's file is read by :func:`normalize_area_code` (5 digits, 4 when a spreadsheet
dropped the leading zero, or the 6-digit code with its check digit verified) and must name an area
the build knows (:func:`unknown_codes`): a mistyped code is listed, never made a new area.

Stage: ``sources`` — imports ``errors``, ``config`` and other ``sources`` modules.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from sckpi_helpers.config.codes import (  # the one reading of a code (re-exported for the readers)
    AreaCodeError,
    check_digit,
    from_lg_code,
    normalize_area_code,
    to_lg_code,
)
from sckpi_helpers.errors import InputFileError, SckpiError
from sckpi_helpers.sources.estat_api import municipality_part

log = logging.getLogger(__name__)

AREA_COLUMNS = ["area_code", "area_name", "pref_code", "level", "municipal_type", "parent_code",
                "lg_code"]
LEVELS = ("country", "prefecture", "municipality", "ward")
MUNICIPAL_TYPES = ("designated_city", "core_city", "special_ward", "city", "town", "village",
                   "ward", "prefecture", "country")
MERGER_COLUMNS = ["old_code", "new_code", "effective_date", "note"]


def _code5(code: str | int) -> str:
    try:
        return normalize_area_code(code)
    except AreaCodeError:
        raise SckpiError(f"{code!r} is not a 5-digit area code (標準地域コード)") from None


def unknown_codes(codes: Iterable[str], known: Iterable[str]) -> list[str]:
    """The codes (sorted, once each) that are not in ``known`` — e.g. the areas of the build's
    statistics and ``areas.csv``. Such rows are unplaceable: they must not become new areas."""
    return sorted(set(codes) - set(known))


# ------------------------------------------------------------------------------- hierarchy
def pref_code(code: str) -> str:
    """The two-digit prefecture code (``"13101"`` → ``"13"``; ``"00000"`` → ``"00"``)."""
    return _code5(code)[:2]


def _is_ward(code: str) -> bool:
    m = int(code[2:])
    return (code[:2] != "13" and 100 < m < 200 and m % 10 != 0) or _is_ward_of_10(code)


def _is_ward_of_10(code: str) -> bool:
    """Wards whose own code ends in 0 (大阪市 27110, 27120): inside a designated city's range."""
    m = int(code[2:])
    if code[:2] == "13" or not 100 < m < 200 or m % 10 != 0:
        return False
    return code not in designated_cities() and _designated_above(code) is not None


def level_of(code: str) -> str:
    """``country`` | ``prefecture`` | ``municipality`` | ``ward`` (of a designated city)."""
    code = _code5(code)
    if code == "00000":
        return "country"
    if code[2:] == "000":
        return "prefecture"
    return "ward" if _is_ward(code) else "municipality"


@functools.cache
def _shipped_types() -> dict[str, str]:
    path = Path(__file__).resolve().parent / "data" / "municipal_types.csv"
    df = pd.read_csv(path, comment="#", dtype=str)
    return dict(zip(df["area_code"], df["municipal_type"], strict=True))


def designated_cities(extra: Iterable[str] = ()) -> frozenset[str]:
    """Codes of the 政令指定都市 (shipped list + ``extra``, e.g. a fictional demo city)."""
    return frozenset({c for c, t in _shipped_types().items() if t == "designated_city"}
                     | set(extra))


def core_cities(extra: Iterable[str] = ()) -> frozenset[str]:
    """Codes of the 中核市 (shipped list + ``extra``)."""
    return frozenset({c for c, t in _shipped_types().items() if t == "core_city"} | set(extra))


def _designated_above(code: str, extra: Iterable[str] = ()) -> str | None:
    """The designated city whose ward range holds ``code``: the largest city code ≤ it in the
    prefecture (大阪市 27100 holds 27102–27128; 堺市 27140 starts the next range)."""
    candidates = [c for c in designated_cities(extra)
                  if c[:2] == code[:2] and c != "13100" and c <= code]
    return max(candidates) if candidates else None


def parent_code(code: str, designated: Iterable[str] = ()) -> str | None:
    """Ward → its designated city (01101 → 01100); municipality → prefecture (01202 → 01000);
    prefecture → ``00000``; country → None."""
    code = _code5(code)
    level = level_of(code)
    if level == "country":
        return None
    if level == "prefecture":
        return "00000"
    if level == "ward":
        city = _designated_above(code, designated)
        return city if city is not None else code[:4] + "0"
    return code[:2] + "000"


def municipal_type(code: str, name: str | None = None, *, designated: Iterable[str] = (),
                   core: Iterable[str] = ()) -> str:
    """One of :data:`MUNICIPAL_TYPES`.

    Country, prefecture and ward from the code; 政令市 and 中核市 from the shipped list (plus
    ``designated``/``core``); Tokyo's 131xx special wards by rule; otherwise 市/町/村 from the name's
    last character (町 read まち or ちょう alike), or ``city`` for a ``PP2xx`` code without a name.
    """
    code = _code5(code)
    level = level_of(code)
    if level in ("country", "prefecture"):
        return level
    if code in designated_cities(designated):
        return "designated_city"
    if code in core_cities(core):
        return "core_city"
    if code[:3] == "131":
        return "special_ward"
    if level == "ward":
        return "ward"
    short = municipality_part(name).strip() if name else ""
    suffix = {"市": "city", "町": "town", "村": "village"}.get(short[-1:])
    if suffix:
        return suffix
    if 200 <= int(code[2:]) < 300:
        return "city"
    raise SckpiError(f"cannot tell whether {code} {name or ''} is a city, town or village: give "
                     "its name (ending in 市, 町 or 村) or an override")


# --------------------------------------------------------------------------------- table
def build_areas(codes_names: pd.DataFrame, overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """``areas.parquet`` rows from ``area_code``/``area_name`` pairs.

    ``overrides`` (same column names, any subset besides ``area_code``) replace computed values —
    the fictional demo prefecture (99) declares its designated and core cities this way; its
    designated cities also become the parents of its wards.
    """
    df = codes_names[["area_code", "area_name"]].copy()
    df["area_code"] = df["area_code"].map(_code5)
    df = df.drop_duplicates("area_code").reset_index(drop=True)
    df["area_name"] = df["area_name"].map(lambda n: municipality_part(str(n)) if pd.notna(n) else n)
    over = None
    designated: set[str] = set()
    core: set[str] = set()
    if overrides is not None and not overrides.empty:
        over = overrides.copy()
        over["area_code"] = over["area_code"].map(_code5)
        unknown = set(over.columns) - set(AREA_COLUMNS)
        if unknown:
            raise SckpiError(f"area overrides have unknown columns: {', '.join(sorted(unknown))}")
        if "municipal_type" in over:
            bad = set(over["municipal_type"].dropna()) - set(MUNICIPAL_TYPES)
            if bad:
                raise SckpiError(f"area overrides: unknown municipal_type {sorted(bad)}; use one "
                                 f"of {', '.join(MUNICIPAL_TYPES)}")
            designated = set(over.loc[over["municipal_type"] == "designated_city", "area_code"])
            core = set(over.loc[over["municipal_type"] == "core_city", "area_code"])
    overridden_types = (set(over.loc[over["municipal_type"].notna(), "area_code"])
                        if over is not None and "municipal_type" in over else set())

    def typ(row: pd.Series) -> str | None:
        if row.area_code in overridden_types:
            return None  # filled from the override below
        name = row.area_name if isinstance(row.area_name, str) else None
        return municipal_type(row.area_code, name, designated=designated, core=core)

    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in AREA_COLUMNS})
    df["pref_code"] = df["area_code"].str[:2]
    df["level"] = df["area_code"].map(level_of)
    df["municipal_type"] = df.apply(typ, axis=1)
    df["parent_code"] = df["area_code"].map(lambda c: parent_code(c, designated))
    df["lg_code"] = df["area_code"].map(lambda c: None if c == "00000" else to_lg_code(c))
    if over is not None:
        df = df.set_index("area_code")
        o = over.set_index("area_code")
        for col in o.columns:
            present = o[col].dropna()
            present = present[present.index.isin(df.index)]
            df.loc[present.index, col] = present
        df = df.reset_index()
    return df[AREA_COLUMNS]


def read_area_overrides(path: Path | None) -> pd.DataFrame | None:
    """A city's ``areas.csv``: ``area_code`` (or ``code``), ``area_name`` (or ``name``),
    ``municipal_type`` and any other areas.parquet column, overriding what the codes imply."""
    if path is None or not path.exists():
        return None
    from sckpi_helpers.sources.numbers import normalize_text
    from sckpi_helpers.sources.tables import read_table

    table = read_table(path, [], sheet=None)
    aliases = {"code": "area_code", "name": "area_name", "type": "municipal_type"}
    df = pd.DataFrame([{aliases.get(k, k): (normalize_text(v) or None) for k, v in rec.items()}
                       for rec in table.rows])
    if "area_code" not in df.columns:
        raise InputFileError("areas file needs an 'area_code' (or 'code') column", path, row=1)
    codes = []
    for value, row in zip(df["area_code"], table.row_numbers, strict=True):
        try:
            codes.append(normalize_area_code(value))
        except AreaCodeError as exc:
            raise InputFileError(str(exc), path, row=row, column="area_code") from None
    df["area_code"] = codes
    return df[[c for c in AREA_COLUMNS if c in df.columns]]


def areas_table(codes_names: pd.DataFrame, overrides: pd.DataFrame | None) -> pd.DataFrame:
    """areas.parquet from (area_code, area_name) pairs seen in the data and an overrides table
    (whose areas are always included, e.g. the prefecture itself)."""
    pairs = codes_names[["area_code", "area_name"]]
    if overrides is not None and "area_name" in overrides.columns:
        pairs = pd.concat([overrides[["area_code", "area_name"]], pairs], ignore_index=True)
    pairs = pairs.dropna(subset=["area_code"])
    # a named row first, so a code seen only unnamed does not hide its name
    pairs = pairs.assign(_named=pairs["area_name"].notna()).sort_values(
        ["area_code", "_named"], ascending=[True, False], kind="stable")
    pairs = pairs.drop_duplicates("area_code")[["area_code", "area_name"]].reset_index(drop=True)
    df = build_areas(pairs, overrides)
    for c in AREA_COLUMNS:
        if c not in df.columns:
            df[c] = None
    return df[AREA_COLUMNS].sort_values("area_code").reset_index(drop=True)


# -------------------------------------------------------------------------------- mergers
def load_mergers(path: str | Path) -> pd.DataFrame:
    """Read a mergers table: CSV with header ``old_code,new_code,effective_date,note``.

    One row per disappearing municipality: ``old_code`` (5 or 6 digits) was absorbed into
    ``new_code`` on ``effective_date`` (ISO ``YYYY-MM-DD``); ``note`` is free text (e.g. the 官報
    notice). Lines starting with ``#`` are comments.
    """
    path = Path(path)
    df = pd.read_csv(path, dtype=str, comment="#", keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in MERGER_COLUMNS[:3] if c not in df.columns]
    if missing:
        raise InputFileError(f"missing column(s) {', '.join(missing)}; expected header "
                             f"{','.join(MERGER_COLUMNS)}", file=path, row=1, column=missing[0])
    if "note" not in df:
        df["note"] = ""
    for i, rec in enumerate(df.itertuples(index=False), start=2):
        for col in ("old_code", "new_code"):
            value = getattr(rec, col).strip()
            try:
                df.at[i - 2, col] = from_lg_code(value) if len(value) == 6 else _code5(value)
            except SckpiError as exc:
                raise InputFileError(str(exc), file=path, row=i, column=col) from None
        try:
            pd.Timestamp(rec.effective_date)
        except (ValueError, TypeError):
            raise InputFileError(f"{rec.effective_date!r} is not a date (YYYY-MM-DD)", file=path,
                                 row=i, column="effective_date") from None
    df["effective_date"] = pd.to_datetime(df["effective_date"]).dt.date.astype(str)
    return df[MERGER_COLUMNS]


def _successors(mergers: pd.DataFrame) -> dict[str, str]:
    """old → final successor, following chains (A→B then B→C gives A→C)."""
    step = dict(zip(mergers["old_code"], mergers["new_code"], strict=True))
    final: dict[str, str] = {}
    for old, code in step.items():
        seen = {old}
        while code in step:
            if code in seen:
                raise SckpiError(f"municipal mergers form a cycle through {code}")
            seen.add(code)
            code = step[code]
        final[old] = code
    return final


def apply_mergers(panel: pd.DataFrame, mergers: pd.DataFrame, how: str = "sum") -> pd.DataFrame:
    """Put a merged municipality's series onto its successor's code.

    ``how="sum"`` adds the old municipality's values to the successor's for the same year and
    variable — right for *counts* (population, births, crimes). Ratios and rates must not be
    summed: the engine recomputes them from the summed counts, so the panel should carry counts.
    A sum is NaN when any part is NaN (a partial sum would understate the whole). ``how="drop"``
    just removes the old codes' rows.
    """
    if how not in ("sum", "drop"):
        raise SckpiError(f"apply_mergers: how must be 'sum' or 'drop', not {how!r}")
    if mergers.empty or panel.empty:
        return panel.copy()
    final = _successors(mergers)
    affected = panel["area_code"].isin(final.keys())
    if not affected.any():
        return panel.copy()
    if how == "drop":
        return panel[~affected].reset_index(drop=True)
    moved = panel.copy()
    moved.loc[affected, "area_code"] = moved.loc[affected, "area_code"].map(final)
    touched = moved["area_code"].isin(set(final.values()))
    keys = ["area_code", "year", "variable"]
    part = moved[touched]
    agg: dict[str, object] = {"value": lambda s: s.sum(skipna=False)}
    for col in part.columns:
        if col in keys or col == "value":
            continue
        if col == "annotation":
            agg[col] = lambda s: "; ".join(sorted({str(x) for x in s.dropna()})) or None
        else:
            agg[col] = "first"
    names = (panel.loc[panel["area_code"].isin(set(final.values()))]
             .drop_duplicates("area_code").set_index("area_code").get("area_name"))
    summed = part.groupby(keys, sort=False, dropna=False).agg(agg).reset_index()
    if names is not None and "area_name" in summed:
        summed["area_name"] = summed["area_code"].map(names).fillna(summed["area_name"])
    out = pd.concat([moved[~touched], summed[moved.columns]], ignore_index=True)
    log.info("apply_mergers: %d rows of %d merged codes moved onto successors",
             int(affected.sum()), len(final))
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


__all__ = ["AREA_COLUMNS", "MERGER_COLUMNS", "MUNICIPAL_TYPES", "AreaCodeError", "apply_mergers",
           "areas_table", "build_areas", "check_digit", "core_cities", "designated_cities",
           "from_lg_code", "level_of", "load_mergers", "municipal_type", "normalize_area_code",
           "parent_code", "pref_code", "read_area_overrides", "to_lg_code", "unknown_codes"]
