"""The data-quality gate for one city and year, read from the processed store — the one call the
check pages, the report runner (``quality.csv``, ``--strict``), ``sckpi check`` and ``sckpi ingest``
share (the rules: :mod:`sckpi_helpers.indicators.quality`; the scopes: :mod:`~sckpi_helpers.indicators.gate`).

The city is its context (:func:`sckpi_helpers.city.resolve_city`): the build, catalog, 補正人口
chain, peer group and settings (thresholds, reviewed findings) are the context's, never looked up
here. Which year a report for a period judges is the Check❹ page's rule
(:func:`sckpi_helpers.indicators.service.evaluation_year`), so the gate and the page agree.

Stage 7 (checks): imports stages 0–7.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.city.context import AdjustedPopulationChoice, CityContext
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators import gate


def report_year(city: CityContext, results: pd.DataFrame) -> int:
    """The year a report for the city's period shows: the latest year with values up to its fiscal
    year (the Check❹ page's rule); the fiscal year itself when there is none."""
    from sckpi_helpers.indicators.service import NoEvaluationYear, evaluation_year

    if city.period is None:
        raise SckpiError("データ品質チェックには期間が必要です (the quality gate needs a period)")
    try:
        return int(evaluation_year(results, city.code, city.period.fiscal_year)[0])
    except NoEvaluationYear:
        return int(city.period.fiscal_year)


def city_findings(city: CityContext, year: int | None = None, *, panel: pd.DataFrame | None = None,
                  results: pd.DataFrame | None = None, areas: pd.DataFrame | None = None,
                  peer_codes: list[str] | None = None) -> pd.DataFrame:
    """The findings about ``city``'s report for ``year`` (default: :func:`report_year`), as
    :data:`gate.GATE_COLUMNS`. Reads what is not passed from the city's build: panel, areas, the
    peers (:meth:`~sckpi_helpers.city.CityContext.peers_or_self`), the tier-3 results with the
    city's 補正人口 chain (:func:`~sckpi_helpers.indicators.cache.indicator_results`)."""
    from sckpi_helpers.indicators.cache import ensure_indicators, indicator_results
    from sckpi_helpers.sources.quality_reviewed import read_reviewed
    from sckpi_helpers.store import build as ingest
    from sckpi_helpers.store import processed, revisions

    build = city.build
    if panel is None or areas is None:  # a caller holding the build's tables has it already
        ingest.ensure_processed(build)
    panel = processed.load_panel(build) if panel is None else panel
    areas = processed.load_areas(build) if areas is None else areas
    codes = peer_codes if peer_codes is not None else city.peers_or_self(areas, panel)[0]
    if results is None:
        ensure_indicators(city)
        results = indicator_results(city, panel, areas=codes)
    year = report_year(city, results) if year is None else int(year)
    reviewed = read_reviewed(gate.reviewed_file(city.settings, city.code))
    found = gate.city_findings(panel, results, city.catalog, city.code, year, codes,
                               revisions=revisions.load(build), reviewed=reviewed,
                               city_quality=city.settings.quality, names=areas.set_index("area_code")["area_name"])
    return with_files(found, build)


def national_findings(build: Any, catalog: Any, adjusted_population: AdjustedPopulationChoice, years: list[int],
                      *, extensions: Sequence[Path] = (), panel: pd.DataFrame | None = None,
                      areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every municipality of a build (e.g. the national SSDSE-A build) for ``years``, each against
    the municipalities of its type; each area's value by the first definition of the 補正人口 chain
    it can compute (a context's fields, or the catalog's default for the national build)."""
    from sckpi_helpers.indicators.cache import chain_for, ensure_build_indicators, for_city, read_indicators
    from sckpi_helpers.store import build as ingest
    from sckpi_helpers.store import processed, revisions

    if panel is None or areas is None:
        ingest.ensure_processed(build)
        panel, areas = processed.load_panel(build), processed.load_areas(build)
    ensure_build_indicators(build, catalog, adjusted_population, list(extensions))
    results = for_city(read_indicators(build), chain_for(catalog, adjusted_population), None)
    return with_files(gate.build_findings(panel, results, catalog, areas, years, revisions=revisions.load(build)),
                      build)


def with_files(found: pd.DataFrame, build: Any) -> pd.DataFrame:
    """``source`` of input findings prefixed with the raw file(s) the build read it from."""
    from sckpi_helpers.store.processed import read_manifest

    files = read_manifest(build).get("source_files") or {}
    if found.empty or not files:
        return found
    found = found.copy()
    found["source"] = [f"{', '.join(_short(x) for x in files[s])}（{s}）" if k == "input" and files.get(s) else s
                       for s, k in zip(found["source"], found["kind"], strict=True)]
    return found


def _short(file: str) -> str:
    from sckpi_helpers.config import paths

    try:
        return str(Path(file).resolve().relative_to(paths.project_root()))
    except ValueError:
        return file


def marks_by_indicator(found: pd.DataFrame | None, results: pd.DataFrame | None, city: str,
                       year: int) -> dict[str, list[Any]]:
    """indicator id → the findings behind its value for ``year``: about the value itself or about
    an input value it was computed from (so the value is marked wherever it is shown)."""
    from sckpi_helpers.indicators.quality import input_years

    if found is None or found.empty or results is None:
        return {}
    mine = results[(results["area_code"] == city) & (results["year"] == year)]
    out: dict[str, list[Any]] = {}
    rows = list(found.itertuples(index=False))
    for r in mine.itertuples(index=False):
        used = set(input_years(getattr(r, "provenance", "")).items())
        hits = [f for f in rows if (f.kind == "indicator" and f.subject == r.indicator_id and f.year == year)
                or (f.kind == "input" and (f.subject, int(f.year)) in used)]
        if hits:
            out[r.indicator_id] = hits
    return out


def mark_text(hits: list[Any]) -> str:
    """``要確認`` when any finding is open, else ``確認済`` (empty without findings)."""
    from sckpi_helpers.config.vocabulary import QUALITY_STATUS_JA

    if not hits:
        return ""
    return QUALITY_STATUS_JA["open" if any(h.status == "open" for h in hits) else "reviewed"]
