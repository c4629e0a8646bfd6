"""``sckpi indicators``: Check❹'s composite indicators for one city and year, with its peer standing.

The command-line edge of :mod:`sckpi_helpers.indicators.service`: resolves the city once
(:func:`sckpi_helpers.city.resolve_city`: build, 補正人口 definition, peer group), reads the serving
build's panel and areas, takes the stored tier-3 results when their key matches (else computes), and prints a table that fits the terminal (:mod:`sckpi_helpers.cli.terminal_table`)
or CSV. CSV files are UTF-8 **with BOM** so Excel shows the Japanese names; values are rounded
by unit (percentages to 2 decimals, other units to 4 significant digits, whole numbers kept) and
ranks are integers.

Stage 13 (cli): imports config, catalog, store, city, indicators and cli.terminal_table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from sckpi_helpers.atomic import atomic_write_bytes
from sckpi_helpers.city import resolve_city
from sckpi_helpers.cli.terminal_table import MISSING, fit_lines, render, terminal_width
from sckpi_helpers.config.formatting import SCORE_DECIMALS, format_number, round_number
from sckpi_helpers.config.vocabulary import FLAG_JA, RESULT_STATUS_SHORT_JA
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators.cache import chain_of, indicator_results
from sckpi_helpers.indicators.coverage import coverage, coverage_summary
from sckpi_helpers.indicators.peers import pillar_summary
from sckpi_helpers.indicators.service import city_standing

CSV_ENCODING = "utf-8-sig"

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
        state = (FLAG_JA[r.flag] if isinstance(r.flag, str) and r.flag in FLAG_JA
                 else RESULT_STATUS_SHORT_JA.get(r.status, r.status))
        rows.append([r.indicator_id, r.name_ja, format_number(r.value, r.unit, missing=MISSING), r.unit,
                     state, rank, pct, dev,
                     format_number(r.peer_median, r.unit, missing=MISSING), r.trend_ja, r.reason if pd.notna(r.reason) else ""])
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


def cli_indicators(args: argparse.Namespace) -> int:
    """``sckpi indicators --city CODE --period YYYY [--peer-group G] [--adjusted-population D]
    [--format table|csv] [--out FILE]``."""
    from sckpi_helpers.store.build import ensure_processed
    from sckpi_helpers.store.processed import ingest_command, load_areas, load_panel, processed_paths

    asked = getattr(args, "adjusted_population", None)  # --adjusted-population D: exactly D
    city = resolve_city(args.city, peer_group=getattr(args, "peer_group", None), adjusted_population=asked)
    catalog, ap, spec = city.catalog, city.adjusted_population, city.peer_group.spec
    if city.build.national:  # the national build of the bundled files: built on first use, offline
        ensure_processed(city.build)
    panel = load_panel(city.build) if processed_paths(city.build)["panel"].exists() else None
    if panel is None or city.code not in set(panel["area_code"].astype(str)):
        raise SckpiError(f"city {city.code} is not in the processed data ({city.build.why}): run "
                         f"'{ingest_command(city.build)}' first")
    areas = load_areas(city.build)
    group = city.peers_in(areas, panel)
    chain = [asked] if asked else chain_of(city)
    results = indicator_results(city, panel, definition=asked)
    if getattr(args, "missing", False):
        return _print_missing(args, results, catalog, city.code, city.name_ja, int(args.year), areas)
    table, year, year_note = city_standing(results, catalog, city.code, int(args.year), group)  # the one "which year" rule
    ap_line = (f"補正人口 (adjusted_population): {ap.id} {ap.name_ja} = {ap.formula}"
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
        cov = coverage_summary(coverage(results, catalog, city.code, year))
        header = [f"Check4 composite indicators: {city.code} {city.name_ja} {year}", ap_line,
                  f"peer group: {spec} ({len(group)} areas)", *([year_note] if year_note else [])]
        footer = ["柱ごとの平均偏差値 (pillar mean deviation score):"]
        for r in pillars.itertuples():
            score = format_number(r.deviation_score, decimals=SCORE_DECIMALS, missing=MISSING)
            footer.append(f"  {r.pillar_ja} ({r.pillar}): {score}  [{r.note}]")
        footer.append("coverage: " + ", ".join(f"{r.state} {r.count}" for r in cov.itertuples()))
        text = render_text(table, header, footer, None if out else terminal_width())
        encoding = "utf-8"
    return _emit(text, encoding, out)


def _emit(text: str, encoding: str, out: str | None) -> int:
    """The command's output: to ``--out`` (written atomically) or the terminal."""
    if out:
        path = atomic_write_bytes(Path(out), text.encode(encoding))
        print(f"wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _print_missing(args: argparse.Namespace, results: pd.DataFrame, catalog: object, city: str, name: str, year: int,
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
        head = fit_lines(f"データを追加すると算出できる指標: {city} {name} {year}", width)
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
    return _emit(text, encoding, out)
