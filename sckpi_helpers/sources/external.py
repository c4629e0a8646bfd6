"""External statistics: government numbers published outside e-Stat, in one documented layout.

Several inputs of the tier-3 indicators are not in e-Stat's municipal series, or stop there in the
late 2000s (GUIDELINE.md, Caution): prefectural police publish 市区町村別刑法犯認知件数 and traffic
accidents, MHLW the municipal life tables (市区町村別生命表), election commissions the turnout,
prefectures the 観光入込客数, 環境省 the municipal CO2 estimates (自治体排出量カルテ) and waste
statistics (一般廃棄物処理実態調査). A city (or the kit's demo) copies such numbers into one table:

=========== ===================================================================================
column      meaning
=========== ===================================================================================
area_code   5-digit 標準地域コード, or the 6-digit 全国地方公共団体コード (check digit verified)
year        year as the publisher states it (``2023``, ``2023年``, ``2023年度``, ``令和5年``)
variable    a catalog input id (``crimes_recognised``, ``traffic_accidents``, ``turnout`` …)
value       number; full-width digits and thousands separators are fine; ``-``, ``…``, ``x``,
            ``X``, ``***`` are the publisher's marks → missing value, mark kept as annotation
unit        must match the catalog input's unit (empty → the catalog's)
source      publisher and table, e.g. ``サンプル県警察 市区町村別刑法犯認知件数``
published   publication date (``2025-03-31``, ``2025/3/31``, ``2025-03``); may be empty
note        optional remark, kept as annotation
area_name   optional
=========== ===================================================================================

:func:`read_external` returns the panel format of ``data/processed/panel.parquet`` and raises
one :class:`~sckpi_helpers.errors.ValidationError` listing every offending row. The layout is a
registered source format (:class:`ExternalReader`, kind ``external``), so ``sckpi ingest --input
FOLDER`` recognises such files by their header; rows it leaves out (empty values, areas the build
does not know) are reported per file, never dropped silently.

Stage: ``sources`` — imports ``errors``, ``config`` and other ``sources`` modules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.config.periods import PeriodError, parse_year
from sckpi_helpers.errors import Problem, ValidationError
from sckpi_helpers.sources.areas import AreaCodeError, normalize_area_code
from sckpi_helpers.sources.base import PANEL_COLUMNS, Ignored, Reader, ReadResult, head_rows, register
from sckpi_helpers.sources.cells import ALL_MARKS, canonical_mark
from sckpi_helpers.sources.numbers import normalize_text, normalize_unit, parse_number, plain_text
from sckpi_helpers.sources.tables import read_table

#: columns of the external-statistics layout
EXTERNAL_COLUMNS = ["area_code", "year", "variable", "value", "unit", "source", "published", "note"]
REQUIRED_COLUMNS = ["area_code", "year", "variable", "value", "unit", "source"]
#: publishers' marks for "no number" (after NFKC: … → ...)
SPECIAL_MARKS = ALL_MARKS
SOURCE_PREFIX = "external: "


def panel_frame(records: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None) -> pd.DataFrame:
    """A frame with :data:`PANEL_COLUMNS` and the panel dtypes (str, int year, float value)."""
    df = pd.DataFrame(records if records is not None else [])
    for c in PANEL_COLUMNS:
        if c not in df.columns:
            df[c] = None
    df = df[PANEL_COLUMNS].copy()
    df["year"] = pd.to_numeric(df["year"], errors="coerce").astype("int64") if len(df) else \
        df["year"].astype("int64")
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    for c in ("area_code", "variable", "unit", "source"):
        df[c] = df[c].astype(str) if len(df) else df[c].astype(object)
    for c in ("area_name", "annotation", "published"):
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df.reset_index(drop=True)


def parse_published(v: Any) -> str | None:
    """Publication date → ISO (``YYYY-MM-DD`` or ``YYYY-MM``); None when empty."""
    if v is None:
        return None
    if isinstance(v, datetime | date):
        return v.strftime("%Y-%m-%d")
    s = normalize_text(v)
    if not s:
        return None
    m = re.match(r"^(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?$", s)
    if not m:
        raise ValueError(f"published '{s}' is not a date (2025-03-31, 2025/3/31 or 2025-03)")
    y, mo = int(m[1]), int(m[2])
    if m[3]:
        return date(y, mo, int(m[3])).isoformat()
    if not 1 <= mo <= 12:
        raise ValueError(f"published '{s}': month must be 1–12")
    return f"{y:04d}-{mo:02d}"


def _catalog_units(catalog: Any) -> dict[str, str]:
    inputs = getattr(catalog, "inputs", None) or {}
    out = {}
    for k, v in inputs.items():
        unit = v.get("unit") if isinstance(v, Mapping) else getattr(v, "unit", "")
        out[str(k)] = str(getattr(unit, "value", unit) or "")
    return out


def read_external(path: str | Path, catalog: Any) -> pd.DataFrame:
    """Read and validate an external-statistics file (CSV or Excel) → panel format.

    Checks every row: unknown variable (not a catalog input id), unit mismatch with the catalog
    input, bad area code (5 digits, or 6 with a valid check digit), bad year, non-numeric value,
    bad publication date, duplicate (area_code, year, variable). Raises one
    :class:`ValidationError` listing them all. Empty values are left out (see
    :func:`read_external_result` for the list); special marks (``-``, ``…``, ``x``, ``X``,
    ``***``) become NaN with the mark as annotation.
    """
    return read_external_result(path, catalog).frame


def read_external_result(path: str | Path, catalog: Any,
                         known_areas: Iterable[str] | None = None) -> ReadResult:
    """:func:`read_external` with what was left out: rows with an empty value and, when
    ``known_areas`` is given, rows whose area code is not one of them (a mistyped code must not
    become a new area)."""
    path = Path(path)
    table = read_table(path, REQUIRED_COLUMNS, sheet="data")
    units = _catalog_units(catalog)
    file = str(path)
    problems: list[Problem] = []
    left_out: dict[tuple[str, str], list[int]] = {}
    known = set(known_areas) if known_areas is not None else None
    out: list[dict[str, Any]] = []
    first_seen: dict[tuple[str, int, str], int] = {}
    for rec, rownum in zip(table.rows, table.row_numbers, strict=True):
        bad = False
        try:
            area = normalize_area_code(rec.get("area_code"))
        except AreaCodeError as exc:
            problems.append(Problem(str(exc), file, rownum, "area_code"))
            area, bad = None, True
        try:
            year = parse_year(rec.get("year"))
        except PeriodError as exc:
            problems.append(Problem(str(exc), file, rownum, "year"))
            year, bad = None, True
        var = normalize_text(rec.get("variable"))
        if not var:
            problems.append(Problem("variable is empty", file, rownum, "variable"))
            bad = True
        elif var not in units:
            problems.append(Problem(f"unknown variable '{var}' (not a catalog input id)", file, rownum,
                                    "variable"))
            bad = True
        unit = normalize_text(rec.get("unit"))
        want = units.get(var, "")
        if var in units and unit and want and normalize_unit(unit) != normalize_unit(want):
            problems.append(Problem(f"unit '{unit}' does not match the catalog input '{var}' ('{want}')",
                                    file, rownum, "unit"))
            bad = True
        raw = rec.get("value")
        text = normalize_text(raw)
        value: float | None = None
        if (mark := canonical_mark(raw) or canonical_mark(text)) is not None:
            value = float("nan")
        else:
            try:
                value = parse_number(raw)
            except ValueError:
                problems.append(Problem(f"value '{text}' is not a number (or one of the marks "
                                        "-, …, x, X, ***)", file, rownum, "value"))
                bad = True
        source = plain_text(rec.get("source"))
        if not source:
            problems.append(Problem("source is empty (name the publisher and table)", file, rownum,
                                    "source"))
            bad = True
        try:
            published = parse_published(rec.get("published"))
        except ValueError as exc:
            problems.append(Problem(str(exc), file, rownum, "published"))
            bad = True
        if area and year is not None and var and text:
            key = (area, year, var)
            if key in first_seen:
                problems.append(Problem(f"duplicate row for {area} {year} '{var}' (first at row "
                                        f"{first_seen[key]})", file, rownum, "variable"))
                bad = True
            else:
                first_seen[key] = rownum
        if bad:
            continue
        if value is None and mark is None:
            left_out.setdefault(("value", "値が空欄のため使いません (empty value)"), []).append(rownum)
            continue
        if known is not None and area not in known:
            reason = (f"地域コード {area} は地域一覧にないため使いません (unknown area code: mistyped, "
                      "or an area outside this build)")
            left_out.setdefault(("area_code", reason), []).append(rownum)
            continue
        note = plain_text(rec.get("note")) or None
        annotation = "; ".join(x for x in (mark, note) if x) or None
        out.append({"area_code": area, "area_name": plain_text(rec.get("area_name")) or None,
                    "year": year, "variable": var, "value": value, "unit": unit or want,
                    "source": SOURCE_PREFIX + source, "annotation": annotation,
                    "published": published})
    if problems:
        raise ValidationError(problems, title=f"external statistics {path.name}: fix these rows")
    ignored = [Ignored(file, reason if len(rows) == 1 else f"{reason} — {_rows_text(rows)}",
                       rows[0] if len(rows) == 1 else None, column, len(rows))
               for (column, reason), rows in left_out.items()]
    return ReadResult(ExternalReader.kind, "panel", panel_frame(out), ignored, file)


def _rows_text(rows: list[int], shown: int = 8) -> str:
    """``[3, 4, 9]`` → ``3, 4, 9行目``; long lists end with ``…``."""
    return ", ".join(map(str, rows[:shown])) + (" …" if len(rows) > shown else "") + "行目"


def header_cells(path: Path, head: bytes) -> list[set[str]]:
    """The first rows' cells (NFKC, lower case) of a CSV or of an Excel workbook's first sheets."""
    suffix = path.suffix.lower()
    rows: list[list[Any]] = []
    if suffix == ".csv":
        rows = head_rows(head, 10)
    elif suffix in (".xlsx", ".xlsm"):
        try:
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - not a workbook openpyxl can open
            return []
        try:
            sheets = [wb["data"]] if "data" in wb.sheetnames else wb.worksheets[:1]
            for ws in sheets:
                rows += [list(r) for r in ws.iter_rows(max_row=10, values_only=True)]
        finally:
            wb.close()
    return [{normalize_text(c).lower() for c in r if c is not None} for r in rows]


class ExternalReader(Reader):
    """The external-statistics layout: a header row with every :data:`REQUIRED_COLUMNS` column."""

    kind = "external"
    title_ja = "外部統計（共通様式）"
    target = "panel"

    def recognise(self, path: Path, head: bytes) -> bool:
        return any(set(REQUIRED_COLUMNS) <= cells for cells in header_cells(Path(path), head))

    def read(self, path: Path, **context: Any) -> ReadResult:
        return read_external_result(path, context.get("catalog"), context.get("known_areas"))


register(ExternalReader())
