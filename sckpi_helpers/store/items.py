"""Published statistics' item codes → the catalog's input ids, and e-Stat requests for a build.

Why here: e-Stat tables (API responses and SSDS CSV downloads) are keyed by the publisher's item
code (``A1101``); the engine reads catalog input ids (``population_census``). The catalog's
``inputs`` name their e-Stat ``sources``, so the mapping is derived from the catalog — never kept
as a second table. A code whose published name disagrees with the catalog's (a wrong code) is
not used: it must show as a missing input, never as another statistic's numbers. Everything not
used is returned as :class:`~sckpi_helpers.sources.base.Ignored` lines for the console.

The e-Stat requests a build makes (the tables the catalog names, the demo's cached tables, the
area list of a table's metadata) live here too: they are the same catalog → e-Stat mapping.

Stage: ``store`` — imports ``errors``, ``config``, ``catalog`` (through the object passed in) and
``sources``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from sckpi_helpers.catalog import items as citems
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.sources.base import Ignored
from sckpi_helpers.sources.external import panel_frame

#: SSDS tables the demo serves as e-Stat API JSON pages (the others come as a CSV download)
DEMO_API_TABLES = ("0000020201", "0000020209")


def tidy_to_panel(tidy: pd.DataFrame, catalog: Any, source_note: str = "",
                  file: str = "") -> tuple[pd.DataFrame, list[Ignored]]:
    """e-Stat tidy rows (``sources.base.ITEM_COLUMNS``) → panel rows, and what was not used.

    The mapping itself is the catalog's (:func:`sckpi_helpers.catalog.items.tidy_to_inputs`: sums
    of items, year bounds, the 政令指定都市 rule, units normalised). This function adds what the
    console needs: one :class:`Ignored` line (with its row count) naming ``file`` (default: the
    rows' ``source``) for every item code no catalog input names, every item whose published name
    disagrees with the catalog's (:func:`~sckpi_helpers.catalog.items.names_agree`), and the
    empty cells of items a year did not survey.
    """
    from sckpi_helpers.sources.areas import designated_cities

    if tidy is None or tidy.empty:
        return panel_frame(), []
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
    # one published cell given twice with different values is refused here, before items are
    # summed into inputs (where "the first wins" would hide it); which value is right is the user's call
    from sckpi_helpers.store.combine import refuse_conflicts

    sid = tidy["stats_data_id"].fillna("").astype(str) if "stats_data_id" in tidy.columns else ""
    probe = pd.DataFrame({"area_code": tidy["area_code"].astype(str), "year": tidy["year"],
                          "variable": sid + " " + item, "value": tidy["value"],
                          "annotation": tidy["annotation"], "source": "e-Stat " + sid + " " + item,
                          "_file": where})
    if "row" in tidy.columns:
        probe["_row"] = tidy["row"].to_numpy()
    refuse_conflicts(probe[keyed.isin(known) & has_cell], f"同じ統計の値が2つあります: {where}", {})
    rows, _unused = citems.tidy_to_inputs(tidy[~item.isin(refused)], catalog, designated=designated_cities())
    label = rows["source"].astype(str)
    if source_note:
        label = label + f" ({source_note})"
    elif "source" in tidy.columns:
        files = tidy["source"].dropna().astype(str).str.replace("e-Stat SSDS CSV ", "", regex=False).unique()
        if len(files) == 1 and files[0]:
            label = label + f" ({files[0]})"
    out = rows.assign(source=label.str.replace(r"\s+", " ", regex=True).str.strip(), published=None)
    return panel_frame(out), ignored


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


__all__ = ["DEMO_API_TABLES", "catalog_requests", "demo_api_requests", "fetch_api", "meta_areas",
           "tidy_to_panel"]
