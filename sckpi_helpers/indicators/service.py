"""Tier-3 composite indicators as a service for the pipeline: compute and store them, and one
city's table with its peer standing.

:func:`compute_and_store` writes ``data/processed/<scope>/indicators.parquet`` for the pipeline and
the notebooks; :func:`city_table` is the city's rows with peer standing (``OUTPUT_COLUMNS``). The
``sckpi indicators`` command that prints them lives in :mod:`sckpi_helpers.cli.indicators`.

Stage 5: imports config, atomic and the other indicators modules; store (stage 4) lazily.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.atomic import atomic_write_parquet
from sckpi_helpers.config import paths
from sckpi_helpers.config.settings import CitySettings
from sckpi_helpers.indicators.engine import compute
from sckpi_helpers.indicators.peers import compare

INDICATORS_FILE = "indicators.parquet"
OUTPUT_COLUMNS = ["area_code", "year", "indicator_id", "name_ja", "pillar", "value", "unit", "status", "rank",
                  "n", "percentile", "deviation_score", "peer_median", "trend_ja", "reason"]


def compute_and_store(panel: pd.DataFrame, catalog: Any, settings: CitySettings) -> Path:
    """Compute every tier-3 indicator with the city's 補正人口 definition; write
    ``data/processed/<scope>/indicators.parquet`` atomically and return its path."""
    from sckpi_helpers.store.build import scope_of

    results = compute(panel, catalog, adjusted_population=settings.adjusted_population)
    return atomic_write_parquet(results, paths.processed_dir(scope_of(settings)) / INDICATORS_FILE)


def city_table(results: pd.DataFrame, catalog: Any, city: str, year: int, peer_codes: list[str],
               trend_years: int = 5) -> pd.DataFrame:
    """The city's rows for ``year`` with name, peer standing and trend (``OUTPUT_COLUMNS``)."""
    cmp_ = compare(results, catalog, city, year, peer_codes, trend_years=trend_years)
    out = cmp_.assign(area_code=str(city))
    return out[OUTPUT_COLUMNS]
