"""Published spreadsheets (.xls BIFF and .xlsx) as rows of cells, and the item rows built from them.

Why one module: 総務省 publishes 統計でみる市区町村のすがた as BIFF ``.xls``, the 住民基本台帳 tables as
``.xls`` until 2020 and ``.xlsx`` since, and 主要財政指標 as ``.xlsx``. python-calamine reads both
formats with one call (pandas' ``xlrd`` engine is deprecated and ``openpyxl`` reads no ``.xls``), so
every reader of a published workbook sees cells the same way: numbers as numbers, text as text,
empty cells as ``""``. A sheet is read once per file version (recognition and reading share it).

:func:`cell_value` is the one rule for a published cell: a number, a statistics mark (``-``,
``…``, ``...``, ``X``, ``***``: NaN with the mark kept), blank, or an error naming file, row and
column. :func:`item_frame` turns a reader's records into ``ITEM_COLUMNS`` rows.

Stage 3 (sources): imports ``errors`` and other ``sources`` modules only.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources.base import ITEM_COLUMNS, Ignored, Reader, ReadResult
from sckpi_helpers.sources.cells import canonical_mark
from sckpi_helpers.sources.numbers import parse_number

#: file name endings read as workbooks
WORKBOOK_SUFFIXES = frozenset({".xls", ".xlsx"})


@functools.lru_cache(maxsize=8)
def _rows(path: str, mtime_ns: int, sheet: int) -> tuple[tuple[Any, ...], ...]:
    import python_calamine as calamine

    broken = (calamine.CalamineError, calamine.PasswordError, calamine.XmlError, calamine.ZipError,
              OSError, ValueError)
    try:
        book = calamine.CalamineWorkbook.from_path(path)
        rows = book.get_sheet_by_index(sheet).to_python()
    except broken as exc:
        raise InputFileError(f"the workbook cannot be read ({exc})", file=path) from None
    return tuple(tuple(r) for r in rows)


def sheet_rows(path: str | Path, sheet: int = 0) -> list[list[Any]]:
    """The cells of one sheet (row 1 first), read once per file version."""
    p = Path(path)
    return [list(r) for r in _rows(str(p), p.stat().st_mtime_ns, sheet)]


def is_workbook(path: Path) -> bool:
    """True for a ``.xls``/``.xlsx`` file name."""
    return path.suffix.lower() in WORKBOOK_SUFFIXES


class WorkbookReader(Reader):
    """A published workbook recognised by its first sheet's layout (:meth:`looks_like`) and read by
    one function of the file (:meth:`read_file`): the recognise/read half every workbook reader shares."""

    target = "items"

    def looks_like(self, rows: list[list[Any]]) -> bool:
        raise NotImplementedError

    def read_file(self, path: Path) -> tuple[pd.DataFrame, list[Ignored]]:
        raise NotImplementedError

    def recognise(self, path: Path, head: bytes) -> bool:
        if not is_workbook(path):
            return False
        try:
            return self.looks_like(sheet_rows(path))
        except InputFileError:
            return False

    def read(self, path: Path, **context: Any) -> ReadResult:
        frame, ignored = self.read_file(path)
        return ReadResult(self.kind, self.target, frame, ignored, file=str(path))


def text(cell: Any) -> str:
    """A cell as text: NFKC, stripped (ideographic blanks included); whole floats without ``.0``."""
    if cell is None:
        return ""
    if isinstance(cell, float):
        return "" if np.isnan(cell) else (str(int(cell)) if cell.is_integer() else str(cell))
    return unicodedata.normalize("NFKC", str(cell)).strip()


def cell_value(cell: Any, path: str | Path, row: int, column: str) -> tuple[float, str | None] | None:
    """(value, mark) of a published cell; None when blank. A mark gives NaN with the mark kept;
    text that is neither a number nor a mark is an error naming the file, row and column."""
    if isinstance(cell, str):
        if not cell.strip():
            return None
        mark = canonical_mark(cell)
        if mark is not None:
            return np.nan, mark
    try:
        number = parse_number(cell)
    except ValueError:
        raise InputFileError(f"{cell!r} is not a number (nor a mark like -, …, X, ***)", file=path,
                             row=row, column=column) from None
    return None if number is None else (number, None)


def item_frame(records: list[dict[str, Any]], dataset: str, source: str) -> pd.DataFrame:
    """``ITEM_COLUMNS`` rows from records with ``area_code, area_name, year, time_code,
    item_code, item_name, unit, value, annotation``; ``stats_data_id`` = the dataset."""
    frame = pd.DataFrame(records, columns=["area_code", "area_name", "year", "time_code",
                                           "item_code", "item_name", "unit", "value", "annotation"])
    frame["stats_data_id"] = dataset
    frame["area_full_name"] = frame["area_name"]
    frame["source"] = source
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    frame["annotation"] = frame["annotation"].astype(object).where(frame["annotation"].notna(), None)
    return frame[ITEM_COLUMNS]


__all__ = ["WORKBOOK_SUFFIXES", "cell_value", "is_workbook", "item_frame", "sheet_rows", "text"]
