"""Benchmark: full report sets for the demo prefecture's cities, sckpi vs the command-line tools;
Check❹ for real municipalities from the bundled SSDSE-A, projected to all 1,741.

    .venv/bin/python bench/bench_report.py                       # 5 demo cities, 100 real, --jobs 2
    .venv/bin/python bench/bench_report.py --cities 2 --real 10  # a quick run

Both sides do the same work in the same run, on a temporary copy of the demo data:
the Check❶–❹ notebooks of fiscal year 2024 executed and rendered to HTML without code, per city.

- **sckpi**: ``report.run_batch(cities, "2024", jobs=2)`` — a process pool, in-process nbconvert,
  plus the landing pages, manifests and indexes;
- **baseline**: the same ``papermill`` and ``jupyter nbconvert --to html --no-input`` commands, one
  task per notebook, run two at a time with ``xargs -P 2`` (what a scheduler script without the kit
  would do, given the same two workers).

Prints seconds per city for both, the ratio sckpi / baseline (target ≤ 0.33) and the speed-up
baseline / sckpi (target ≥ 3×), each with OK / NOT OK. sckpi keeps one kernel per worker for its
notebooks (cleaned between them, :mod:`sckpi_helpers.reports.kernel`); the baseline starts a
papermill and an nbconvert process and a kernel per notebook.

**Real municipalities** (``--real N``, default 100; 0 skips): the processed store is built from
``data/raw/ssdse/SSDSE-A-2025.csv`` through ``sources.ssdse`` and the store's own functions
(``tidy_to_panel``, ``build_areas_frame``, ``write_outputs``; one build for all 1,741
municipalities, as ``sckpi ingest`` would write it), the tier-3 indicators are computed once, and
Check❹ (FY2022) is timed for N municipalities spread over the country. The projection for all 1,741
assumes the per-city time scales linearly with workers: worker-seconds per city × 1741 / workers
(each added Dask worker = one more process like these, on a shared filesystem, no scheduler
overhead counted).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent
#: how much faster than the parallel command-line baseline sckpi should be
TARGET = 3.0
#: municipalities in SSDSE-A (the nation)
NATION = 1741
REAL_PERIOD = "2022"


def demo_cities(n: int) -> list[str]:
    from sckpi_helpers.config.settings import demo_settings
    from sckpi_helpers.store.build import ensure_processed
    from sckpi_helpers.store.processed import load_areas

    s = demo_settings()
    ensure_processed(s)
    areas = load_areas(s)
    muni = areas[(areas["level"] == "municipality") & (areas["area_code"].str[:2] == s.city_code[:2])]
    codes = [s.city_code] + [c for c in sorted(muni["area_code"]) if c != s.city_code]
    return codes[:n]


def run_sckpi(cities: list[str], jobs: int) -> tuple[float, list]:
    from sckpi_helpers.reports.executors import run_batch

    t0 = time.perf_counter()
    results = run_batch(cities, "2024", jobs=jobs, progress=False)
    return time.perf_counter() - t0, results


def build_real_store() -> list[str]:
    """data/processed/<first code>/ from the bundled SSDSE-A: every municipality, as ingest writes it."""
    import json
    from datetime import UTC, datetime

    import pandas as pd

    from sckpi_helpers import atomic
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.config import paths
    from sckpi_helpers.config.settings import CitySettings
    from sckpi_helpers.sources.ssdse import read_ssdse
    from sckpi_helpers.store import build as b
    from sckpi_helpers.store import processed

    catalog = load_catalog()
    tidy, _ = read_ssdse(paths.raw_dir() / "ssdse" / "SSDSE-A-2025.csv")
    panel, unmapped = b.tidy_to_panel(tidy, catalog)
    munis = sorted(c for c in panel["area_code"].unique() if not c.endswith("000"))
    settings = CitySettings(city_code=munis[0], source="estat-csv")
    names = panel[["area_code", "area_name"]].dropna(subset=["area_name"])
    areas = b.build_areas_frame(pd.concat([names, panel[["area_code"]].assign(area_name=None)]), None)
    b.write_outputs({"panel": b.panel_frame(panel.sort_values(["variable", "area_code", "year"])),
                     "areas": areas, "local": b._read_locals([], catalog, settings.city_code, None)}, settings)
    years = sorted(int(y) for y in panel["year"].unique())
    atomic.atomic_write_text(processed.processed_paths(settings)["manifest"], json.dumps({
        "format_version": processed.FORMAT_VERSION, "city_code": settings.city_code, "source": "estat-csv",
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"), "years": [years[0], years[-1]],
        "inputs": b._fingerprint(b.raw_inputs(settings)), "rows": {"panel": len(panel)},
        "unmapped_items": sorted(unmapped), "note": "bench_report: SSDSE-A-2025 via sources.ssdse"}))
    return munis


def run_real(n: int, jobs: int) -> int:
    """Check❹ for ``n`` real municipalities; prints the projection for the nation. 0 when all ran."""
    from sckpi_helpers.reports import runner
    from sckpi_helpers.reports.executors import run_batch

    t0 = time.perf_counter()
    munis = build_real_store()
    t1 = time.perf_counter()
    prep = runner.prepare_data(runner.city_settings(munis[0]), "estat-csv")
    t2 = time.perf_counter()
    step = max(1, len(munis) // n)
    cities = munis[::step][:n]
    t3 = time.perf_counter()
    results = run_batch(cities, REAL_PERIOD, jobs=jobs, only="check4", source="estat-csv", progress=None,
                        force=True)
    t_run = time.perf_counter() - t3
    ok = sum(r.ok for r in results)
    print(f"\nreal municipalities (SSDSE-A-2025, {len(munis)} municipalities): store built in {t1 - t0:.1f} s, "
          f"tier-3 indicators for all in {t2 - t1:.1f} s" + (f" (problem: {prep})" if prep else ""))
    print(f"Check❹ FY{REAL_PERIOD} for {len(cities)} municipalities (every {step}th code), --jobs {jobs}: "
          f"{t_run:.1f} s, {ok}/{len(cities)} ok"
          + ("" if ok == len(cities) else " (failed: " + ", ".join(r.city_code for r in results if not r.ok)[:200] + ")"))
    per_city = t_run * jobs / len(cities)  # worker-seconds per city
    print(f"per city: {t_run / len(cities):.2f} s wall with {jobs} workers = {per_city:.2f} worker-seconds")
    print(f"projection for all {NATION} (assumes linear scaling: {per_city:.2f} s × {NATION} / workers):")
    for w in sorted({jobs, jobs + 1, 2 * jobs, 8, 16, 32}):
        where = "this machine" if w == jobs else f"{w - jobs:+d} Dask workers"
        print(f"  {w:3d} workers ({where:>16}): {per_city * NATION / w / 60:7.1f} min")
    print(f"  each added Dask worker saves {per_city * NATION / jobs / 60 - per_city * NATION / (jobs + 1) / 60:.1f} "
          f"min from {jobs} workers; one worker-hour covers {3600 / per_city:.0f} municipalities")
    return 0 if ok == len(cities) else 1


def run_baseline(cities: list[str], out: Path, jobs: int) -> float:
    from sckpi_helpers.reports.plan import CHECK_NOTEBOOKS, default_notebooks_dir

    nb_dir = default_notebooks_dir()
    tasks = []
    for c in cities:
        d = out / c
        d.mkdir(parents=True, exist_ok=True)
        for name in CHECK_NOTEBOOKS.values():
            src = nb_dir / f"{name}.ipynb"
            dst = d / f"{name}.ipynb"
            tasks.append(
                f"{shlex.quote(str(BIN / 'papermill'))} {shlex.quote(str(src))} {shlex.quote(str(dst))} "
                f"-p city_code {c} -p period 2024 -p source demo -p peer_group prefecture -p lang ja "
                f"-k python3 --no-progress-bar --log-level ERROR --cwd {shlex.quote(str(d))} && "
                f"{shlex.quote(str(BIN / 'jupyter'))} nbconvert --to html --no-input --log-level ERROR "
                f"{shlex.quote(str(dst))}")
    listing = out / "tasks.txt"
    listing.write_text("\n".join(tasks) + "\n", encoding="utf-8")
    t0 = time.perf_counter()
    with listing.open(encoding="utf-8") as fh:
        subprocess.run(["xargs", "-P", str(jobs), "-d", "\n", "-I", "CMD", "sh", "-c", "CMD"], stdin=fh,
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def compare(args: argparse.Namespace) -> int:
    """sckpi vs the parallel command-line baseline on the demo cities; 0 when both produced everything."""
    tmp = Path(os.environ["SCKPI_HOME"])
    cities = demo_cities(args.cities)  # also builds data/processed once, outside the timings
    n_nb = 4 * len(cities)
    print(f"report sets for {len(cities)} demo cities × Check❶–❹ (FY2024) = {n_nb} notebooks")

    t_kit, results = run_sckpi(cities, args.jobs)
    failed = [r.city_code for r in results if not r.ok]
    t_base = run_baseline(cities, tmp / "baseline", args.jobs)
    n_html = len(list((tmp / "baseline").rglob("*.html")))

    per_kit, per_base = t_kit / len(cities), t_base / len(cities)
    print(f"{'':34}{'total s':>10}{'s / city':>10}")
    print(f"{'sckpi report --jobs ' + str(args.jobs):34}{t_kit:10.1f}{per_kit:10.1f}")
    print(f"{'papermill+nbconvert xargs -P ' + str(args.jobs):34}{t_base:10.1f}{per_base:10.1f}")
    ratio = t_base / t_kit
    load = os.getloadavg()
    print(f"ratio sckpi / baseline: time {t_kit / t_base:.2f}x (target ≤ {1 / TARGET:.2f}): "
          f"{'OK' if ratio >= TARGET else 'NOT OK'}")
    print(f"speed-up baseline / sckpi: {ratio:.2f}× (target ≥ {TARGET:.0f}×): {'OK' if ratio >= TARGET else 'NOT OK'}")
    print(f"sckpi: {len(results) - len(failed)}/{len(results)} report sets complete"
          + (f" (failed: {', '.join(failed)})" if failed else "")
          + f"; baseline: {n_html}/{n_nb} HTML files; {os.cpu_count()} CPUs, load average "
          + " ".join(f"{x:.1f}" for x in load))
    rc = 0 if not failed and n_html == n_nb else 1
    return rc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", type=int, default=5, help="number of demo cities (default 5; 0: skip)")
    ap.add_argument("--jobs", type=int, default=2, help="sckpi workers (default 2)")
    ap.add_argument("--real", type=int, default=100, help="real municipalities for Check❹ (default 100; 0: skip)")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="sckpi-bench-report-"))
    try:
        shutil.copytree(REPO / "data" / "raw" / "demo", tmp / "data" / "raw" / "demo")
        shutil.copytree(REPO / "data" / "raw" / "ssdse", tmp / "data" / "raw" / "ssdse")
        os.environ["SCKPI_HOME"] = str(tmp)
        os.environ.setdefault("MPLBACKEND", "Agg")
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        rc = compare(args) if args.cities > 0 else 0
        if args.real > 0:
            rc |= run_real(args.real, args.jobs)
        return rc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
