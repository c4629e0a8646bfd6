"""``sckpi report``: the command-line handler over :mod:`sckpi_helpers.reports.runner` (one city) and
:func:`sckpi_helpers.reports.executors.run_batch` (``--cities``, ``--peer-group``).

Prints each notebook's result as it finishes (for a batch: a progress bar on stderr, then the
table), every warning (logic-model problems, one line each, on stderr), the report and index
paths; exit status 0 only when every set is complete.
Stage 13 (cli): imports every stage.
"""

from __future__ import annotations

import argparse
import sys

from sckpi_helpers.cli.terminal_table import render
from sckpi_helpers.config import paths
from sckpi_helpers.config.formatting import format_number
from sckpi_helpers.reports import executors, runner
from sckpi_helpers.reports.preflight import check_period_year


def _cities_from_args(args: argparse.Namespace) -> list[str]:
    """The cities of a run: --city, --cities (codes already read by the parser), or the demo
    prefecture's --peer-group (``--all``: :func:`_report_all`)."""
    if getattr(args, "all_cities", False):
        return []
    if args.city:
        return [args.city]
    if args.cities:
        return args.cities.split(",")
    from sckpi_helpers.city import resolve_city
    from sckpi_helpers.config.settings import demo_settings
    from sckpi_helpers.store import build as ingest

    anchor = resolve_city(demo_settings().city_code, peer_group=args.batch_peer_group)
    ingest.ensure_processed(anchor.build)
    codes = list(anchor.peer_codes)
    if anchor.code not in codes:
        codes.insert(0, anchor.code)
    return codes


def print_notebook(n) -> None:
    """One line per notebook, printed as it finishes (and its error's first line)."""
    mark = "ok" if n.status == "ok" else "FAILED"
    print(f"  {n.name:<18} {mark:<6} {n.seconds:6.1f}s", flush=True)
    if n.error:
        print("    " + n.error.splitlines()[0], flush=True)


def print_warnings(results) -> None:
    """Every warning of every result on stderr, one line each, prefixed with the city and period."""
    for r in results:
        for line in getattr(r, "warnings", None) or []:
            print(f"sckpi report {r.city_code} {r.period}: warning: {line}", file=sys.stderr)


def cli_report(args: argparse.Namespace) -> int:
    """``sckpi report``: 0 only when every notebook of every city succeeded."""
    p = args.period  # a Period: parsed once by the option's type
    check_period_year(p)
    cities = _cities_from_args(args)
    jobs = int(getattr(args, "jobs", 1) or 1)
    scheduler = getattr(args, "scheduler", None)
    common = {"force": bool(getattr(args, "force", False)), "source": getattr(args, "source", None),
              "only": getattr(args, "only", None), "strict": bool(getattr(args, "strict", False))}
    root = paths.reports_dir()
    quiet = bool(getattr(args, "quiet", False))
    if getattr(args, "all_cities", False):
        return _report_all(args, p, jobs, scheduler, common, quiet)
    if len(cities) == 1 and not scheduler:
        r = runner.run_report(cities[0], p, jobs=jobs, on_notebook=print_notebook, **common)
        results = [r]
        if r.rerun_reason:
            print(f"why: {r.rerun_reason}")
        print_warnings(results)
        print(f"report: {r.index_path}")
    else:
        results = executors.run_batch(cities, p, jobs=jobs, scheduler=scheduler,
                                      progress=False if quiet else None, **common)
        print_warnings(results)
        print(summary_table(results), end="")
    print(f"index: {root / 'index.html'}")
    bad = [r for r in results if not r.ok]
    if bad:
        print(f"sckpi report: {len(bad)} of {len(results)} report sets not complete", file=sys.stderr)
        return 1
    return 0


def _report_all(args: argparse.Namespace, p, jobs: int, scheduler, common: dict, quiet: bool) -> int:
    """``sckpi report --all``: every municipality, then the national pages; 0 when every set is finished
    (rendered now or already up to date)."""
    from sckpi_helpers.reports.national_run import run_national

    n = run_national(p, jobs=jobs, scheduler=scheduler, only=common["only"], force=common["force"],
                     progress=False if quiet else None)
    print_warnings(n.results)
    rendered = [r for r in n.results if r.status != "exists"]
    if rendered:
        print(summary_table(rendered), end="")
    print(f"{len(n.results)} cities: {len(rendered)} rendered, {len(n.results) - len(rendered)} up to date")
    print(f"national: {n.index} ({'書き直しました: ' + n.why if n.rewritten else n.why})")
    print(f"index: {paths.reports_dir() / 'index.html'}")
    if not n.complete:
        bad = sum(not (r.ok or r.status == "exists") for r in n.results)
        print(f"sckpi report: {bad} of {len(n.results)} report sets not complete", file=sys.stderr)
        return 1
    return 0


def summary_table(results) -> str:
    """The batch table on the console: city, name, status, seconds, why it was rendered, failed
    notebooks / message."""
    rows = [[r.city_code, r.city_name or "", r.status, format_number(r.seconds, decimals=1),
             getattr(r, "rerun_reason", None) or "",
             ", ".join(r.failed_notebooks) or ("" if r.ok else r.message)] for r in results]
    return render(["city", "name", "status", "seconds", "why", "failed / message"], rows,
                  align=["left", "left", "left", "right", "left", "left"])
