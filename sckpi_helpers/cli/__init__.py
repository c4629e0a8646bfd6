"""The ``sckpi`` command: one subcommand per job, with names and options schedulers can rely on.

Each subcommand's work lives in the module that owns it; this file only declares the options
(the stable interface) and dispatches. Bad options → one line on stderr and exit status 2.
Errors in the user's data or settings (:class:`SckpiError`) → one message and exit status 1.

One vocabulary across commands: ``--period`` for a period or a range of them (``2024``,
``2015-2024``, ``2025Q3``), ``--cities`` for a comma-separated list of area codes, ``--city`` for
one. Earlier spellings (``--year``, ``--years``, ``--periods``, ``--areas``) still work — same
``dest``, so handlers and existing cron lines are unaffected — but are not in ``--help`` and
print a one-line deprecation warning on stderr.

Stage 13 (cli): imports the config stage at parse time (period labels) and each handler lazily.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sckpi_helpers import __version__
from sckpi_helpers.config.codes import AreaCodeError, parse_code, parse_codes
from sckpi_helpers.config.periods import PeriodError, parse_period, parse_year_range
from sckpi_helpers.config.settings import SOURCES
from sckpi_helpers.errors import SckpiError

#: subcommand → "module:function" taking the parsed namespace and returning an exit status
HANDLERS = {
    "demo": "sckpi_helpers.cli.demo:cli_demo",
    "catalog": "sckpi_helpers.cli.catalog:cli_catalog",
    "ingest": "sckpi_helpers.cli.ingest:cli_ingest",
    "indicators": "sckpi_helpers.cli.indicators:cli_indicators",
    "template": "sckpi_helpers.cli.template:cli_template",
    "init": "sckpi_helpers.cli.init:cli_init",
    "report": "sckpi_helpers.cli.report:cli_report",
    "check": "sckpi_helpers.cli.check:cli_check",
}


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage dump) and exit status 2, and deprecated option
    spellings that are rewritten to the documented ones (with a warning) before parsing."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.deprecated: dict[str, str] = {}  # old spelling → documented flag

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        if args is not None and self.deprecated:
            args = [self._current(a) for a in args]
        return super().parse_known_args(args, namespace)

    def _current(self, arg: str) -> str:
        old, eq, value = arg.partition("=")
        new = self.deprecated.get(old)
        if new is None:
            return arg
        print(f"{self.prog}: warning: {old} is deprecated, use {new}", file=sys.stderr)
        return new + eq + value


def _option(parser: _Parser, flag: str, *deprecated: str, **kwargs) -> None:
    """Declare ``flag`` (documented in ``--help``) and earlier spellings that still work."""
    parser.add_argument(flag, **kwargs)
    parser.deprecated.update(dict.fromkeys(deprecated, flag))


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be 1 or more")
    return n


def _area_code(text: str) -> str:
    """A code as typed (full-width, 6-digit with its check digit …) → 5 digits (config.codes)."""
    try:
        return parse_code(text, "--city")
    except AreaCodeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _area_codes(text: str) -> str:
    """``13101,13102`` → the same list, each code read by config.codes, as one comma-separated string."""
    try:
        return ",".join(parse_codes(text))
    except AreaCodeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _report_period(text: str):
    """``2025``, ``2025Q3`` … → a Period (parsed here once; the runner reads it as given)."""
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _one_year(text: str) -> int:
    """``2022`` / ``FY2022`` / ``previous-year`` → 2022: one year, for a Check❹ comparison."""
    try:
        p = parse_period(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if p.kind != "year":
        raise argparse.ArgumentTypeError(f"'{text}' is a {p.kind}; give a year, e.g. 2022")
    return p.fiscal_year


def _year_range(text: str) -> str:
    """``2015-2024``, ``2020`` or ``2015,2020`` — checked here, read by the handler."""
    try:
        years = parse_year_range(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not years or any(not 1900 <= y <= 2100 for y in years):
        raise argparse.ArgumentTypeError(f"'{text}' is not a range of 4-digit years, e.g. 2015-2024")
    return text.strip()


def build_parser() -> argparse.ArgumentParser:
    """The full option set; ``sckpi --help`` and ``sckpi SUB --help`` print it."""
    p = _Parser(prog="sckpi", description=(
        "Smart-city KPI kit: the Cabinet Office's KPI guideline (2022) as data, government "
        "statistics in, composite indicators, logic-model diagnosis (Check1-4) and HTML reports."))
    p.add_argument("--version", action="version", version=f"sckpi {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    d = sub.add_parser("demo", help="ingest the bundled demo data, compute indicators, render reports",
                       description="Run the whole pipeline on the bundled fictional prefecture サンプル県 "
                                   "(offline) and print the path of the report index.")
    d.add_argument("--jobs", type=_positive_int, default=1, help="parallel notebook workers (default 1)")
    d.add_argument("--quiet", action="store_true", help="no progress bar")

    c = sub.add_parser("catalog", help="list, filter and export the indicator catalog",
                       description="List the guideline's indicators; filter; export as table, CSV or HTML.")
    c.add_argument("--tier", choices=["output", "outcome1", "outcome2", "outcome3"], help="logic-model tier")
    c.add_argument("--field", help="evaluation field id (e.g. mobility, disaster_crime, it_platform)")
    c.add_argument("--pillar", help="pillar: social, economic, environmental, or a foundation field")
    c.add_argument("--check", type=int, choices=[1, 2, 3, 4], help="PDCA check stage (Check1-4)")
    c.add_argument("--required", action="store_true", help="only required (必須) indicators")
    c.add_argument("--format", choices=["table", "csv", "html"], default="table", help="output format")
    c.add_argument("--extra", action="append", default=[], metavar="FILE",
                   help="a city's catalog extension (YAML), validated like the catalog; repeatable")
    c.add_argument("--out", metavar="FILE", help="write to FILE (atomically) instead of stdout")

    i = sub.add_parser("ingest", help="read government statistics and local data into data/processed/",
                       description="Turn e-Stat API responses, e-Stat CSV downloads, external statistics "
                                   "and local data into one tidy Parquet panel under data/processed/.")
    i.add_argument("--source", choices=SOURCES,
                   help="demo: bundled data; estat-api: e-Stat API v3 (needs ESTAT_APP_ID); "
                        "estat-csv: downloaded files only; ssdse: the bundled SSDSE-A (every "
                        "municipality, no download; --input another edition); estat-json: saved "
                        "e-Stat API responses (--input) (default: the city's settings.yaml)")
    i.add_argument("--input", action="append", default=[], metavar="PATH",
                   help="file or folder to read; each file's format is recognised; repeatable")
    i.add_argument("--city", type=_area_code, help="city whose settings, peers and local data to ingest")
    _option(i, "--cities", "--areas", dest="areas", type=_area_codes, metavar="CODES",
            help="comma-separated 5-digit area codes to keep (default: the city and its peers)")
    _option(i, "--period", "--years", dest="years", type=_year_range, metavar="YEARS",
            help="years to keep, e.g. 2015-2024 (default: the city's settings)")
    i.add_argument("--external", action="append", default=[], metavar="FILE",
                   help="external statistics file (police, MHLW, election commission); repeatable")
    i.add_argument("--local", action="append", default=[], metavar="FILE",
                   help="local-data file from 'sckpi template'; repeatable")
    i.add_argument("--police", action="append", default=[], metavar="FILE",
                   help="police crime file: 犯罪オープンデータ (one 手口 per file; a year's files are "
                        "added up) or 警視庁 区市町村別認知件数; repeatable")
    i.add_argument("--police-year", type=_one_year, metavar="YEAR",
                   help="the year of police files whose name carries none, e.g. 2021")
    i.add_argument("--refresh", action="store_true", help="estat-api: ignore the response cache")

    n = sub.add_parser("indicators", help="compute tier-3 composite indicators for a city and year",
                       description="Compute Check4's composite indicators and the city's standing among peers.")
    n.add_argument("--city", type=_area_code, required=True, help="5-digit area code")
    _option(n, "--period", "--year", dest="year", type=_one_year, required=True, metavar="YEAR",
            help="the year to compare, e.g. 2022 (also FY2022, previous-year)")
    n.add_argument("--peer-group", help="peer group: prefecture, population_band, municipal_type, "
                                        "list:CODE,CODE,… (default: the city's settings)")
    n.add_argument("--adjusted-population", help="補正人口 definition (default: the city's settings and "
                                                 "their fallbacks)")
    n.add_argument("--missing", action="store_true",
                   help="instead of the indicators: the missing inputs ranked by how many indicators each "
                        "would unlock, where to get them, and the indicators the city lacks")
    n.add_argument("--format", choices=["table", "csv"], default="table", help="output format")
    n.add_argument("--out", metavar="FILE", help="write to FILE (atomically) instead of stdout; "
                                                 "CSV files are UTF-8 with BOM (Excel)")

    t = sub.add_parser("template", help="write a local-data template (Excel or CSV) for a city",
                       description="Write a template with one row per indicator x period for the city "
                                   "to fill (outputs, outcome tiers 1-2, foundation indicators).")
    t.add_argument("--city", type=_area_code, required=True, help="5-digit area code")
    t.add_argument("--out", required=True, metavar="FILE", help="FILE.xlsx or FILE.csv")
    t.add_argument("--logic-model", metavar="FILE", help="take the indicators from this logic model")
    _option(t, "--period", "--periods", dest="periods", metavar="PERIODS",
            help="period or range, e.g. 2025 or 2025Q1-2026Q4 (default: the current fiscal year)")

    s = sub.add_parser("init", help="scaffold data/raw/<city>/: settings, starter logic model, local-data workbook")
    s.add_argument("--city", type=_area_code, required=True, help="5-digit area code")
    s.add_argument("--name", help="area name (default: from the bundled SSDSE-A table)")
    s.add_argument("--source", choices=["estat-api", "estat-csv", "ssdse"],
                   help="statistics source (default: estat-api with ESTAT_APP_ID set, else ssdse)")
    _option(s, "--period", "--periods", dest="periods", metavar="PERIODS",
            help="workbook periods, e.g. 2025 or 2025Q1-2026Q4 (default: the current fiscal year)")
    s.add_argument("--force", action="store_true", help="overwrite existing files")

    r = sub.add_parser("report", help="execute the check notebooks and render HTML reports",
                       description="Execute the check notebooks due in a period with papermill, render them "
                                   "to HTML under reports/<city>/<period>/, and update the indexes.")
    who = r.add_mutually_exclusive_group(required=True)
    who.add_argument("--city", type=_area_code, help="5-digit area code")
    who.add_argument("--cities", type=_area_codes, metavar="CODES", help="comma-separated area codes (batch)")
    who.add_argument("--peer-group", dest="batch_peer_group", metavar="G",
                     help="batch over a peer group of the demo/processed areas")
    who.add_argument("--all", dest="all_cities", action="store_true",
                     help="every municipality of the national build (Check4 by default), then the national "
                          "pages reports/national/<year>/; finished, up-to-date sets are skipped (resumes)")
    r.add_argument("--period", required=True, type=_report_period,
                   help="2025 (fiscal year: Check1-4), 2025Q3 / 2025-10 / 2025H1 (Check1-2)")
    r.add_argument("--jobs", type=_positive_int, default=1, help="parallel workers (default 1)")
    r.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask distributed scheduler (needs the [dask] extra)")
    r.add_argument("--force", action="store_true", help="overwrite an existing report for the period")
    r.add_argument("--source", choices=SOURCES,
                   help="data source passed to the notebooks (default: the city's settings)")
    r.add_argument("--only", metavar="NB", help="comma-separated notebook names to run (default: due checks)")
    r.add_argument("--quiet", action="store_true", help="no progress bar (batches)")
    r.add_argument("--strict", action="store_true",
                   help="refuse to publish while data-quality findings are open (exit 1, one line each)")

    q = sub.add_parser("check", help="the data-quality gate: findings for a city and period",
                       description="Judge the values a report would publish (tier-3 indicators and their "
                                   "inputs): year-over-year jumps, peer outliers, unit mix-ups, revisions, "
                                   "stale denominators. Exit 1 while a finding is open.")
    q.add_argument("--city", type=_area_code, help="5-digit area code (required unless --all)")
    q.add_argument("--period", required=True, type=_one_year, metavar="YEAR",
                   help="fiscal year of the report to judge, e.g. 2022")
    q.add_argument("--all", action="store_true",
                   help="every municipality of the city's build (without --city: the national SSDSE-A build)")
    q.add_argument("--source", choices=SOURCES, help="data source (default: the city's settings)")
    q.add_argument("--out", metavar="FILE", help="also write the findings as CSV (UTF-8 with BOM)")
    q.add_argument("--verbose", action="store_true", help="with --all: one line per finding, not counts")
    return p


def _dispatch(target: str, args: argparse.Namespace) -> int:
    module, func = target.split(":")
    return int(getattr(importlib.import_module(module), func)(args) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sckpi`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "check" and not (args.city or args.all):
        print("sckpi check: error: give --city CODE or --all (see 'sckpi check --help')", file=sys.stderr)
        return 2
    try:
        return _dispatch(HANDLERS[args.command], args)
    except SckpiError as exc:
        print(f"sckpi {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sckpi: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
