"""``sckpi check``: the data-quality gate for a city and period, or for every municipality of a
build — one line per finding (area, year, value, expected range, rule, reason, source file).

Exit status 0 when no finding is open (reviewed ones pass), 1 otherwise, so a scheduler can stop
before ``sckpi report``. ``--out FILE.csv`` writes the findings (UTF-8 with BOM, Japanese headers).
Stage 10 (cli): imports every stage.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sckpi_helpers import atomic
from sckpi_helpers.config.periods import parse_period
from sckpi_helpers.config.settings import find_settings, national_settings
from sckpi_helpers.config.vocabulary import QUALITY_COLUMNS_JA
from sckpi_helpers.indicators.gate import finding_line


def findings_csv(found: pd.DataFrame) -> str:
    """The findings as CSV with Japanese headers (the same columns as a report set's quality.csv)."""
    return found.rename(columns=QUALITY_COLUMNS_JA)[list(QUALITY_COLUMNS_JA.values())].to_csv(index=False)


def summary_lines(found: pd.DataFrame, what: str) -> list[str]:
    n_open = int((found["status"] == "open").sum()) if len(found) else 0
    head = f"データ品質チェック {what}: 要確認 {n_open} 件、確認済 {len(found) - n_open} 件"
    return [head, *(f"  {finding_line(r)}" for r in found.itertuples(index=False))]


def cli_check(args: argparse.Namespace) -> int:
    """Handler of ``sckpi check``."""
    from sckpi_helpers.checks.quality import city_findings, national_findings

    year = parse_period(args.period).fiscal_year
    if args.all:
        settings = find_settings(args.city) if args.city else national_settings()
        from sckpi_helpers.store import processed

        build = processed.serving_settings(settings, args.source or settings.source)
        found = national_findings(build, [year])
        what = f"{year}年 全市区町村 ({processed.scope_of(build)})"
    else:
        settings = find_settings(args.city)
        found = city_findings(settings, args.city, year, source=args.source)
        what = f"{args.city} {year}年"
    if args.out:
        atomic.atomic_write_text(Path(args.out), findings_csv(found), encoding="utf-8-sig")
    lines = summary_lines(found, what)
    if args.all and not args.verbose:
        counts = found.groupby(["status_ja", "kind_ja", "rule_ja"]).size()
        lines = [lines[0], *(f"  {'／'.join(k)}: {n}" for k, n in counts.items())]
    print("\n".join(lines))
    return 1 if (found["status"] == "open").any() else 0
