"""Reader for SSDSE-A (教育用標準データセット, 市区町村), any edition, and the bundled copy's area names.

Why a reader of its own: SSDSE-A holds about 125 SSDS items for all 1,741 municipalities in one
CSV, which lets the kit work with real data and no download. Its layout is not an SSDS download:

- row 1: ``SSDSE-A-2025, Prefecture, Municipality, A1101, A110101, …`` — the edition, then SSDS
  item codes;
- row 2: ``, , 年度, 2020, 2020, …, 2022`` — **the year of each column**. Years differ between
  items of one file (2019–2023 in the 2025 edition) and from edition to edition, so the year is
  always taken per column, never per file;
- row 3: ``地域コード, 都道府県, 市区町村, 総人口, …`` — Japanese item names (a unit in 【】 when
  present);
- then one row per municipality, area code written ``R01100`` (→ ``01100``).

Files are CP932 with CRLF; :func:`cells.decode` also takes UTF-8 with or without BOM. Cells that
hold a statistics mark (``-``, ``X``, ``…``, ``***``) become NaN with the mark kept as annotation;
blank cells are left out and listed as ignored, never turned into zero.

The whole table is read by pandas' C parser and reshaped with NumPy (no Python loop over cells):
about the cost of a bare ``read_csv`` + ``melt``.

Stage 3 (sources): imports ``errors``, ``config`` and other ``sources`` modules only.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.config import paths
from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources.base import ITEM_COLUMNS, Ignored, Reader, ReadResult, head_rows, register
from sckpi_helpers.sources.cells import canonical_mark, decode
from sckpi_helpers.sources.numbers import parse_number

#: first cell of row 1: ``SSDSE-A-2025`` (older editions may omit ``-A``); SSDSE-B…E are other
#: shapes (prefectures, time series) and are not read here
_EDITION = re.compile(r"^SSDSE(?:-A)?(?:-(?P<year>\d{4}))?$")
_UNIT = re.compile(r"【(?P<unit>[^】]*)】\s*$")
_AREA = re.compile(r"^R?(\d{5})$")
#: the three leading columns of row 3
ID_HEADERS = ("地域コード", "都道府県", "市区町村")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in next(csv.reader([line]))] if line.strip() else []


def _head_rows(head: bytes, path: Path | str) -> list[list[str]] | None:
    """The first three rows of ``head`` when they are complete lines, else None."""
    rows = head_rows(head, 4)
    return rows[:3] if len(rows) >= 4 else None


def edition_of(first_cell: str, path: Path | str = "") -> str:
    """``"SSDSE-A-2025"`` → ``"2025"``; from the file name when the cell carries no year."""
    m = _EDITION.match(first_cell.replace("\ufeff", "").strip())
    if m and m["year"]:
        return m["year"]
    found = re.findall(r"(?<!\d)(\d{4})(?!\d)", Path(path).name)
    return found[-1] if found else ""


def is_ssdse_a(rows: list[list[str]]) -> bool:
    """True for SSDSE-A's three header rows (edition + codes, years, names)."""
    if len(rows) < 3 or not rows[0] or not rows[2]:
        return False
    return bool(_EDITION.match(rows[0][0].replace("\ufeff", "").strip())) \
        and tuple(rows[2][:3]) == ID_HEADERS


class SsdseReader(Reader):
    """SSDSE-A → ``items`` rows (``ITEM_COLUMNS``), one per municipality × item."""

    kind = "ssdse"
    title_ja = "教育用標準データセット SSDSE-A（市区町村）"
    target = "items"

    def recognise(self, path: Path, head: bytes) -> bool:
        return (rows := _head_rows(head, path)) is not None and is_ssdse_a(rows)

    def read(self, path: Path, **context: Any) -> ReadResult:
        frame, ignored = read_ssdse(path)
        return ReadResult(self.kind, self.target, frame, ignored, file=str(path))


def read_ssdse(path: str | Path) -> tuple[pd.DataFrame, list[Ignored]]:
    """Tidy ``ITEM_COLUMNS`` rows of one SSDSE-A file and the blank cells left out.

    Raises :class:`InputFileError` (file, row, column) for a file that is not SSDSE-A, an item
    column without a year, an area code that is not one, or text that is neither a number nor a
    statistics mark.
    """
    path = Path(path)
    text = decode(path.read_bytes(), path)
    lines = text.split("\n", 3)
    rows = [_cells(line) for line in lines[:3]]
    if len(lines) < 4 or not is_ssdse_a(rows):
        raise InputFileError("not an SSDSE-A file: expected 'SSDSE-A-<edition>' in row 1 and "
                             "'地域コード, 都道府県, 市区町村' in row 3", file=path, row=1)
    codes, year_cells, names = rows
    width = len(codes)
    items = range(3, width)
    years = []
    for j in items:
        cell = unicodedata.normalize("NFKC", year_cells[j] if j < len(year_cells) else "")
        m = re.match(r"^(\d{4})", cell.strip())
        if not m:
            raise InputFileError(f"item {codes[j]} has no year in row 2 ({cell!r})", file=path,
                                 row=2, column=codes[j])
        years.append(int(m[1]))
    body = pd.read_csv(io.StringIO(lines[3]), header=None, names=range(width), dtype={0: str,
                       1: str, 2: str}, keep_default_na=False, na_values=[""],
                       skip_blank_lines=False)
    body.index = body.index + 4  # editor line numbers
    body = body[body[0].notna()]
    area = body[0].str.strip().str.extract(_AREA, expand=False)
    if area.isna().any():
        line = int(area.index[area.isna().to_numpy()][0])
        raise InputFileError(f"{body.at[line, 0]!r} is not an area code like R01100", file=path,
                             row=line, column=names[0])
    n = len(body)
    values = np.empty((n, len(items)), dtype="float64")
    marks = np.full((n, len(items)), None, dtype=object)
    for k, j in enumerate(items):
        values[:, k], col_marks = _numbers(body[j], path, codes[j])
        if col_marks is not None:
            marks[:, k] = col_marks
    pref = body[1].fillna("").str.strip()
    muni = body[2].fillna("").str.strip()
    n_items = len(items)
    item_names = [names[j] if j < len(names) else "" for j in items]
    units = [(m["unit"].strip() if (m := _UNIT.search(nm)) else "") for nm in item_names]
    by_area = np.tile(np.arange(n), n_items)  # item-major, as melt orders them
    by_item = np.repeat(np.arange(n_items), n)
    source = f"SSDSE-A {edition_of(codes[0], path)}".strip()
    frame = pd.DataFrame({
        "stats_data_id": _spread([""], np.zeros(n * n_items, dtype="int64")),
        "area_code": _spread(area, by_area),
        "area_name": _spread(muni, by_area),
        "area_full_name": _spread(pref + " " + muni, by_area),
        "time_code": _spread([f"{y}100000" for y in years], by_item),
        "year": np.asarray(years, dtype="int64")[by_item],
        "item_code": _spread(codes[3:], by_item),
        "item_name": _spread([_UNIT.sub("", nm).strip() for nm in item_names], by_item),
        "unit": _spread(units, by_item),
        "value": values.ravel(order="F"),
        "annotation": pd.Series(marks.ravel(order="F"), dtype=object),
        "source": _spread([source], np.zeros(n * n_items, dtype="int64")),
        "row": body.index.to_numpy(dtype="int64")[by_area],  # the file's line (a stored item names it)
    })
    blank = frame["value"].isna().to_numpy() & pd.isna(frame["annotation"]).to_numpy()
    ignored = [Ignored(str(path), "空欄（値も記号もない）のため使わない", column=code, count=int(c))
               for code, c in zip(codes[3:], blank.reshape(n_items, n).sum(axis=1), strict=True)
               if c]
    return frame[~blank].reset_index(drop=True)[[*ITEM_COLUMNS, "row"]], ignored


def _spread(labels: Any, index: np.ndarray) -> pd.Series:
    """``labels[index]`` as a string column, built by Arrow's ``take`` from the few distinct labels
    (converting 200,000 Python strings one by one costs more than the whole CSV parse)."""
    return pd.Series(pd.array(list(labels), dtype="str").take(index))


def _numbers(col: pd.Series, path: Path, column: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(values, marks or None) of one item column. pandas already parsed plain numbers; a column
    left as text (marks, thousands separators, full-width digits) is read one unique cell at a
    time with the kit's number and mark rules."""
    if col.dtype.kind in "fiu":
        return col.to_numpy(dtype="float64"), None
    numbers: dict[Any, float] = {}
    marks: dict[Any, str] = {}
    for cell in pd.unique(col.dropna()):
        text = str(cell)
        mark = canonical_mark(text)
        if mark is not None:
            marks[cell] = mark
            continue
        try:
            number = parse_number(text)
        except ValueError:
            line = int(col.index[(col == cell).to_numpy()][0])
            raise InputFileError(f"{text!r} is not a number (nor a mark like X, -, ***, …)",
                                 file=path, row=line, column=column) from None
        numbers[cell] = np.nan if number is None else number
    found = col.map(marks).astype(object)
    return (col.map(numbers).to_numpy(dtype="float64"),
            found.where(found.notna(), None).to_numpy(dtype=object))


# ----------------------------------------------------------------------------- area names
def bundled_file() -> Path | None:
    """The newest SSDSE-A edition under ``data/raw/ssdse/`` (project root, else the checkout)."""
    for folder in (paths.raw_dir() / "ssdse", paths.PACKAGE_DIR.parent / "data" / "raw" / "ssdse"):
        found = sorted(folder.glob("SSDSE-A-*.csv")) if folder.is_dir() else []
        if found:
            return found[-1]
    return None


@functools.lru_cache(maxsize=4)
def _names_of(path: str, mtime: float) -> pd.DataFrame:
    text = decode(Path(path).read_bytes(), path)
    df = pd.read_csv(io.StringIO(text), header=None, skiprows=3, usecols=[0, 1, 2], dtype=str,
                     keep_default_na=False)
    df.columns = ["area_code", "pref_name", "area_name"]
    df["area_code"] = df["area_code"].str.strip().str.extract(_AREA, expand=False)
    return df.dropna(subset=["area_code"]).reset_index(drop=True)


def municipality_names(path: str | Path | None = None) -> pd.DataFrame:
    """``area_code, pref_name, area_name`` of all municipalities in an SSDSE-A file (default: the
    bundled one; empty when none is bundled). Designated cities appear as a whole, not by ward."""
    file = Path(path) if path is not None else bundled_file()
    if file is None or not file.is_file():
        return pd.DataFrame(columns=["area_code", "pref_name", "area_name"], dtype=object)
    return _names_of(str(file), file.stat().st_mtime).copy()


SSDSE = register(SsdseReader())

__all__ = ["ID_HEADERS", "SSDSE", "SsdseReader", "bundled_file", "edition_of", "is_ssdse_a",
           "municipality_names", "read_ssdse"]
