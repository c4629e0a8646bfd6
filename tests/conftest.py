"""Fixtures shared by the test modules."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from sckpi_helpers.config import paths

ROOT = Path(__file__).resolve().parents[1]
#: variables the kit and the fixture notebooks read: a developer's own values (their project as
#: SCKPI_HOME, a real appId) must not change what a test sees, so the suite starts without them
KIT_ENVIRONMENT = ("SCKPI_HOME", "SCKPI_NOTEBOOKS_DIR", "ESTAT_APP_ID", "SCKPI_FIXTURE_FAIL",
                   "SCKPI_FIXTURE_LEAK")
for _var in KIT_ENVIRONMENT:
    os.environ.pop(_var, None)

#: the project root of every test that does not make its own (demo_home): a copy of data/raw in a
#: temporary folder, so no test — nor nbval's notebooks, whose kernels inherit it — builds
#: data/processed or writes reports/ in the checkout, where the next run (or test) would find them
SESSION_HOME = Path(tempfile.mkdtemp(prefix="sckpi-tests-"))
shutil.copytree(ROOT / "data" / "raw", SESSION_HOME / "data" / "raw")
os.environ["SCKPI_HOME"] = str(SESSION_HOME)
atexit.register(shutil.rmtree, SESSION_HOME, ignore_errors=True)


@pytest.fixture
def demo_home(tmp_path, monkeypatch):
    """A project root in tmp_path holding a copy of data/raw/demo (SCKPI_HOME points at it), so
    tests never write into the repository's data/processed or reports."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "data" / "raw" / "demo", home / "data" / "raw" / "demo")
    monkeypatch.setenv("SCKPI_HOME", str(home))
    assert paths.project_root() == home.resolve()
    return home
