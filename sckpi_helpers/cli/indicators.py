"""``sckpi indicators``: Check❹'s composite indicators for one city and year, with its peer standing.

The command-line edge of :mod:`sckpi_helpers.indicators.service`: reads the processed panel and
areas (``sckpi ingest`` writes them) and the city's settings (補正人口 definition, peer group),
computes, and prints a table that fits the terminal (:mod:`sckpi_helpers.cli.terminal_table`)
or CSV. CSV files are UTF-8 **with BOM** so Excel shows the Japanese names; values are rounded
by unit (percentages to 2 decimals, other units to 4 significant digits, whole numbers kept) and
ranks are integers.

Stage 13 (cli): imports config, catalog, store, indicators and cli.terminal_table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.atomic import atomic_write_bytes
from sckpi_helpers.cli.terminal_table import MISSING, fit_lines, render, terminal_width
from sckpi_helpers.config.formatting import SCORE_DECIMALS, format_number, round_number
from sckpi_helpers.config.settings import CitySettings, find_settings
from sckpi_helpers.config.vocabulary import RESULT_STATUS_SHORT_JA
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators.coverage import coverage, coverage_summary
from sckpi_helpers.indicators.engine import adjusted_population_formula, compute
from sckpi_helpers.indicators.peers import pillar_summary
from sckpi_helpers.indicators.service import city_standing
from sckpi_helpers.store.peer_groups import peer_group

CSV_ENCODING = "utf-8-sig"

#: table columns: result column → Japanese header
TABLE_HEADERS = {"indicator_id": "id", "name_ja": "指標", "value": "値", "unit": "単位", "status": "状態",
                 "rank": "順位", "percentile": "百分位", "deviation_score": "偏差値", "peer_median": "比較中央値",
                 "trend_ja": "傾向", "reason": "理由"}
#: narrowest each text column is cut to on a small terminal (None: a number column, never cut)
TABLE_MIN_WIDTHS = [12, 16, None, 8, 4, None, None, None, None, 10, 10]
#: columns left out, in this order, when the cut table still does not fit: peer median, percentile, id
TABLE_DROP = [8, 6, 0]


def csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The city table for CSV: values and peer medians rounded by unit, scores to 1 decimal,
    rank and n as integers (empty when missing)."""
    out = table.copy()
    for col in ("value", "peer_median"):
        out[col] = pd.Series([round_number(v, u) for v, u in zip(out[col], out["unit"], strict=True)],
                             index=out.index, dtype=object)
    for col in ("percentile", "deviation_score"):
        out[col] = [round_number(x, decimals=SCORE_DECIMALS) for x in pd.to_numeric(out[col], errors="coerce")]
    for col in ("rank", "n", "year"):
        out[col] = pd.to_numeric(out[col], errors="coerce").round().astype("Int64")
    return out


def table_rows(table: pd.DataFrame) -> list[list[str]]:
    """One display row per indicator, in :data:`TABLE_HEADERS` order."""
    rows = []
    for r in table.itertuples(index=False):
        rank = f"{int(r.rank)}/{int(r.n)}" if pd.notna(r.rank) else MISSING
        pct = format_number(r.percentile, decimals=0, missing=MISSING)
        dev = format_number(r.deviation_score, decimals=SCORE_DECIMALS, missing=MISSING)
        rows.append([r.indicator_id, r.name_ja, format_number(r.value, r.unit, missing=MISSING), r.unit,
                     RESULT_STATUS_SHORT_JA.get(r.status, r.status), rank, pct, dev,
                     format_number(r.peer_median, r.unit, missing=MISSING), r.trend_ja, r.reason if pd.notna(r.reason) else ""])
    return rows


def render_text(table: pd.DataFrame, header: list[str], footer: list[str], width: int | None) -> str:
    """Header lines, the indicator table, footer lines — no line wider than ``width``."""
    headers, rows = list(TABLE_HEADERS.values()), table_rows(table)
    layout = {"min_widths": TABLE_MIN_WIDTHS, "drop": TABLE_DROP,
              "align": ["left", "left", "right", "left", "left", "right", "right", "right", "right", "left", "left"]}
    body = render(headers, rows, width=width, **layout)
    if width is not None and render(headers, rows, **layout) != body:
        footer = [*footer, "… = cut to fit the terminal (状態: 算出 computed, 推計 estimated, 欠測 missing); --format csv has every column in full"]
    top = fit_lines("\n".join(header), width)
    bottom = fit_lines("\n".join(footer), width)
    return f"{top}\n\n{body}\n{bottom}\n"


def ingest_hint(settings: CitySettings) -> str:
    """The ``sckpi ingest`` command that builds the processed data this city needs."""
    city = settings.city_code
    if settings.base_dir is not None:  # the city has its own settings.yaml: use its source
        if settings.source == "demo":
            return "'sckpi ingest --source demo'"
        return f"'sckpi ingest --source {settings.source} --city {city}'"
    return (f"'sckpi ingest --source estat-api --city {city}' (needs ESTAT_APP_ID) or "
            f"'sckpi ingest --source estat-csv --city {city} --input FOLDER' (e-Stat CSV downloads)")


def _catalog_for(settings: CitySettings) -> Any:
    from sckpi_helpers.catalog import load_catalog

    extra = [p for p in (settings.resolve(Path(x)) for x in settings.catalog_extensions) if p is not None]
    return load_catalog(extra=extra)


def _area_name(areas: pd.DataFrame, city: str) -> str:
    if "area_name" not in areas.columns:
        return ""
    hit = areas.loc[areas["area_code"].astype(str) == city, "area_name"]
    return str(hit.iloc[0]) if len(hit) else ""


def cli_indicators(args: argparse.Namespace) -> int:
    """``sckpi indicators --city CODE --period YYYY [--peer-group G] [--adjusted-population D]
    [--format table|csv] [--out FILE]``."""
    from sckpi_helpers.store.processed import load_areas, load_panel, processed_paths, serving_settings

    city = str(args.city)
    year = int(args.year)
    settings = find_settings(city)
    catalog = _catalog_for(settings)
    definition = getattr(args, "adjusted_population", None) or settings.adjusted_population
    spec = getattr(args, "peer_group", None) or settings.peer_group
    ap_formula = adjusted_population_formula(catalog, definition)  # fail early on a bad definition

    build = serving_settings(settings)
    if build.source == "ssdse":  # the national build from the bundled SSDSE-A: built on first use, offline
        from sckpi_helpers.store.build import ensure_processed

        ensure_processed(build)
    panel = load_panel(build) if processed_paths(build)["panel"].exists() else None
    if panel is None or city not in set(panel["area_code"].astype(str)):
        raise SckpiError(f"city {city} is not in the processed data: run {ingest_hint(settings)} first")
    areas = load_areas(build)
    group = peer_group(areas, city, spec, panel=panel)
    results = compute(panel, catalog, adjusted_population=definition)
    table, year, year_note = city_standing(results, catalog, city, year, group)  # the one "which year" rule
    ap_line = f"補正人口 (adjusted_population): {definition} = {ap_formula}"

    out = getattr(args, "out", None)
    if (getattr(args, "format", "table") or "table") == "csv":
        text, encoding = csv_frame(table).to_csv(index=False, lineterminator="\n"), CSV_ENCODING
        print(f"{ap_line}; peers: {spec} ({len(group)})", file=sys.stderr)
        if year_note:
            print(year_note, file=sys.stderr)
    else:
        pillars = pillar_summary(table, catalog)
        cov = coverage_summary(coverage(results, catalog, city, year))
        header = [f"Check4 composite indicators: {city} {_area_name(areas, city)} {year}", ap_line,
                  f"peer group: {spec} ({len(group)} areas)", *([year_note] if year_note else [])]
        footer = ["柱ごとの平均偏差値 (pillar mean deviation score):"]
        for r in pillars.itertuples():
            score = format_number(r.deviation_score, decimals=SCORE_DECIMALS, missing=MISSING)
            footer.append(f"  {r.pillar_ja} ({r.pillar}): {score}  [{r.note}]")
        footer.append("coverage: " + ", ".join(f"{r.state} {r.count}" for r in cov.itertuples()))
        text = render_text(table, header, footer, None if out else terminal_width())
        encoding = "utf-8"
    if out:
        path = atomic_write_bytes(Path(out), text.encode(encoding))
        print(f"wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
