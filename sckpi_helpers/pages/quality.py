"""A report set's data-quality files: ``quality.csv`` (the gate's findings), ``values.csv`` (the
values the set publishes) and ``corrections.csv`` (the 訂正履歴), with Japanese headers from the
vocabulary — their names, writing and reading in one place.

Why in ``pages``: they are part of what a set publishes, like its attachments; the runner writes
them before the notebooks run (:mod:`sckpi_helpers.reports.corrections`), the landing page and
every check page show them (:func:`read_corrections` reads the folder a notebook runs in).

Stage 9 (pages): imports ``config``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.config.vocabulary import CORRECTIONS_COLUMNS_JA, QUALITY_COLUMNS_JA

QUALITY_FILE, VALUES_FILE, CORRECTIONS_FILE, ARCHIVE_DIR = "quality.csv", "values.csv", "corrections.csv", "archive"


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """UTF-8 with BOM (Excel opens it in Japanese)."""
    frame.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL)
    return path


def read_csv(path: Path) -> pd.DataFrame | None:
    """A set's CSV as text (None when absent or unreadable)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError):
        return None


def findings_frame(found: pd.DataFrame) -> pd.DataFrame:
    """The findings with the Japanese headers of ``quality.csv`` (also ``sckpi check --out``)."""
    ja = found.rename(columns=QUALITY_COLUMNS_JA)
    return ja[[c for c in QUALITY_COLUMNS_JA.values() if c in ja]]


def findings_csv(found: pd.DataFrame) -> str:
    """:func:`findings_frame` as CSV text (write it with ``utf-8-sig``)."""
    return findings_frame(found).to_csv(index=False)


def write_findings(folder: Path, found: pd.DataFrame) -> Path:
    """``quality.csv``: every finding (要確認 / 確認済, the reason, the review note)."""
    return write_csv(folder / QUALITY_FILE, findings_frame(found))


def write_corrections(folder: Path, history: list[dict[str, Any]]) -> Path:
    """``corrections.csv``: the 訂正履歴, newest first (Japanese headers)."""
    frame = pd.DataFrame(history).reindex(columns=list(CORRECTIONS_COLUMNS_JA))
    return write_csv(folder / CORRECTIONS_FILE, frame.rename(columns=CORRECTIONS_COLUMNS_JA))


def read_history(folder: Path) -> list[dict[str, Any]]:
    """A set's 訂正履歴 as rows keyed like :data:`CORRECTIONS_COLUMNS_JA` (empty when none)."""
    old = read_csv(Path(folder) / CORRECTIONS_FILE)
    if old is None:
        return []
    return old.rename(columns={v: k for k, v in CORRECTIONS_COLUMNS_JA.items()}).to_dict("records")


def read_corrections(folder: Path | str = ".") -> pd.DataFrame | None:
    """A set's ``corrections.csv`` (Japanese headers) or None — what the check page shows (a notebook
    runs in the set's folder)."""
    return read_csv(Path(folder) / CORRECTIONS_FILE)


__all__ = ["ARCHIVE_DIR", "CORRECTIONS_FILE", "QUALITY_FILE", "VALUES_FILE", "findings_csv", "findings_frame",
           "read_corrections", "read_csv",
           "read_history", "write_corrections", "write_csv", "write_findings"]
