"""Combining the rows of several sources into one panel, saying what each file lost and why.

Why separate: these are the build's rules about *which* number a cell gets — two sources giving
one cell different values is an error naming both (never "the first wins"); equal duplicates
collapse; rows keyed by catalog inputs (external statistics) replace e-Stat's for the same cell;
two files of one kind giving the same cell are refused — pure functions over frames, tested alone.
Rows carry ``_file`` (and, when the reader numbers rows, ``_row``) until the panel is written.

The per-file counts live here too: a row the panel keeps counts every source row that went into it
(``_uses``: the items of a derived input, each 手口 file's rows of a 街頭犯罪 sum), once per file;
rows waiting for another item of a sum and catalog items that make no input get their own lines.

Stage: ``store`` — imports ``errors``, ``sources`` and :mod:`.inputs`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sckpi_helpers.errors import Problem, ValidationError
from sckpi_helpers.sources.base import Ignored
from sckpi_helpers.sources.external import panel_frame
from sckpi_helpers.store.inputs import FileReport

KEY = ["area_code", "year", "variable"]


def refuse_conflicts(df: pd.DataFrame, title: str, reports: dict[str, FileReport]) -> pd.DataFrame:
    """One row per (area, year, variable): equal duplicates collapse; different values for the
    same cell are an error naming both rows' files (which one is right is the user's call)."""
    if df.empty:
        return df
    dup = df.duplicated(KEY, keep=False)
    if not dup.any():
        return df
    part = df[dup]
    value = part["value"].astype("float64")
    sig = value.round(9).astype(str).where(value.notna(), "mark:" + part["annotation"].fillna("").astype(str))
    distinct = sig.groupby([part[k] for k in KEY]).transform("nunique")
    clash = part[distinct > 1]
    if len(clash):
        problems = []
        for key, g in clash.groupby(KEY, sort=True):
            a, b = g.iloc[0], g[sig[g.index] != sig[g.index[0]]].iloc[0]
            problems.append(Problem(
                f"地域 {key[0]} {key[1]}年 '{key[2]}' に異なる値が2つあります (two different values for one "
                f"cell): {_cell(a)} と {_cell(b)} — どちらかを直すか削除してください", str(b.get("_file", "")) or None))
        raise ValidationError(problems[:50], title=title)
    kept = ~df.duplicated(KEY, keep="first")
    count_drops(reports, df[~kept], "同じ値を先に読んだ統計と重複 (same value as an earlier source)")
    return df[kept]


def _cell(row: pd.Series) -> str:
    """``100000 (a.csv 12行目, e-Stat 0000020201 A1101)``: the value and where it was read."""
    v = row["value"]
    shown = (f"{int(v):,}" if float(v).is_integer() else f"{v:,}") if pd.notna(v) else (row.get("annotation") or "NaN")
    where = Path(str(row.get("_file") or "")).name or str(row.get("source"))
    line = row.get("_row")
    if line is not None and pd.notna(line):
        where += f" {int(line)}行目"
    return f"{shown} ({where}, {row.get('source')})"


def apply_external(estat: pd.DataFrame, ext: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Concatenate, external winning over e-Stat on the same (area, year, variable); also the
    e-Stat rows that were replaced (for the per-file report)."""
    if ext.empty or estat.empty:
        return (estat if ext.empty else ext), estat.iloc[0:0]
    e_idx = pd.MultiIndex.from_frame(estat[KEY])
    overridden = e_idx.isin(pd.MultiIndex.from_frame(ext[KEY]))
    replaced = estat[overridden].set_index(KEY)["source"]
    ext = ext.copy()
    if len(replaced):
        xi = ext.set_index(KEY).index
        old = pd.Series(xi.map(replaced.to_dict().get), index=ext.index)
        ext["source"] = ext["source"].where(old.isna(), ext["source"] + " (overrides " + old.astype(str) + ")")
        # keep e-Stat's area name when external gave none
        names = estat[overridden].set_index(KEY)["area_name"].to_dict()
        ext["area_name"] = ext["area_name"].where(ext["area_name"].notna(),
                                                  pd.Series(xi.map(names.get), index=ext.index))
    return pd.concat([estat[~overridden], ext], ignore_index=True), estat[overridden]


def refuse_overlaps(df: pd.DataFrame, keys: list[str], what: str, title: str) -> None:
    """The same cell given by two files is ambiguous: name the cells instead of picking one."""
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        cells = df[dup].drop_duplicates(keys).head(20)
        raise ValidationError([Problem(f"{' '.join(str(getattr(r, k)) for k in keys)} is given by more than "
                                       f"one {what} file") for r in cells.itertuples()], title=title)


def uses_per_file(rows: pd.DataFrame) -> dict[str, int]:
    """How many of each file's rows went into ``rows``: through ``_uses`` (``(file, position)`` of
    every source row a row was derived or summed from, each counted once), else one per row of
    its ``_file``."""
    if rows.empty:
        return {}
    if "_uses" in rows.columns and rows["_uses"].notna().any():
        seen = {u for us in rows["_uses"].dropna() for u in us}
        out: dict[str, int] = {}
        for file, _pos in seen:
            out[file] = out.get(file, 0) + 1
        rest = rows[rows["_uses"].isna()]
        for file, n in (rest.groupby("_file").size().items() if "_file" in rest else []):
            out[file] = out.get(file, 0) + int(n)
        return out
    if "_file" not in rows:
        return {}
    return {str(f): int(n) for f, n in rows.groupby("_file").size().items()}


def count_drops(reports: dict[str, FileReport], dropped: pd.DataFrame, reason: str) -> None:
    """Add one ignored line per file for rows a build step left out (a derived row counts every
    item row that went into it: :func:`uses_per_file`)."""
    for file, n in uses_per_file(dropped).items():
        if file in reports and n:
            reports[file].ignored.append(Ignored(file, reason, count=int(n)))


# ------------------------------------------------------------------ rows keyed by inputs; per-file counts
def sum_police(results: list) -> list:
    """The panel results, the 犯罪オープンデータ 手口 files of one year added up into one result
    (before the overlap check, which would otherwise refuse the second 手口 file)."""
    from sckpi_helpers.sources.police_open_data import sum_methods

    panel = [r for r in results if r.target == "panel"]
    police = [r for r in panel if r.kind == "police-open-data"]
    if len(police) < 2:
        return panel
    summed = sum_methods([r.frame for r in police])
    # each file's rows that went into a sum, so every file's console line counts its own rows
    parts = pd.concat([pd.DataFrame({k: r.frame[k].to_numpy() for k in KEY}).assign(
        _use=[(r.file, i) for i in range(len(r.frame))]) for r in police], ignore_index=True)
    uses = parts.groupby(KEY, sort=False)["_use"].agg(list)
    keys = pd.MultiIndex.from_frame(summed[KEY])
    summed = panel_frame(summed).assign(_uses=[list(u) for u in uses.reindex(keys)])
    summed["_file"] = [u[0][0] for u in summed["_uses"]]
    first = police[0]
    merged = type(first)(first.kind, first.target, summed, [], file=first.file)
    return [r for r in panel if r.kind != "police-open-data"] + [merged]


def ext_rows(results: list) -> pd.DataFrame:
    """Rows keyed by catalog inputs (external statistics, police counts), each with its file and
    ``_uses`` (the file rows that went in, for the per-file count)."""
    frames = []
    for res in results:
        if res.target != "panel":
            continue
        if "_uses" in res.frame.columns:  # police 手口 files already added up
            frames.append(res.frame)
            continue
        f = panel_frame(res.frame)
        frames.append(f.assign(_file=res.file, _uses=[[(res.file, i)] for i in range(len(f))]))
    return (pd.concat(frames, ignore_index=True) if frames
            else panel_frame().assign(_file=None, _uses=None))


def count_unplaced(items: pd.DataFrame, positions: list[int], reports: dict[str, FileReport]) -> None:
    """One line per file for catalog items that went into no input (a code outside the years the
    catalog reads it for, an item read only for 政令指定都市 …): counted, not dropped silently."""
    if not positions:
        return
    for file, n in items.loc[positions].groupby("file").size().items():
        if file in reports:
            reports[file].ignored.append(Ignored(
                file, "カタログの項目だが、この年・地域ではどの入力にもならない行 (items of the catalog that "
                      "make no input here: outside the years a code is read for, or read only for "
                      "政令指定都市; kept in items.parquet)", count=int(n)))


def report_lacking(lacking: pd.DataFrame, done: pd.DataFrame, reports: dict[str, FileReport]) -> None:
    """Per file: the derived inputs that still lack items, and how many of the file's rows wait
    for them (kept in items.parquet; a download with the missing item completes the sum)."""
    if lacking.empty:
        return
    used = {u for us in done["_uses"].dropna() for u in us} if "_uses" in done.columns else set()
    groups = sorted(lacking.groupby(["variable", "lacking"], sort=True), key=lambda kg: -len(kg[1]))
    for (variable, codes), g in groups:  # each row counted once, under the input most rows wait for
        waiting = {u for us in g["_uses"].dropna() for u in us} - used
        used |= waiting
        per_file: dict[str, int] = {}
        for file, _i in waiting:
            per_file[file] = per_file.get(file, 0) + 1
        for file, n in sorted(per_file.items()):
            if file in reports:
                reports[file].ignored.append(Ignored(
                    file, f"{variable} は項目 {codes} がないため欠測 (derived input lacks item {codes}): "
                          f"これらの行は items.parquet に保存、{codes} を含むファイルを加えると使えます "
                          "(kept; add a file carrying it)", count=n))


__all__ = ["KEY", "apply_external", "count_drops", "count_unplaced", "ext_rows", "refuse_conflicts",
           "refuse_overlaps", "report_lacking", "sum_police", "uses_per_file"]
