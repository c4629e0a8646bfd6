"""Generic reading of a user's table (CSV or Excel) and row-by-row validation with exact positions.

Why here: the external-statistics layout and the local-data workbook are both tables a person
edits in Excel, and both must report *every* bad cell at once, by file, row (as Excel shows it)
and column. :func:`read_table` finds the header row (after a few title rows), maps header
aliases (Japanese headers → column ids), keeps the row numbers, takes percent-formatted cells as
displayed and lists merged cell ranges; :func:`validate_rows` runs per-column parsers over the
rows and collects :class:`~sckpi_helpers.errors.Problem` objects, duplicates included.

Stage: ``sources`` (3); imports ``errors`` and ``sources.cells`` / ``sources.numbers``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sckpi_helpers.errors import InputFileError, Problem
from sckpi_helpers.sources.cells import decode
from sckpi_helpers.sources.numbers import normalize_text

#: workbook keyword marking the kit's own templates, followed by the city code
PROPS_PREFIX = "sckpi-local-data city_code="


@dataclass(frozen=True)
class Merged:
    """A merged cell range below the header: its Excel reference and the columns it covers."""

    ref: str
    first_row: int
    last_row: int
    columns: tuple[str, ...]


@dataclass
class Table:
    """Rows of a CSV or Excel sheet with the row numbers the user sees."""

    file: str
    columns: list[str]
    rows: list[dict[str, Any]]
    row_numbers: list[int]
    properties: dict[str, str]
    merged: list[Merged] = field(default_factory=list)
    #: column id → the header as written in the file (for messages: 「値」, not ``value``)
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, column: str) -> str:
        """The header the user sees for a column id."""
        return self.labels.get(column, column)


def norm_header(h: Any, aliases: Mapping[str, str] | None = None) -> str:
    """A header cell as a column id: NFKC, lower case, blanks → ``_``, then ``aliases``."""
    key = normalize_text(h).lower().replace(" ", "_")
    if aliases:
        return aliases.get(key, aliases.get(normalize_text(h), key))
    return key


def _pick_sheet(wb: Any, sheet: str | Sequence[str] | None, skip: Sequence[str]) -> Any:
    wanted = [sheet] if isinstance(sheet, str) else list(sheet or [])
    for name in wanted:
        if name in wb.sheetnames:
            return wb[name]
    skipped = {s.lower() for s in skip}
    cand = [n for n in wb.sheetnames if n.lower() not in skipped]
    return wb[cand[0] if cand else wb.sheetnames[0]]


def _read_excel(path: Path, sheet: Any, skip: Sequence[str]) -> tuple[list[tuple[int, list[Any]]],
                                                                      dict[str, str], list[Any]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:  # not a workbook
        raise InputFileError(f"Excel ファイルとして開けません / cannot open as an Excel workbook: {exc}",
                             path) from None
    ws = _pick_sheet(wb, sheet, skip)
    raw_rows = []
    for row in ws.iter_rows():
        vals = []
        for c in row:
            v = c.value
            if isinstance(v, int | float) and not isinstance(v, bool) and "%" in (c.number_format or ""):
                v = v * 100  # a percent-formatted cell: take the number as displayed
            vals.append(v)
        raw_rows.append((row[0].row if row else len(raw_rows) + 1, vals))
    props = {}
    kw = wb.properties.keywords or ""
    if kw.startswith(PROPS_PREFIX):
        props["city_code"] = kw[len(PROPS_PREFIX):].strip()
    merged = list(ws.merged_cells.ranges)
    wb.close()
    return raw_rows, props, merged


def read_table(path: str | Path, required: Sequence[str], sheet: str | Sequence[str] | None = "data",
               max_header_row: int = 30, aliases: Mapping[str, str] | None = None,
               skip_sheets: Sequence[str] = ("README", "説明")) -> Table:
    """Read a CSV (UTF-8 / UTF-8 with BOM / CP932) or Excel file whose header row holds
    ``required`` (column ids, after ``aliases``); the header may follow a few title rows.
    Blank rows are skipped. Excel: the first of ``sheet`` present, else the first sheet not in
    ``skip_sheets``."""
    path = Path(path)
    if not path.exists():
        raise InputFileError("ファイルがありません / file not found", path)
    suffix = path.suffix.lower()
    props: dict[str, str] = {}
    merged_raw: list[Any] = []
    raw_rows: list[tuple[int, list[Any]]] = []
    if suffix in (".xlsx", ".xlsm"):
        raw_rows, props, merged_raw = _read_excel(path, sheet, skip_sheets)
    elif suffix in (".csv", ".txt", ".tsv"):
        text = decode(path.read_bytes(), path)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if suffix == ".tsv" else ",")
        start = 1
        for rec in reader:
            raw_rows.append((start, list(rec)))
            start = reader.line_num + 1
    elif suffix == ".xls":
        raise InputFileError("古い Excel 形式（.xls）です。.xlsx か CSV で保存し直してください / "
                             "old Excel format (.xls): save as .xlsx or CSV", path)
    else:
        raise InputFileError(f"対応していないファイル形式 '{suffix}' です（.xlsx か .csv）/ unsupported "
                             "file type", path)

    want = [norm_header(r, aliases) for r in required]
    header_at = None
    for i, (_, vals) in enumerate(raw_rows[:max_header_row]):
        heads = [norm_header(v, aliases) for v in vals]
        if all(w in heads for w in want):
            header_at = i
            break
    if header_at is None:
        raise InputFileError(
            f"見出し行（列 {', '.join(required)}）が先頭 {max_header_row} 行にありません / no header row "
            f"with the columns {', '.join(required)} in the first {max_header_row} rows", path, row=1)
    header_row, header_vals = raw_rows[header_at]
    header = [norm_header(v, aliases) for v in header_vals]
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            raise InputFileError(f"列 '{h}' が見出しに2回あります / column appears twice in the header",
                                 path, row=header_row, column=h)
        seen.add(h)
    rows, numbers = [], []
    for rownum, vals in raw_rows[header_at + 1:]:
        if all(normalize_text(v) == "" for v in vals):
            continue
        rows.append({h: (vals[j] if j < len(vals) else None) for j, h in enumerate(header) if h})
        numbers.append(rownum)
    merged = [Merged(str(r.coord), r.min_row, r.max_row,
                     tuple(header[c - 1] for c in range(r.min_col, r.max_col + 1)
                           if c - 1 < len(header) and header[c - 1]))
              for r in merged_raw if r.max_row > header_row]
    labels = {h: normalize_text(v) for h, v in zip(header, header_vals, strict=False) if h}
    return Table(str(path), [h for h in header if h], rows, numbers, props, merged, labels)


#: a column's parser: (cell value, the row's values parsed so far) → parsed value; raises
#: ``ValueError`` with the message to show
CellCheck = Callable[[Any, dict[str, Any]], Any]


@dataclass
class Checked:
    """What :func:`validate_rows` found: the good rows (row number, parsed values) and the problems."""

    rows: list[tuple[int, dict[str, Any]]]
    problems: list[Problem]


def validate_rows(table: Table, checks: Mapping[str, CellCheck],
                  key: Callable[[dict[str, Any]], tuple | None] | None = None, key_column: str = "",
                  duplicate: Callable[[tuple, int], str] | None = None) -> Checked:
    """Run ``checks`` (column → parser, in order) over every row of ``table``.

    A parser that raises ``ValueError`` gives a :class:`Problem` naming the file, the row and the
    column; its parsed value is ``None`` for the later parsers of that row, and the row is left out
    of the result. ``key`` (on the parsed values; None = no key) finds duplicate rows: the second
    gets a problem in ``key_column`` saying where the first is (message from ``duplicate``).
    """
    problems: list[Problem] = []
    good: list[tuple[int, dict[str, Any]]] = []
    first_seen: dict[tuple, int] = {}
    for rec, rownum in zip(table.rows, table.row_numbers, strict=True):
        parsed: dict[str, Any] = {}
        bad = False
        for column, check in checks.items():
            try:
                parsed[column] = check(rec.get(column), parsed)
            except ValueError as exc:
                problems.append(Problem(str(exc), table.file, rownum, table.label(column)))
                parsed[column] = None
                bad = True
        k = key(parsed) if key is not None and not bad else None
        if k is not None:
            if k in first_seen:
                msg = (duplicate(k, first_seen[k]) if duplicate else
                       f"同じ内容の行が2つあります（最初は {first_seen[k]} 行目）/ duplicate row "
                       f"(first at row {first_seen[k]})")
                problems.append(Problem(msg, table.file, rownum, table.label(key_column)))
                bad = True
            else:
                first_seen[k] = rownum
        if not bad:
            good.append((rownum, parsed))
    return Checked(good, problems)
