"""``sckpi indicators``: tier-3 composite indicators for one city and year, with its peer standing.

The I/O edge around :mod:`engine` and :mod:`peers`: reads the processed panel and areas
(``sckpi ingest`` writes them), the city's settings (補正人口 definition, peer group), computes,
and prints a table or CSV (``--out`` writes the file atomically). :func:`compute_and_store`
writes ``data/processed/indicators.parquet`` for the pipeline and the notebooks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.config import paths
from sckpi_helpers.atomic import atomic_write_parquet, atomic_write_text
from sckpi_helpers.indicators.coverage import coverage, coverage_summary
from sckpi_helpers.indicators.engine import adjusted_population_formula, compute
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators.peers import compare, pillar_summary
from sckpi_helpers.store.peer_groups import peer_group
from sckpi_helpers.config.settings import CitySettings, find_settings

INDICATORS_FILE = "indicators.parquet"
OUTPUT_COLUMNS = ["area_code", "year", "indicator_id", "name_ja", "pillar", "value", "unit", "status", "rank",
                  "n", "percentile", "deviation_score", "peer_median", "trend_ja", "reason"]


def _catalog_for(settings: CitySettings) -> Any:
    from sckpi_helpers.catalog import load_catalog

    extra = [p for p in (settings.resolve(Path(x)) for x in settings.catalog_extensions) if p is not None]
    return load_catalog(extra=extra)


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


def _fmt_table(df: pd.DataFrame) -> str:
    show = df.copy()

    def num(x: float, digits: int = 2) -> str:
        if x is None or (isinstance(x, float) and not np.isfinite(x)):
            return "-"
        ax = abs(float(x))
        return f"{x:,.0f}" if ax >= 10_000 else f"{x:.{digits}f}" if ax >= 0.01 or ax == 0 else f"{x:.3g}"

    show["value"] = [num(v, 3) for v in show["value"]]
    show["peer_median"] = [num(v, 3) for v in show["peer_median"]]
    show["percentile"] = [num(v, 0) for v in show["percentile"]]
    show["deviation_score"] = [num(v, 1) for v in show["deviation_score"]]
    show["rank"] = [f"{int(r)}/{int(n)}" if np.isfinite(r) else "-" for r, n in zip(show["rank"], show["n"],
                                                                                     strict=True)]
    show["reason"] = show["reason"].fillna("")
    cols = ["indicator_id", "name_ja", "value", "unit", "status", "rank", "percentile", "deviation_score",
            "peer_median", "trend_ja", "reason"]
    show = show[cols].rename(columns={"name_ja": "指標", "value": "値", "unit": "単位", "status": "状態",
                                      "rank": "順位", "percentile": "パーセンタイル",
                                      "deviation_score": "偏差値", "peer_median": "比較団体中央値",
                                      "trend_ja": "傾向", "reason": "理由"})
    return show.to_string(index=False)


def cli_indicators(args: argparse.Namespace) -> int:
    """``sckpi indicators --city CODE --year YYYY [--peer-group G] [--adjusted-population D]
    [--format table|csv] [--out FILE]``."""
    from sckpi_helpers.store.build import load_areas, load_panel, processed_paths, serving_settings

    city = str(args.city)
    year = int(args.year)
    settings = find_settings(city)
    catalog = _catalog_for(settings)
    definition = getattr(args, "adjusted_population", None) or settings.adjusted_population
    spec = getattr(args, "peer_group", None) or settings.peer_group
    ap_formula = adjusted_population_formula(catalog, definition)  # fail early on a bad definition

    build = serving_settings(settings)
    if not processed_paths(build)["panel"].exists():
        raise SckpiError(f"city {city} is not in the processed data: run 'sckpi ingest --city {city}' "
                         "(or 'sckpi ingest --source demo') first")
    panel = load_panel(build)
    areas = load_areas(build)
    if city not in set(panel["area_code"].astype(str)):
        raise SckpiError(f"city {city} is not in the processed data: run 'sckpi ingest --city {city}' first")
    years = panel["year"].astype(int)
    if not years.min() <= year <= years.max():
        raise SckpiError(f"year {year} is outside the processed data ({years.min()}-{years.max()})")
    group = peer_group(areas, city, spec, panel=panel)
    results = compute(panel, catalog, adjusted_population=definition)
    table = city_table(results, catalog, city, year, group)

    fmt = getattr(args, "format", "table") or "table"
    if fmt == "csv":
        text = table.to_csv(index=False)
        note = f"補正人口 (adjusted_population): {definition} = {ap_formula}; peers: {spec} ({len(group)})"
        print(note, file=sys.stderr)
    else:
        name = ""
        if "area_name" in areas.columns:
            hit = areas.loc[areas["area_code"].astype(str) == city, "area_name"]
            name = str(hit.iloc[0]) if len(hit) else ""
        cmp_ = table.rename(columns={"n": "n"})
        pillars = pillar_summary(cmp_.assign(name_ja=table["name_ja"]), catalog)
        cov = coverage_summary(coverage(results, catalog, city, year))
        lines = [
            f"Check4 composite indicators: {city} {name} {year}",
            f"補正人口 (adjusted_population): {definition} = {ap_formula}",
            f"peer group: {spec} ({len(group)} areas)",
            "",
            _fmt_table(table),
            "",
            "柱ごとの平均偏差値 (pillar mean deviation score):",
        ]
        for r in pillars.itertuples():
            score = f"{r.deviation_score:.1f}" if np.isfinite(r.deviation_score) else "-"
            lines.append(f"  {r.pillar_ja} ({r.pillar}): {score}  [{r.note}]")
        lines.append("coverage: " + ", ".join(f"{r.state} {r.count}" for r in cov.itertuples()))
        text = "\n".join(lines) + "\n"
    if getattr(args, "out", None):
        out = atomic_write_text(Path(args.out), text)
        print(f"wrote {out}")
    else:
        sys.stdout.write(text)
    return 0
