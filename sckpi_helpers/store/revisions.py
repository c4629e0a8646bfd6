"""The revisions log: what the previous ingest saw, so a re-published figure is noticed.

Why: a publisher may revise a figure (e.g. 確定値 replacing 速報値); re-ingesting silently replaces
the old value in ``panel.parquet``. Before a build replaces its panel, :func:`detect` compares
the new panel with the previous one cell by cell for the same area, year, input **and source**
and :func:`append` adds every change to ``data/processed/<scope>/revisions.parquet`` of the same
build (atomically; the log only grows). The quality gate (:mod:`sckpi_helpers.indicators.quality`)
reports a revision as a finding until it is reviewed. :func:`write_logged` is the one hook the
build calls; :func:`source_files` records which raw files each source label of the panel came from
(the findings name the file).

Stage 4 (store): imports ``atomic``, ``config`` and the store's own modules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sckpi_helpers import atomic
from sckpi_helpers.store.processed import Target, processed_paths

REVISIONS_FILE = "revisions.parquet"
REVISION_COLUMNS = ["area_code", "year", "variable", "source", "old_value", "new_value", "detected_at"]
_KEY = ["area_code", "year", "variable", "source"]


def revisions_path(build: Target) -> Path:
    """``data/processed/<scope>/revisions.parquet`` of a build."""
    return processed_paths(build)["panel"].parent / REVISIONS_FILE


def empty() -> pd.DataFrame:
    return pd.DataFrame(columns=REVISION_COLUMNS)


def detect(old: pd.DataFrame, new: pd.DataFrame, when: str | None = None) -> pd.DataFrame:
    """Cells published by the same source in both panels whose value changed (a value that was
    missing before or is missing now is not a revision: suppression marks come and go)."""
    if old is None or old.empty or new.empty:
        return empty()
    o = old[_KEY + ["value"]].dropna(subset=["value"]).astype({"area_code": str, "year": int})
    n = new[_KEY + ["value"]].dropna(subset=["value"]).astype({"area_code": str, "year": int})
    m = o.merge(n, on=_KEY, suffixes=("_old", "_new"))
    changed = m[~np.isclose(m["value_old"], m["value_new"], rtol=1e-12, atol=0)]
    when = when or datetime.now(UTC).isoformat(timespec="seconds")
    return pd.DataFrame({**{k: changed[k] for k in _KEY}, "old_value": changed["value_old"],
                         "new_value": changed["value_new"], "detected_at": when})[REVISION_COLUMNS]


def against_previous(build: Target, panel: pd.DataFrame) -> pd.DataFrame:
    """What the build's previous panel published differently for the same source, area and year."""
    previous = processed_paths(build)["panel"]
    if not previous.is_file():
        return empty()
    try:
        old = pd.read_parquet(previous)
    except (OSError, ValueError):  # an unreadable previous build has nothing to compare
        return empty()
    return detect(old, panel)


def load(build: Target) -> pd.DataFrame:
    """The build's revisions log (empty when nothing was ever revised)."""
    p = revisions_path(build)
    return pd.read_parquet(p) if p.is_file() else empty()


def append(build: Target, rows: pd.DataFrame) -> Path | None:
    """Add ``rows`` to the build's log (written atomically); None when there is nothing to add."""
    if rows.empty:
        return None
    log = pd.concat([d for d in (load(build), rows) if not d.empty], ignore_index=True)
    return atomic.atomic_write_parquet(log.astype({"area_code": str, "year": int}), revisions_path(build))


def write_logged(build: Target, outputs: dict[str, pd.DataFrame],
                 write: Callable[[dict[str, pd.DataFrame], Target], dict[str, Path]]) -> dict[str, Path]:
    """``write(outputs, build)``, logging the panel's revisions against the previous build — after
    the outputs are written, so a failed write logs nothing."""
    revised = against_previous(build, outputs["panel"])
    written = write(outputs, build)
    append(build, revised)
    return written


def source_files(panel: pd.DataFrame) -> dict[str, list[str]]:
    """The panel's source label → the raw files its rows came from (``_file``, before it is dropped)."""
    if "_file" not in panel.columns or panel.empty:
        return {}
    return {str(k): sorted({str(f) for f in v if isinstance(f, str) and f})
            for k, v in panel.groupby("source")["_file"].unique().items()}
