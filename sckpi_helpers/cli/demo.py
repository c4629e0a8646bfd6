"""``sckpi demo``: the whole pipeline on the bundled fictional prefecture, offline.

ingest (data/raw/demo → data/processed) → tier-3 indicators (indicators.parquet) → the check
notebooks executed with papermill → HTML report sets → the path of the report index.
Re-running is idempotent: the processed data are rebuilt from the same raw files and the demo's
report sets are replaced (``force``), so the output always reflects the current code.

Stage 13 (cli): may import every stage; nothing imports it.
"""

from __future__ import annotations

import argparse
import sys
import time

from sckpi_helpers.cli.report import print_warnings
from sckpi_helpers.config import paths
from sckpi_helpers.config.settings import demo_settings

#: periods the demo renders: the fiscal year (Check❶–❹) and its last quarter (Check❶❷)
DEMO_PERIODS = ("2024", "2024Q4")


def run_demo(jobs: int = 1, progress: bool | None = None) -> tuple[bool, list]:
    """Run every step for the demo city; return (all succeeded, report results).

    A progress bar over the notebooks of every period runs on stderr when it is a terminal
    (``progress`` forces it on or off).
    """
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.indicators.service import compute_and_store
    from sckpi_helpers.reports.executors import progress_bar
    from sckpi_helpers.reports.plan import plan_notebooks
    from sckpi_helpers.reports.runner import run_report
    from sckpi_helpers.store.build import ingest
    from sckpi_helpers.store.processed import load_panel

    settings = demo_settings()
    t0 = time.perf_counter()
    written = ingest(settings, source="demo")
    print(f"[1/3] ingest: {', '.join(str(p.relative_to(paths.project_root())) for p in written.values())}"
          f" ({time.perf_counter() - t0:.1f} s)")
    t1 = time.perf_counter()
    out = compute_and_store(load_panel(settings), load_catalog(), settings)
    print(f"[2/3] indicators: {out.relative_to(paths.project_root())} ({time.perf_counter() - t1:.1f} s)")
    results = []
    bar = progress_bar(sum(len(plan_notebooks(p)) for p in DEMO_PERIODS), "[3/3] report", "notebook", progress)
    try:
        for period in DEMO_PERIODS:
            t2 = time.perf_counter()
            res = run_report(settings.city_code, period, jobs=jobs, force=True, source="demo",
                             on_notebook=lambda nb, period=period: (bar.set_postfix_str(f"{period} {nb.name}"),
                                                                    bar.update(1)))
            results.append(res)
            print_warnings([res])
            bar.write(f"[3/3] report {settings.city_code} {period}: {'ok' if res.ok else 'FAILED'} "
                      f"({time.perf_counter() - t2:.1f} s)", file=sys.stdout)
    finally:
        bar.close()
    return all(r.ok for r in results), results


def cli_demo(args: argparse.Namespace) -> int:
    """Handler of ``sckpi demo``."""
    ok, _ = run_demo(jobs=args.jobs, progress=False if getattr(args, "quiet", False) else None)
    index = paths.reports_dir() / "index.html"
    print(f"Report index: {index}")
    return 0 if ok else 1
