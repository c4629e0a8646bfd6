"""Benchmark the e-Stat JSON parser and the SSDS CSV reader against bare pandas, with targets.

Run: ``.venv/bin/python bench/bench_ingest.py``. No network. Prints records/second and peak
memory for our parsers next to a naive baseline in the same run, the ratio between them, the
target (issue #12) and OK / NOT OK:

- e-Stat getStatsData, one 100,000-record page (bytes as e-Stat sends them) → tidy frame, against
  ``json.loads`` + ``pandas.json_normalize`` of the VALUE list (which does not even name codes or
  handle marks): at least 3× faster (time ratio ≤ 0.33), peak memory no higher (≤ 1.00).
- SSDS CSV, a generated national file and the real 4 MB download in ``tests/data/real/ssds-csv``,
  against a bare ``pandas.read_csv`` + ``melt`` of the same file: within 2× (time ratio ≤ 2.00).

Times are the best of several alternating runs (the machine may be busy); peak memory is the
growth of the resident set of a forked child running the call once (so Arrow's native buffers
count, which ``tracemalloc`` would miss).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sckpi_helpers.sources.estat_json import parse_stats_data
from sckpi_helpers.sources.ssds_csv import read_ssds_csv

REAL_SSDS = Path(__file__).resolve().parents[1] / "tests" / "data" / "real" / "ssds-csv"

N_AREAS, N_YEARS = 1741, 20
API_ITEMS = [("A1101", "総人口", "人"), ("A7101", "世帯数", "世帯"), ("A4101", "出生数", "人")]
CSV_ITEMS = [("A1101", "総人口", "人"), ("A1301", "15歳未満人口", "人"),
             ("A1302", "15～64歳人口", "人"), ("A1303", "65歳以上人口", "人"),
             ("A4101", "出生数", "人"), ("A4200", "死亡数", "人"), ("A5103", "転入者数", "人"),
             ("A5104", "転出者数", "人"), ("A7101", "世帯数", "世帯"), ("B1101", "総面積", "ha")]
SPECIALS = ["-", "X", "***", "…"]


def areas() -> list[tuple[str, str]]:
    """1,741 plausible (code, '県 市') pairs: 47 prefectures, ~37 municipalities each."""
    out = []
    for i in range(N_AREAS):
        pref = i % 47 + 1
        out.append((f"{pref:02d}{201 + i // 47:03d}", f"県{pref:02d} 市{i:04d}"))
    return out


def api_response(n_records: int = 100_000, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    area_list = areas()
    times = [f"{2004 + y}100000" for y in range(N_YEARS)]
    values = []
    for cat, _, unit in API_ITEMS:
        for t in times:
            for code, _ in area_list:
                if len(values) == n_records:
                    break
                v = rng.choice(SPECIALS) if rng.random() < 0.02 else str(rng.randint(0, 900_000))
                values.append({"@tab": "00001", "@cat01": cat, "@area": code, "@time": t,
                               "@unit": unit, "$": v})
    body = {"GET_STATS_DATA": {
        "RESULT": {"STATUS": 0, "ERROR_MSG": "正常に終了しました。", "DATE": "2024-06-28T10:00:00"},
        "PARAMETER": {"LANG": "J", "STATS_DATA_ID": "0000020201", "DATA_FORMAT": "J"},
        "STATISTICAL_DATA": {
            "RESULT_INF": {"TOTAL_NUMBER": len(values), "FROM_NUMBER": 1,
                           "TO_NUMBER": len(values)},
            "TABLE_INF": {"@id": "0000020201"},
            "CLASS_INF": {"CLASS_OBJ": [
                {"@id": "tab", "@name": "観測値", "CLASS": {"@code": "00001", "@name": "観測値"}},
                {"@id": "cat01", "@name": "Ａ　人口・世帯", "CLASS": [
                    {"@code": c, "@name": f"{c}_{n}", "@level": "1", "@unit": u}
                    for c, n, u in API_ITEMS]},
                {"@id": "area", "@name": "地域", "CLASS": [
                    {"@code": c, "@name": n, "@level": "2"} for c, n in area_list]},
                {"@id": "time", "@name": "調査年", "CLASS": [
                    {"@code": t, "@name": f"{t[:4]}年度", "@level": "1"} for t in times]}]},
            "DATA_INF": {"NOTE": [{"@char": "***", "$": "該当数値がないもの"},
                                  {"@char": "X", "$": "秘匿"}],
                         "VALUE": values}}}}
    # compact, as e-Stat sends it (no blanks after "," and ":")
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ssds_csv(seed: int = 2) -> bytes:
    rng = random.Random(seed)
    lines = ['"統計名：","社会・人口統計体系 市区町村データ 基礎データ"', '"表題：","Ａ　人口・世帯"',
             '"凡例："', '"***","該当数値がないもの"', '"X","秘匿"', '"-","数値が得られないもの"',
             '"…","データを得ることができないもの"', ""]
    head = ['"調査年 コード"', '"調査年"', '"地域 コード"', '"地域"']
    for code, name, unit in CSV_ITEMS:
        head += [f'"{code}_{name}【{unit}】"', '"注釈"']
    lines.append(",".join(head))
    for y in range(N_YEARS):
        year = 2004 + y
        for code, name in areas():
            cells = [f'"{year}100000"', f'"{year}年度"', f'"{code}"', f'"{name}"']
            for _ in CSV_ITEMS:
                v = rng.choice(SPECIALS) if rng.random() < 0.02 else f"{rng.randint(0, 900_000):,}"
                cells += [f'"{v}"', '""']
            lines.append(",".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def peak_mib(fn: Callable[[], object]) -> float:
    """Growth of the resident set while ``fn`` runs once, in a forked child (Linux)."""
    if not hasattr(os, "fork") or not os.path.exists("/proc/self/statm"):
        return float("nan")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        gc.collect()
        start = _rss_kib()
        fn()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(w, str(max(peak - start, 0)).encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as fh:
        out = fh.read()
    os.waitpid(pid, 0)
    return int(out) / 1024


def measure(label: str, n: int, fn: Callable[[], object], secs: float) -> tuple[float, float]:
    mib = peak_mib(fn)
    print(f"  {label:<48} {secs:7.3f} s  {n / secs:>12,.0f} rec/s  peak +{mib:7.1f} MiB")
    return secs, mib


def race(ours: Callable[[], object], base: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    """Best time of each over ``repeat`` alternating runs (a busy machine slows both alike)."""
    t_ours, t_base = [], []
    for _ in range(repeat):
        for fn, out in ((ours, t_ours), (base, t_base)):
            gc.collect()
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return min(t_ours), min(t_base)


def verdict(ours: tuple[float, float], base: tuple[float, float], time_target: float,
            memory_target: float | None = None) -> bool:
    """Print the ratio line with its target(s) and OK / NOT OK; True when every target is met."""
    t = ours[0] / base[0]
    ok_t = t <= time_target
    line = (f"  ratio ours/baseline: time {t:.2f}x (target <= {time_target:.2f}x) "
            f"{'OK' if ok_t else 'NOT OK'}")
    ok_m = True
    if memory_target is not None:
        m = ours[1] / base[1] if base[1] > 0 else float("nan")
        ok_m = m <= memory_target
        line += (f", peak memory {m:.2f}x (target <= {memory_target:.2f}x) "
                 f"{'OK' if ok_m else 'NOT OK'}")
    print(line)
    return ok_t and ok_m


def melt_baseline(path: Path, skiprows: int, ids: list[str]) -> Callable[[], object]:
    """Bare pandas: read the download as text and melt its item columns to one row per value."""
    def run() -> object:
        df = pd.read_csv(path, skiprows=skiprows, encoding="cp932", dtype=str)
        items = [c for c in df.columns if "_" in c and c not in ids]
        return df.melt(id_vars=ids, value_vars=items, var_name="item", value_name="value")
    return run


def main() -> None:
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, {platform.system()}; "
          f"Python {platform.python_version()}; pandas {pd.__version__}")
    t0 = time.perf_counter()
    raw = api_response()
    csv_bytes = ssds_csv()
    print(f"generated: JSON {len(raw) / 2**20:.1f} MiB, CSV {len(csv_bytes) / 2**20:.1f} MiB "
          f"in {time.perf_counter() - t0:.1f} s")
    results = []

    n_api = len(json.loads(raw)["GET_STATS_DATA"]["STATISTICAL_DATA"]["DATA_INF"]["VALUE"])
    print(f"\ne-Stat getStatsData, {n_api:,} records (one page, bytes as sent):")
    ours_fn = lambda: parse_stats_data([raw])
    base_fn = lambda: pd.json_normalize(
        json.loads(raw)["GET_STATS_DATA"]["STATISTICAL_DATA"]["DATA_INF"]["VALUE"])
    t_ours, t_base = race(ours_fn, base_fn)
    ours = measure("parse_stats_data(bytes)", n_api, ours_fn, t_ours)
    base = measure("baseline json.loads + json_normalize(VALUE)", n_api, base_fn, t_base)
    results.append(verdict(ours, base, time_target=1 / 3, memory_target=1.0))

    n_csv = N_AREAS * N_YEARS * len(CSV_ITEMS)
    ids = ["調査年 コード", "調査年", "地域 コード", "地域"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "FEI_CITY_bench.csv"
        path.write_bytes(csv_bytes)
        print(f"\nSSDS CSV (CP932), {N_AREAS} areas x {N_YEARS} years x {len(CSV_ITEMS)} items "
              f"= {n_csv:,} values:")
        ours_fn = lambda: read_ssds_csv(path)
        base_fn = melt_baseline(path, 8, ids)
        t_ours, t_base = race(ours_fn, base_fn)
        ours = measure("read_ssds_csv", n_csv, ours_fn, t_ours)
        base = measure("baseline pandas.read_csv + melt", n_csv, base_fn, t_base)
        results.append(verdict(ours, base, time_target=2.0))

    for real in sorted(REAL_SSDS.glob("*.csv")):
        n_real = len(read_ssds_csv(real))
        print(f"\nreal SSDS download {real.name} ({real.stat().st_size / 2**20:.1f} MiB, "
              f"{n_real:,} values):")
        ours_fn = lambda real=real: read_ssds_csv(real)
        base_fn = melt_baseline(real, 1, [*ids, "/項目"])
        t_ours, t_base = race(ours_fn, base_fn)
        ours = measure("read_ssds_csv", n_real, ours_fn, t_ours)
        base = measure("baseline pandas.read_csv + melt", n_real, base_fn, t_base)
        results.append(verdict(ours, base, time_target=2.0))

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mib = rss / 2**20 if sys.platform == "darwin" else rss / 1024
    print(f"\nprocess peak RSS (ru_maxrss): {rss_mib:.0f} MiB; total {time.perf_counter() - t0:.1f} s")
    print(f"targets met: {sum(results)} of {len(results)}"
          f"{'' if all(results) else ' — NOT OK'}")


if __name__ == "__main__":
    main()
