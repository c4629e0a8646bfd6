"""The local-data workbook: reading and validating the numbers only the city holds.

Local data are outputs (tier ``output``), outcome tiers 1–2 and the foundation fields' indicators:
operator logs, app analytics, resident surveys, counts from the city's own departments
(docs/GUIDELINE.md, "Local data"). ``sckpi template`` / ``sckpi init`` write the workbook
(:mod:`sckpi_helpers.checks.template`); a clerk fills the 値 column and ``sckpi ingest`` reads it
back through :class:`LocalWorkbookReader` (kind ``local-workbook``, target ``local``).

Layout (sheet ``データ``, or ``data`` in older files, or a CSV), header in one row — Japanese
headers or the column ids of earlier versions::

    指標ID indicator_id | 指標名 name_ja | 定義 definition | 期間 period | 値 value | 単位 unit |
    担当課 department | 出典 source | 備考 note | (団体コード area_code)

Rules (issue #10): periods are read by :func:`sckpi_helpers.config.periods.read_period` (年度,
令和, quarters …; an Excel *date* becomes the period of the indicator's cadence that holds it) and
must be of the indicator's cadence; numbers by :func:`sckpi_helpers.sources.numbers.parse_number`
and must lie in the unit's plausible range (counts ≥ 0, % within 0–100); merged cells are
refused; rows whose 指標ID starts with 記入例 are the template's example and are skipped; an
empty 値 means "not reported". Every problem is listed at once (file, row, column, what to do).

Stage: ``sources`` (3); imports ``errors``, ``config.periods`` and ``sources.*``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.config import periods
from sckpi_helpers.config.codes import AreaCodeError, normalize_area_code
from sckpi_helpers.errors import InputFileError, Problem, SckpiError, ValidationError
from sckpi_helpers.sources.base import LOCAL_COLUMNS, Ignored, Reader, ReadResult, head_rows, register
from sckpi_helpers.sources.numbers import (
    normalize_text,
    normalize_unit,
    parse_number,
    plain_text,
    range_problem,
)
from sckpi_helpers.sources.tables import PROPS_PREFIX, Table, read_table, validate_rows

#: column ids of the template's data sheet, in order, with the Japanese header a clerk sees
HEADERS_JA: dict[str, str] = {
    "indicator_id": "指標ID", "name_ja": "指標名", "definition": "定義", "period": "期間", "value": "値",
    "unit": "単位", "department": "担当課", "source": "出典", "note": "備考"}
TEMPLATE_COLUMNS = list(HEADERS_JA)
#: headers the reader accepts for each column id (besides the id itself)
ALIASES: dict[str, str] = {
    **{ja: k for k, ja in HEADERS_JA.items()},
    "実績値": "value", "数値": "value", "期間ラベル": "period", "指標": "indicator_id",
    "団体コード": "area_code", "地域コード": "area_code", "市区町村コード": "area_code"}
REQUIRED_COLUMNS = ["indicator_id", "period", "value"]
DATA_SHEET = "データ"
INSTRUCTIONS_SHEET = "説明"
#: how the template marks its example row; the reader skips rows whose 指標ID starts with it
EXAMPLE_MARK = "記入例"
_KIND_JA = {"year": "年度", "half": "半期", "quarter": "四半期", "month": "月"}


# ------------------------------------------------------------------ indicator definitions
@dataclass(frozen=True)
class IndicatorSpec:
    """What the template and the reader need to know about one indicator."""

    id: str
    name_ja: str = ""
    unit: str = ""
    cadence: str = "yearly"
    definition: str = ""
    source: str = ""


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        v = obj.get(n) if isinstance(obj, Mapping) else getattr(obj, n, None)
        if v is not None:
            return v
    return default


def text_of(v: Any) -> str:
    """Enum-or-string → plain string ('' for None)."""
    return "" if v is None else str(getattr(v, "value", v))


def indicator_spec(obj: Any) -> IndicatorSpec:
    """An :class:`IndicatorSpec` from a tuple ``(id, name_ja, unit, cadence)``, a mapping, or any
    object with ``id``/``name_ja``/``unit``/``cadence`` attributes (catalog or logic-model indicator)."""
    if isinstance(obj, IndicatorSpec):
        return obj
    if isinstance(obj, str):
        return IndicatorSpec(obj)
    if isinstance(obj, Sequence):
        parts = [text_of(x) for x in obj] + ["", "", "", ""]
        return IndicatorSpec(parts[0], parts[1], parts[2], parts[3] or "yearly")
    ident = text_of(_get(obj, "id", "indicator_id"))
    if not ident:
        raise SckpiError(f"indicator definition without an id: {obj!r}")
    return IndicatorSpec(ident, text_of(_get(obj, "name_ja", "name", default="")),
                         text_of(_get(obj, "unit", default="")),
                         text_of(_get(obj, "cadence", "frequency", default="yearly")) or "yearly",
                         text_of(_get(obj, "description", "definition", "note", default="")),
                         text_of(_get(obj, "source", default="")))


def specs_by_id(items: Any) -> dict[str, IndicatorSpec]:
    """Definitions keyed by id from a list (see :func:`indicator_spec`) or a mapping id → definition."""
    if items is None:
        return {}
    if isinstance(items, Mapping):
        out = {}
        for k, v in items.items():
            s = indicator_spec(v) if not isinstance(v, str) else IndicatorSpec(str(k), unit=v)
            out[str(k)] = IndicatorSpec(str(k), s.name_ja, s.unit, s.cadence, s.definition, s.source)
        return out
    return {s.id: s for s in map(indicator_spec, items)}


def catalog_indicator_specs(catalog: Any) -> dict[str, IndicatorSpec]:
    """Every catalog indicator as an :class:`IndicatorSpec` (empty for ``catalog=None``)."""
    return specs_by_id(getattr(catalog, "indicators", {}) or {}) if catalog is not None else {}


# ------------------------------------------------------------------ reading
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


def _is_example(rec: Mapping[str, Any]) -> bool:
    return normalize_text(rec.get("indicator_id")).lstrip("(（【[").startswith(EXAMPLE_MARK)


def _merged_problems(table: Table) -> list[Problem]:
    out = []
    for m in table.merged:
        cols = "・".join(f"「{table.label(c)}」" for c in m.columns) or "（見出しのない列）"
        out.append(Problem(
            f"セル {m.ref}（列 {cols}、{m.first_row}〜{m.last_row} 行目）が結合されています。結合すると"
            "2行目以降の期間の値が読めません。セルの結合を解除し、期間ごとの行に値を入れてください",
            table.file, m.first_row, table.label(m.columns[0]) if m.columns else None))
    return out


def _checks(known: Mapping[str, IndicatorSpec], default_area: str | None) -> dict[str, Any]:
    def indicator(v: Any, row: dict) -> IndicatorSpec:
        ind = normalize_text(v)
        if not ind:
            raise ValueError("指標IDが空です。テンプレートの指標IDをそのまま残してください")
        if ind not in known:
            raise ValueError(f"指標ID '{ind}' はカタログにもロジックモデルにもありません。テンプレートの"
                             "指標IDを変えずに使うか、ロジックモデルに指標を追加してください / unknown "
                             f"indicator id '{ind}'")
        return known[ind]

    def area(v: Any, row: dict) -> str:
        code = normalize_text(v)
        if not code:
            if default_area is None:
                raise ValueError("団体コードが空です（5桁の標準地域コード）")
            return default_area
        try:
            return normalize_area_code(code)
        except AreaCodeError as exc:
            raise ValueError(f"団体コード: {exc}") from None

    def period(v: Any, row: dict) -> periods.Period:
        spec: IndicatorSpec | None = row.get("indicator_id")
        kind = periods.CADENCE_KIND.get(spec.cadence, "year") if spec else None
        p = periods.read_period(v, kind)
        if kind is not None and p.kind != kind:
            want = periods.period_for(p.start, kind)
            raise ValueError(f"期間 '{p.label}' は{_KIND_JA[p.kind]}ですが、この指標は{_KIND_JA[kind]}"
                             f"ごとに報告します。'{want.label}'（{want.label_ja}）のように書いてください")
        return p

    def unit(v: Any, row: dict) -> str:
        u, spec = normalize_text(v), row.get("indicator_id")
        if spec is not None and spec.unit and u and normalize_unit(u) != normalize_unit(spec.unit):
            raise ValueError(f"単位 '{u}' が指標 '{spec.id}' の定義（'{spec.unit}'）と違います。"
                             f"値を「{spec.unit}」で書き、単位を '{spec.unit}' にしてください")
        return u or (spec.unit if spec else "")

    def value(v: Any, row: dict) -> float | None:
        try:
            x = parse_number(v)
        except ValueError:
            raise ValueError(f"値 '{normalize_text(v)}' は数値ではありません。数字だけを書いてください"
                             "（未報告なら空欄）") from None
        if x is not None and (msg := range_problem(x, row.get("unit"))):
            raise ValueError(msg)
        return x

    return {"indicator_id": indicator, "area_code": area, "period": period, "unit": unit, "value": value}


def read_local_result(path: str | Path, catalog: Any, city_code: str | None = None,
                      extra_indicators: Any = None) -> ReadResult:
    """Read and validate a local-data file → :class:`ReadResult` (target ``local``) with the
    skipped example rows and the unreported (empty) values as ``ignored``.
    Raises :class:`ValidationError` listing every offending row."""
    path = Path(path)
    table = read_table(path, REQUIRED_COLUMNS, sheet=[DATA_SHEET, "data"], aliases=ALIASES,
                       skip_sheets=(INSTRUCTIONS_SHEET, "README"))
    known = catalog_indicator_specs(catalog)
    known.update(specs_by_id(extra_indicators))
    default_area = (str(city_code) if city_code else None) or table.properties.get("city_code")
    if not default_area and "area_code" not in table.columns:
        raise InputFileError("団体コードが分かりません。sckpi ingest --city CODE で指定するか、"
                             "「団体コード」列を追加してください / no city code", path)
    ignored: list[Ignored] = []
    keep = [i for i, rec in enumerate(table.rows) if not _is_example(rec)]
    for i in sorted(set(range(len(table.rows))) - set(keep)):
        ignored.append(Ignored(str(path), "記入例の行（読み込みません）", table.row_numbers[i],
                               table.label("indicator_id")))
    table.rows = [table.rows[i] for i in keep]
    table.row_numbers = [table.row_numbers[i] for i in keep]
    checked = validate_rows(
        table, _checks(known, default_area),
        key=lambda r: (r["area_code"], r["indicator_id"].id, r["period"].label) if r["value"] is not None
        else None, key_column="period",
        duplicate=lambda k, first: (f"指標 '{k[1]}' の期間 '{k[2]}' の行が2つあります（最初は {first} 行目）。"
                                    f"どちらか一方を消してください / duplicate (first at row {first})"))
    problems = _merged_problems(table) + checked.problems
    if problems:
        raise ValidationError(problems, title=f"地域データ {path.name}: 次の行を直してください "
                                              "(local data: fix these rows)")
    out = []
    empty = 0
    raw_of = dict(zip(table.row_numbers, table.rows, strict=True))
    for rownum, r in checked.rows:
        if r["value"] is None:
            empty += 1
            continue
        rec = raw_of[rownum]
        out.append({"area_code": r["area_code"], "indicator_id": r["indicator_id"].id,
                    "period": r["period"].label, "value": r["value"], "unit": r["unit"],
                    "source": plain_text(rec.get("source")) or f"local: {path.name}",
                    "note": plain_text(rec.get("note")) or None})
    if empty:
        ignored.append(Ignored(str(path), "値が空欄の行（未報告として扱います）", None,
                               table.label("value"), count=empty))
    return ReadResult(LocalWorkbookReader.kind, "local", local_frame(out), ignored, str(path))


def read_local(path: str | Path, catalog: Any, city_code: str | None = None,
               extra_indicators: Any = None) -> pd.DataFrame:
    """Read and validate a local-data file → ``area_code, indicator_id, period, value, unit,
    source, note`` (period = canonical label, value float, empty values dropped).

    ``extra_indicators``: definitions beyond the catalog (the logic model's local indicators).
    ``city_code`` defaults to the one recorded in the workbook (or a 団体コード column).
    """
    return read_local_result(path, catalog, city_code, extra_indicators).frame


class LocalWorkbookReader(Reader):
    """The local-data workbook (``sckpi template``) or a CSV with the same columns."""

    kind = "local-workbook"
    title_ja = "地域データ（ローカルデータ入力シート）"
    target = "local"

    def recognise(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            return PROPS_PREFIX.encode() in head or self._has_header(path)
        if suffix == ".csv":
            rows = head_rows(head, 1)
            cols = {ALIASES.get(normalize_text(c), normalize_text(c).lower()) for c in (rows[0] if rows else [])}
            return set(REQUIRED_COLUMNS) <= cols
        return False

    @staticmethod
    def _has_header(path: Path) -> bool:
        try:
            read_table(path, REQUIRED_COLUMNS, sheet=[DATA_SHEET, "data"], aliases=ALIASES, max_header_row=5)
        except SckpiError:
            return False
        return True

    def read(self, path: Path, **context: Any) -> ReadResult:
        return read_local_result(path, context.get("catalog"), context.get("city_code"),
                                 context.get("extra_indicators"))


register(LocalWorkbookReader())
