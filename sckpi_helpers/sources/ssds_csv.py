"""Reader for CSV files downloaded from e-Stat's SSDS pages (統計でみる都道府県・市区町村のすがた).

Users download these by hand, so the reader accepts them exactly as they come: a block of
title/legend lines before the header (its length depends on the download options, so the header is
*found*, never assumed), Shift_JIS/CP932 or UTF-8 with or without BOM, numbers with thousands
separators, full-width digits or trailing spaces, and flags (``X``, ``-``, ``***``, ``…``) in place
of numbers. The result has the same tidy columns as :func:`sckpi_helpers.estat.parse_stats_data`
plus ``source``, so ingest treats API and CSV data alike.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from sckpi_helpers.sources.cells import ALL_MARKS, VARIANTS, decode
from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources.estat_api import COLUMNS, municipality_part

log = logging.getLogger(__name__)

#: Marks SSDS puts where a number would be; kept as ``annotation``, value NaN.
FLAGS = ALL_MARKS
_FLAG_CANONICAL = VARIANTS
_ITEM = re.compile(r"^#?(?P<code>[A-Za-z0-9]+)_(?P<name>.+?)\s*(?:【(?P<unit>[^】]*)】)?$")
_SPACES = re.compile(r"\s+")
SSDS_COLUMNS = [*COLUMNS, "source"]


def _key(cell: str) -> str:
    """Header cells compared without any spacing: ``地域 コード`` = ``地域コード`` = ``地域　コード``."""
    return _SPACES.sub("", cell.replace("\ufeff", ""))


def _read_rows(text: str) -> tuple[list[list[str]], list[int]]:
    """All CSV rows with the editor line number each starts on."""
    rows: list[list[str]] = []
    lines: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for row in reader:
        rows.append(row)
        lines.append(start)
        start = reader.line_num + 1
    return rows, lines


def _find_header(rows: list[list[str]], lines: list[int], path: Path) -> int:
    for i, row in enumerate(rows):
        keys = {_key(c) for c in row}
        if "地域コード" in keys:
            return i
        if "調査年コード" in keys:
            raise InputFileError("the header row has no '地域 コード' column (re-download with "
                                 "area codes shown)", file=path, row=lines[i], column="地域 コード")
    raise InputFileError("no header row with '地域 コード' found; is this an e-Stat SSDS CSV "
                         "download?", file=path)


def _clean_numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(value, flag-or-None, bad mask) for a column of cells, working on unique strings only."""
    raw = raw.astype("str")  # pandas' Arrow-backed strings: vectorised strip/replace
    stripped = raw.str.strip()
    cleaned = stripped.str.replace(",", "", regex=False)
    wide = ~cleaned.str.isascii()  # full-width digits/commas are rare: NFKC only those
    if wide.any():
        cleaned = cleaned.astype(object)
        cleaned[wide] = [unicodedata.normalize("NFKC", u).strip().replace(",", "")
                         for u in cleaned[wide]]
    is_flag = stripped.isin(FLAGS) | cleaned.isin(FLAGS)
    value = pd.to_numeric(cleaned.where(~is_flag & (cleaned != "")), errors="coerce")
    bad = value.isna() & ~is_flag & (cleaned != "")
    value = value.astype("float64")
    bad |= ~np.isfinite(value.fillna(0.0))
    flags = (stripped.where(is_flag).astype(object)
             .map(lambda f: _FLAG_CANONICAL.get(f, f), na_action="ignore").astype(object))
    return value.where(~bad), flags, bad


def read_ssds_csv(path: str | Path) -> pd.DataFrame:
    """Tidy frame (``estat.COLUMNS`` + ``source``), one row per area × year × item.

    Raises :class:`InputFileError` naming the file, the line (as an editor numbers it) and the
    column header for a missing header row, a missing ``地域 コード`` column, an area code that is
    not one, or text in a numeric column.
    """
    path = Path(path)
    rows, lines = _read_rows(decode(path.read_bytes(), path))
    h = _find_header(rows, lines, path)
    header = [c.replace("\ufeff", "").strip() for c in rows[h]]
    keys = [_key(c) for c in header]
    width = len(header)
    col_area, col_area_name = keys.index("地域コード"), _index(keys, "地域")
    col_time, col_time_name = _index(keys, "調査年コード"), _index(keys, "調査年")
    if col_time is None and col_time_name is None:
        raise InputFileError("the header row has no '調査年 コード' or '調査年' column", file=path,
                             row=lines[h], column="調査年 コード")
    items = []
    for j, cell in enumerate(header):
        m = _ITEM.match(cell)
        if m and j not in (col_area, col_area_name, col_time, col_time_name):
            note = j + 1 if j + 1 < width and keys[j + 1] == "注釈" else None
            items.append((j, note, m["code"], m["name"].strip(), (m["unit"] or "").strip()))
    if not items:
        raise InputFileError("no item columns like 'A1101_総人口【人】' in the header row",
                             file=path, row=lines[h])

    body = [(r + [""] * (width - len(r)))[:width] for r in rows[h + 1:]]
    data = pd.DataFrame(body, columns=range(width), dtype=object)
    data["_line"] = lines[h + 1:]
    data = data[data[col_area].str.strip() != ""]  # blank lines and trailing notes
    if data.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SSDS_COLUMNS})

    area = data[col_area].map(lambda s: unicodedata.normalize("NFKC", s).strip())
    area = area.where(~area.str.fullmatch(r"\d{4}"), "0" + area)  # Excel drops the leading zero
    bad_area = ~area.str.fullmatch(r"\d{5}")
    if bad_area.any():
        i = bad_area.to_numpy().argmax()
        raise InputFileError(f"{data[col_area].iloc[i]!r} is not a 5-digit area code", file=path,
                             row=int(data["_line"].iloc[i]), column=header[col_area])
    time_code, year = _years(data, col_time, col_time_name, header, path)
    full = (data[col_area_name].str.strip() if col_area_name is not None
            else pd.Series("", index=data.index))
    base = pd.DataFrame({"stats_data_id": _stats_data_id(rows[:h]), "area_code": area,
                         "area_name": full.map(municipality_part), "area_full_name": full,
                         "time_code": time_code, "year": year})
    frames = []
    for j, note, code, name, unit in items:
        value, flags, bad = _clean_numbers(data[j])
        if bad.any():
            i = bad.to_numpy().argmax()
            raise InputFileError(f"{data[j].iloc[i]!r} is not a number (nor a flag like X, -, "
                                 "***, …)", file=path, row=int(data["_line"].iloc[i]),
                                 column=header[j])
        annotation = flags
        if note is not None:
            text = data[note].str.strip()
            text = text.where(text != "")
            annotation = flags.where(text.isna(), flags.fillna("").str.cat(text, sep=" ").str.strip())
        f = base.assign(item_code=code, item_name=name, unit=unit, value=value.to_numpy(),
                        annotation=annotation.astype(object).where(annotation.notna(), None))
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out["source"] = f"e-Stat SSDS CSV {path.name}"
    return out[SSDS_COLUMNS]


def _index(keys: list[str], name: str) -> int | None:
    return keys.index(name) if name in keys else None


def _years(data: pd.DataFrame, col_time: int | None, col_time_name: int | None,
           header: list[str], path: Path) -> tuple[pd.Series, pd.Series]:
    """Year from ``調査年 コード`` (2020100000) or else from ``調査年`` (2020年度)."""
    col = col_time if col_time is not None else col_time_name
    assert col is not None
    text = data[col].map(lambda s: unicodedata.normalize("NFKC", s).strip())
    year = pd.to_numeric(text.str.extract(r"^(\d{4})", expand=False), errors="coerce")
    if year.isna().any():
        i = year.isna().to_numpy().argmax()
        raise InputFileError(f"{data[col].iloc[i]!r} does not start with a four-digit year",
                             file=path, row=int(data["_line"].iloc[i]), column=header[col])
    if col_time is not None:
        time_code = text
    else:  # e-Stat's time codes: 2020100000 = fiscal 2020, 2020000000 = calendar 2020
        kind = text.str.contains("年度").map({True: "100000", False: "000000"})
        time_code = year.astype("int64").astype(str) + kind
    return time_code, year.astype("int64")


def _stats_data_id(preamble: list[list[str]]) -> str:
    """The 10-digit 統計表ID when the title lines mention one; else empty."""
    for row in preamble:
        for cell in row:
            m = re.search(r"(?<!\d)(\d{10})(?!\d)", cell)
            if m:
                return m.group(1)
    return ""


__all__ = ["FLAGS", "SSDS_COLUMNS", "decode", "read_ssds_csv"]
