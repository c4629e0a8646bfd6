"""Local data: the templates a city fills (``sckpi template``) and their validated reader.

Local data are the numbers only the city holds — outputs (tier ``output``), outcome tiers 1–2 and
the foundation fields' indicators: operator logs, app analytics, resident surveys, counts from the
city's own departments (GUIDELINE.md, "Local data"). The kit writes a template with one row per
indicator × period of that indicator's cadence; the city fills the ``value`` column (and
``source`` / ``note`` when useful) and hands the file back to ``sckpi ingest --local FILE``.

Layout (Excel sheet ``data`` or a CSV in UTF-8 with BOM), header in the first row::

    indicator_id, name_ja, period, value, unit, source, note

``period`` labels are those of :mod:`sckpi_helpers.periods` (``2025`` = 2025年度, ``2025H1``,
``2025Q3`` = fiscal quarter, ``2025-10`` = a calendar month). An empty ``value`` means "not
reported" and the row is dropped. Full-width digits and thousands separators are accepted.

:func:`read_local` checks the whole file and raises one :class:`~sckpi_helpers.errors.ValidationError`
listing every offending row (file, row as Excel/the editor shows it, column), so the user can fix
everything in one pass. The table helpers here (:func:`read_table`, :func:`parse_number`) are shared
with :mod:`sckpi_helpers.external`.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers import atomic
from sckpi_helpers.config import periods
from sckpi_helpers.sources.cells import decode
from sckpi_helpers.errors import InputFileError, Problem, SckpiError, ValidationError

#: columns of the template's data sheet, in order
TEMPLATE_COLUMNS = ["indicator_id", "name_ja", "period", "value", "unit", "source", "note"]
#: columns of ``read_local``'s frame and of ``data/processed/local.parquet``
LOCAL_COLUMNS = ["area_code", "indicator_id", "period", "value", "unit", "source", "note"]
#: columns a local-data file must have (the others are optional)
REQUIRED_COLUMNS = ["indicator_id", "period", "value"]
DATA_SHEET = "data"
README_SHEET = "README"
_PROPS_PREFIX = "sckpi-local-data city_code="
#: fixed timestamp inside generated workbooks, so the same input gives the same bytes
_FIXED_TIME = datetime(2024, 1, 1)


# ------------------------------------------------------------------ indicator definitions
@dataclass(frozen=True)
class IndicatorSpec:
    """What a template needs to know about one indicator."""

    id: str
    name_ja: str = ""
    unit: str = ""
    cadence: str = "yearly"


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(obj, Mapping):
            if obj.get(n) is not None:
                return obj[n]
        elif getattr(obj, n, None) is not None:
            return getattr(obj, n)
    return default


def _text(v: Any) -> str:
    """Enum-or-string → plain string."""
    if v is None:
        return ""
    return str(getattr(v, "value", v))


def indicator_spec(obj: Any) -> IndicatorSpec:
    """An :class:`IndicatorSpec` from a tuple ``(id, name_ja, unit, cadence)``, a mapping, or any
    object with ``id``/``name_ja``/``unit``/``cadence`` attributes (catalog ``Indicator``,
    logic-model indicator)."""
    if isinstance(obj, IndicatorSpec):
        return obj
    if isinstance(obj, str):
        return IndicatorSpec(obj)
    if isinstance(obj, Sequence):
        parts = [_text(x) for x in obj] + ["", "", "", ""]
        return IndicatorSpec(parts[0], parts[1], parts[2], parts[3] or "yearly")
    ident = _text(_get(obj, "id", "indicator_id"))
    if not ident:
        raise SckpiError(f"indicator definition without an id: {obj!r}")
    return IndicatorSpec(ident, _text(_get(obj, "name_ja", "name", default="")),
                         _text(_get(obj, "unit", default="")),
                         _text(_get(obj, "cadence", "frequency", default="yearly")) or "yearly")


def _specs_by_id(items: Any) -> dict[str, IndicatorSpec]:
    if items is None:
        return {}
    if isinstance(items, Mapping):
        out = {}
        for k, v in items.items():
            s = indicator_spec(v) if not isinstance(v, str) else IndicatorSpec(str(k), unit=v)
            out[str(k)] = IndicatorSpec(str(k), s.name_ja, s.unit, s.cadence)
        return out
    return {s.id: s for s in map(indicator_spec, items)}


def catalog_indicator_specs(catalog: Any) -> dict[str, IndicatorSpec]:
    """Every catalog indicator as an :class:`IndicatorSpec` (empty for ``catalog=None``)."""
    if catalog is None:
        return {}
    return _specs_by_id(getattr(catalog, "indicators", {}) or {})


def logic_model_indicators(model: Any, catalog: Any = None) -> list[IndicatorSpec]:
    """The indicators a logic model asks the city to report as local data, in file order.

    With a :class:`~sckpi_helpers.logic_model.LogicModel` these are its ``local_indicators()``
    (every indicator except the tier-3 catalog ones, which come from statistics). Otherwise walks ``model.measures[*].boxes[*].indicators`` (also tolerating ``model.boxes`` and
    ``model.indicators``); an entry that only names a catalog id takes the catalog's definition,
    an inline definition (the logic model's own local indicator) is used as written.
    """
    cat = catalog_indicator_specs(catalog)
    if callable(getattr(model, "local_indicators", None)):  # sckpi_helpers.logic_model.LogicModel
        specs = []
        for ident, ind in model.local_indicators().items():
            s = indicator_spec(ind) if _get(ind, "id") else IndicatorSpec(str(ident))
            base = cat.get(s.id, IndicatorSpec(s.id))
            specs.append(IndicatorSpec(s.id, s.name_ja or base.name_ja, s.unit or base.unit,
                                       _text(_get(ind, "cadence", default="")) or base.cadence))
        return specs
    found: dict[str, IndicatorSpec] = {}

    def visit_indicator(ind: Any) -> None:
        if isinstance(ind, str):
            ident, inline = ind, None
        else:
            ident = _text(_get(ind, "id", "indicator_id", "indicator", default=""))
            inline = ind
        if not ident or ident in found:
            return
        if ident in cat:
            base = cat[ident]
            if inline is not None:  # inline overrides where given
                s = indicator_spec(inline) if _get(inline, "id", "indicator_id") else base
                base = IndicatorSpec(ident, s.name_ja or base.name_ja, s.unit or base.unit,
                                     _text(_get(inline, "cadence", default="")) or base.cadence)
            found[ident] = base
        elif inline is not None:
            s = indicator_spec(inline) if _get(inline, "id", "indicator_id") else IndicatorSpec(ident)
            found[ident] = IndicatorSpec(ident, s.name_ja, s.unit, s.cadence)
        else:
            found[ident] = IndicatorSpec(ident)

    def as_list(x: Any) -> list:
        if x is None:
            return []
        if isinstance(x, Mapping):
            return list(x.values())
        return list(x)

    def visit_box(box: Any) -> None:
        for ind in as_list(_get(box, "indicators", default=None)):
            visit_indicator(ind)
        ind = _get(box, "indicator", default=None)
        if ind is not None:
            visit_indicator(ind)

    for measure in as_list(_get(model, "measures", default=None)):
        for box in as_list(_get(measure, "boxes", default=None)):
            visit_box(box)
        for ind in as_list(_get(measure, "indicators", default=None)):
            visit_indicator(ind)
    for box in as_list(_get(model, "boxes", default=None)):
        visit_box(box)
    for ind in as_list(_get(model, "indicators", default=None)):
        visit_indicator(ind)
    for ind in as_list(_get(model, "local_indicators", default=None)):
        visit_indicator(ind)
    return list(found.values())


# ------------------------------------------------------------------ periods
def parse_period_spec(spec: Any) -> list[periods.Period]:
    """Periods from a label (``2025``), a range (``2025Q1-2026Q4``, ``2025-04-2026-03``), a
    comma-separated list, a :class:`~sckpi_helpers.periods.Period` or a list of any of these."""
    if spec is None:
        return [periods.period_for(date.today(), "year")]
    if isinstance(spec, periods.Period):
        return [spec]
    if isinstance(spec, int):
        return [periods.fiscal_year(spec)]
    if not isinstance(spec, str):
        out: list[periods.Period] = []
        for s in spec:
            out += parse_period_spec(s)
        return out
    s = spec.strip()
    if "," in s:
        return parse_period_spec([x for x in s.split(",") if x.strip()])
    try:
        return [periods.parse_period(s)]
    except periods.PeriodError:
        pass
    for sep in ("..", "〜", "~", "–", ":", "-"):
        idx = [m.start() for m in re.finditer(re.escape(sep), s)]
        for i in idx:
            a, b = s[:i].strip(), s[i + len(sep):].strip()
            try:
                return periods.period_range(a, b)
            except periods.PeriodError:
                continue
    raise periods.PeriodError(f"period range '{s}' is not LABEL or LABEL-LABEL (e.g. 2025Q1-2026Q4)")


def periods_for_cadence(span: Sequence[periods.Period], cadence: str) -> list[periods.Period]:
    """The periods of a cadence's kind covering ``span`` (e.g. 12 months for ``monthly`` in FY2025).

    ``as_needed`` (適宜) indicators get the periods as given.
    """
    if not span:
        return []
    kind = periods.CADENCE_KIND.get(cadence or "yearly", "year")
    if kind is None:
        return sorted(set(span))
    start = min(p.start for p in span)
    end = max(p.end for p in span)
    return periods.period_range(periods.period_for(start, kind), periods.period_for(end, kind))


# ------------------------------------------------------------------ numbers and units
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def normalize_text(v: Any) -> str:
    """NFKC-normalised, stripped text of a cell (full-width digits → ASCII); '' for empty."""
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    s = unicodedata.normalize("NFKC", str(v))
    return s.replace("\u00a0", " ").strip()


def plain_text(v: Any) -> str:
    """Free text of a cell (source, note) as written, only trimmed."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


def parse_number(v: Any) -> float | None:
    """A cell as a float; ``None`` when empty. Raises ``ValueError`` when not a number.

    Accepts numbers, full-width digits (１２３), thousands separators (``1,234`` / ``１，２３４``),
    the minus signs ``−`` and ``▲`` (Japanese negative mark), and surrounding blanks.
    """
    if v is None or isinstance(v, bool):
        if isinstance(v, bool):
            raise ValueError(f"'{v}' is not a number")
        return None
    if isinstance(v, int | float):
        f = float(v)
        return None if math.isnan(f) else f
    s = normalize_text(v)
    if not s:
        return None
    s = s.replace("\u2212", "-").replace("▲", "-").replace("△", "-").replace(" ", "")
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if not _PLAIN.match(s):
        raise ValueError(f"'{v}' is not a number")
    return float(s)


def normalize_unit(u: Any) -> str:
    """Unit for comparison: NFKC (％ → %), no blanks."""
    return re.sub(r"\s+", "", normalize_text(u))


def period_label(v: Any) -> str:
    """A period cell as text: Excel may hand a year as 2025 / 2025.0 or a month as a date."""
    if isinstance(v, datetime | date):
        return f"{v.year}-{v.month:02d}"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return normalize_text(v)


# ------------------------------------------------------------------ reading tables
@dataclass
class Table:
    """Rows of a CSV or Excel sheet with the row numbers the user sees."""

    file: str
    columns: list[str]
    rows: list[dict[str, Any]]
    row_numbers: list[int]
    properties: dict[str, str]


def _norm_header(h: Any) -> str:
    return normalize_text(h).lower().replace(" ", "_")


def read_table(path: str | Path, required: Sequence[str], sheet: str | None = DATA_SHEET,
               max_header_row: int = 30) -> Table:
    """Read a CSV (UTF-8 / UTF-8 with BOM / CP932) or Excel file whose header row holds
    ``required``; the header may follow a few title rows. Blank rows are skipped."""
    path = Path(path)
    if not path.exists():
        raise InputFileError("file not found", path)
    suffix = path.suffix.lower()
    props: dict[str, str] = {}
    raw_rows: list[tuple[int, list[Any]]] = []
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, data_only=True)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:  # not a workbook
            raise InputFileError(f"cannot open as an Excel workbook: {exc}", path) from None
        names = wb.sheetnames
        if sheet and sheet in names:
            ws = wb[sheet]
        else:
            cand = [n for n in names if n.lower() != README_SHEET.lower()]
            ws = wb[cand[0] if cand else names[0]]
        for row in ws.iter_rows():
            vals = []
            for c in row:
                v = c.value
                if isinstance(v, int | float) and not isinstance(v, bool) and "%" in (c.number_format or ""):
                    v = v * 100  # a percent-formatted cell: take the number as displayed
                vals.append(v)
            raw_rows.append((row[0].row if row else len(raw_rows) + 1, vals))
        kw = wb.properties.keywords or ""
        if kw.startswith(_PROPS_PREFIX):
            props["city_code"] = kw[len(_PROPS_PREFIX):].strip()
        wb.close()
    elif suffix in (".csv", ".txt", ".tsv"):
        text = decode(path.read_bytes(), path)
        delim = "\t" if suffix == ".tsv" else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        start = 1
        for rec in reader:
            raw_rows.append((start, list(rec)))
            start = reader.line_num + 1
    elif suffix == ".xls":
        raise InputFileError("old Excel format (.xls): save the file as .xlsx or CSV", path)
    else:
        raise InputFileError(f"unsupported file type '{suffix}' (use .xlsx or .csv)", path)

    want = [_norm_header(r) for r in required]
    header_at = None
    for i, (_, vals) in enumerate(raw_rows[:max_header_row]):
        heads = [_norm_header(v) for v in vals]
        if all(w in heads for w in want):
            header_at = i
            break
    if header_at is None:
        raise InputFileError(
            f"no header row with the columns {', '.join(required)} in the first {max_header_row} rows",
            path, row=1)
    header = [_norm_header(v) for v in raw_rows[header_at][1]]
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            raise InputFileError(f"column '{h}' appears twice in the header", path,
                                 row=raw_rows[header_at][0], column=h)
        seen.add(h)
    rows, numbers = [], []
    for rownum, vals in raw_rows[header_at + 1:]:
        if all(normalize_text(v) == "" for v in vals):
            continue
        rec = {h: (vals[j] if j < len(vals) else None) for j, h in enumerate(header) if h}
        rows.append(rec)
        numbers.append(rownum)
    return Table(str(path), [h for h in header if h], rows, numbers, props)


# ------------------------------------------------------------------ writing templates
def _template_rows(city_code: str, indicators: Iterable[Any], periods_spec: Any,
                   values: pd.DataFrame | None) -> list[dict[str, Any]]:
    specs = [indicator_spec(i) for i in indicators]
    span = parse_period_spec(periods_spec)
    given: dict[tuple[str, str], dict[str, Any]] = {}
    if values is not None and len(values):
        v = values
        if "area_code" in v.columns:
            v = v[v["area_code"].astype(str) == str(city_code)]
        for rec in v.to_dict("records"):
            key = (str(rec["indicator_id"]), periods.parse_period(rec["period"]).label)
            given[key] = rec
    rows: list[dict[str, Any]] = []
    done: set[tuple[str, str]] = set()
    by_id = {s.id: s for s in specs}
    for s in specs:
        for p in periods_for_cadence(span, s.cadence):
            key = (s.id, p.label)
            done.add(key)
            rows.append(_row(s, p.label, given.get(key)))
    # values outside the grid (other periods of a listed indicator, or unlisted indicators)
    extra = sorted((k for k in given if k not in done),
                   key=lambda k: (k[0] not in by_id, k[0], periods.parse_period(k[1])))
    for key in extra:
        s = by_id.get(key[0]) or IndicatorSpec(key[0], "", _text(given[key].get("unit", "")))
        rows.append(_row(s, key[1], given[key]))
    # keep the indicator order of the list, periods in time order
    order = {s.id: i for i, s in enumerate(specs)}
    rows.sort(key=lambda r: (order.get(r["indicator_id"], len(order)), r["indicator_id"],
                             periods.parse_period(r["period"])))
    return rows


def _clean(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def _row(s: IndicatorSpec, label: str, rec: Mapping[str, Any] | None) -> dict[str, Any]:
    rec = rec or {}
    value = _clean(rec.get("value"))
    if value is not None:
        value = float(value)
        if value.is_integer() and abs(value) < 1e15:
            value = int(value)
    return {"indicator_id": s.id, "name_ja": s.name_ja, "period": label, "value": value,
            "unit": s.unit or _text(_clean(rec.get("unit"))), "source": _clean(rec.get("source")),
            "note": _clean(rec.get("note"))}


README_LINES = [
    ("sckpi ローカルデータ入力シート / local-data template", ""),
    ("団体コード / city code", "{city_code}"),
    ("", ""),
    ("列 / column", "説明 / meaning"),
    ("indicator_id", "指標ID（変更しないでください）/ indicator id from the catalog or the logic model — do not edit"),
    ("name_ja", "指標名（参考）/ indicator name, for reference only"),
    ("period", "期間ラベル / period label (see below) — one row per indicator × period"),
    ("value", ("実績値を入力。空欄は「未報告」として扱います。全角数字・桁区切り（1,234）可 / "
              "the value; leave empty when not reported; full-width digits and 1,234 are fine")),
    ("unit", "単位（指標の定義と一致すること）/ unit, must match the indicator's definition"),
    ("source", "出典（例：○○課 利用実績ログ、住民アンケート）/ where the number comes from"),
    ("note", "備考（任意）/ any remark (optional)"),
    ("", ""),
    ("期間ラベル / period labels", ""),
    ("2025", "2025年度（2025年4月〜2026年3月）/ fiscal year 2025 (Apr 2025 – Mar 2026)"),
    ("2025H1, 2025H2", "2025年度上期（4〜9月）・下期（10〜3月）/ fiscal halves"),
    ("2025Q1 … 2025Q4", "2025年度第1〜第4四半期（Q1 = 4〜6月, Q4 = 翌年1〜3月）/ fiscal quarters"),
    ("2025-10", "2025年10月 / a calendar month"),
    ("", ""),
    ("注意 / notes", ("行の追加・削除は自由です。同じ指標・期間の行は1つだけにしてください。"
                    " Rows may be added or removed; keep one row per indicator and period.")),
    ("", ("読み込み：sckpi ingest --source demo --local このファイル / read with "
         "'sckpi ingest --local THIS_FILE'; every problem is listed with its row and column.")),
]


def _normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and order so identical content gives identical bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2024-01-01T00:00:00Z\g<2>", data)
            dst.writestr(zi, data)
    return out.getvalue()


def _xlsx_bytes(city_code: str, rows: list[dict[str, Any]]) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append(TEMPLATE_COLUMNS)
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    ref_fill = PatternFill("solid", fgColor="F2F2F2")
    input_fill = PatternFill("solid", fgColor="FFF9DB")
    for c in ws[1]:
        c.font, c.fill = bold, head_fill
    for r in rows:
        ws.append([r[c] for c in TEMPLATE_COLUMNS])
    for row in ws.iter_rows(min_row=2):
        row[2].number_format = "@"  # period stays text (2025-10 must not become a date)
        for i in (1, 4):
            row[i].fill = ref_fill
        row[3].fill = input_fill
    widths = [30, 36, 10, 14, 10, 30, 30]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:G{len(rows) + 1}"

    rd = wb.create_sheet(README_SHEET)
    for a, b in README_LINES:
        rd.append([a, b.format(city_code=city_code)])
    rd["A1"].font = Font(bold=True, size=13)
    for cell in ("A4", "B4", "A13"):
        rd[cell].font = bold
    rd.column_dimensions["A"].width = 28
    rd.column_dimensions["B"].width = 110
    for row in rd.iter_rows():
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")

    wb.properties.title = f"sckpi local data {city_code}"
    wb.properties.keywords = f"{_PROPS_PREFIX}{city_code}"
    wb.properties.creator = "sckpi"
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _normalize_zip(buf.getvalue())


def _csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(TEMPLATE_COLUMNS)
    for r in rows:
        w.writerow(["" if r[c] is None else r[c] for c in TEMPLATE_COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def write_template(path: str | Path, city_code: str, indicators: Iterable[Any], periods: Any,
                   values: pd.DataFrame | None = None) -> Path:
    """Write a local-data template (``.xlsx`` or ``.csv``) atomically; return its path.

    ``indicators``: ``(id, name_ja, unit, cadence)`` tuples or catalog / logic-model indicator
    objects. ``periods``: a label, a range such as ``2025Q1-2026Q4``, or a list; each indicator
    gets the periods of its cadence covering that span (monthly → months, yearly → fiscal years,
    as_needed → the periods as given). ``values`` (``indicator_id, period, value`` and optionally
    ``unit, source, note, area_code``) pre-fills the value column.
    """
    path = Path(path)
    rows = _template_rows(str(city_code), indicators, periods, values)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = _xlsx_bytes(str(city_code), rows)
    elif suffix == ".csv":
        data = _csv_bytes(rows)
    else:
        raise InputFileError(f"template must be .xlsx or .csv, not '{suffix or path.name}'", path)
    return atomic.atomic_write_bytes(path, data)


# ------------------------------------------------------------------ reading local data
def read_local(path: str | Path, catalog: Any, city_code: str | None = None,
               extra_indicators: Any = None) -> pd.DataFrame:
    """Read and validate a local-data file → ``area_code, indicator_id, period, value, unit,
    source, note`` (period = canonical label, value float, empty values dropped).

    ``extra_indicators``: definitions beyond the catalog (the logic model's inline local
    indicators), as accepted by :func:`write_template` or a mapping id → definition.
    ``city_code`` defaults to the one recorded in the workbook (or an ``area_code`` column).
    Raises :class:`ValidationError` listing every offending row.
    """
    path = Path(path)
    table = read_table(path, REQUIRED_COLUMNS)
    known = catalog_indicator_specs(catalog)
    known.update(_specs_by_id(extra_indicators))
    file = str(path)
    problems: list[Problem] = []
    default_area = (str(city_code) if city_code else None) or table.properties.get("city_code")
    has_area_col = "area_code" in table.columns
    if not default_area and not has_area_col:
        raise InputFileError("no city code: pass city_code (sckpi ingest --city) or add an 'area_code' "
                             "column", path)
    out: list[dict[str, Any]] = []
    first_seen: dict[tuple[str, str, str], int] = {}
    for rec, rownum in zip(table.rows, table.row_numbers, strict=True):
        bad = False
        ind = normalize_text(rec.get("indicator_id"))
        spec = known.get(ind)
        if not ind:
            problems.append(Problem("indicator_id is empty", file, rownum, "indicator_id"))
            bad = True
        elif spec is None:
            problems.append(Problem(f"unknown indicator id '{ind}' (not in the catalog nor the logic "
                                    "model)", file, rownum, "indicator_id"))
            bad = True
        area = default_area
        if has_area_col and normalize_text(rec.get("area_code")):
            area = normalize_text(rec.get("area_code"))
            if area.isdigit() and len(area) == 4:
                area = "0" + area
            if not (len(area) == 5 and area.isdigit()):
                problems.append(Problem(f"area code '{area}' is not a 5-digit 標準地域コード", file,
                                        rownum, "area_code"))
                bad = True
        plabel = period_label(rec.get("period"))
        period_ok = False
        try:
            plabel = periods.parse_period(plabel).label
            period_ok = True
        except periods.PeriodError:
            problems.append(Problem(
                f"bad period label '{plabel}' (use 2025, 2025H1, 2025Q3 or 2025-10)" if plabel
                else "period is empty", file, rownum, "period"))
            bad = True
        unit = normalize_text(rec.get("unit"))
        if spec is not None and spec.unit and unit and normalize_unit(unit) != normalize_unit(spec.unit):
            problems.append(Problem(f"unit '{unit}' does not match the definition of '{ind}' "
                                    f"('{spec.unit}')", file, rownum, "unit"))
            bad = True
        raw_value = rec.get("value")
        try:
            value = parse_number(raw_value)
        except ValueError:
            problems.append(Problem(f"value '{normalize_text(raw_value)}' is not a number (leave it "
                                    "empty when not reported)", file, rownum, "value"))
            bad = True
            value = None
        if ind and period_ok and normalize_text(raw_value):
            key = (area or "", ind, plabel)
            if key in first_seen:
                problems.append(Problem(f"duplicate row for indicator '{ind}' and period '{plabel}' "
                                        f"(first at row {first_seen[key]})", file, rownum, "period"))
                bad = True
            else:
                first_seen[key] = rownum
        if bad or value is None:
            continue
        source = plain_text(rec.get("source")) or f"local: {path.name}"
        note = plain_text(rec.get("note")) or None
        out.append({"area_code": area, "indicator_id": ind, "period": plabel, "value": value,
                    "unit": unit or (spec.unit if spec else ""), "source": source, "note": note})
    if problems:
        raise ValidationError(problems, title=f"local data {path.name}: fix these rows")
    return local_frame(out)


def local_frame(records: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None) -> pd.DataFrame:
    """A frame with :data:`LOCAL_COLUMNS` and their dtypes (empty when no records)."""
    df = pd.DataFrame(records if records is not None else [])
    for c in LOCAL_COLUMNS:
        if c not in df.columns:
            df[c] = pd.Series(dtype="float64" if c == "value" else "object")
    df = df[LOCAL_COLUMNS].copy()
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    for c in ("area_code", "indicator_id", "period", "unit", "source"):
        df[c] = df[c].astype(str) if len(df) else df[c].astype(object)
    df["note"] = df["note"].astype(object).where(df["note"].notna(), None)
    return df.reset_index(drop=True)


# ------------------------------------------------------------------ CLI
def _fallback_indicators(catalog: Any) -> list[IndicatorSpec]:
    """Catalog indicators kept as local data, tiers output/outcome1/outcome2."""
    out = []
    for ind in (getattr(catalog, "indicators", {}) or {}).values():
        tier = _text(getattr(ind, "tier", ""))
        avail = _text(getattr(ind, "availability", ""))
        if tier in ("output", "outcome1", "outcome2") and avail in ("local", ""):
            out.append(indicator_spec(ind))
    return out


def template_indicators(settings: Any, catalog: Any, logic_model_path: str | Path | None = None
                        ) -> tuple[list[IndicatorSpec], str]:
    """Indicators for a city's template and where they came from (logic model or catalog)."""
    lm_path = Path(logic_model_path) if logic_model_path else settings.resolve(settings.logic_model)
    if lm_path is not None:
        if not lm_path.exists():
            raise InputFileError("logic model not found", lm_path)
        from sckpi_helpers.checks.logic_model import load_logic_model

        model = load_logic_model(lm_path, catalog)
        specs = logic_model_indicators(model, catalog)
        if specs:
            return specs, f"logic model {lm_path}"
    return _fallback_indicators(catalog), "catalog (local indicators, tiers output/outcome1/outcome2)"


def cli_template(args: argparse.Namespace) -> int:
    """Handler of ``sckpi template --city CODE --out FILE [--logic-model F] [--periods P]``."""
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.config.settings import find_settings

    settings = find_settings(args.city)
    catalog = load_catalog(extra=[settings.resolve(p) for p in settings.catalog_extensions])
    specs, origin = template_indicators(settings, catalog, getattr(args, "logic_model", None))
    if not specs:
        raise SckpiError("no indicators for the template (empty logic model and catalog)")
    span = parse_period_spec(args.periods) if getattr(args, "periods", None) else parse_period_spec(None)
    out = write_template(args.out, args.city, specs, span)
    nrows = sum(len(periods_for_cadence(span, s.cadence)) for s in specs)
    first, last = min(span), max(span)
    print(f"wrote {out}: {len(specs)} indicators from {origin}, periods {first.label}"
          f"{'' if first == last else '–' + last.label}, {nrows} rows to fill")
    return 0
