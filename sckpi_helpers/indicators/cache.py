"""The build's stored tier-3 results, ``data/processed/<scope>/indicators.parquet``, owned here.

Why one owner: the pipeline computes every tier-3 indicator once per build and the notebooks read
the stored results instead of computing again; where the file lives, when it is current and
reading and writing it are decided in this module only. Its key (``indicators.json`` beside it)
holds what the results depend on: the 補正人口 chain (definition and fallbacks), the catalog files
(bundled and the city's extensions) and the build's panel. Results for another definition are
computed, never read from a file made for a different one.

The file holds the indicators that divide by 補正人口 once per definition of the chain (column
``adjusted_population``), so one stored file serves every city of a build: :func:`for_city` picks,
per indicator and year, the first definition the city can compute and uses it for every area alike
(the rule of :func:`~sckpi_helpers.indicators.engine.compute` with ``city``), without computing
the nation again for each of its 1,741 municipalities.

Stage 6 (indicators): imports config, atomic, store, city and the other indicators modules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.atomic import atomic_write_parquet, atomic_write_text
from sckpi_helpers.catalog import loader
from sckpi_helpers.city.context import AdjustedPopulationChoice, CityContext
from sckpi_helpers.indicators.engine import ADJUSTED, compute, settings_chain, tier3_indicators
from sckpi_helpers.store.plan import fingerprint
from sckpi_helpers.store.processed import Target, load_panel, processed_paths
from sckpi_helpers.store.reads import read_rows

INDICATORS_FILE = "indicators.parquet"
KEY_FILE = "indicators.json"


def indicators_path(build: Target) -> Path:
    """``data/processed/<scope>/indicators.parquet`` of a build."""
    return processed_paths(build)["panel"].parent / INDICATORS_FILE


def cache_key(build: Target, adjusted_population: AdjustedPopulationChoice, extensions: list[Path]) -> dict[str, Any]:
    """What the stored results depend on."""
    catalog_files = sorted(Path(loader.__file__).parent.joinpath("data").glob("*.yaml"))
    panel = processed_paths(build)["panel"]
    return {"adjusted_population": adjusted_population.id, "fallbacks": list(adjusted_population.fallbacks),
            "layout": "per-definition",
            "catalog": fingerprint([*catalog_files, *(p for p in extensions if Path(p).is_file())]),
            "extensions": [str(Path(p).resolve()) for p in extensions],
            "panel": fingerprint([panel]) if panel.is_file() else None}


def stored_key(build: Target) -> dict[str, Any] | None:
    try:
        return json.loads((indicators_path(build).parent / KEY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_current(build: Target, adjusted_population: AdjustedPopulationChoice, extensions: list[Path]) -> bool:
    """True when the stored results exist and were computed with this key."""
    return indicators_path(build).is_file() and stored_key(build) == cache_key(build, adjusted_population, extensions)


def write_indicators(build: Target, results: pd.DataFrame, key: dict[str, Any]) -> Path:
    """Store results and their key (results first: a key never describes a file it does not match)."""
    out = atomic_write_parquet(results, indicators_path(build))
    atomic_write_text(indicators_path(build).parent / KEY_FILE, json.dumps(key, ensure_ascii=False, indent=1))
    return out


def read_indicators(build: Target, areas: Iterable[str] | None = None) -> pd.DataFrame:
    """The stored rows (of ``areas`` only, when given: a city's page needs the city and its peers,
    not the nation's 1.2 million rows), text columns as plain objects. The file stays in memory
    while it is unchanged (:mod:`sckpi_helpers.store.reads`)."""
    stored = read_rows(indicators_path(build), "area_code", areas)
    text = (pd.StringDtype, pd.CategoricalDtype)
    return stored.astype({c: object for c in stored.columns if isinstance(stored[c].dtype, text)})


def chain_of(ctx: CityContext) -> list[str]:
    """The city's 補正人口 chain: its definition, then its fallbacks (or the catalog's)."""
    return chain_for(ctx.catalog, ctx.adjusted_population)


def chain_for(catalog: Any, adjusted_population: AdjustedPopulationChoice) -> list[str]:
    """A 補正人口 choice's chain in ``catalog``: the definition, then its fallbacks (or the catalog's)."""
    ap = adjusted_population
    return [d for d in settings_chain(catalog, ap.id, list(ap.fallbacks)) if d is not None]


def compute_all(panel: pd.DataFrame, catalog: Any, chain: list[str]) -> pd.DataFrame:
    """Every tier-3 indicator with the chain's first definition, plus the 補正人口 indicators once per
    further definition (rows told apart by ``adjusted_population``)."""
    first = compute(panel, catalog, adjusted_population=[chain[0]])
    uses = [i.id for i in tier3_indicators(catalog, with_formula=True) if ADJUSTED in (i.inputs or [])]
    more = [compute(panel, catalog, adjusted_population=[d], indicator_ids=uses) for d in chain[1:]] if uses else []
    return pd.concat([first, *more], ignore_index=True) if more else first


def for_city(stored: pd.DataFrame, chain: list[str], city: str | None) -> pd.DataFrame:
    """One result per (area, year, indicator) from :func:`compute_all`'s rows.

    With ``city``: per indicator and year, the first definition of ``chain`` the city can compute,
    for every area alike (a peer lacking it stays missing with its reason); without: each area's own
    first computable one. A definition later than the first is flagged 代替 and the reason says so.
    """
    col = stored["adjusted_population"] if "adjusted_population" in stored else pd.Series(None, index=stored.index)
    plain, ap = stored[col.isna()], stored[col.notna()]
    order = ap["adjusted_population"].map({d: i for i, d in enumerate(chain)})
    ap, order = ap[order.notna()], order[order.notna()].astype(int)
    if ap.empty or len(chain) == 1:
        return pd.concat([plain, ap], ignore_index=True)
    ok = ap["status"] != "missing"
    if city is not None:
        mine = (ap["area_code"].astype(str) == str(city)) & ok
        pick = order[mine].groupby([ap.loc[mine, "indicator_id"], ap.loc[mine, "year"]]).min()
        wanted = pick.reindex(pd.MultiIndex.from_arrays([ap["indicator_id"], ap["year"]])).fillna(0).to_numpy()
        who = f"for {city}"
    else:
        first_ok = order.where(ok).groupby([ap["area_code"], ap["indicator_id"], ap["year"]]).transform("min")
        wanted = first_ok.fillna(0)
        who = "for this area"
    keep = ap[order.to_numpy() == pd.Series(wanted, index=ap.index).to_numpy()].copy()
    fell = (keep["adjusted_population"] != chain[0]) & (keep["status"] != "missing")
    if fell.any():
        note = ("adjusted_population " + keep.loc[fell, "adjusted_population"] + f" used: {chain[0]} not computable "
                + who + " in " + keep.loc[fell, "year"].astype(str))
        old = keep.loc[fell, "reason"]
        keep.loc[fell, "reason"] = note.where(old.isna(), note + "; " + old.astype(str))
        keep.loc[fell, "status"] = "estimated"
        keep.loc[fell, "flag"] = "substitute"
    return pd.concat([plain, keep], ignore_index=True)


def ensure_indicators(ctx: CityContext) -> Path:
    """The serving build's tier-3 results for the city's 補正人口 chain, computed and stored when
    the stored ones are missing or were made with another key."""
    return ensure_build_indicators(ctx.build, ctx.catalog, ctx.adjusted_population, ctx.extensions)


def ensure_build_indicators(build: Target, catalog: Any, adjusted_population: AdjustedPopulationChoice,
                            extensions: list[Path]) -> Path:
    """:func:`ensure_indicators` for a build judged as a whole (every municipality of the national
    build, the data-quality gate's ``--all``), from the context's fields or the catalog's default."""
    if is_current(build, adjusted_population, extensions):
        return indicators_path(build)
    key = cache_key(build, adjusted_population, extensions)
    results = compute_all(load_panel(build), catalog, chain_for(catalog, adjusted_population))
    return write_indicators(build, results, key)


def indicator_results(ctx: CityContext, panel: pd.DataFrame | None = None, definition: str | None = None,
                      *, areas: Iterable[str] | None = None) -> pd.DataFrame:
    """Tier-3 results for the city: its chain applied to the stored results when they are current
    (``definition``: that one definition alone), else computed over ``panel`` (default: the build's)
    — never read from another key. ``areas``: only these areas' rows (the city's are always in);
    the values are the same as in the whole table, since the chain's pick is the city's."""
    ap = ctx.adjusted_population
    chain = chain_of(ctx) if definition is None else [definition]
    wanted = None if areas is None else [ctx.code, *areas]
    if is_current(ctx.build, ap, ctx.extensions) and (definition is None or definition in chain_of(ctx)):
        return for_city(read_indicators(ctx.build, wanted), chain, ctx.code)
    panel = load_panel(ctx.build) if panel is None else panel
    results = compute_all(panel, ctx.catalog, chain)  # every area: a formula may read another area's inputs
    if wanted is not None:
        results = results[results["area_code"].astype(str).isin(set(wanted))].reset_index(drop=True)
    return for_city(results, chain, ctx.code)


__all__ = ["INDICATORS_FILE", "KEY_FILE", "cache_key", "chain_for", "chain_of", "compute_all", "ensure_build_indicators",
           "ensure_indicators", "for_city", "indicator_results", "indicators_path",
           "is_current", "read_indicators", "stored_key", "write_indicators"]
