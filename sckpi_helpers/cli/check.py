"""``sckpi check``: the data-quality gate for a city and period, or for every municipality of a
build — one line per finding (area, year, value, expected range, rule, reason, source file).

Exit status 0 when no finding is open (reviewed ones pass), 1 otherwise, so a scheduler can stop
before ``sckpi report``. ``--out FILE.csv`` writes the findings (UTF-8 with BOM, Japanese headers,
the same columns as a report set's ``quality.csv``). The city is resolved once
(:func:`sckpi_helpers.city.resolve_city`); without ``--city``, ``--all`` judges the national build.
Stage 13 (cli): imports every stage.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.atomic import atomic_write_text
from sckpi_helpers.indicators.gate import finding_line


def summary_lines(found: pd.DataFrame, what: str) -> list[str]:
    n_open = int((found["status"] == "open").sum()) if len(found) else 0
    head = f"データ品質チェック {what}: 要確認 {n_open} 件、確認済 {len(found) - n_open} 件"
    return [head, *(f"  {finding_line(r)}" for r in found.itertuples(index=False))]


def national_findings_of(build: Any, years: list[int], city: Any = None, **tables: Any) -> pd.DataFrame:
    """Every municipality of ``build``: with a city's context its catalog and 補正人口 chain, else the
    bundled catalog's default (the national build)."""
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.checks.quality import national_findings
    from sckpi_helpers.city.context import adjusted_population_choice

    if city is not None:
        return national_findings(build, city.catalog, city.adjusted_population, years,
                                 extensions=city.extensions, **tables)
    catalog = load_catalog()
    return national_findings(build, catalog, adjusted_population_choice(catalog, build.settings), years, **tables)


def cli_check(args: argparse.Namespace) -> int:
    """Handler of ``sckpi check``."""
    from sckpi_helpers.checks.quality import city_findings
    from sckpi_helpers.city import resolve_city
    from sckpi_helpers.pages.quality import findings_csv
    from sckpi_helpers.store.scopes import national_build

    year = int(args.period)
    city = resolve_city(args.city, year, source=args.source) if args.city else None
    if args.all:
        build = city.build if city is not None else national_build()
        found = national_findings_of(build, [year], city)
        what = f"{year}年 全市区町村 ({build.scope})"
    else:
        found = city_findings(city)
        what = f"{city.code} {year}年 {city.name_ja}"
    if args.out:
        atomic_write_text(Path(args.out), findings_csv(found), encoding="utf-8-sig")
    lines = summary_lines(found, what)
    if args.all and not args.verbose:
        counts = found.groupby(["status_ja", "kind_ja", "rule_ja"]).size()
        lines = [lines[0], *(f"  {'／'.join(k)}: {n}" for k, n in counts.items())]
    print("\n".join(lines))
    return 1 if (found["status"] == "open").any() else 0
