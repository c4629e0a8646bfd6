"""Published statistics' item codes → the catalog's input ids, and e-Stat requests for a build.

Why here: e-Stat tables (API responses and SSDS CSV downloads) are keyed by the publisher's item
code (``A1101``); the engine reads catalog input ids (``population_census``). The catalog's
``inputs`` name their e-Stat ``sources``, so the mapping is derived from the catalog — never kept
as a second table. A code whose published name disagrees with the catalog's (a wrong code) is
not used: it must show as a missing input, never as another statistic's numbers. Everything not
used is returned as :class:`~sckpi_helpers.sources.base.Ignored` lines for the console.

Published items are kept as published (``items.parquet``: code, name, unit, year, value, mark,
file, row — :func:`screen_items`); the inputs are derived from the items of *every* file of a
build together (:func:`derive_panel`), so a file carrying only one item of a sum keeps its rows
and a later download with the other item completes the sum. Each derived row says how it was
made (``derivation``: ``outflow_population = A6103 + A6104; A6103 = 11,980 (a.csv 12行目); …``).

The e-Stat requests a build makes (the tables the catalog names, the demo's cached tables, the
area list of a table's metadata) live here too: they are the same catalog → e-Stat mapping.

Stage: ``store`` — imports ``errors``, ``config``, ``catalog`` (through the object passed in) and
``sources``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.catalog import items as citems
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.sources.base import Ignored
from sckpi_helpers.sources.external import panel_frame

#: ``items.parquet``: every published item row a build read, as published, with its file and row
ITEMS_COLUMNS = ["area_code", "area_name", "year", "item_code", "item_name", "unit", "value",
                 "annotation", "stats_data_id", "time_code", "file", "row"]
#: SSDS tables the demo serves as e-Stat API JSON pages (the others come as a CSV download)
DEMO_API_TABLES = ("0000020201", "0000020209")


def screen_items(tidy: pd.DataFrame, catalog: Any, file: str = "") -> tuple[pd.DataFrame, list[Ignored]]:
    """One file's item rows as published (:data:`ITEMS_COLUMNS`, ``file`` and ``row`` set), and
    the console lines for what no input can use: one :class:`Ignored` line (with its row count)
    naming ``file`` (default: the rows' ``source``) for every item code no catalog input names,
    every item whose published name disagrees with the catalog's
    (:func:`~sckpi_helpers.catalog.items.names_agree`), and the empty cells of items a year did
    not survey (dropped: they hold nothing). Every other row is kept, whichever input it feeds.
    """
    if tidy is None or tidy.empty:
        return items_frame(), []
    item = tidy["item_code"].fillna("").astype(str)
    # an item is known per table: a bundled dataset's code only through that dataset's sources
    datasets = {citems.table_of(src) for _iid, src in citems.item_sources(catalog)} - {""}
    table = (tidy["stats_data_id"].fillna("").astype(str) if "stats_data_id" in tidy.columns
             else pd.Series("", index=tidy.index))
    keyed = table.where(table.isin(datasets), "") + "\t" + item
    known = {f"{citems.table_of(src)}\t{c}" for _iid, src in citems.item_sources(catalog)
             for c in src.item_codes}
    where = file or (str(tidy["source"].dropna().iloc[0]) if "source" in tidy.columns
                     and tidy["source"].notna().any() else "e-Stat")
    names = tidy["item_name"] if "item_name" in tidy.columns else pd.Series("", index=tidy.index)
    ignored: list[Ignored] = []
    unknown = item[~keyed.isin(known) & (item != "")]
    for code, n in unknown.groupby(unknown, sort=True).size().items():
        name = names[unknown.index][unknown == code].dropna()
        label = f"{code}「{name.iloc[0]}」" if len(name) else f"{code} "
        ignored.append(Ignored(where, f"項目 {label}はカタログのどの入力にも対応しないため使いません "
                                      "(item code not in the catalog)", column=str(code), count=int(n)))
    refused = set()
    for code, published, expected in citems.refused_names(tidy.assign(item_code=item), catalog):
        refused.add(code)
        ignored.append(Ignored(where, f"項目 {code} の公表名「{published}」がカタログの想定「{expected}」"
                                      "と異なるため使いません (published name differs from the catalog's)",
                               column=str(code), count=int((item == code).sum())))
    has_cell = tidy["value"].notna() | tidy["annotation"].notna()
    if n_empty := int((keyed.isin(known) & ~item.isin(refused) & ~has_cell).sum()):
        ignored.append(Ignored(where, "値も記号もない空欄のセル (empty cells: not surveyed that year)",
                               count=n_empty))
    kept = tidy[has_cell & (item != "")].assign(file=where)
    if "row" not in kept.columns:
        kept["row"] = None
    return items_frame(kept), ignored


def items_frame(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """A frame with :data:`ITEMS_COLUMNS` and their dtypes (str codes, int year, float value,
    nullable int row)."""
    df = pd.DataFrame(frame if frame is not None else [])
    for c in ITEMS_COLUMNS:
        if c not in df.columns:
            df[c] = None
    df = df[ITEMS_COLUMNS].copy()
    df["year"] = pd.to_numeric(df["year"], errors="coerce").astype("int64") if len(df) else df["year"].astype("int64")
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    df["row"] = pd.to_numeric(df["row"], errors="coerce").astype("Int64")
    for c in ("area_code", "item_code", "file"):
        df[c] = df[c].astype(str) if len(df) else df[c].astype(object)
    for c in ("area_name", "item_name", "unit", "annotation", "stats_data_id", "time_code"):
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df.reset_index(drop=True)


def refuse_item_conflicts(items: pd.DataFrame, reports: dict[str, Any]) -> pd.DataFrame:
    """One row per published cell (area, year, item code) across every file read: the same cell
    given twice with different values is an error naming both files and rows (which one is right
    is the user's call); equal duplicates collapse onto the first file, the others' report says so."""
    from sckpi_helpers.store.combine import refuse_conflicts

    if items.empty:
        return items
    # a cell is one table's item: the same code in two publications (SSDSE-A and すがた) is no conflict
    table = items["stats_data_id"].fillna("").astype(str) if "stats_data_id" in items.columns else ""
    probe = pd.DataFrame({"area_code": items["area_code"], "year": items["year"],
                          "variable": table + " " + items["item_code"], "value": items["value"],
                          "annotation": items["annotation"], "source": "e-Stat " + table + " " + items["item_code"],
                          "_file": items["file"], "_row": items["row"]}, index=items.index)
    kept = refuse_conflicts(probe, "同じ統計の値が2つあります (one published cell, two values)", reports)
    return items.loc[kept.index].reset_index(drop=True)


def _short(file: str) -> str:
    """A file's name (``a.csv``), or an API label as it is."""
    if not file or file.startswith("e-Stat API"):
        return file
    return Path(file.removeprefix("e-Stat SSDS CSV ")).name


def _item_labels(items: pd.DataFrame) -> np.ndarray:
    """``A6103 = 11,980 (a.csv 660行目)`` per item row: its code, value or mark, file and row."""
    value = items["value"]
    has = value.notna()
    whole = has & (value == value.round())
    text = items["annotation"].astype(object).where(items["annotation"].notna(), "NaN").astype(str).astype(object)
    text[whole] = [f"{v:,.0f}" for v in value[whole]]
    text[has & ~whole] = [f"{v:,}" for v in value[has & ~whole]]
    short = {f: _short(f) for f in set(items["file"].astype(str))}
    where = items["file"].astype(str).map(short).astype(object)
    has_row = items["row"].notna()
    where[has_row] = [f"{w} {int(r):,}行目" for w, r in zip(where[has_row], items["row"][has_row], strict=True)]
    return (items["item_code"].astype(str) + " = " + text + " (" + where + ")").to_numpy(dtype=object)


def derive_panel(items: pd.DataFrame, catalog: Any, designated: Iterable[str] | None = None
                 ) -> tuple[pd.DataFrame, list[int]]:
    """The catalog's inputs derived from the published items of every file together (sums such
    as ``outflow_population = A6103 + A6104``, codes bounded by from_year/to_year, the 政令指定都市
    rule): panel rows with ``derivation`` naming each item's value, file and row, ``lacking`` (the
    items a sum still lacks: the value is then missing, marked so), ``_file``/``_row`` (the first
    item's) and ``_uses`` (``(file, item position)`` of every item row that went in). Also the
    positions of the catalog's item rows that went into no input (outside a code's years …).

    The one derivation (:func:`sckpi_helpers.catalog.items.tidy_to_inputs` does the arithmetic);
    items from several files add up, so a download carrying only A6103 and another carrying
    A6104 make one ``outflow_population``.
    """
    from sckpi_helpers.sources.areas import designated_cities

    if items is None or items.empty:
        return panel_frame().assign(lacking=None, _file=None, _row=None, _uses=None), []
    designated = designated_cities() if designated is None else designated
    items = items.reset_index(drop=True)
    rows, _unused = citems.tidy_to_inputs(items, catalog, designated=designated)
    files = items["file"].astype(str).to_numpy(dtype=object)
    line = items["row"].to_numpy(dtype=object)
    ids = [list(r) for r in rows["item_rows"]]
    placed = sorted({i for r in ids for i in r})
    label = np.empty(len(items), dtype=object)
    label[placed] = _item_labels(items.iloc[placed])
    short = {f: _short(f) for f in set(files)}
    rows["derivation"] = [f"{d}; " + "; ".join(label[i] for i in r) if r else d
                          for d, r in zip(rows["derivation"], ids, strict=True)]
    rows["_uses"] = [[(files[i], i) for i in r] for r in ids]
    rows["_file"] = [files[r[0]] if r else None for r in ids]
    rows["_row"] = [line[r[0]] if r else None for r in ids]
    suffix = [f" ({short[files[r[0]]]})" if r and not files[r[0]].startswith("e-Stat API")
              and all(files[i] == files[r[0]] for i in r) else "" for r in ids]
    rows["source"] = (rows["source"].astype(str) + pd.Series(suffix, index=rows.index)).str.replace(
        r"\s+", " ", regex=True).str.strip()
    known = {c for _iid, src in citems.item_sources(catalog) for c in src.item_codes}
    unplaced = np.setdiff1d(np.flatnonzero(items["item_code"].isin(known).to_numpy()),
                            np.asarray(placed, dtype=np.int64))
    out = panel_frame(rows.assign(published=None))
    for c in ("derivation", "lacking", "_file", "_row", "_uses"):
        out[c] = rows[c].to_numpy(dtype=object)
    return out, [int(i) for i in unplaced]


def tidy_to_panel(tidy: pd.DataFrame, catalog: Any, source_note: str = "",
                  file: str = "") -> tuple[pd.DataFrame, list[Ignored]]:
    """One file's e-Stat tidy rows (``sources.base.ITEM_COLUMNS``) → panel rows, and what was
    not used: :func:`screen_items`, :func:`refuse_item_conflicts` and :func:`derive_panel` on
    that file alone (the build derives from every file's items together)."""
    items, ignored = screen_items(tidy, catalog, file)
    items = refuse_item_conflicts(items, {})
    panel, _ = derive_panel(items, catalog)
    if source_note:
        panel["source"] = panel["source"].str.replace(r" \([^()]*\)$", "", regex=True) + f" ({source_note})"
    return panel_frame(panel), ignored


# ------------------------------------------------------------------ e-Stat requests
def demo_api_requests(area_codes: Sequence[str]) -> list[dict[str, Any]]:
    """The e-Stat requests the demo makes (and whose cached pages it ships): the whole of each
    table in :data:`DEMO_API_TABLES` for the demo's municipalities (no item filter, so the cache
    does not depend on the catalog's item list)."""
    return [{"stats_data_id": sid, "areas": list(area_codes)} for sid in DEMO_API_TABLES]


def catalog_requests(catalog: Any, area_codes: Sequence[str]) -> list[dict[str, Any]]:
    """One getStatsData request per table the catalog names, for ``area_codes`` and its items."""
    return [{"stats_data_id": sid, "areas": list(area_codes), "cats": {"cat01": items}}
            for sid, items in citems.estat_tables(catalog).items()]


def fetch_api(client: Any, requests: Iterable[dict[str, Any]], refresh: bool = False,
              progress: bool = False) -> pd.DataFrame:
    """Run getStatsData requests (all pages) and parse them into one tidy frame.

    Raises a one-line :class:`SckpiError` when no table has a data row (e-Stat STATUS 1 for every
    request: wrong area codes or items), instead of building an empty panel.
    """
    from sckpi_helpers.sources.estat_api import parse_stats_data

    reqs = list(requests)
    frames = []
    it: Iterable[dict[str, Any]] = reqs
    if progress and len(reqs) > 1:
        from tqdm import tqdm

        it = tqdm(reqs, desc="e-Stat", unit="table")
    for r in it:
        kwargs = {k: v for k, v in r.items() if k != "stats_data_id"}
        pages = client.get_stats_data(r["stats_data_id"], refresh=refresh, **kwargs)
        frames.append(parse_stats_data(pages))
    frames = [f for f in frames if not f.empty]
    if reqs and not frames:
        raise SckpiError("e-Stat にデータ行がありません (no data rows in the e-Stat answers for "
                         f"statsDataId {', '.join(r['stats_data_id'] for r in reqs)}: check the "
                         "area codes and years)")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def meta_areas(meta: dict) -> list[tuple[str, str]]:
    """(area code, municipality name) pairs from a getMetaInfo answer's ``area`` class."""
    from sckpi_helpers.sources.estat_api import _as_list, municipality_part

    root = meta.get("GET_META_INFO", meta)
    objs = _as_list(root.get("METADATA_INF", {}).get("CLASS_INF", {}).get("CLASS_OBJ"))
    for obj in objs:
        if obj.get("@id") == "area":
            return [(str(c.get("@code")), municipality_part(str(c.get("@name", ""))))
                    for c in _as_list(obj.get("CLASS"))]
    return []


__all__ = ["DEMO_API_TABLES", "ITEMS_COLUMNS", "catalog_requests", "demo_api_requests", "derive_panel",
           "fetch_api", "items_frame", "meta_areas", "refuse_item_conflicts", "screen_items", "tidy_to_panel"]
