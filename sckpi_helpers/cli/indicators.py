"""``sckpi indicators``: Check❹'s composite indicators for one city and year, with its peer standing.

The command-line edge of :mod:`sckpi_helpers.indicators.service`: reads the processed panel and
areas (``sckpi ingest`` writes them) and the city's settings (補正人口 definition, peer group),
computes, and prints a table that fits the terminal (:mod:`sckpi_helpers.reports.terminal_table`)
or CSV. CSV files are UTF-8 **with BOM** so Excel shows the Japanese names; values are rounded
by unit (percentages to 2 decimals, other units to 4 significant digits, whole numbers kept) and
ranks are integers.

Stage 10: imports config, catalog, store, indicators and reports (terminal_table).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.atomic import atomic_write_bytes
from sckpi_helpers.config.settings import CitySettings, find_settings
from sckpi_helpers.config.vocabulary import FLAG_JA, RESULT_STATUS_SHORT_JA
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators.coverage import coverage, coverage_summary
from sckpi_helpers.indicators.engine import adjusted_population_formula, compute, settings_chain
from sckpi_helpers.indicators.peers import pillar_summary
from sckpi_helpers.indicators.service import city_standing
from sckpi_helpers.reports.terminal_table import MISSING, fit_lines, render, terminal_width
from sckpi_helpers.store.peer_groups import peer_group

CSV_ENCODING = "utf-8-sig"
SIGNIFICANT_DIGITS = 4
PERCENT_DECIMALS = 2

#: table columns: result column → Japanese header
#: (状態 shows 代替 for a value flagged substitute, 推計 for one flagged estimated; CSV: flag, flag_ja)
TABLE_HEADERS = {"indicator_id": "id", "name_ja": "指標", "value": "値", "unit": "単位", "status": "状態",
                 "rank": "順位", "percentile": "百分位", "deviation_score": "偏差値", "peer_median": "比較中央値",
                 "trend_ja": "傾向", "reason": "理由"}
#: narrowest each text column is cut to on a small terminal (None: a number column, never cut)
TABLE_MIN_WIDTHS = [12, 16, None, 8, 4, None, None, None, None, 10, 10]
#: columns left out, in this order, when the cut table still does not fit: peer median, percentile, id
TABLE_DROP = [8, 6, 0]
#: ``--missing``: the plan's columns and the compact table's, with Japanese headers
PLAN_HEADERS = {"name_ja": "不足する入力", "unlocks": "単独で算出可能", "unlocks_required": "うち必須",
                "indicators": "算出できる指標", "partly": "他の入力も必要", "where_to_get": "入手先"}
MISSING_HEADERS = {"name_ja": "指標", "state_ja": "状態", "missing_ja": "不足する入力", "since": "いつから"}


def decimals_for(value: float, unit: str | None) -> int:
    """Decimals to keep: 2 for percentages (``%``, ``%pt``), otherwise enough for 4 significant
    digits, never cutting the integer part (12,345 stays 12345)."""
    if str(unit or "").lstrip().startswith(("%", "％")):
        return PERCENT_DECIMALS
    if value == 0 or not math.isfinite(value):
        return 0
    return max(SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value))), 0)


def round_value(value: Any, unit: str | None) -> float | int:
    """``value`` rounded for output by :func:`decimals_for` (an ``int`` when no decimals are kept,
    so CSV shows ``12101``, not ``12101.0``); NaN stays NaN."""
    if value is None or pd.isna(value):
        return np.nan
    x = float(value)
    decimals = decimals_for(x, unit)
    return round(x, decimals) if decimals else round(x)


def format_value(value: Any, unit: str | None) -> str:
    """``value`` as shown in the table (rounded like the CSV, with thousands separators)."""
    if value is None or pd.isna(value):
        return MISSING
    x = float(value)
    return f"{x:,.{decimals_for(x, unit)}f}"


def csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The city table for CSV: values and peer medians rounded by unit, scores to 1 decimal,
    rank and n as integers (empty when missing)."""
    out = table.copy()
    for col in ("value", "peer_median"):
        out[col] = pd.Series([round_value(v, u) for v, u in zip(out[col], out["unit"], strict=True)],
                             index=out.index, dtype=object)
    for col in ("percentile", "deviation_score"):
        out[col] = pd.to_numeric(out[col], errors="coerce").round(1)
    for col in ("rank", "n", "year"):
        out[col] = pd.to_numeric(out[col], errors="coerce").round().astype("Int64")
    return out


def table_rows(table: pd.DataFrame) -> list[list[str]]:
    """One display row per indicator, in :data:`TABLE_HEADERS` order."""
    rows = []
    for r in table.itertuples(index=False):
        rank = f"{int(r.rank)}/{int(r.n)}" if pd.notna(r.rank) else MISSING
        pct = f"{r.percentile:.0f}" if pd.notna(r.percentile) else MISSING
        dev = f"{r.deviation_score:.1f}" if pd.notna(r.deviation_score) else MISSING
        state = (FLAG_JA[r.flag] if isinstance(r.flag, str) and r.flag in FLAG_JA
                 else RESULT_STATUS_SHORT_JA.get(r.status, r.status))
        rows.append([r.indicator_id, r.name_ja, format_value(r.value, r.unit), r.unit, state, rank, pct, dev,
                     format_value(r.peer_median, r.unit), r.trend_ja, r.reason if pd.notna(r.reason) else ""])
    return rows


def render_text(table: pd.DataFrame, header: list[str], footer: list[str], width: int | None) -> str:
    """Header lines, the indicator table, footer lines — no line wider than ``width``."""
    headers, rows = list(TABLE_HEADERS.values()), table_rows(table)
    layout = {"min_widths": TABLE_MIN_WIDTHS, "drop": TABLE_DROP,
              "align": ["left", "left", "right", "left", "left", "right", "right", "right", "right", "left", "left"]}
    body = render(headers, rows, width=width, **layout)
    if width is not None and render(headers, rows, **layout) != body:
        footer = [*footer, ("… = cut to fit the terminal (状態: 算出 computed, 推計 estimated, 代替 substitute, "
                            "欠測 missing); --format csv has every column in full")]
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
    asked = getattr(args, "adjusted_population", None)
    # --adjusted-population D: exactly D; else the settings' chain (definition, then fallbacks)
    chain = [asked] if asked else settings_chain(catalog, settings.adjusted_population,
                                                 getattr(settings, "adjusted_population_fallbacks", None))
    definition = chain[0]
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
    results = compute(panel, catalog, adjusted_population=chain, city=city)
    if getattr(args, "missing", False):
        return _print_missing(args, results, catalog, city, year, areas)
    table, year, year_note = city_standing(results, catalog, city, year, group)  # the one "which year" rule
    ap_line = (f"補正人口 (adjusted_population): {definition} = {ap_formula}"
               + (f"; fallbacks: {' → '.join(map(str, chain[1:]))} (a value using one: 状態 代替; CSV "
                  "adjusted_population)" if len(chain) > 1 else ""))

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
            score = f"{r.deviation_score:.1f}" if np.isfinite(r.deviation_score) else MISSING
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


def _print_missing(args: argparse.Namespace, results: pd.DataFrame, catalog: Any, city: str, year: int,
                   areas: pd.DataFrame) -> int:
    """``--missing``: the plan (missing inputs ranked by what each unlocks, where to get them) and the
    compact table of the indicators the city lacks; CSV: the plan only (one row per input)."""
    from sckpi_helpers.indicators.plan import missing_table, plan

    missing = missing_table(results, catalog, city, year)
    steps = plan(results, catalog, city, year, missing)
    out = getattr(args, "out", None)
    if (getattr(args, "format", "table") or "table") == "csv":
        text, encoding = steps.to_csv(index=False, lineterminator="\n"), CSV_ENCODING
    else:
        width = None if out else terminal_width()
        head = fit_lines(f"データを追加すると算出できる指標: {city} {_area_name(areas, city)} {year}", width)
        body = render(list(PLAN_HEADERS.values()),
                      [[str(r[c]) for c in PLAN_HEADERS] for r in steps.to_dict("records")], width=width,
                      min_widths=[10, None, None, 12, None, 16],
                      align=["left", "right", "right", "left", "right", "left"])
        lacking = missing[missing["state"] != "estimated"]
        tail = render(list(MISSING_HEADERS.values()), [[str(r[c]) for c in MISSING_HEADERS]
                                                       for r in lacking.to_dict("records")],
                      width=width, min_widths=[12, 6, 10, 6])
        text = (f"{head}\n\n{body}\n\n"
                + fit_lines("算出できない第3階層指標 (indicators the city lacks):", width) + f"\n{tail}\n")
        encoding = "utf-8"
    if out:
        path = atomic_write_bytes(Path(out), text.encode(encoding))
        print(f"wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
