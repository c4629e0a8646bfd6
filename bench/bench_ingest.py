"""Benchmark the e-Stat JSON parser and the SSDS CSV reader on realistic, in-memory data.

Run: ``.venv/bin/python bench/bench_ingest.py``. No network. Prints records/second and peak
memory for our parsers next to a naive baseline in the same run (``json.loads`` +
``pandas.json_normalize`` of the VALUE list — which does not even name codes or handle special
characters — and plain ``pandas.read_csv``) and the ratio between them.
"""

from __future__ import annotations

import gc
import io
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sckpi_helpers.sources.estat_api import parse_stats_data
from sckpi_helpers.sources.ssds_csv import read_ssds_csv

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


def measure(label: str, n: int, fn: Callable[[], object], repeat: int = 3) -> tuple[float, float]:
    """(best seconds of ``repeat`` untraced calls, peak MiB of one tracemalloc-traced call).

    Timing and memory are taken in separate calls because tracing every allocation slows the
    code down several-fold.
    """
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    secs = min(times)
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mib = peak / 2**20
    print(f"  {label:<44} {secs:7.3f} s  {n / secs:>12,.0f} rec/s  peak {mib:7.1f} MiB")
    return secs, mib


def main() -> None:
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, {platform.system()}; "
          f"Python {platform.python_version()}; pandas {pd.__version__}")
    t0 = time.perf_counter()
    raw = api_response()
    csv_bytes = ssds_csv()
    print(f"generated: JSON {len(raw) / 2**20:.1f} MiB, CSV {len(csv_bytes) / 2**20:.1f} MiB "
          f"in {time.perf_counter() - t0:.1f} s")

    n_api = len(json.loads(raw)["GET_STATS_DATA"]["STATISTICAL_DATA"]["DATA_INF"]["VALUE"])
    print(f"\ne-Stat getStatsData, {n_api:,} records (one page):")
    ours, ours_mem = measure("json.loads + parse_stats_data", n_api,
                             lambda: parse_stats_data([json.loads(raw)]))
    base, base_mem = measure("baseline json.loads + json_normalize(VALUE)", n_api,
                             lambda: pd.json_normalize(json.loads(raw)["GET_STATS_DATA"]
                                                       ["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]))
    print(f"  ratio ours/baseline: time {ours / base:.2f}x, peak memory {ours_mem / base_mem:.2f}x")

    n_csv = N_AREAS * N_YEARS * len(CSV_ITEMS)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "FEI_CITY_bench.csv"
        path.write_bytes(csv_bytes)
        print(f"\nSSDS CSV (CP932), {N_AREAS} areas x {N_YEARS} years x {len(CSV_ITEMS)} items "
              f"= {n_csv:,} values:")
        ours, ours_mem = measure("read_ssds_csv", n_csv, lambda: read_ssds_csv(path))
        base, base_mem = measure("baseline pandas.read_csv(skiprows=8, cp932)", n_csv,
                                 lambda: pd.read_csv(io.BytesIO(csv_bytes), skiprows=8,
                                                     encoding="cp932", dtype=str))
        print(f"  ratio ours/baseline: time {ours / base:.2f}x, peak memory "
              f"{ours_mem / base_mem:.2f}x")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mib = rss / 2**20 if sys.platform == "darwin" else rss / 1024
    print(f"\nprocess peak RSS (ru_maxrss): {rss_mib:.0f} MiB; total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
