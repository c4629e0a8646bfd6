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

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from sckpi_helpers.errors import SckpiError
from sckpi_helpers.sources.base import Ignored
from sckpi_helpers.sources.external import panel_frame

#: SSDS tables the demo serves as e-Stat API JSON pages (the others come as a CSV download)
DEMO_API_TABLES = ("0000020201", "0000020209")


def _estat_sources(catalog: Any) -> Iterable[tuple[str, Any]]:
    """(input id, source) for every e-Stat source with an item code the catalog's inputs name."""
    for input_id, var in (getattr(catalog, "inputs", {}) or {}).items():
        for s in getattr(var, "sources", []) or []:
            if getattr(s, "kind", None) == "estat" and getattr(s, "item_code", None):
                yield str(input_id), s


def estat_item_map(catalog: Any) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """Catalog e-Stat sources → input ids: by (stats_data_id, item_code) and by item code alone."""
    by_pair: dict[tuple[str, str], str] = {}
    by_item: dict[str, str] = {}
    for input_id, s in _estat_sources(catalog):
        item = str(s.item_code)
        if s.stats_data_id:
            by_pair.setdefault((str(s.stats_data_id), item), input_id)
        by_item.setdefault(item, input_id)
    return by_pair, by_item


def estat_item_names(catalog: Any) -> dict[str, str]:
    """item code → the name the catalog expects e-Stat to give it."""
    out: dict[str, str] = {}
    for _, s in _estat_sources(catalog):
        if getattr(s, "name", None):
            out.setdefault(str(s.item_code), str(s.name))
    return out


def estat_tables(catalog: Any) -> dict[str, list[str]]:
    """stats_data_id → item codes the catalog's inputs name (file order, unique)."""
    out: dict[str, list[str]] = {}
    for _, s in _estat_sources(catalog):
        if s.stats_data_id:
            items = out.setdefault(str(s.stats_data_id), [])
            if str(s.item_code) not in items:
                items.append(str(s.item_code))
    return out


def _core_name(text: Any) -> str:
    """An item name reduced for comparison: NFKC, no blanks, no bracketed qualifiers."""
    t = unicodedata.normalize("NFKC", str(text or ""))
    t = re.sub(r"[(\[【][^)\]】]*[)\]】]", "", t)
    return re.sub(r"\s+", "", t)


def names_agree(published: Any, expected: Any) -> bool:
    """True when e-Stat's name for an item and the catalog's name for its code say the same thing
    (equal, or one contains the other, once qualifiers in brackets are dropped)."""
    a, b = _core_name(published), _core_name(expected)
    return not a or not b or a == b or a in b or b in a


def tidy_to_panel(tidy: pd.DataFrame, catalog: Any, source_note: str = "",
                  file: str = "") -> tuple[pd.DataFrame, list[Ignored]]:
    """e-Stat tidy rows (``sources.base.ITEM_COLUMNS``) → panel rows, and what was not used.

    Rows that are neither a number nor a mark (items a year did not survey) are dropped. Items
    whose code no catalog input names, and items whose published name disagrees with the
    catalog's name for the code, are not used; each is one :class:`Ignored` line (with its row
    count) naming ``file`` (default: the rows' ``source``). An optional ``row`` column (the line
    as the user's editor numbers it) is kept as ``_row`` so later errors can name the row.
    """
    if tidy is None or tidy.empty:
        return panel_frame(), []
    by_pair, by_item = estat_item_map(catalog)
    sid = tidy["stats_data_id"].fillna("").astype(str)
    item = tidy["item_code"].fillna("").astype(str)
    pair = pd.Series(list(zip(sid, item, strict=True)), index=tidy.index)
    var = pair.map(by_pair).fillna(item.map(by_item))
    where = file or (str(tidy["source"].dropna().iloc[0]) if "source" in tidy.columns
                     and tidy["source"].notna().any() else "e-Stat")
    names = tidy["item_name"] if "item_name" in tidy.columns else pd.Series("", index=tidy.index)
    ignored: list[Ignored] = []
    unknown = tidy[var.isna() & (item != "")]
    for code, n in unknown.groupby(item[unknown.index], sort=True).size().items():
        name = names[unknown.index][item[unknown.index] == code].dropna()
        label = f"{code}「{name.iloc[0]}」" if len(name) else f"{code} "
        ignored.append(Ignored(where, f"項目 {label}はカタログのどの入力にも対応しないため使いません "
                                      "(item code not in the catalog)", column=str(code), count=int(n)))
    expected = estat_item_names(catalog)
    pairs = pd.DataFrame({"code": item, "name": names})[var.notna()].drop_duplicates()
    for code, published in zip(pairs["code"], pairs["name"], strict=True):
        if code in expected and not names_agree(published, expected[code]):
            n = int(((item == code) & var.notna()).sum())
            var = var.where(item != code)
            ignored.append(Ignored(where, f"項目 {code} の公表名「{published}」がカタログの想定「{expected[code]}」"
                                          "と異なるため使いません (published name differs from the catalog's)",
                                   column=str(code), count=n))
    has_cell = tidy["value"].notna() | tidy["annotation"].notna()
    if n_empty := int((var.notna() & ~has_cell).sum()):
        ignored.append(Ignored(where, "値も記号もない空欄のセル (empty cells: not surveyed that year)",
                               count=n_empty))
    keep = var.notna() & has_cell
    t = tidy[keep]
    var = var[keep]
    # the table the catalog names for an item when the CSV does not say which table it is
    table_of = {it: s for (s, it) in by_pair}
    sid_k = sid[keep].where(sid[keep] != "", item[keep].map(table_of)).fillna("")
    label = "e-Stat " + sid_k + " " + item[keep]
    if source_note:
        label = label + f" ({source_note})"
    elif "source" in t.columns:
        csvname = t["source"].fillna("").astype(str).str.replace("e-Stat SSDS CSV ", "", regex=False)
        label = label.where(csvname == "", label + " (CSV " + csvname + ")")
    out = pd.DataFrame({"area_code": t["area_code"].astype(str), "area_name": t["area_name"],
                        "year": t["year"].astype("int64"), "variable": var.astype(str),
                        "value": t["value"].astype("float64"), "unit": t["unit"].fillna(""),
                        "source": label.str.replace(r"\s+", " ", regex=True).str.strip(),
                        "annotation": t["annotation"], "published": None})
    panel = panel_frame(out)
    if "row" in t.columns:  # a reader that numbers its rows lets errors name them
        panel["_row"] = t["row"].to_numpy()
    return panel, ignored


# ------------------------------------------------------------------ e-Stat requests
def demo_api_requests(area_codes: Sequence[str]) -> list[dict[str, Any]]:
    """The e-Stat requests the demo makes (and whose cached pages it ships): the whole of each
    table in :data:`DEMO_API_TABLES` for the demo's municipalities (no item filter, so the cache
    does not depend on the catalog's item list)."""
    return [{"stats_data_id": sid, "areas": list(area_codes)} for sid in DEMO_API_TABLES]


def catalog_requests(catalog: Any, area_codes: Sequence[str]) -> list[dict[str, Any]]:
    """One getStatsData request per table the catalog names, for ``area_codes`` and its items."""
    return [{"stats_data_id": sid, "areas": list(area_codes), "cats": {"cat01": items}}
            for sid, items in estat_tables(catalog).items()]


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


__all__ = ["DEMO_API_TABLES", "catalog_requests", "demo_api_requests", "estat_item_map",
           "estat_item_names", "estat_tables", "fetch_api", "meta_areas", "names_agree",
           "tidy_to_panel"]
