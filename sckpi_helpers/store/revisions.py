"""The revisions log: what the previous ingest saw, so a re-published figure is noticed.

Why: a publisher may revise a figure (e.g. 確定値 replacing 速報値); re-ingesting silently replaces
the old value in ``panel.parquet``. Before a build replaces its panel, :func:`detect` compares
the new panel with the previous one cell by cell for the same area, year, input **and source**
and :func:`append` adds every change to ``data/processed/<scope>/revisions.parquet`` (atomically;
the log only grows). The quality gate (:mod:`sckpi_helpers.indicators.quality`) reports a revision
as a finding until it is reviewed.

Stage 4 (store): imports ``atomic``, ``config`` and the store's own modules.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sckpi_helpers import atomic
from sckpi_helpers.config import paths

REVISIONS_FILE = "revisions.parquet"
REVISION_COLUMNS = ["area_code", "year", "variable", "source", "old_value", "new_value", "detected_at"]
_KEY = ["area_code", "year", "variable", "source"]


def revisions_path(scope: str) -> Path:
    return paths.processed_dir(scope) / REVISIONS_FILE


def detect(old: pd.DataFrame, new: pd.DataFrame, when: str | None = None) -> pd.DataFrame:
    """Cells published by the same source in both panels whose value changed (a value that was
    missing before or is missing now is not a revision: suppression marks come and go)."""
    if old is None or old.empty or new.empty:
        return pd.DataFrame(columns=REVISION_COLUMNS)
    o = old[_KEY + ["value"]].dropna(subset=["value"]).astype({"area_code": str, "year": int})
    n = new[_KEY + ["value"]].dropna(subset=["value"]).astype({"area_code": str, "year": int})
    m = o.merge(n, on=_KEY, suffixes=("_old", "_new"))
    changed = m[~np.isclose(m["value_old"], m["value_new"], rtol=1e-12, atol=0)]
    when = when or datetime.now(UTC).isoformat(timespec="seconds")
    return pd.DataFrame({**{k: changed[k] for k in _KEY}, "old_value": changed["value_old"],
                         "new_value": changed["value_new"], "detected_at": when})[REVISION_COLUMNS]


def load(scope: str) -> pd.DataFrame:
    """The build's revisions log (empty when nothing was ever revised)."""
    p = revisions_path(scope)
    return pd.read_parquet(p) if p.is_file() else pd.DataFrame(columns=REVISION_COLUMNS)


def append(scope: str, rows: pd.DataFrame) -> Path | None:
    """Add ``rows`` to the log (written atomically); None when there is nothing to add."""
    if rows.empty:
        return None
    log = pd.concat([d for d in (load(scope), rows) if not d.empty], ignore_index=True)
    return atomic.atomic_write_parquet(log.astype({"area_code": str, "year": int}), revisions_path(scope))
