"""Tier-3 composite indicators as a service for the pipeline: compute and store them, and one
city's table with its peer standing, for the year the one "which year" rule picks.

:func:`compute_and_store` writes ``data/processed/<scope>/indicators.parquet`` for the pipeline and
the notebooks; :func:`city_table` is the city's rows with peer standing (``OUTPUT_COLUMNS``). The
``sckpi indicators`` command that prints them lives in :mod:`sckpi_helpers.cli.indicators`.
:func:`evaluation_year` is the one rule for "which year" that the CLI, the notebooks
(:mod:`sckpi_helpers.checks.data`) and the explorer share; :func:`city_standing` applies it.

Stage 5: imports config, atomic and the other indicators modules; store (stage 4) lazily.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.atomic import atomic_write_parquet
from sckpi_helpers.config import paths
from sckpi_helpers.config.settings import CitySettings
from sckpi_helpers.config.vocabulary import FLAG_JA
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators.engine import compute, settings_chain
from sckpi_helpers.indicators.peers import compare

INDICATORS_FILE = "indicators.parquet"
OUTPUT_COLUMNS = ["area_code", "year", "indicator_id", "name_ja", "pillar", "value", "unit", "status", "rank",
                  "n", "percentile", "deviation_score", "peer_median", "trend_ja", "reason", "flag", "flag_ja",
                  "adjusted_population"]


def compute_and_store(panel: pd.DataFrame, catalog: Any, settings: CitySettings) -> Path:
    """Compute every tier-3 indicator with the city's 補正人口 chain (its definition, then its
    fallbacks), chosen for the settings' city and applied to every area alike; write
    ``data/processed/<scope>/indicators.parquet`` atomically and return its path."""
    from sckpi_helpers.store.processed import scope_of

    chain = settings_chain(catalog, settings.adjusted_population,
                           getattr(settings, "adjusted_population_fallbacks", None))
    results = compute(panel, catalog, adjusted_population=chain, city=settings.city_code)
    return atomic_write_parquet(results, paths.processed_dir(scope_of(settings)) / INDICATORS_FILE)


def city_table(results: pd.DataFrame, catalog: Any, city: str, year: int, peer_codes: list[str],
               trend_years: int = 5) -> pd.DataFrame:
    """The city's rows for ``year`` with name, peer standing and trend (``OUTPUT_COLUMNS``)."""
    cmp_ = compare(results, catalog, city, year, peer_codes, trend_years=trend_years)
    out = cmp_.assign(area_code=str(city), flag_ja=cmp_["flag"].map(FLAG_JA))
    return out[OUTPUT_COLUMNS]


class NoEvaluationYear(SckpiError):
    """The city has no tier-3 value in any year up to the one asked for."""


def years_with_data(results: pd.DataFrame, city: str) -> list[int]:
    """Years in which ``city`` has at least one tier-3 value (status other than ``missing``)."""
    mine = results[(results["area_code"].astype(str) == str(city)) & (results["status"] != "missing")]
    return sorted({int(y) for y in mine["year"].dropna()})


def evaluation_year(results: pd.DataFrame, city: str, wanted: int) -> tuple[int, str | None]:
    """The one rule for "which year" (CLI, notebooks and explorer all call it).

    The year asked for when ``city`` has tier-3 values in it; otherwise the latest earlier year with
    values, with a Japanese note saying so; :class:`NoEvaluationYear` (a Japanese message) when there
    is no such year. A later year is never used in place of an earlier one.
    """
    wanted = int(wanted)
    years = years_with_data(results, city)
    if wanted in years:
        return wanted, None
    earlier = [y for y in years if y <= wanted]
    if earlier:
        return earlier[-1], f"{wanted}年のデータがないため、{earlier[-1]}年の値で評価しています。"
    have = f"データのある年: {years[0]}〜{years[-1]}年" if years else "算出できる年がありません"
    raise NoEvaluationYear(f"{city} の第3階層指標は {wanted}年以前に値がありません（{have}）。"
                           f"期間（--period / period）を見直してください "
                           f"(no tier-3 value for {city} in or before {wanted})")


def city_standing(results: pd.DataFrame, catalog: Any, city: str, wanted: int, peer_codes: list[str],
                  trend_years: int = 5) -> tuple[pd.DataFrame, int, str | None]:
    """:func:`city_table` for the year :func:`evaluation_year` picks: ``(table, year, note)``."""
    year, note = evaluation_year(results, city, wanted)
    return city_table(results, catalog, city, year, peer_codes, trend_years=trend_years), year, note
