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
