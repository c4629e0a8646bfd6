"""Tier-3 composite indicators as a service: one city's table with its peer standing, for the year
the one "which year" rule picks (the stored results are :mod:`sckpi_helpers.indicators.cache`'s).

:func:`city_table` is the city's rows with peer standing (``OUTPUT_COLUMNS``). The
``sckpi indicators`` command that prints them lives in :mod:`sckpi_helpers.cli.indicators`.
:func:`evaluation_year` is the one rule for "which year" that the CLI, the notebooks
(:mod:`sckpi_helpers.checks.data`) and the explorer share; :func:`city_standing` applies it.

Stage 6 (indicators): imports errors and the other indicators modules.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sckpi_helpers.config.vocabulary import FLAG_JA
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators.peers import compare

OUTPUT_COLUMNS = ["area_code", "year", "indicator_id", "name_ja", "pillar", "value", "unit", "status", "rank",
                  "n", "percentile", "deviation_score", "peer_median", "trend_ja", "reason", "flag", "flag_ja",
                  "adjusted_population"]


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
