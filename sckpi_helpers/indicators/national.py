"""The national bulk table: every municipality × every tier-3 indicator for one year.

Why its own module: the national report site (``reports/national/<year>/``) publishes one table that
a reviewer can load into Excel or pandas and that the per-indicator pages and the national index
are drawn from — value, status, flags, rank and 偏差値 both among all municipalities and among the
municipality's 類似団体, and the years of the inputs each value came from. One function builds it
(pure, over the engine's results), so the CSV, the Parquet file and the pages cannot disagree.

Stage: ``indicators`` — imports the engine and peers (same stage), ``store.peer_groups`` (4) and
``config.vocabulary`` (1).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.config.vocabulary import FLAG_JA, PREFECTURE_JA, RESULT_STATUS_SHORT_JA, similar_class_ja
from sckpi_helpers.indicators.engine import _attr, tier3_indicators
from sckpi_helpers.indicators.peers import scores
from sckpi_helpers.store.peer_groups import similar_classes

#: the bulk table's columns, in order (indicators.csv / indicators.parquet of the national site)
NATIONAL_COLUMNS = [
    "area_code", "area_name", "pref_code", "pref_name", "municipal_type", "similar_class", "similar_class_ja",
    "indicator_id", "name_ja", "name_en", "pillar", "direction", "unit", "year", "value", "status",
    "status_ja", "flags", "reason", "rank", "n", "deviation_score", "similar_rank", "similar_n",
    "similar_deviation_score", "input_years",
]

_INPUT_AT_YEAR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)@(\d{4})")


def input_years(provenance: Any) -> str:
    """``"population_resident@2022; doctors@2020"`` → ``"2020–2022"`` (the span of the inputs' years)."""
    years = sorted({int(y) for _, y in _INPUT_AT_YEAR.findall(str(provenance or ""))})
    if not years:
        return ""
    return str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}"


def _flags(status: str, flag: Any) -> str:
    """The value's flag in words (``config.vocabulary.FLAG_JA``): 代替 where 補正人口 fell back along
    the area's chain or an input was substituted, 推計 for carried or interpolated inputs."""
    if isinstance(flag, str) and flag in FLAG_JA:
        return FLAG_JA[flag]
    return FLAG_JA["estimated"] if status == "estimated" else ""


def national_table(results: pd.DataFrame, catalog: Any, areas: pd.DataFrame, panel: pd.DataFrame | None,
                   year: int) -> pd.DataFrame:
    """Every municipality of ``areas`` × every tier-3 indicator of the catalog in ``year``.

    Ranks and 偏差値 are direction-aware (:func:`~sckpi_helpers.indicators.peers.scores`): once over all
    municipalities with a value (``rank``, ``n``, ``deviation_score``), once within the
    municipality's 類似団体 (``similar_*``; NaN where the class is unknown). A municipality without a
    result keeps its rows as ``missing`` with the reason, so the table always has areas × indicators
    rows.
    """
    year = int(year)
    muni = areas[areas["level"].astype(str) == "municipality"] if "level" in areas.columns else areas
    muni = muni.assign(area_code=muni["area_code"].astype(str)).drop_duplicates("area_code")
    codes = muni["area_code"].tolist()
    inds = tier3_indicators(catalog, with_formula=True)
    grid = pd.MultiIndex.from_product([codes, [i.id for i in inds]], names=["area_code", "indicator_id"])
    r = results[(results["year"] == year) & results["area_code"].astype(str).isin(set(codes))]
    r = r.assign(area_code=r["area_code"].astype(str)).drop_duplicates(["area_code", "indicator_id"])
    base = r.set_index(["area_code", "indicator_id"]).reindex(grid).reset_index()
    base["year"] = year
    base["status"] = base["status"].fillna("missing")
    base["reason"] = base["reason"].where(base["reason"].notna(), None)
    no_result = base["value"].isna() & base["reason"].isna() & (base["status"] == "missing")
    base.loc[no_result, "reason"] = f"no result in {year}"

    nat = scores(r, catalog, year)[["area_code", "indicator_id", "rank", "n", "deviation_score"]]
    base = base.merge(nat, on=["area_code", "indicator_id"], how="left")

    classes = similar_classes(muni, panel) if panel is not None and not panel.empty else pd.Series(dtype=object)
    cls = muni["area_code"].map(classes).where(lambda s: s.notna() & ~s.astype(str).str.endswith("-?"))
    cls_by_code = dict(zip(muni["area_code"], cls, strict=True))
    sim_parts = []
    for c, members in pd.Series(cls_by_code).dropna().groupby(lambda x: cls_by_code[x]):
        sub = r[r["area_code"].isin(set(members.index))]
        if not sub.empty:
            sim_parts.append(scores(sub, catalog, year)[["area_code", "indicator_id", "rank", "n",
                                                          "deviation_score"]])
    sim = pd.concat(sim_parts, ignore_index=True) if sim_parts else \
        pd.DataFrame(columns=["area_code", "indicator_id", "rank", "n", "deviation_score"])
    sim = sim.rename(columns={"rank": "similar_rank", "n": "similar_n", "deviation_score": "similar_deviation_score"})
    base = base.merge(sim, on=["area_code", "indicator_id"], how="left")

    meta = {i.id: i for i in inds}
    base["name_ja"] = base["indicator_id"].map(lambda i: _attr(meta[i], "name_ja"))
    base["name_en"] = base["indicator_id"].map(lambda i: _attr(meta[i], "name_en"))
    base["pillar"] = base["indicator_id"].map(lambda i: _attr(meta[i], "pillar"))
    base["direction"] = base["indicator_id"].map(lambda i: _attr(meta[i], "direction"))
    base["unit"] = base["indicator_id"].map(lambda i: _attr(meta[i], "unit"))
    info = muni.set_index("area_code")
    base["area_name"] = base["area_code"].map(info["area_name"]) if "area_name" in info else base["area_code"]
    pref = info["pref_code"].astype(str) if "pref_code" in info else pd.Series(
        [c[:2] for c in info.index], index=info.index)
    base["pref_code"] = base["area_code"].map(pref)
    base["pref_name"] = base["pref_code"].map(PREFECTURE_JA)
    base["municipal_type"] = base["area_code"].map(info["municipal_type"]) if "municipal_type" in info else None
    base["similar_class"] = base["area_code"].map(cls_by_code)
    base["similar_class_ja"] = base["similar_class"].map(lambda c: similar_class_ja(c) if isinstance(c, str) else None)
    base["status_ja"] = base["status"].map(RESULT_STATUS_SHORT_JA)
    flag = base["flag"] if "flag" in base else pd.Series(None, index=base.index, dtype=object)
    base["flags"] = [_flags(s, x) for s, x in zip(base["status"], flag, strict=True)]
    base["input_years"] = base["provenance"].map(input_years) if "provenance" in base else ""
    for col in ("n", "similar_n"):
        base[col] = base[col].fillna(0).astype(int)
    for col in ("rank", "similar_rank", "deviation_score", "similar_deviation_score", "value"):
        base[col] = base[col].astype(float)
    return base[NATIONAL_COLUMNS].sort_values(["indicator_id", "area_code"], ignore_index=True)


def indicator_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: how many municipalities have a value (算出 / 推計), how many do not, and the
    commonest reasons why not (what the per-indicator page and the national index print)."""
    rows = []
    for iid, sub in table.groupby("indicator_id", sort=False):
        missing = sub[sub["value"].isna()]
        reasons = missing["reason"].fillna("").map(_reason_key).value_counts()
        rows.append({
            "indicator_id": iid, "name_ja": sub["name_ja"].iloc[0], "name_en": sub["name_en"].iloc[0],
            "unit": sub["unit"].iloc[0], "pillar": sub["pillar"].iloc[0], "direction": sub["direction"].iloc[0],
            "n_areas": len(sub), "n_value": int(sub["value"].notna().sum()),
            "n_ok": int((sub["status"] == "ok").sum()), "n_estimated": int((sub["status"] == "estimated").sum()),
            "n_missing": len(missing), "median": float(sub["value"].median()) if sub["value"].notna().any() else np.nan,
            "top_reasons": [(k, int(v)) for k, v in reasons.head(3).items()],
            "input_years": _span(sub["input_years"]),
        })
    return pd.DataFrame(rows)


def _reason_key(reason: str) -> str:
    """A reason without its area-specific tail (years, values), so equal causes count together."""
    return re.sub(r"\s+for \d{4}.*$|\s+in \d{4}.*$", "", str(reason)).strip() or "理由の記録なし"


def _span(spans: pd.Series) -> str:
    years = sorted({int(y) for s in spans.dropna() for y in re.findall(r"\d{4}", str(s))})
    if not years:
        return ""
    return str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}"
