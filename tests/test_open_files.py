"""A national batch runs 1,741 report sets in one process: every kernel, kernel client, zmq socket
and event loop a run opens is closed when the run ends, so the process's open file descriptors stay
bounded (a test process once ran out of them: "Too many open files" from zmq).

One round exercises each way a notebook gets a kernel: a batch worker keeping one kernel from city
to city, a run whose failing notebook costs a fresh kernel, a run with a fresh kernel per notebook
(papermill's own), and a run refused because another holds the period's lock.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_report import _run, home  # noqa: F401 - the runner's fixture (demo copy, fixture notebooks)

from sckpi_helpers.reports import executors
from sckpi_helpers.reports.preflight import ReportLockedError, report_lock

FD_DIR = Path("/proc/self/fd")
pytestmark = pytest.mark.skipif(not FD_DIR.is_dir(), reason="counts open files through /proc (Linux)")
CITIES = ["99201", "99202", "99203"]
#: descriptors a first run may keep for good (imported modules' own, logging); never per run
TOLERANCE = 3


def _open_fds() -> int:
    return len(os.listdir(FD_DIR))


def _round(home: Path, monkeypatch, n: int) -> None:  # noqa: F811
    results = executors.run_batch(CITIES, "2024Q4", executor=executors.SerialExecutor(), prepare=False,
                                  only="check1", force=True, progress=False)
    assert all(r.ok for r in results), [r.message for r in results]
    with monkeypatch.context() as m:
        m.setenv("SCKPI_FIXTURE_FAIL", "check1_outputs")
        failed = _run(period="2024-07", only="check1,check4", force=True)
    assert failed.failed_notebooks == ["check1_outputs"]
    assert _run(period="2024-08", only="check1,check4", force=True, reuse_kernels=False, jobs=2).ok
    with report_lock(home / "reports" / "99201", "2024-09"), pytest.raises(ReportLockedError):
        _run(period="2024-09", only="check1")


def test_many_report_sets_in_one_process_leave_no_file_descriptors_open(home, monkeypatch):  # noqa: F811
    before = _open_fds()
    _round(home, monkeypatch, 1)
    after_one = _open_fds()
    for n in (2, 3):
        _round(home, monkeypatch, n)
    after_three = _open_fds()
    print(f"open descriptors: {before} before, {after_one} after one round, {after_three} after three")
    assert after_one - before <= TOLERANCE, f"one round left {after_one - before} descriptors open"
    assert after_three - after_one <= TOLERANCE, (
        f"two more rounds (10 kernels) left {after_three - after_one} more descriptors open")
