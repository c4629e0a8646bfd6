"""One kernel for several notebooks of a report run: nothing a notebook leaves behind reaches the next.

A :class:`~sckpi_helpers.reports.kernel.KernelSession` keeps its kernel between notebooks (that is
the speed-up) and cleans it before each one; a failing notebook never hands its kernel on. Each
test checks the kernel's process id, so it fails if the kernel was not in fact reused (or was
reused when it must not be).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from test_report import _run, home  # noqa: F401 - the runner's fixture (demo copy, fixture notebooks)

from sckpi_helpers.reports.kernel import KernelSession

DEFINES = """
import os, json
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
LEAK = 42
os.environ["SCKPI_LEAK_TEST"] = "set by the first notebook"
plt.figure()
matplotlib.rcParams["lines.linewidth"] = 9.0
json.dump({"pid": os.getpid()}, open("first.json", "w"))
"""

CHECKS = """
import os, json
import matplotlib
import matplotlib.pyplot as plt
seen = {
    "LEAK": "LEAK" in globals(),
    "env": os.environ.get("SCKPI_LEAK_TEST"),
    "figures": plt.get_fignums(),
    "linewidth": matplotlib.rcParams["lines.linewidth"],
    "history": len(In),
}
json.dump({"pid": os.getpid(), "seen": seen}, open("second.json", "w"))
"""


def _nb(path: Path, *sources: str) -> Path:
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def session():
    """Started by its first notebook (pytest changes PYTEST_CURRENT_TEST between setup and call, and
    a session replaces a kernel whose environment is no longer the caller's)."""
    with KernelSession() as s:
        yield s


def test_a_name_defined_in_one_notebook_is_not_visible_in_the_next(tmp_path, session):
    first = _nb(tmp_path / "first.ipynb", DEFINES)
    second = _nb(tmp_path / "second.ipynb", CHECKS)
    assert session.execute(first, tmp_path / "out1.ipynb", {}, cwd=tmp_path) == (True, None)
    ok, error = session.execute(second, tmp_path / "out2.ipynb", {}, cwd=tmp_path)
    assert ok, error
    a = json.loads((tmp_path / "first.json").read_text())
    b = json.loads((tmp_path / "second.json").read_text())
    assert a["pid"] == b["pid"] and session.kernels == 1  # the same kernel ran both
    assert b["seen"]["LEAK"] is False  # the namespace was reset
    assert b["seen"]["env"] is None  # the environment restored
    assert b["seen"]["figures"] == []  # figures closed
    assert b["seen"]["linewidth"] != 9.0  # rcParams restored
    assert b["seen"]["history"] <= 2  # In/Out history started anew


def test_each_notebook_works_in_its_own_folder(tmp_path, session):
    nb = _nb(tmp_path / "where.ipynb", "import os\nopen('here.txt', 'w').write(os.getcwd())")
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        assert session.execute(nb, tmp_path / d / "out.ipynb", {}, cwd=tmp_path / d)[0]
        assert (tmp_path / d / "here.txt").read_text() == str(tmp_path / d)


def test_a_failed_notebook_does_not_hand_its_kernel_on(tmp_path, session):
    fails = _nb(tmp_path / "fails.ipynb", DEFINES, "raise RuntimeError('boom')")
    second = _nb(tmp_path / "second.ipynb", CHECKS)
    ok, error = session.execute(fails, tmp_path / "out1.ipynb", {}, cwd=tmp_path)
    assert not ok and "RuntimeError: boom" in error
    assert session.execute(second, tmp_path / "out2.ipynb", {}, cwd=tmp_path)[0]
    a = json.loads((tmp_path / "first.json").read_text())
    b = json.loads((tmp_path / "second.json").read_text())
    assert a["pid"] != b["pid"] and session.kernels == 2


def test_a_name_that_survives_the_reset_means_a_fresh_kernel(tmp_path, session):
    """The leak check itself: the first notebook makes 'In' look like a survivor."""
    tamper = _nb(tmp_path / "tamper.ipynb", DEFINES,
                 "import sckpi_helpers.reports.kernel as k\nk._BASELINE['names'].discard('In')")
    second = _nb(tmp_path / "second.ipynb", CHECKS)
    assert session.execute(tamper, tmp_path / "out1.ipynb", {}, cwd=tmp_path)[0]
    ok, error = session.execute(second, tmp_path / "out2.ipynb", {}, cwd=tmp_path)
    assert ok, error
    a = json.loads((tmp_path / "first.json").read_text())
    b = json.loads((tmp_path / "second.json").read_text())
    assert a["pid"] != b["pid"] and session.kernels == 2


def test_a_report_run_reuses_one_kernel_and_a_failure_costs_one_more(home, monkeypatch):  # noqa: F811
    res = _run(period="2024")
    m = json.loads((res.folder / "manifest.json").read_text(encoding="utf-8"))
    assert res.ok and m["kernels"] == {"reused": True, "started": 1}
    monkeypatch.setenv("SCKPI_FIXTURE_FAIL", "check2_outcome1")
    res = _run(period="2024", force=True)
    m = json.loads((res.folder / "manifest.json").read_text(encoding="utf-8"))
    assert res.failed_notebooks == ["check2_outcome1"] and m["kernels"] == {"reused": True, "started": 2}
    fresh = _run(period="2024", force=True, reuse_kernels=False)
    m = json.loads((fresh.folder / "manifest.json").read_text(encoding="utf-8"))
    assert m["kernels"] == {"reused": False, "started": 4}


def test_a_batch_worker_keeps_its_kernel_from_one_city_to_the_next(home):  # noqa: F811
    from sckpi_helpers.reports import executors

    results = executors.run_batch(["99201", "99202"], "2024Q4", executor=executors.SerialExecutor(),
                                  prepare=False, only="check1", progress=False)
    assert all(r.ok for r in results), [r.message for r in results]
    started = [json.loads((r.folder / "manifest.json").read_text(encoding="utf-8"))["kernels"]["started"]
               for r in results]
    assert started == [1, 0]
    assert getattr(executors._WORKER, "session", None) is None  # closed when the batch ends
