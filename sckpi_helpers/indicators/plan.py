"""The plan for the rest: which missing inputs would unlock which tier-3 indicators, and where to get them.

Check❹ shows it as 「データを追加すると算出できる指標」 and ``sckpi indicators --missing`` prints it.
Why a module of its own: coverage says *whether* a city has an indicator; the plan turns the gaps
into a ranked to-do list (an input that alone unlocks a required indicator first), with, per
input, where a user gets it — declared in the catalog (``where_to_get``) or derived from its
sources. It also holds the compact table of missing indicators (indicator, status, missing
input, since when) that replaces one long reason line per indicator, and the page's warning when
補正人口 falls back to 常住人口 in a city whose daytime population is far above its residents.

Stage 5 (indicators): imports the catalog formula (2), the vocabulary (1) and the other indicators
modules.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.catalog.formula import referenced_names
from sckpi_helpers.config.vocabulary import COVERAGE_JA
from sckpi_helpers.indicators.coverage import coverage
from sckpi_helpers.indicators.engine import ADJUSTED, _attr, _is_change, tier3_indicators
from sckpi_helpers.indicators.reasons import definition_name, reason_ja

#: columns of :func:`missing_table` (the compact table of indicators the city lacks)
MISSING_COLUMNS = ["indicator_id", "name_ja", "required", "state", "state_ja", "missing_inputs", "missing_ja",
                   "since", "reason_ja"]
#: columns of :func:`plan` (missing inputs ranked by what they would unlock)
PLAN_COLUMNS = ["input_id", "name_ja", "unlocks", "unlocks_required", "indicators", "partly", "where_to_get",
                "availability"]
_AVAILABILITY_ORDER = {"estat": 0, "external": 1, "local": 2, "unavailable": 3}


# ------------------------------------------------------------------------------ where to get it
def where_to_get(catalog: Any, input_id: str, city: str | None = None) -> str:
    """How a user obtains ``input_id``: the catalog's ``where_to_get``, else derived from its sources
    (e-Stat table and item code, the download, police open data, local data via ``sckpi template``)."""
    var = (getattr(catalog, "inputs", None) or {}).get(input_id)
    if var is None:
        return ""
    if _attr(var, "where_to_get"):
        return str(_attr(var, "where_to_get"))
    out, estat = [], []
    for s in _attr(var, "sources", None) or []:
        kind, name, sid = _attr(s, "kind"), _attr(s, "name"), _attr(s, "stats_data_id")
        codes = list(getattr(s, "summed_codes", []) or [])
        if kind == "estat" and sid and codes:
            years = ""
            if _attr(s, "from_year") or _attr(s, "to_year"):
                years = f"（{_attr(s, 'from_year') or ''}～{_attr(s, 'to_year') or ''}年）"
            check = "" if _attr(s, "confirmed", True) else "（項目コード未確認）"
            estat.append(f"{sid} の {'＋'.join(codes)}{years}{check}")
        elif kind == "estat":
            out.append(f"e-Stat: {name}" if name else "e-Stat")
        elif kind == "external":
            how = ("sckpi ingest --police FILE" if name and "警察" in str(name) and "オープンデータ" in str(name)
                   else "外部統計ファイル（docs/DATA_FORMATS.md）にして sckpi ingest --external FILE")
            out.append(f"{name}：{how}")
        elif kind == "local":
            out.append(f"{name}：地域データとして sckpi template --city {city or 'CODE'} --out local.xlsx の様式に記入")
        else:
            out.append("市区町村別の公表統計なし" + (f"（{_attr(s, 'note')}）" if _attr(s, "note") else ""))
    if estat:
        out.insert(0, f"e-Stat API {'、'.join(estat)}（sckpi ingest --source estat-api）、または e-Stat の"
                      "社会・人口統計体系 市区町村データの CSV ダウンロード（--source estat-csv）")
    return " / ".join(dict.fromkeys(out))


# ---------------------------------------------------------------------------- missing inputs
def _present(provenance: Any, observed_only: bool) -> set[str]:
    """Inputs named in a provenance string (``x@2020``, ``x@2020*``, ``x<-y@2020``); with
    ``observed_only`` only those observed in their own right on every side (a change needs both
    years observed: ``x@2021*; x@2021`` lacks x)."""
    out, filled = set(), set()
    for tok in str(provenance or "").split("; "):
        if "@" not in tok:
            continue
        name = tok.split("@")[0].split("<-")[0]
        (filled if "*" in tok or "<-" in tok else out).add(name)
    return out - filled if observed_only else out | filled


def _definition_inputs(catalog: Any, definition: Any) -> set[str] | None:
    try:
        return set(referenced_names(catalog.adjusted_population_formula(definition)))
    except Exception:  # noqa: BLE001 - a stand-in catalog without the definition: inputs unknown
        return None


def _needed(catalog: Any, ind: Any, definitions: list[Any], present: set[str]) -> set[str]:
    """The inputs an indicator needs; for 補正人口 those of the definition (of the city's, then the
    catalog's fallbacks) that lacks the fewest inputs, so the plan asks for what is nearest."""
    names = set(referenced_names(_attr(ind, "formula")))
    if ADJUSTED in names:
        names.discard(ADJUSTED)
        options = [x for x in (_definition_inputs(catalog, d) for d in definitions) if x is not None]
        if options:
            names |= min(options, key=lambda x: len(x - present))
    return names


def missing_table(results: pd.DataFrame, catalog: Any, city: str, year: int) -> pd.DataFrame:
    """One compact row per tier-3 indicator the city lacks (or has only 推計/代替) in ``year``:
    its status, the inputs it lacks and since when (the year after its last value, or never)."""
    city = str(city)
    cov = coverage(results, catalog, city, year)
    mine = results[results["area_code"].astype(str) == city]
    ok = mine[mine["status"] != "missing"]
    last = ok.groupby("indicator_id")["year"].max() if len(ok) else pd.Series(dtype="int64")
    row = mine[mine["year"] == int(year)].set_index("indicator_id")
    inds = {ind.id: ind for ind in tier3_indicators(catalog)}
    present = set().union(*(_present(p, False) for p in row["provenance"])) if len(row) else set()
    ap = getattr(catalog, "adjusted_population", None)
    used = [d for d in (row["adjusted_population"].dropna().unique() if "adjusted_population" in row.columns
                        else []) if d]
    definitions = list(dict.fromkeys([*used, _attr(ap, "default"), *(_attr(ap, "fallbacks", None) or [])]))
    rows = []
    for c in cov.itertuples(index=False):
        if c.state == "computed":
            continue
        ind = inds[c.indicator_id]
        missing: list[str] = []
        if c.state in ("missing_input", "needs_local_data") and _attr(ind, "formula") and c.indicator_id in row.index:
            r = row.loc[c.indicator_id]
            change = _is_change(_attr(ind, "formula"))
            need = _needed(catalog, ind, definitions, present)
            have = _present(r["provenance"], True) if change else present
            missing = sorted(need - have)
        if c.state == "estimated":
            since = ""
        elif c.indicator_id in last.index:
            since = f"{int(last[c.indicator_id]) + 1}年から"
        else:
            since = "値のある年なし"
        names = [getattr((getattr(catalog, "inputs", None) or {}).get(m), "name_ja", None) or m for m in missing]
        rows.append({"indicator_id": c.indicator_id, "name_ja": c.name_ja, "required": bool(c.required),
                     "state": c.state, "state_ja": COVERAGE_JA.get(c.state, c.state), "missing_inputs": missing,
                     "missing_ja": "、".join(names), "since": since, "reason_ja": reason_ja(c.detail, catalog)})
    out = pd.DataFrame(rows, columns=MISSING_COLUMNS)
    return out.sort_values(["required", "state"], ascending=[False, True], kind="stable").reset_index(drop=True)


def plan(results: pd.DataFrame, catalog: Any, city: str, year: int,
         missing: pd.DataFrame | None = None) -> pd.DataFrame:
    """The missing inputs ranked by how many indicators each would unlock on its own, required ones
    first (``unlocks_required``, ``unlocks``), then by how many more it is one of several missing
    inputs for (``partly``); inputs no statistic publishes per municipality come last. Each row says
    where to get the input."""
    missing = missing_table(results, catalog, city, year) if missing is None else missing
    inputs = getattr(catalog, "inputs", None) or {}
    acc: dict[str, dict[str, Any]] = {}
    for r in missing.itertuples(index=False):
        if r.state not in ("missing_input", "needs_local_data"):
            continue
        for m in r.missing_inputs:
            a = acc.setdefault(m, {"alone": [], "alone_req": 0, "partly": 0})
            if len(r.missing_inputs) == 1:
                a["alone"].append((not r.required, r.name_ja))
                a["alone_req"] += int(r.required)
            else:
                a["partly"] += 1
    rows = []
    for m, a in acc.items():
        var = inputs.get(m)
        availability = str(getattr(var, "availability", None) or "estat")
        rows.append({"input_id": m, "name_ja": getattr(var, "name_ja", None) or m, "unlocks": len(a["alone"]),
                     "unlocks_required": a["alone_req"],
                     "indicators": "、".join(n + ("（必須）" if not opt else "") for opt, n in sorted(a["alone"])),
                     "partly": a["partly"], "where_to_get": where_to_get(catalog, m, city),
                     "availability": availability})
    out = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    if out.empty:
        return out
    out["_last"] = out["availability"].eq("unavailable")
    out["_av"] = out["availability"].map(_AVAILABILITY_ORDER).fillna(9)
    out = out.sort_values(["_last", "unlocks_required", "unlocks", "partly", "_av", "input_id"],
                          ascending=[True, False, False, False, True, True], kind="stable")
    return out.drop(columns=["_last", "_av"]).reset_index(drop=True)


# --------------------------------------------------------------- 補正人口 fell back to residents
def day_night_ratio(panel: pd.DataFrame, city: str, year: int) -> tuple[float, int] | None:
    """(昼間人口 ÷ 常住人口, census year) of ``city`` at or before ``year``: from 昼夜間人口比率
    (A6108), else from 昼間人口 and the census population of one year; None when unknown."""
    mine = panel[(panel["area_code"].astype(str) == str(city)) & (panel["year"] <= int(year))]
    wide = mine.pivot_table(index="year", columns="variable", values="value", aggfunc="first")
    if "day_night_ratio" in wide.columns and wide["day_night_ratio"].notna().any():
        y = int(wide["day_night_ratio"].dropna().index.max())
        return float(wide.loc[y, "day_night_ratio"]) / 100, y
    for den in ("population_census", "population_resident"):
        if "daytime_population" in wide.columns and den in wide.columns:
            both = wide[["daytime_population", den]].dropna()
            both = both[both[den] > 0]
            if len(both):
                y = int(both.index.max())
                return float(both.loc[y, "daytime_population"] / both.loc[y, den]), y
    return None


def resident_fallback_warning(results: pd.DataFrame, panel: pd.DataFrame, catalog: Any, city: str, year: int,
                              city_name: str | None = None) -> str | None:
    """The page's warning when 補正人口 is 常住人口 (fallen back, or chosen) for indicators of ``city``
    in ``year`` while its daytime population is far above its residents (ratio ≥ the catalog's
    ``resident_warning_ratio``): the per-resident rates overstate what the guideline means. None
    when there is nothing to warn about (or the day/night ratio is unknown)."""
    if "adjusted_population" not in results.columns:
        return None
    sel = results[(results["area_code"].astype(str) == str(city)) & (results["year"] == int(year))
                  & (results["adjusted_population"] == "resident") & (results["status"] != "missing")]
    if sel.empty:
        return None
    found = day_night_ratio(panel, city, year)
    limit = float(_attr(getattr(catalog, "adjusted_population", None), "resident_warning_ratio", None) or 1.5)
    if found is None or not np.isfinite(found[0]) or found[0] < limit:
        return None
    ratio, y = found
    names = "、".join(getattr(catalog.indicators.get(i), "name_ja", i) for i in sel["indicator_id"])
    fell = (sel["flag"] == "substitute").any() if "flag" in sel.columns else False
    why = ("補正人口を算出できる統計がないため常住人口（夜間人口）で代替しています" if fell
           else f"補正人口に「{definition_name(catalog, 'resident')}」を使っています")
    return (f"{city_name or city}の昼間人口は常住人口の{ratio:.1f}倍です（{y}年国勢調査）。{why}。"
            f"そのため常住人口当たりの率（{names}）は、昼間に市内にいる人口を含めて比べるというガイドラインの"
            f"補正人口の考え方よりも大きく出ます（過大評価）。昼間人口・流入人口のデータを加えると補正人口で算出できます。")
