"""The national run beyond one machine (issue 20): the same ``run_national`` on a local Dask cluster —
a scheduler and two worker processes on loopback, started and stopped here — writes the same pages
as a run on this machine, apart from timestamps."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

distributed = pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed (the [dask] extra)")

REPO = Path(__file__).resolve().parents[1]
CITIES = ["13101", "20448"]
#: times and durations a page prints (2026-12-02T08:21:38+00:00, 2026年12月2日 08:21, 4.8 秒 …)
_TIMES = re.compile(r"\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?[ T]?\d{1,2}:\d{2}(:\d{2})?(\.\d+)?([+-]\d{2}:?\d{2}|Z)?"
                    r"|\d+(\.\d+)?\s*(秒|s\b)")


def _pages(root: Path) -> dict[str, str]:
    """Every national page and each city's Check❹ page, timestamps removed."""
    files = [*sorted((root / "national").rglob("*.html")), *(root / c / "2022" / "check4_outcome3.html" for c in CITIES)]
    return {f.relative_to(root).as_posix(): _TIMES.sub("<time>", f.read_text(encoding="utf-8")) for f in files}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("dask-home")
    shutil.copytree(REPO / "data" / "raw" / "ssdse", home / "data" / "raw" / "ssdse")
    saved = {k: os.environ.get(k) for k in ("SCKPI_HOME", "PYTHONPATH", "MPLBACKEND")}
    # the workers are processes of their own: they read the same data/ and write the same reports/
    os.environ.update(SCKPI_HOME=str(home), MPLBACKEND="Agg",
                      PYTHONPATH=os.pathsep.join(p for p in (str(REPO), saved["PYTHONPATH"]) if p))
    yield home
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_a_run_on_a_local_dask_cluster_writes_the_same_pages_as_a_local_run(home):
    from sckpi_helpers.reports.national_run import run_national

    local = run_national("2022", CITIES, jobs=1, progress=False, reports_root=home / "local")
    assert local.complete and all(r.ok for r in local.results), [r.message for r in local.results]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        on_dask = run_national("2022", CITIES, scheduler=cluster.scheduler_address, progress=False,
                               reports_root=home / "dask")
        with distributed.Client(cluster) as client:
            ran_on = client.run(os.getpid)
    assert len(ran_on) == 2 and os.getpid() not in ran_on.values()
    assert [r.status for r in on_dask.results] == ["ok", "ok"], [r.message for r in on_dask.results]
    a, b = _pages(home / "local"), _pages(home / "dask")
    assert sorted(a) == sorted(b) and len(a) > 10
    different = {name: _first_difference(a[name], b[name]) for name in a if a[name] != b[name]}
    assert not different, different


def _first_difference(x: str, y: str) -> str:
    i = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    return f"…{x[max(0, i - 80):i + 80]!r} ≠ …{y[max(0, i - 80):i + 80]!r}"
