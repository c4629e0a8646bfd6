"""Benchmark: full report sets for the demo prefecture's cities, sckpi vs the command-line tools.

    .venv/bin/python bench/bench_report.py              # 10 cities, --jobs 2
    .venv/bin/python bench/bench_report.py --cities 2   # a quick run

Both sides do the same work in the same run, on a temporary copy of the demo data:
the Check❶–❹ notebooks of fiscal year 2024 executed and rendered to HTML without code, per city.

- **sckpi**: ``report.run_batch(cities, "2024", jobs=2)`` — a process pool, in-process nbconvert,
  plus the landing pages, manifests and indexes;
- **baseline**: the same ``papermill`` and ``jupyter nbconvert --to html --no-input`` commands, one
  task per notebook, run two at a time with ``xargs -P 2`` (what a scheduler script without the kit
  would do, given the same two workers).

Prints seconds per city for both, the ratio baseline / sckpi, the target (≥3×) and OK / NOT OK.
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


def run_baseline(cities: list[str], out: Path, jobs: int) -> float:
    from sckpi_helpers.reports.runner import CHECK_NOTEBOOKS, default_notebooks_dir

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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", type=int, default=10, help="number of demo cities (default 10)")
    ap.add_argument("--jobs", type=int, default=2, help="sckpi workers (default 2)")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="sckpi-bench-report-"))
    try:
        shutil.copytree(REPO / "data" / "raw" / "demo", tmp / "data" / "raw" / "demo")
        os.environ["SCKPI_HOME"] = str(tmp)
        os.environ.setdefault("MPLBACKEND", "Agg")
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
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
        print(f"ratio (baseline / sckpi): {ratio:.2f}× (target ≥ {TARGET:.0f}×): {'OK' if ratio >= TARGET else 'NOT OK'}")
        print(f"sckpi: {len(results) - len(failed)}/{len(results)} report sets complete"
              + (f" (failed: {', '.join(failed)})" if failed else "")
              + f"; baseline: {n_html}/{n_nb} HTML files")
        return 0 if not failed and n_html == n_nb else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
