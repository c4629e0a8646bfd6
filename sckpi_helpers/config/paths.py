"""Where the kit reads and writes: one place so notebooks, CLI and tests agree.

The project root is ``$SCKPI_HOME`` when set (tests point it at a temporary copy), otherwise the
source checkout that holds this package (editable install), otherwise the working directory.

Stage 1 (config): imports only ``errors`` and ``atomic``.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # sckpi_helpers/


def project_root() -> Path:
    """Return the folder that holds ``data/`` and ``reports/``."""
    env = os.environ.get("SCKPI_HOME")
    if env:
        return Path(env).expanduser().resolve()
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").exists() and (checkout / "data").is_dir():
        return checkout
    return Path.cwd()


def raw_dir() -> Path:
    """``data/raw/``: downloads and user-authored inputs, never modified by the kit after writing."""
    return project_root() / "data" / "raw"


def demo_dir() -> Path:
    """``data/raw/demo/``: the bundled fictional prefecture サンプル県."""
    return raw_dir() / "demo"


def processed_dir(scope: str | None = None) -> Path:
    """``data/processed/``, or one build's folder ``data/processed/<scope>/``.

    Each settings folder ``data/raw/<scope>/`` gets its own build, so cities processed in
    parallel never overwrite each other's data (see ``ingest.scope_of``).
    """
    root = project_root() / "data" / "processed"
    return root / scope if scope else root


def reports_dir() -> Path:
    """``reports/``: rendered HTML report sets, one folder per city and period."""
    return project_root() / "reports"


def notebooks_dir() -> Path:
    """``notebooks/``: the parameterised check notebooks."""
    return project_root() / "notebooks"
