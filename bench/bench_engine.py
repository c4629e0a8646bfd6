"""Benchmark: tier-3 indicators and peer scores for the whole nation, vectorised vs per-area loop.

Synthetic panel: 1,741 municipalities x 20 years with every input the catalog's tier-3 formulas
read (census-type inputs only in census years, so carry-forward/interpolation is exercised, plus
5 % of cells missing or marked 'X'). Times, in one run:

1. ``engine.compute`` over the whole nation (all tier-3 indicators with a formula);
2. peer scores: ``peers.compare`` for one city against all municipalities, ``pillar_summary``,
   and ``peers.scores`` (deviation scores of every area for one year);
3. a per-municipality loop over the same formulas (``engine.compute`` on each area's sub-panel),
   timed on a sample of areas and extrapolated to the nation (said so in the output).

Targets: whole nation < 2 s and < 1 GiB peak, >= 20x faster than the loop.
Run: ``.venv/bin/python bench/bench_engine.py [--areas 1741] [--years 20] [--sample 100]``.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from synthetic import FakeCatalog, real_catalog, synthetic_areas, synthetic_panel

from sckpi_helpers.indicators import engine, peers
from sckpi_helpers.store import peer_groups

GIB = 1024 ** 3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--areas", type=int, default=1741)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--sample", type=int, default=100, help="areas timed in the per-area loop")
    ap.add_argument("--fake-catalog", action="store_true", help="use the tests' stand-in catalog")
    args = ap.parse_args(argv)

    catalog = None if args.fake_catalog else real_catalog()
    which = "real catalog"
    if catalog is None:
        catalog, which = FakeCatalog(), "stand-in catalog (tests/synthetic.py)"
    inds = engine.tier3_indicators(catalog, with_formula=True)
    years = range(2025 - args.years, 2025)
    panel = synthetic_panel(catalog, args.areas, years, seed=1, missing_frac=0.05)
    areas = synthetic_areas(sorted(panel["area_code"].unique()))
    print(f"catalog: {which}; {len(inds)} tier-3 indicators with a formula")
    print(f"panel: {panel['area_code'].nunique()} areas x {len(years)} years, {len(panel):,} rows, "
          f"{panel['variable'].nunique()} inputs")

    city = areas[areas["level"] == "municipality"]["area_code"].iloc[0]
    year = years[-1]

    def run() -> tuple:
        t0 = time.perf_counter()
        results = engine.compute(panel, catalog)
        t1 = time.perf_counter()
        group = peer_groups.peer_group(areas, city, "all")
        cmp_ = peers.compare(results, catalog, city, year, group)
        pillars = peers.pillar_summary(cmp_, catalog)
        allsc = peers.scores(results, catalog, year)
        t2 = time.perf_counter()
        return results, group, pillars, allsc, t0, t1, t2

    # timing pass (no tracing: tracemalloc slows allocation-heavy code several-fold)
    gc.collect()
    results, group, pillars, allsc, t0, t1, t2 = run()
    first = t2 - t0
    del results
    gc.collect()
    results, group, pillars, allsc, t0, t1, t2 = run()
    # memory pass
    del results
    gc.collect()
    tracemalloc.start()
    results, *_ = run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB

    # the same formulas area by area on each area's sub-panel
    codes = sorted(panel["area_code"].unique())
    sample = codes[: min(args.sample, len(codes))]
    by_area = {c: g for c, g in panel[panel["area_code"].isin(set(sample))].groupby("area_code")}
    t3 = time.perf_counter()
    loop_rows = 0
    for c in sample:
        loop_rows += len(engine.compute(by_area[c], catalog))
    t4 = time.perf_counter()
    loop_total = (t4 - t3) * len(codes) / len(sample)

    vec = t1 - t0
    total = t2 - t0
    print(f"engine.compute: {vec:.3f} s for {len(results):,} rows "
          f"({results['status'].value_counts().to_dict()})")
    print(f"peers: compare(1 city vs {len(group)}) + pillar_summary ({len(pillars)} pillars) + "
          f"scores(all {allsc['area_code'].nunique()} areas, {year}): {t2 - t1:.3f} s")
    print(f"whole nation (compute + peer scores): {total:.3f} s (first call in the process: "
          f"{first:.3f} s)  [target < 2 s: {'OK' if max(total, first) < 2 else 'NOT OK'}]")
    print(f"peak memory: tracemalloc {peak / 2**20:.0f} MiB (compute + peers, separate pass), "
          f"ru_maxrss {rss / 2**20:.0f} MiB (whole process incl. the synthetic panel)  "
          f"[target < 1 GiB: {'OK' if max(peak, rss) < GIB else 'NOT OK'}]")
    extrap = "" if len(sample) == len(codes) else f", extrapolated from {len(sample)} areas timed"
    print(f"per-area loop: {t4 - t3:.3f} s for {len(sample)} areas -> {loop_total:.1f} s for "
          f"{len(codes)}{extrap}")
    speedup = loop_total / vec
    print(f"speed-up of engine.compute over the loop: {speedup:.0f}x  [target >= 20x: "
          f"{'OK' if speedup >= 20 else 'NOT OK'}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
