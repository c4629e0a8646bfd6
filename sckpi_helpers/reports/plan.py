"""Which notebooks a report run executes: the checks due in the period (Check❶ every quarter … Check❹
yearly, docs/GUIDELINE.md) or the ``--only`` selection, and where the notebooks are.

Why its own module: the CLI, the batch executors and the runner all plan the same way before anything
runs (a bad ``--only`` fails early, before kernels start). Stage 11 (reports): imports stages 0–11.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from sckpi_helpers.config import paths
from sckpi_helpers.config.periods import Period, due_checks
from sckpi_helpers.errors import SckpiError

#: check number → notebook stem
CHECK_NOTEBOOKS: dict[int, str] = {
    1: "check1_outputs",
    2: "check2_outcome1",
    3: "check3_outcome2",
    4: "check4_outcome3",
}
#: notebooks that may be run with ``--only`` but are not due in any period
OPTIONAL_NOTEBOOKS = ("00_ingest",)
#: notebooks that are never part of a report run
INTERACTIVE_NOTEBOOKS = ("explorer",)


def default_notebooks_dir() -> Path:
    """Where the check notebooks are: ``$SCKPI_NOTEBOOKS_DIR``, else ``<project root>/notebooks`` when
    it holds them, else the kit checkout's ``notebooks/`` (tests point ``SCKPI_HOME`` at a data-only copy).
    """
    env = os.environ.get("SCKPI_NOTEBOOKS_DIR")
    if env:
        return Path(env).expanduser().resolve()
    home = paths.notebooks_dir()
    if (home / f"{CHECK_NOTEBOOKS[1]}.ipynb").exists():
        return home
    return paths.PACKAGE_DIR.parent / "notebooks"


def plan_notebooks(period: str | Period, only: str | Sequence[str] | None = None,
                   notebooks_dir: str | Path | None = None) -> list[str]:
    """Notebook stems to run: the checks due in ``period``, or the ``only`` selection.

    ``only`` accepts stems (``check2_outcome1``), ``check2``, ``2`` or ``ingest``, comma-separated.
    """
    nb_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    if only:
        items = only.split(",") if isinstance(only, str) else list(only)
        names = []
        for raw in items:
            item = raw.strip().removesuffix(".ipynb")
            if not item:
                continue
            m = re.fullmatch(r"(?:check)?([1-4])", item, re.IGNORECASE)
            name = CHECK_NOTEBOOKS[int(m[1])] if m else ("00_ingest" if item == "ingest" else item)
            if name in INTERACTIVE_NOTEBOOKS:
                raise SckpiError(f"--only {item}: the explorer is interactive and not part of report runs")
            known = set(CHECK_NOTEBOOKS.values()) | set(OPTIONAL_NOTEBOOKS)
            if name not in known and not (nb_dir / f"{name}.ipynb").exists():
                raise SckpiError(f"--only {item}: no such notebook; choose from "
                                 + ", ".join(sorted(known)))
            if name not in names:
                names.append(name)
    else:
        names = [CHECK_NOTEBOOKS[c] for c in due_checks(period)]
    missing = [n for n in names if not (nb_dir / f"{n}.ipynb").exists()]
    if missing:
        raise SckpiError(f"notebooks not found in {nb_dir}: {', '.join(missing)}")
    return names
