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
one :class:`~sckpi_helpers.errors.ValidationError` listing every offending row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.sources.cells import ALL_MARKS, canonical_mark
from sckpi_helpers.errors import Problem, SckpiError, ValidationError
from sckpi_helpers.sources.numbers import normalize_text, normalize_unit, parse_number, plain_text
from sckpi_helpers.sources.tables import read_table

#: columns of ``data/processed/panel.parquet`` (DESIGN.md)
PANEL_COLUMNS = ["area_code", "area_name", "year", "variable", "value", "unit", "source",
                 "annotation", "published"]
#: columns of the external-statistics layout
EXTERNAL_COLUMNS = ["area_code", "year", "variable", "value", "unit", "source", "published", "note"]
REQUIRED_COLUMNS = ["area_code", "year", "variable", "value", "unit", "source"]
#: publishers' marks for "no number" (after NFKC: … → ...)
SPECIAL_MARKS = ALL_MARKS
SOURCE_PREFIX = "external: "

_ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925, "S": 1925}
_RE_YEAR = re.compile(r"^(?:FY)?(\d{4})(?:年度?|年|FY)?$", re.IGNORECASE)
_RE_ERA = re.compile(r"^(令和|平成|昭和|R|H|S)(\d{1,2}|元)(?:年度?)?$", re.IGNORECASE)


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


def parse_year(v: Any) -> int:
    """``2023``, ``2023年``, ``2023年度``, ``FY2023``, ``令和5年(度)``, ``R5``, ``H27`` → int."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        if float(v).is_integer() and 1900 <= v <= 2100:
            return int(v)
        raise ValueError(f"year '{v}' is not a 4-digit year")
    s = normalize_text(v).replace(" ", "")
    if m := _RE_YEAR.match(s):
        y = int(m[1])
    elif m := _RE_ERA.match(s):
        y = _ERAS[m[1].upper() if len(m[1]) == 1 else m[1]] + (1 if m[2] == "元" else int(m[2]))
    else:
        raise ValueError(f"year '{s}' is not a year (2023, 2023年度, 令和5年)")
    if not 1900 <= y <= 2100:
        raise ValueError(f"year '{s}' is out of range")
    return y


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


def _lg_check_digit(code5: str) -> int:
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def normalize_area_code(v: Any) -> str:
    """A 5-digit 標準地域コード from 5 digits, 4 digits (Excel dropped the leading zero) or the
    6-digit 全国地方公共団体コード (check digit verified via ``areas.from_lg_code``)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = normalize_text(v).replace(" ", "")
    if s.isdigit() and len(s) == 4:
        s = "0" + s
    if s.isdigit() and len(s) == 5:
        return s
    if s.isdigit() and len(s) == 6:
        try:
            from sckpi_helpers.sources.areas import from_lg_code
        except ImportError:  # pragma: no cover - areas is part of the kit
            from_lg_code = None
        if from_lg_code is not None:
            try:
                return str(from_lg_code(s))
            except (ValueError, SckpiError) as exc:
                raise ValueError(f"6-digit code '{s}': {exc}") from None
        if _lg_check_digit(s[:5]) != int(s[5]):  # pragma: no cover
            raise ValueError(f"6-digit code '{s}' has a wrong check digit")
        return s[:5]
    raise ValueError(f"area code '{s}' is not a 5-digit 標準地域コード or a 6-digit 全国地方公共団体コード")


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
    :class:`ValidationError` listing them all. Empty values are dropped; special marks
    (``-``, ``…``, ``x``, ``X``, ``***``) become NaN with the mark as annotation.
    """
    path = Path(path)
    table = read_table(path, REQUIRED_COLUMNS, sheet="data")
    units = _catalog_units(catalog)
    file = str(path)
    problems: list[Problem] = []
    out: list[dict[str, Any]] = []
    first_seen: dict[tuple[str, int, str], int] = {}
    for rec, rownum in zip(table.rows, table.row_numbers, strict=True):
        bad = False
        try:
            area = normalize_area_code(rec.get("area_code"))
        except ValueError as exc:
            problems.append(Problem(str(exc), file, rownum, "area_code"))
            area, bad = None, True
        try:
            year = parse_year(rec.get("year"))
        except ValueError as exc:
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
        if bad or (value is None and mark is None):
            continue
        note = plain_text(rec.get("note")) or None
        annotation = "; ".join(x for x in (mark, note) if x) or None
        out.append({"area_code": area, "area_name": plain_text(rec.get("area_name")) or None,
                    "year": year, "variable": var, "value": value, "unit": unit or want,
                    "source": SOURCE_PREFIX + source, "annotation": annotation,
                    "published": published})
    if problems:
        raise ValidationError(problems, title=f"external statistics {path.name}: fix these rows")
    return panel_frame(out)
