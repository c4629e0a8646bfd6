"""Reader for CSV files downloaded from e-Stat's SSDS pages (統計でみる都道府県・市区町村のすがた).

Users download these by hand, so the reader accepts them exactly as they come, in both layouts
e-Stat has shipped: a block of title/legend lines before the header (its length depends on the
download options, so the header is *found*, never assumed) with a ``注釈`` column after each item,
or a ``/項目 コード`` row above the header and a ``/項目`` column before the items. Shift_JIS/CP932
or UTF-8 with or without BOM; numbers with thousands separators, full-width digits or trailing
spaces; marks (``X``, ``-``, ``***``, ``…``) in place of numbers, kept as the annotation with no
value. Units are NFKC-normalised once (``【ｈａ】`` → ``ha``).

Why Arrow: a national download is 35,000 rows × dozens of items; Arrow's CSV reader splits and
types it in C++, the cleaning runs once over all item cells together, and the tidy columns are
built by ``take`` from a few distinct strings — close to a bare ``pandas.read_csv`` + ``melt``.
Line numbers for messages are only worked out when there is something to report.

A file cut off in the middle (an unterminated quoted field, a short last row — ``…,"77,5`` at
the end) is an error, never a number: "ファイルが途中で切れています".

Stage: ``sources`` — imports ``errors``, ``sources.base``, ``sources.cells`` and
``sources.estat_json``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources.base import ITEM_COLUMNS, Ignored, Reader, ReadResult, head_text, register
from sckpi_helpers.sources.cells import ALL_MARKS, VARIANTS, decode, normalize_unit
from sckpi_helpers.sources.estat_json import municipality_part

#: Marks SSDS puts where a number would be; kept as ``annotation``, value NaN.
FLAGS = ALL_MARKS
SSDS_COLUMNS = ITEM_COLUMNS
_ITEM = re.compile(r"^#?(?P<code>[A-Za-z0-9]+)_(?P<name>.+?)\s*(?:【(?P<unit>[^】]*)】)?$")
_SPACES = re.compile(r"\s+")
_HEADER_SEARCH_ROWS = 200
TRUNCATED = "ファイルが途中で切れています"


def _key(cell: str) -> str:
    """Header cells compared without any spacing: ``地域 コード`` = ``地域コード`` = ``地域　コード``."""
    return _SPACES.sub("", cell.replace("\ufeff", ""))


# ------------------------------------------------------------------------------------ header
@dataclass
class _Header:
    cells: list[str]        # as published, stripped
    line: int               # its 1-based line
    offset: int             # where the data rows start in the text
    preamble: list[list[str]]

    @property
    def keys(self) -> list[str]:
        return [_key(c) for c in self.cells]


def _rows_with_offsets(text: str, limit: int) -> Iterator[tuple[list[str], int, int]]:
    """(row, first line, offset after the row) for the first ``limit`` CSV rows."""
    end = [0]

    def lines() -> Iterator[str]:
        pos = 0
        while pos < len(text):
            nl = text.find("\n", pos)
            stop = len(text) if nl < 0 else nl + 1
            end[0] = stop
            yield text[pos:stop]
            pos = stop

    reader = csv.reader(lines())
    start = 1
    for _, row in zip(range(limit), reader, strict=False):
        yield row, start, end[0]
        start = reader.line_num + 1


def _find_header(text: str, path: Path | None) -> _Header:
    preamble: list[list[str]] = []
    for row, line, offset in _rows_with_offsets(text, _HEADER_SEARCH_ROWS):
        keys = {_key(c) for c in row}
        if "地域コード" in keys:
            return _Header([c.replace("\ufeff", "").strip() for c in row], line, offset, preamble)
        if "調査年コード" in keys and path is not None:
            raise InputFileError("the header row has no '地域 コード' column (re-download with "
                                 "area codes shown)", file=path, row=line, column="地域 コード")
        preamble.append(row)
    raise InputFileError("no header row with '地域 コード' found; is this an e-Stat SSDS CSV "
                         "download?", file=path)


@dataclass
class _Layout:
    area: int
    area_name: int | None
    time: int | None
    time_name: int | None
    items: list[tuple[int, int | None, str, str, str]]   # (column, 注釈 column, code, name, unit)
    other: list[int]                                     # columns that are none of these


def _layout(header: _Header, path: Path) -> _Layout:
    keys, cells = header.keys, header.cells
    fixed = {name: (keys.index(name) if name in keys else None)
             for name in ("地域コード", "地域", "調査年コード", "調査年")}
    if fixed["調査年コード"] is None and fixed["調査年"] is None:
        raise InputFileError("the header row has no '調査年 コード' or '調査年' column", file=path,
                             row=header.line, column="調査年 コード")
    items, used = [], {i for i in fixed.values() if i is not None}
    for j, cell in enumerate(cells):
        m = _ITEM.match(cell)
        if m and j not in used:
            note = j + 1 if j + 1 < len(keys) and keys[j + 1] == "注釈" else None
            items.append((j, note, m["code"], m["name"].strip(), normalize_unit(m["unit"] or "")))
            used |= {j} | ({note} if note is not None else set())
    if not items:
        raise InputFileError("no item columns like 'A1101_総人口【人】' in the header row",
                             file=path, row=header.line)
    other = [j for j, k in enumerate(keys) if j not in used and k not in ("", "/項目")]
    return _Layout(fixed["地域コード"], fixed["地域"], fixed["調査年コード"], fixed["調査年"],  # type: ignore[arg-type]
                   items, other)


# -------------------------------------------------------------------------------------- body
@dataclass
class _Body:
    table: pa.Table              # every column as text, one row per data line
    text: str
    first_line: int
    width: int
    kept: np.ndarray | None = None      # rows of the read table still in ``table``
    _lines: list[int] | None = None     # the line of each read row, worked out only when needed

    def line_of(self, i: int) -> int:
        """The line (as an editor numbers it) of row ``i`` of ``table``."""
        if self._lines is None:
            self._lines = [line for line, row in _data_rows(self.text, self.first_line)
                           if len(row) == self.width]
        return self._lines[int(self.kept[i]) if self.kept is not None else i]

    def lines(self) -> np.ndarray:
        """The line (as an editor numbers it) of every row of ``table``."""
        if len(self.table) == 0:
            return np.empty(0, dtype=np.int64)
        self.line_of(0)
        assert self._lines is not None
        lines = np.asarray(self._lines, dtype=np.int64)
        return lines[self.kept] if self.kept is not None else lines[: len(self.table)]


def _data_rows(text: str, first_line: int) -> Iterator[tuple[int, list[str]]]:
    """(line, row) of every non-empty CSV row of ``text`` (Arrow skips empty lines too)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = first_line
    for row in reader:
        if row:
            yield start, row
        start = first_line + reader.line_num


def _unterminated_line(text: str, data: bytes, first_line: int) -> int | None:
    """The line whose quoted field never closes (SSDS cells hold no line breaks), or None."""
    if data.count(b'"') % 2 == 0:
        return None
    for n, line in enumerate(text.splitlines(), start=first_line):
        if line.count('"') % 2:
            return n
    return first_line


def _read_body(text: str, header: _Header, path: Path) -> tuple[_Body, list[Ignored]]:
    body_text = text[header.offset:]
    width = len(header.cells)
    first_line = header.line + 1
    data = body_text.encode("utf-8")
    end = len(data)
    while end and data[end - 1] in b"\r\n":
        end -= 1
    last_line = first_line + data.count(b"\n", 0, end)
    bad_line = _unterminated_line(body_text, data, first_line)
    if bad_line is not None:
        what = (f"{TRUNCATED}（最後の行の引用符 \" が閉じていません）。ダウンロードし直してください"
                if bad_line == last_line else "引用符 \" が閉じていません")
        raise InputFileError(what, file=path, row=bad_line)
    invalid: list[str] = []

    def on_invalid(row: Any) -> str:
        invalid.append(row.text)
        return "skip"

    names = [f"c{j}" for j in range(width)]
    if not data.strip():  # a header and nothing under it: no rows (the store says so in one line)
        empty = pa.table({n: pa.array([], pa.string()) for n in names})
        return _Body(empty, body_text, first_line, width), []
    table = pa_csv.read_csv(
        pa.BufferReader(data),
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(invalid_row_handler=on_invalid),
        convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                              strings_can_be_null=False, quoted_strings_can_be_null=False))
    ignored: list[Ignored] = []
    if invalid:  # rows of another width: notes under the table, or a damaged row / file
        rows = [(line, row) for line, row in _data_rows(body_text, first_line) if len(row) != width]
        notes = []
        for line, row in rows:
            code = row[0].strip() if row else ""
            looks_like_data = any(re.fullmatch(r"\d{4,5}", c.strip()) for c in row[:6])
            if looks_like_data and line == last_line and len(row) < width:
                raise InputFileError(f"{TRUNCATED}（最後の行の列が {len(row)} 個しかありません。見出しは "
                                     f"{width} 列）。ダウンロードし直してください", file=path, row=line)
            if looks_like_data:
                raise InputFileError(f"この行の列は {len(row)} 個で、見出しの {width} 列と合いません",
                                     file=path, row=line)
            notes.append((line, code))
        if notes:
            ignored.append(Ignored(str(path), "表の下の注記など（列の数が見出しと違う行）",
                                   row=notes[0][0], count=len(notes)))
    return _Body(table, body_text, first_line, width), ignored


# ------------------------------------------------------------------------------------ values
def _normalised(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Stripped text; NFKC only where a cell is not plain ASCII (full-width digits, ｈａ …)."""
    col = pc.utf8_trim_whitespace(col)
    if pc.all(pc.string_is_ascii(col)).as_py() is False:
        col = pa.chunked_array([pa.array([unicodedata.normalize("NFKC", s).strip()
                                          for s in col.to_pylist()], pa.string())])
    return col


def _numbers(text: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray, pa.Array | None]:
    """(is a mark, the cells to read as numbers, their float values or None when some is text)."""
    is_mark = pc.is_in(text, value_set=pa.array(sorted(FLAGS), pa.string()))
    numbers = pc.if_else(pc.or_(is_mark, pc.equal(text, "")), pa.scalar(None, pa.string()), text)
    try:
        return is_mark, numbers, pc.cast(numbers, pa.float64())
    except pa.ArrowInvalid:
        return is_mark, numbers, None


def _clean_numbers(cells: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, canonical mark or None, bad mask) of item cells, all items together.

    Cells as e-Stat writes them (``"1234"``, ``"***"``) are read in one cast; only when that fails
    are blanks, thousands separators and full-width characters cleaned, and only then is a cell
    that is still not a number looked for cell by cell.
    """
    text = cells
    is_mark, numbers, value = _numbers(text)
    if value is None:
        text = pc.replace_substring(_normalised(cells), ",", "")
        is_mark, numbers, value = _numbers(text)
    if value is not None:
        values = value.to_numpy(zero_copy_only=False).astype("float64")
        bad = np.zeros(len(values), dtype=bool)
    else:  # some cell is text: find which, the slow way
        values = pd.to_numeric(pd.Series(numbers.to_pylist(), dtype=object),
                               errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        bad = np.isnan(values) & ~pc.is_null(numbers).to_numpy(zero_copy_only=False)
    # "nan"/"inf" typed in a cell are text, not statistics
    bad |= ~np.isfinite(values) & ~pc.is_null(numbers).to_numpy(zero_copy_only=False)
    mark_np = is_mark.to_numpy(zero_copy_only=False)
    flags = np.full(len(values), None, dtype=object)
    if mark_np.any():
        idx, marks = _encode(text.filter(is_mark))
        flags[mark_np] = np.array([VARIANTS.get(m, m) for m in marks], dtype=object)[idx]
    return values, flags, bad


def _take(distinct: list[str], idx: np.ndarray) -> pd.Series:
    """A text column from a few distinct strings: pointers to them, no copy of the text."""
    return pd.Series(np.array(distinct, dtype=object)[idx], dtype=object)


def _encode(col: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    enc = pc.dictionary_encode(col).combine_chunks()
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), enc.dictionary.to_pylist()


def _areas(body: _Body, layout: _Layout, header: _Header, path: Path) -> tuple[np.ndarray, list[str]]:
    idx, codes = _encode(body.table.column(layout.area))
    if pc.all(pc.match_substring_regex(pa.array(codes, pa.string()), r"^\d{5}$")).as_py():
        return idx, codes
    fixed = []
    for c in codes:
        a = unicodedata.normalize("NFKC", c).strip()
        fixed.append("0" + a if re.fullmatch(r"\d{4}", a) else a)   # Excel drops the leading zero
    bad = [k for k, a in enumerate(fixed) if not re.fullmatch(r"\d{5}", a)]
    if bad:
        i = int(np.flatnonzero(np.isin(idx, bad))[0])
        raise InputFileError(f"{codes[idx[i]]!r} is not a 5-digit area code", file=path,
                             row=body.line_of(i), column=header.cells[layout.area])
    return idx, fixed


def _years(body: _Body, layout: _Layout, header: _Header,
           path: Path) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(index per row, time codes, years): from ``調査年 コード`` (2020100000) or ``調査年``."""
    col = layout.time if layout.time is not None else layout.time_name
    assert col is not None
    idx, texts = _encode(body.table.column(col))
    texts = [unicodedata.normalize("NFKC", t).strip() for t in texts]
    years, codes = [], []
    for k, t in enumerate(texts):
        m = re.match(r"^(\d{4})", t)
        if not m:
            i = int(np.flatnonzero(idx == k)[0])
            raise InputFileError(f"{t!r} does not start with a four-digit year", file=path,
                                 row=body.line_of(i), column=header.cells[col])
        years.append(int(m.group(1)))
        # e-Stat's time codes: 2020100000 = fiscal 2020, 2020000000 = calendar 2020
        codes.append(t if layout.time is not None
                     else m.group(1) + ("100000" if "年度" in t else "000000"))
    return idx, codes, np.array(years, dtype=np.int64)


def _stats_data_id(preamble: list[list[str]]) -> str:
    """The 10-digit 統計表ID when the title lines mention one; else empty."""
    for row in preamble:
        for cell in row:
            m = re.search(r"(?<!\d)(\d{10})(?!\d)", cell)
            if m:
                return m.group(1)
    return ""


# -------------------------------------------------------------------------------------- read
def read_ssds(path: str | Path) -> ReadResult:
    """Tidy rows (:data:`ITEM_COLUMNS` and ``row``, the line an editor shows), one per area ×
    year × item, and what was left out.

    Raises :class:`InputFileError` naming the file, the line (as an editor numbers it) and the
    column header for a missing header row, a missing ``地域 コード`` column, an area code that is
    not one, text in a numeric column, a damaged row or a file cut off in the middle.
    """
    path = Path(path)
    text = decode(path.read_bytes(), path)
    header = _find_header(text, path)
    layout = _layout(header, path)
    body, ignored = _read_body(text, header, path)
    ignored += [Ignored(str(path), "SSDS の項目でない列", column=header.cells[j]) for j in layout.other]
    table = body.table
    keep = pc.not_equal(pc.utf8_trim_whitespace(table.column(layout.area)), "")
    if len(table) and not pc.all(keep).as_py():  # blank lines and trailing notes have no area code
        n_blank = len(table) - pc.sum(keep).as_py()
        first = int(np.flatnonzero(~keep.to_numpy(zero_copy_only=False))[0])
        ignored.append(Ignored(str(path), "地域コードのない行", row=body.line_of(first), count=n_blank))
        body.kept = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
        body.table = table = table.filter(keep)
    n = len(table)
    if n == 0:
        return ReadResult("ssds-csv", "items", _empty(), ignored, file=str(path))

    area_idx, area_codes = _areas(body, layout, header, path)
    time_idx, time_codes, years = _years(body, layout, header, path)
    if layout.area_name is not None:
        name_idx, full = _encode(pc.utf8_trim_whitespace(table.column(layout.area_name)))
    else:
        name_idx, full = np.zeros(n, dtype=np.int64), [""]

    items = layout.items
    k = len(items)
    value, flags, bad = _clean_numbers(pa.chunked_array(
        [c for j, *_ in items for c in table.column(j).chunks], pa.string()))
    if bad.any():
        pos = int(np.argmax(bad))
        j = items[pos // n][0]
        raise InputFileError(f"{table.column(j)[pos % n].as_py()!r} is not a number (nor a flag like "
                             "X, -, ***, …)", file=path, row=body.line_of(pos % n),
                             column=header.cells[j])
    annotation = flags
    if any(note is not None for _, note, *_ in items):
        empty = pa.array([""] * n, pa.string())
        notes = pc.utf8_trim_whitespace(pa.chunked_array(
            [c for _, note, *_ in items
             for c in (table.column(note).chunks if note is not None else [empty])], pa.string()))
        has_note = pc.not_equal(notes, "").to_numpy(zero_copy_only=False)
        if has_note.any():
            texts = notes.filter(pa.array(has_note)).to_pylist()
            annotation[has_note] = [f"{f} {t}" if f else t
                                    for f, t in zip(annotation[has_note], texts, strict=True)]

    rows = np.tile(np.arange(n), k)
    item_of = np.repeat(np.arange(k), n)
    frame = pd.DataFrame({
        "stats_data_id": _take([_stats_data_id(header.preamble)], np.zeros(n * k, dtype=np.int64)),
        "area_code": _take(area_codes, area_idx[rows]),
        "area_name": _take([municipality_part(f) for f in full], name_idx[rows]),
        "area_full_name": _take(full, name_idx[rows]),
        "time_code": _take(time_codes, time_idx[rows]),
        "year": years[time_idx][rows],
        "item_code": _take([it[2] for it in items], item_of),
        "item_name": _take([it[3] for it in items], item_of),
        "unit": _take([it[4] for it in items], item_of),
        "value": value,
        "annotation": pd.Series(annotation, dtype=object),
        "source": _take([f"e-Stat SSDS CSV {path.name}"], np.zeros(n * k, dtype=np.int64)),
        "row": body.lines()[rows],  # the file's line, so a stored item names where it was read
    }, columns=[*ITEM_COLUMNS, "row"], copy=False)
    return ReadResult("ssds-csv", "items", frame, ignored, file=str(path))


def read_ssds_csv(path: str | Path) -> pd.DataFrame:
    """The tidy frame of :func:`read_ssds` (columns :data:`ITEM_COLUMNS`)."""
    return read_ssds(path).frame


def _empty() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in ITEM_COLUMNS})
    df["year"] = df["year"].astype("int64")
    df["value"] = df["value"].astype("float64")
    return df


# ------------------------------------------------------------------------------------ reader
class SsdsCsvReader(Reader):
    """e-Stat SSDS 市区町村データ CSV downloads (either layout)."""

    kind = "ssds-csv"
    title_ja = "e-Stat 社会・人口統計体系（SSDS）CSV ダウンロード"
    target = "items"

    def recognise(self, path: Path, head: bytes) -> bool:
        """A header row with 地域 コード, 調査年 (コード) and at least one ``A1101_総人口`` item.

        SSDSE files have 地域コード too, but no 調査年 column and bare item codes: not claimed.
        """
        text = head_text(head)
        if text is None:
            return False
        try:
            header = _find_header(text, None)
        except (InputFileError, csv.Error):
            return False
        keys = set(header.keys)
        return (("調査年コード" in keys or "調査年" in keys)
                and any(_ITEM.match(c) for c in header.cells))

    def read(self, path: Path, **context: Any) -> ReadResult:
        return read_ssds(path)


register(SsdsCsvReader())

__all__ = ["FLAGS", "SSDS_COLUMNS", "TRUNCATED", "SsdsCsvReader", "decode", "read_ssds",
           "read_ssds_csv"]
