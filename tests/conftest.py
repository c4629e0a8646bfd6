"""Fixtures shared by the test modules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sckpi_helpers.config import paths

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def demo_home(tmp_path, monkeypatch):
    """A project root in tmp_path holding a copy of data/raw/demo (SCKPI_HOME points at it), so
    tests never write into the repository's data/processed or reports."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "data" / "raw" / "demo", home / "data" / "raw" / "demo")
    monkeypatch.setenv("SCKPI_HOME", str(home))
    assert paths.project_root() == home.resolve()
    return home
