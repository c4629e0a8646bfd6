"""Coverage: for one city and year, which tier-3 indicators it has, and if not, why.

Kept apart from the engine (which computes values for every area) because coverage is a
per-city reading of the engine's results against the catalog's availability: a report question,
not a computation. Stage 6: imports the engine (same stage), the catalog formula (2) and the
vocabulary (1).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sckpi_helpers.catalog.formula import referenced_names
from sckpi_helpers.config.vocabulary import COVERAGE_JA
from sckpi_helpers.indicators.engine import ADJUSTED, _attr, tier3_indicators

#: coverage states and their Japanese labels
COVERAGE_STATES = COVERAGE_JA
_LOCAL = {"local", "local_data", "survey"}
_UNAVAILABLE = {"unavailable", "not_available", "none", "n/a"}


def _availability_state(ind: Any) -> str | None:
    av = str(_attr(ind, "availability", "") or "").lower()
    if av in _LOCAL:
        return "needs_local_data"
    if av in _UNAVAILABLE:
        return "not_available"
    return None


def coverage(results: pd.DataFrame, catalog: Any, area_code: str, year: int) -> pd.DataFrame:
    """For each tier-3 indicator: can the city have it for ``year``, and if not, why.

    ``state``: ``computed`` | ``estimated`` (an input was carried forward or interpolated) |
    ``missing_input`` (formula set but inputs missing — ``detail`` names them) |
    ``needs_local_data`` (availability local: the city must collect it) | ``not_available``
    (no published statistic / no formula yet).
    """
    sel = results[(results["area_code"] == str(area_code)) & (results["year"] == int(year))]
    by_id = {r.indicator_id: r for r in sel.itertuples(index=False)}
    rows = []
    for ind in tier3_indicators(catalog):
        r = by_id.get(ind.id)
        formula = _attr(ind, "formula")
        if r is not None and r.status in ("ok", "estimated"):
            state = "computed" if r.status == "ok" else "estimated"
            detail = r.reason if r.status == "estimated" else (r.provenance or "")
        elif (av := _availability_state(ind)) is not None:
            state = av
            detail = ("collect it as local data ('sckpi template --city CODE --out local.xlsx')" if av == "needs_local_data"
                      else "no published statistic for municipalities")
        elif not formula:
            state, detail = "not_available", "no formula in the catalog"
        elif r is None:
            state, detail = "missing_input", f"not computed for {area_code} in {year} (area or year not in the data)"
        else:
            present = str(r.provenance or "")
            missing = sorted(nm for nm in referenced_names(formula) - {ADJUSTED} if f"{nm}@" not in present)
            detail = (f"missing inputs: {', '.join(missing)} — {r.reason}" if missing else str(r.reason))
            state = "missing_input"
        rows.append({"indicator_id": ind.id, "name_ja": _attr(ind, "name_ja"), "name_en": _attr(ind, "name_en"),
                     "pillar": _attr(ind, "pillar"), "required": bool(_attr(ind, "required", False)),
                     "state": state, "detail": detail})
    return pd.DataFrame(rows, columns=["indicator_id", "name_ja", "name_en", "pillar", "required", "state",
                                       "detail"])


def coverage_summary(cov: pd.DataFrame) -> pd.DataFrame:
    """How many tier-3 indicators are in each coverage state (every state listed, zeros included);
    ``required`` counts the required (必須) ones among them."""
    counts = cov.groupby("state").size()
    req = cov[cov["required"].astype(bool)].groupby("state").size()
    return pd.DataFrame({
        "state": list(COVERAGE_STATES),
        "state_ja": list(COVERAGE_STATES.values()),
        "count": [int(counts.get(s, 0)) for s in COVERAGE_STATES],
        "required": [int(req.get(s, 0)) for s in COVERAGE_STATES],
    })


def coverage_counts(results: pd.DataFrame, catalog: Any, areas: list[str], years: range,
                    median: bool = True) -> pd.DataFrame:
    """How many tier-3 indicators each area has per year: ``computed`` (ok), ``estimated`` (推計 or
    代替), ``total`` (both) and ``required`` (of them required); one column block per area and, with
    ``median``, the median over every area of ``results`` (the national median for a national build).
    The coverage table of the README and tests/test_coverage_real.py."""
    ids = {ind.id: bool(_attr(ind, "required", False)) for ind in tier3_indicators(catalog, with_formula=True)}
    res = results[results["indicator_id"].isin(ids) & results["year"].isin(list(years))]
    res = res.assign(ok=res["status"].eq("ok"), est=res["status"].eq("estimated"),
                     req=res["indicator_id"].map(ids) & res["status"].ne("missing"))
    per = res.groupby(["area_code", "year"])[["ok", "est", "req"]].sum()
    per.columns = ["computed", "estimated", "required"]
    per["total"] = per["computed"] + per["estimated"]
    rows = []
    for y in years:
        for a in areas:
            got = per.loc[(str(a), y)] if (str(a), y) in per.index else None
            rows.append({"year": y, "area": str(a), **({k: int(got[k]) for k in per.columns} if got is not None
                                                       else dict.fromkeys(per.columns, 0))})
        if median:
            sub = per.xs(y, level="year") if y in per.index.get_level_values("year") else None
            rows.append({"year": y, "area": "median", **({k: float(sub[k].median()) for k in per.columns}
                                                          if sub is not None else dict.fromkeys(per.columns, 0.0))})
    return pd.DataFrame(rows, columns=["year", "area", "computed", "estimated", "total", "required"])


#: the cities of the README's coverage table: 千代田区 (daytime ≈ 14 × residents), 札幌市 (a
#: designated city), 生坂村 (a village of 1,700)
COVERAGE_CITIES = ("13101", "01100", "20448")
COVERAGE_YEARS = range(2015, 2024)


def shipped_coverage(panel: pd.DataFrame, catalog: Any, cities: tuple[str, ...] = COVERAGE_CITIES,
                     years: range = COVERAGE_YEARS) -> pd.DataFrame:
    """:func:`coverage_counts` as a settings-less city gets them: each city's 補正人口 chosen along the
    catalog's default chain for that city (:func:`engine.compute` with ``city``), the median over
    every area of ``panel`` with each area walking the chain on its own."""
    from sckpi_helpers.indicators.engine import compute

    parts = [coverage_counts(compute(panel, catalog, city=c), catalog, [c], years, median=False) for c in cities]
    parts.append(coverage_counts(compute(panel, catalog), catalog, [], years, median=True))
    return pd.concat(parts, ignore_index=True)


def coverage_markdown(table: pd.DataFrame) -> str:
    """The README's table: one row per year, per area ``computed + estimated = total (required)``."""
    areas = list(dict.fromkeys(table["area"]))
    head = "| year | " + " | ".join("national median" if a == "median" else a for a in areas) + " |"
    lines = [head, "|---|" + "---|" * len(areas)]
    for y, g in table.groupby("year", sort=True):
        cells = []
        for a in areas:
            r = g[g["area"] == a].iloc[0]
            cells.append(f"{r['computed']:g} + {r['estimated']:g} = {r['total']:g} ({r['required']:g})")
        lines.append(f"| {y} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """``python -m sckpi_helpers.indicators.coverage``: the README's coverage table from what ships
    (the national build from the bundled files, made on first use)."""
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.config.settings import national_settings
    from sckpi_helpers.store.build import ensure_processed
    from sckpi_helpers.store.processed import load_panel

    ensure_processed(national_settings())
    print(coverage_markdown(shipped_coverage(load_panel(national_settings()), load_catalog())), end="")


if __name__ == "__main__":
    main()
