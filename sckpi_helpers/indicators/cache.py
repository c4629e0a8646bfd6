"""The build's stored tier-3 results, ``data/processed/<scope>/indicators.parquet``, owned here.

Why one owner: the pipeline computes every tier-3 indicator once per build and the notebooks read
the stored results instead of computing again; where the file lives, when it is current and
reading and writing it are decided in this module only. Its key (``indicators.json`` beside it)
holds what the results depend on: the 補正人口 definition and its fallbacks, the catalog files
(bundled and the city's extensions) and the build's panel. Results for another definition are
computed, never read from a file made for a different one.

Stage 6 (indicators): imports config, atomic, store, city and the other indicators modules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.atomic import atomic_write_parquet, atomic_write_text
from sckpi_helpers.catalog import loader
from sckpi_helpers.city.context import AdjustedPopulationChoice, CityContext
from sckpi_helpers.indicators.engine import compute
from sckpi_helpers.store.plan import fingerprint
from sckpi_helpers.store.processed import Target, load_panel, processed_paths

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


def read_indicators(build: Target) -> pd.DataFrame:
    stored = pd.read_parquet(indicators_path(build))
    return stored.astype({c: object for c in stored.columns if isinstance(stored[c].dtype, pd.StringDtype)})


def ensure_indicators(ctx: CityContext) -> Path:
    """The serving build's tier-3 results with the city's 補正人口 definition, computed and stored
    when the stored ones are missing or were made with another key."""
    if is_current(ctx.build, ctx.adjusted_population, ctx.extensions):
        return indicators_path(ctx.build)
    key = cache_key(ctx.build, ctx.adjusted_population, ctx.extensions)
    results = compute(load_panel(ctx.build), ctx.catalog, adjusted_population=ctx.adjusted_population.id)
    return write_indicators(ctx.build, results, key)


def indicator_results(ctx: CityContext, panel: pd.DataFrame | None = None, definition: str | None = None) -> pd.DataFrame:
    """Tier-3 results for the city: the stored ones when current for ``definition`` (default: the
    city's), else computed over ``panel`` (default: the build's) — never read from another key."""
    ap = ctx.adjusted_population
    if definition in (None, ap.id) and is_current(ctx.build, ap, ctx.extensions):
        return read_indicators(ctx.build)
    panel = load_panel(ctx.build) if panel is None else panel
    return compute(panel, ctx.catalog, adjusted_population=definition or ap.id)


__all__ = ["INDICATORS_FILE", "KEY_FILE", "cache_key", "ensure_indicators", "indicator_results", "indicators_path",
           "is_current", "read_indicators", "stored_key", "write_indicators"]
