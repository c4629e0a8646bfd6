"""Benchmark: full report sets for the demo prefecture's cities, sckpi vs the command-line tools;
Check❹ for real municipalities from the bundled SSDSE-A, projected to all 1,741.

    .venv/bin/python bench/bench_report.py                       # 5 demo cities, 100 real, --jobs 2
    .venv/bin/python bench/bench_report.py --cities 2 --real 10  # a quick run

Both sides do the same work in the same run, on a temporary copy of the bundled data (the demo and
every real file the national build reads, as on a fresh clone):
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

**Real municipalities** (``--real N``, default 100; 0 skips): ``sckpi report --all`` for a sample —
:func:`sckpi_helpers.reports.national_run.run_national` for N municipalities of the national build
(made from the bundled files, as a fresh clone makes it), taken as four runs of consecutive codes
spread over the country, the order the full run meets them in: Check❹ (FY2022) as light sets, then
the national pages. Prints wall time, the start-up paid once and the seconds per city after it, MB
per city set, the shared and national files, peak memory per worker (pool process + its kernel) and
open fds, and the projection for all 1,741 (start-up + per-city time × 1741 + the national pages;
sizes likewise) against the targets (≤ 20 min, ≤ 600 MB, ≤ 1 GiB per worker).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent
#: how much faster than the parallel command-line baseline sckpi should be
TARGET = 5.0
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


class Sampler:
    """Peak memory per worker (a pool process plus its kernels) and open file descriptors, sampled
    every half second from this process's descendants while a run goes on."""

    def __init__(self) -> None:
        import threading

        import psutil

        self.me = psutil.Process()
        self.peak_worker = 0
        self.peak_fds = 0
        self.peak_total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        import psutil

        while not self._stop.wait(0.5):
            try:
                kids = self.me.children()
                total = self.me.memory_info().rss
                fds = self.me.num_fds()
                for k in kids:
                    with contextlib.suppress(psutil.Error):
                        tree = [k, *k.children(recursive=True)]
                        rss = sum(p.memory_info().rss for p in tree)
                        total += rss
                        self.peak_worker = max(self.peak_worker, rss)
                        fds = max(fds, max(p.num_fds() for p in tree))
                self.peak_total = max(self.peak_total, total)
                self.peak_fds = max(self.peak_fds, fds)
            except psutil.Error:
                pass

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


#: the real sample is this many runs of consecutive codes, spread over the country
BLOCKS = 4


def sample_blocks(codes: list[str], n: int, blocks: int = BLOCKS) -> list[str]:
    """``n`` codes as ``blocks`` runs of consecutive codes evenly spread over ``codes``.

    Why runs, not every k-th code: the full run meets the cities in code order, so neighbours (one
    prefecture's towns, which share 類似団体) follow each other and a worker answers a peer group it
    already judged from memory (``indicators.gate.group_findings``); a thinned sample would miss
    that and overstate the time per city."""
    if n >= len(codes):
        return list(codes)
    size = -(-n // blocks)
    starts = [round(i * (len(codes) - size) / max(1, blocks - 1)) for i in range(blocks)]
    picked = dict.fromkeys(c for s in starts for c in codes[s:s + size])
    return list(picked)[:n]


def steady_rate(results: list, span: float) -> tuple[float, float]:
    """Seconds per city once the workers run (first finished city to the last, by the results'
    ``finished`` stamps) and the start-up before it (``span`` minus the steady part).

    Why: spawning workers, importing nbconvert and starting kernels is paid once per run, so dividing
    a sample's whole time by its cities would charge it to every city of the nation."""
    from datetime import datetime

    done = sorted(datetime.fromisoformat(r.finished) for r in results if r.finished)
    if len(done) < 3:
        return span / max(1, len(results)), 0.0
    per_city = (done[-1] - done[0]).total_seconds() / (len(done) - 1)
    return per_city, max(0.0, span - per_city * len(results))


def run_real(n: int, jobs: int) -> int:
    """``run_national`` (Check❹ as light sets, then the national pages) for ``n`` real municipalities
    spread over the country; prints time, size, memory and the projection for all 1,741."""
    from sckpi_helpers.config import paths
    from sckpi_helpers.config.periods import parse_period
    from sckpi_helpers.reports.national_run import _anchor, national_codes, run_national, write_national

    t0 = time.perf_counter()
    munis = national_codes()  # builds data/processed/ssdse/ from the bundled files
    t1 = time.perf_counter()
    cities = sample_blocks(munis, n)
    with Sampler() as s:
        t2 = time.perf_counter()
        result = run_national(REAL_PERIOD, cities, jobs=jobs, progress=None)
        t_run = time.perf_counter() - t2
    results = result.results
    ok = sum(r.ok for r in results)
    root = paths.reports_dir()
    p = parse_period(REAL_PERIOD)
    t3 = time.perf_counter()
    write_national(root, p, _anchor(cities, p), rendered=True)  # the national pages alone, timed
    t_pages = time.perf_counter() - t3
    per_set = [_size(root / c / p.label) for c in cities]
    shared = _size(root / "_shared") / 1e6
    national = _size(root / "national") / 1e6
    # everything of a city: its set and its own index page (reports/<city>/index.html); the root index once
    mb_city = sum(_size(root / c) for c in cities) / len(cities) / 1e6
    shared += (root / "index.html").stat().st_size / 1e6 if (root / "index.html").is_file() else 0
    print(f"\nreal municipalities ({len(munis)} in the national build, made in {t1 - t0:.1f} s)")
    print(f"run_national FY{REAL_PERIOD}, {len(cities)} municipalities ({BLOCKS} runs of consecutive codes "
          f"from {', '.join(c for c in cities[::-(-len(cities) // BLOCKS)])}), --jobs {jobs}: "
          f"{t_run:.1f} s, {ok}/{len(cities)} ok"
          + ("" if ok == len(cities) else " (failed: " + ", ".join(r.city_code for r in results if not r.ok)[:200] + ")"))
    per_city, startup = steady_rate(results, t_run - t_pages)
    print(f"per city: {per_city:.2f} s wall with {jobs} workers ({per_city * jobs:.2f} worker-seconds), "
          f"between the first city finished and the last; before the first: {startup:.1f} s (workers and "
          f"kernels starting, paid once); national pages (1,741 rows, every indicator): {t_pages:.1f} s")
    print(f"size: {mb_city:.3f} MB per city (its set and index page; sets min {min(per_set) / 1e6:.3f}, "
          f"max {max(per_set) / 1e6:.3f}); shared and the top index {shared:.2f} MB once; "
          f"national pages {national:.1f} MB once")
    print(f"memory: peak {s.peak_worker / 2**20:.0f} MiB per worker (process + kernel), "
          f"{s.peak_total / 2**20:.0f} MiB all together; open fds at most {s.peak_fds} per process")
    total_min = (startup + per_city * NATION + t_pages) / 60
    total_mb = mb_city * NATION + shared + national
    print(f"projection for all {NATION} on this machine (--jobs {jobs}; start + per city × {NATION} + pages): "
          f"{total_min:.1f} min (target ≤ 20, aim 10): {'OK' if total_min <= 20 else 'NOT OK'}; "
          f"reports/ {total_mb:.0f} MB (target ≤ 600): {'OK' if total_mb <= 600 else 'NOT OK'}; "
          f"memory per worker {s.peak_worker / 2**30:.2f} GiB (target ≤ 1): "
          f"{'OK' if s.peak_worker <= 2**30 else 'NOT OK'}")
    for w in sorted({jobs, 2 * jobs, 8, 16}):
        print(f"  {w:3d} workers: {(startup + per_city * jobs * NATION / w + t_pages) / 60:7.1f} min")
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
        # every bundled file (the national build reads them all, as on a fresh clone), never a user's data
        from sckpi_helpers.sources.bundled import BUNDLED

        for top in sorted({"demo", "boundaries", *(Path(f.path).parts[0] for f in BUNDLED)}):
            shutil.copytree(REPO / "data" / "raw" / top, tmp / "data" / "raw" / top)
        os.environ["SCKPI_HOME"] = str(tmp)
        # the baseline's papermill kernels must import this tree's kit too (as sckpi's kernels do)
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
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
