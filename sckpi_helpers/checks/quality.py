"""The data-quality gate for one city and year, read from the processed store — the one call the
check pages, the report runner (``quality.csv``, ``--strict``), ``sckpi check`` and ``sckpi ingest``
share (the rules: :mod:`sckpi_helpers.indicators.quality`; the scopes: :mod:`~sckpi_helpers.indicators.gate`).

The city's settings, peers and 補正人口 definition are explicit arguments (the caller owns them).

Stage 6 (checks): imports stages 0–6.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators import gate


def gate_inputs(build: Any, settings: Any, city: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(revisions log of the build, the city's reviewed findings)."""
    from sckpi_helpers.sources.quality_reviewed import read_reviewed
    from sckpi_helpers.store import revisions
    from sckpi_helpers.store.processed import scope_of

    return revisions.load(scope_of(build)), read_reviewed(gate.reviewed_file(settings, city))


def city_findings(settings: Any, city: str, year: int, *, source: str | None = None,
                  peer_group: str | None = None, panel: pd.DataFrame | None = None,
                  results: pd.DataFrame | None = None, areas: pd.DataFrame | None = None,
                  catalog: Any = None) -> pd.DataFrame:
    """The findings about ``city``'s report for ``year`` (:data:`gate.GATE_COLUMNS`).

    Loads what is not passed: the serving build's panel and areas, its tier-3 results with the
    city's 補正人口 definition, the catalog with the city's extensions, the peer group."""
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.checks.data import ensure_indicators, indicator_results
    from sckpi_helpers.store import build as ingest
    from sckpi_helpers.store import processed
    from sckpi_helpers.store.peer_groups import peer_group as peers_of

    build = processed.serving_settings(settings, source or getattr(settings, "source", None))
    if panel is None or areas is None:  # a caller holding the build's tables has it already
        ingest.ensure_processed(build)
    extra = [settings.resolve(p) for p in (getattr(settings, "catalog_extensions", []) or [])]
    catalog = catalog or (load_catalog(extra=extra) if extra else load_catalog())
    panel = processed.load_panel(build) if panel is None else panel
    areas = processed.load_areas(build) if areas is None else areas
    if results is None:
        ensure_indicators(build)
        results = indicator_results(build, panel, catalog, getattr(settings, "adjusted_population", None), extra)
    spec = peer_group or getattr(settings, "peer_group", None) or "prefecture"
    try:
        codes = peers_of(areas, city, spec, panel)
    except SckpiError:
        codes = [city]
    log, reviewed = gate_inputs(build, settings, city)
    found = gate.city_findings(panel, results, catalog, city, int(year), codes, revisions=log, reviewed=reviewed,
                               city_quality=getattr(settings, "quality", None),
                               names=areas.set_index("area_code")["area_name"])
    return with_files(found, build)


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
    from pathlib import Path

    from sckpi_helpers.config import paths

    try:
        return str(Path(file).resolve().relative_to(paths.project_root()))
    except ValueError:
        return file


def national_findings(build: Any, years: list[int], *, panel: pd.DataFrame | None = None,
                      areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every municipality of a build (e.g. the national SSDSE-A build) for ``years``."""
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.checks.data import ensure_indicators
    from sckpi_helpers.store import build as ingest
    from sckpi_helpers.store import processed, revisions

    if panel is None or areas is None:
        ingest.ensure_processed(build)
        panel, areas = processed.load_panel(build), processed.load_areas(build)
    results = pd.read_parquet(ensure_indicators(build))
    return with_files(gate.build_findings(panel, results, load_catalog(), areas, years,
                                          revisions=revisions.load(processed.scope_of(build))), build)


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
