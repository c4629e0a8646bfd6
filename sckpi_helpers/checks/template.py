"""The local-data workbook a clerk can fill without help (issue #11), written from the logic model.

One row per indicator × period of that indicator's cadence, with its 定義, 単位 and columns for
the clerk (値, 担当課, 出典, 備考); a clearly marked 記入例 row the reader skips; Excel data
validation (値: decimal numbers within the unit's plausible range, 単位: list, 期間: the label
format); and a Japanese 説明 sheet that ends with the command that reads the file back. The bytes
are deterministic (fixed timestamps, fixed zip order), so the same input gives the same file.

Why in ``checks``: the indicators come from the city's logic model (:mod:`.logic_model`, stage 6);
the reader of the filled workbook is :mod:`sckpi_helpers.sources.local_workbook` (stage 3).

Stage: ``checks`` (7); imports ``atomic``, ``config``, ``sources`` and ``sources.logic_model``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers import atomic
from sckpi_helpers.config import periods
from sckpi_helpers.config.periods import parse_period_spec
from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources.local_workbook import (
    DATA_SHEET,
    EXAMPLE_MARK,
    HEADERS_JA,
    INSTRUCTIONS_SHEET,
    TEMPLATE_COLUMNS,
    IndicatorSpec,
    catalog_indicator_specs,
    indicator_spec,
    text_of,
)
from sckpi_helpers.sources.numbers import plausible_range
from sckpi_helpers.sources.tables import PROPS_PREFIX

#: fixed timestamp inside generated workbooks, so the same input gives the same bytes
#: rows below the filled ones that still get the generic validation (clerks add rows)
SPARE_ROWS = 50
EXAMPLE_ROW = {"indicator_id": f"{EXAMPLE_MARK}（この行は読み込まれません）", "name_ja": "講座参加者数",
               "definition": "その四半期までに講座に参加した市民の延べ人数", "period": "2025Q1", "value": 120,
               "unit": "人", "department": "環境政策課", "source": "受講者名簿", "note": "速報値なら「速報値」と書く"}


def logic_model_indicators(model: Any, catalog: Any = None) -> list[IndicatorSpec]:
    """The indicators a logic model asks the city to report as local data, in file order: its
    ``local_indicators()`` (all but the tier-3 catalog ones), definitions from the catalog where
    the model names a catalog id."""
    cat = catalog_indicator_specs(catalog)
    specs = []
    for ident, ind in model.local_indicators().items():
        base = cat.get(str(ident), IndicatorSpec(str(ident)))
        s = indicator_spec(ind) if getattr(ind, "id", None) else IndicatorSpec(str(ident))
        specs.append(IndicatorSpec(s.id, s.name_ja or base.name_ja, s.unit or base.unit,
                                   text_of(getattr(ind, "cadence", None)) or base.cadence,
                                   base.definition or text_of(getattr(ind, "note", None)),
                                   s.source or base.source))
    return specs


def periods_for_cadence(span: Sequence[periods.Period], cadence: str) -> list[periods.Period]:
    """The periods of a cadence's kind covering ``span`` (e.g. 12 months for ``monthly`` in FY2025);
    ``as_needed`` (適宜) indicators get the periods as given."""
    if not span:
        return []
    kind = periods.CADENCE_KIND.get(cadence or "yearly", "year")
    if kind is None:
        return sorted(set(span))
    return periods.period_range(periods.period_for(min(p.start for p in span), kind),
                                periods.period_for(max(p.end for p in span), kind))


def _clean(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    try:
        return None if pd.isna(v) else v
    except (TypeError, ValueError):
        return v


def _row(s: IndicatorSpec, label: str, rec: Mapping[str, Any] | None) -> dict[str, Any]:
    rec = rec or {}
    value = _clean(rec.get("value"))
    if value is not None:
        value = float(value)
        if value.is_integer() and abs(value) < 1e15:
            value = int(value)
    return {"indicator_id": s.id, "name_ja": s.name_ja, "definition": s.definition, "period": label,
            "value": value, "unit": s.unit or text_of(_clean(rec.get("unit"))), "department": None,
            "source": _clean(rec.get("source")) or (s.source or None), "note": _clean(rec.get("note"))}


def template_rows(city_code: str, indicators: Iterable[Any], periods_spec: Any,
                  values: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The data rows of a template (without the example row), pre-filled from ``values``."""
    specs = [indicator_spec(i) for i in indicators]
    span = parse_period_spec(periods_spec)
    given: dict[tuple[str, str], dict[str, Any]] = {}
    if values is not None and len(values):
        v = values
        if "area_code" in v.columns:
            v = v[v["area_code"].astype(str) == str(city_code)]
        for rec in v.to_dict("records"):
            given[(str(rec["indicator_id"]), periods.parse_period(rec["period"]).label)] = rec
    by_id = {s.id: s for s in specs}
    rows, done = [], set()
    for s in specs:
        for p in periods_for_cadence(span, s.cadence):
            done.add((s.id, p.label))
            rows.append(_row(s, p.label, given.get((s.id, p.label))))
    for key in (k for k in given if k not in done):  # values outside the grid are kept, not dropped
        s = by_id.get(key[0]) or IndicatorSpec(key[0], "", text_of(given[key].get("unit", "")))
        rows.append(_row(s, key[1], given[key]))
    order = {s.id: i for i, s in enumerate(specs)}
    rows.sort(key=lambda r: (order.get(r["indicator_id"], len(order)), r["indicator_id"],
                             periods.parse_period(r["period"])))
    return rows


# ------------------------------------------------------------------ the 説明 sheet
def instructions(city_code: str, city_name: str = "", source: str | None = None,
                 file_name: str = "local_data.xlsx") -> list[tuple[str, str]]:
    """The lines of the 説明 sheet (two columns), ending with the command that reads the file."""
    cmd = f"sckpi ingest --city {city_code} --source {source or 'SOURCE'}"
    hint = ("SOURCE は settings.yaml の source: estat-api（e-Stat API）・estat-csv（e-Stat の CSV）・"
            "ssdse（同梱の SSDSE）。settings.yaml は sckpi init --city で作れます")
    which = [] if source else [("", hint)]
    who = f"{city_name}（{city_code}）" if city_name else city_code
    return [
        (f"{who} 地域データ入力シート", ""),
        ("", ""),
        ("記入のしかた", ""),
        ("1", f"「{DATA_SHEET}」シートの黄色の列「値」に実績値を入力します。1行が1つの指標の1つの期間です。"),
        ("2", "値が分からない・まだ無い期間は空欄のままにします（「未報告」として扱います）。0 と空欄は違います。"),
        ("3", ("数字だけを入力します（単位は書きません）。全角数字や 1,234 のような桁区切りも使えます。"
               "割合（%）は 0〜100 の数（62.5）で書きます。")),
        ("4", "「担当課」「出典」（名簿・ログ・アンケートなど）「備考」（速報値など）は分かる範囲で書きます。"),
        ("5", f"2行目の「{EXAMPLE_MARK}」の行は見本です。読み込まれないので、消しても残しても構いません。"),
        ("6", ("「指標ID」「期間」「単位」は変えないでください。セルの結合もしないでください。"
               "同じ指標・期間の行は1つだけにしてください。")),
        ("", ""),
        ("列", "意味"),
        *[(HEADERS_JA[c], m) for c, m in (
            ("indicator_id", "指標の番号（ロジックモデル・カタログと同じ）。変更しないでください"),
            ("name_ja", "指標の名前（参考）"), ("definition", "何を数えるか（参考）"),
            ("period", "期間（下の表）"), ("value", "実績値（入力してください）"),
            ("unit", "値の単位。指標の定義と同じであること"), ("department", "値を報告する課（任意）"),
            ("source", "数字の出どころ（任意）"), ("note", "補足（任意）"))],
        ("", ""),
        ("期間の書き方", "年度は4月〜翌年3月です"),
        ("2025", "2025年度（2025年4月〜2026年3月）。「2025年度」「令和7年度」も可"),
        ("2025H1, 2025H2", "2025年度の上期（4〜9月）・下期（10〜翌3月）"),
        ("2025Q1 … 2025Q4", "2025年度の第1〜第4四半期（Q1 = 4〜6月、Q4 = 翌年1〜3月）"),
        ("2025-10", "2025年10月"),
        ("", ""),
        ("読み込み", (f"保存したら、次のコマンドで読み込みます（settings.yaml の local_data に {file_name} "
                    "が登録されている場合）:")),
        ("", cmd),
        *which,
        ("", f"別の場所に保存したときは、ファイルを指定します: {cmd} --local ファイルのパス"),
        ("", "問題があれば、ファイル名・行・列と直し方が一覧で表示されます。全部直してからもう一度実行してください。"),
    ]


# ------------------------------------------------------------------ writing
def _ranges(letter: str, rows: list[int]) -> str:
    """``E3:E10 E14`` from row numbers (consecutive rows joined)."""
    parts, start = [], None
    for i, r in enumerate(rows):
        if start is None:
            start = r
        if i + 1 == len(rows) or rows[i + 1] != r + 1:
            parts.append(f"{letter}{start}" if start == r else f"{letter}{start}:{letter}{r}")
            start = None
    return " ".join(parts)


def _validation(ws: Any, cells: str, title: str, error: str, prompt: str = "", **kw: Any) -> None:
    """Add a data validation that Excel enforces and explains (openpyxl shows nothing by default)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=bool(prompt),
                        error=error, errorTitle=title, prompt=prompt or None,
                        promptTitle=title if prompt else None, **kw)
    for part in cells.split():
        dv.add(part)
    ws.add_data_validation(dv)


def _value_rule(lo: float | None, hi: float | None) -> tuple[dict[str, str], str]:
    """The decimal validation of a plausible range and how to say it."""
    if lo is not None and hi is not None:
        return {"operator": "between", "formula1": f"{lo:g}", "formula2": f"{hi:g}"}, f"{lo:g}〜{hi:g} の数"
    if lo is not None:
        return {"operator": "greaterThanOrEqual", "formula1": f"{lo:g}"}, f"{lo:g} 以上の数"
    return {"operator": "between", "formula1": "-1E+15", "formula2": "1E+15"}, "数"


def _add_validations(ws: Any, rows: list[dict[str, Any]], first: int) -> None:
    from openpyxl.utils import get_column_letter

    col = {c: get_column_letter(i + 1) for i, c in enumerate(TEMPLATE_COLUMNS)}
    last = first + len(rows) + SPARE_ROWS - 1
    by_range: dict[tuple[float | None, float | None], list[int]] = {}
    for i, r in enumerate(rows):
        by_range.setdefault(plausible_range(r["unit"]), []).append(first + i)
    by_range.setdefault((None, None), []).extend(range(first + len(rows), last + 1))
    for (lo, hi), numbers in sorted(by_range.items(), key=lambda kv: kv[1][0]):
        rule, what = _value_rule(lo, hi)
        _validation(ws, _ranges(col["value"], numbers), "値",
                    f"{what}を数字だけで入力してください（単位は書きません。未報告なら空欄）。",
                    f"{what}を入力（単位は書かない）", type="decimal", **rule)
    units = list(dict.fromkeys(r["unit"] for r in rows if r["unit"]))
    listed = ",".join(units)
    if units and all("," not in u and '"' not in u for u in units) and len(listed) < 250:
        _validation(ws, f"{col['unit']}{first}:{col['unit']}{last}", "単位",
                    "指標の定義の単位を選んでください。", type="list", formula1=f'"{listed}"')
    c = f"{col['period']}{first}"
    formula = (f'OR(AND(LEN({c})=4,ISNUMBER(-{c})),AND(LEN({c})=6,ISNUMBER(-LEFT({c},4)),'
               f'OR(MID({c},5,1)="Q",MID({c},5,1)="H"),ISNUMBER(-RIGHT({c},1))),'
               f'AND(LEN({c})=7,ISNUMBER(-LEFT({c},4)),MID({c},5,1)="-",ISNUMBER(-RIGHT({c},2))))')
    _validation(ws, f"{col['period']}{first}:{col['period']}{last}", "期間",
                "期間は 2025（年度）・2025H1・2025Q3・2025-10 の形で書きます（説明シート参照）。",
                type="custom", formula1=formula, errorStyle="warning")


def _xlsx_bytes(city_code: str, rows: list[dict[str, Any]], lines: list[tuple[str, str]]) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([HEADERS_JA[c] for c in TEMPLATE_COLUMNS])
    ws.append([EXAMPLE_ROW[c] for c in TEMPLATE_COLUMNS])
    for r in rows:
        ws.append([r[c] for c in TEMPLATE_COLUMNS])
    fills = {"head": PatternFill("solid", fgColor="DDEBF7"), "ref": PatternFill("solid", fgColor="F2F2F2"),
             "value": PatternFill("solid", fgColor="FFE699"), "input": PatternFill("solid", fgColor="FFF9DB")}
    kind = {"value": "value", "department": "input", "source": "input", "note": "input"}
    for c in ws[1]:
        c.font, c.fill = Font(bold=True), fills["head"]
    for c in ws[2]:
        c.font = Font(italic=True, color="808080")
    for row in ws.iter_rows(min_row=3, max_row=len(rows) + 2 + SPARE_ROWS, max_col=len(TEMPLATE_COLUMNS)):
        for name, c in zip(TEMPLATE_COLUMNS, row, strict=True):
            c.fill = fills[kind.get(name, "ref")]
            if name == "period":
                c.number_format = "@"  # 2025-10 must stay text, never become a date
    widths = {"indicator_id": 28, "name_ja": 30, "definition": 40, "period": 10, "value": 12, "unit": 10,
              "department": 14, "source": 26, "note": 24}
    for i, c in enumerate(TEMPLATE_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = widths[c]
    ws.freeze_panes = "B2"
    _add_validations(ws, rows, first=3)

    info = wb.create_sheet(INSTRUCTIONS_SHEET)
    for a, b in lines:
        info.append([a, b])
    info["A1"].font = Font(bold=True, size=13)
    for row in info.iter_rows():
        if row[0].value in ("記入のしかた", "列", "期間の書き方", "読み込み"):
            row[0].font = Font(bold=True)
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 100

    wb.properties.title = f"sckpi local data {city_code}"
    wb.properties.keywords = f"{PROPS_PREFIX}{city_code}"
    wb.properties.creator = "sckpi"
    return atomic.workbook_bytes(wb)


def _csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([HEADERS_JA[c] for c in TEMPLATE_COLUMNS])
    for r in [EXAMPLE_ROW, *rows]:
        w.writerow(["" if r[c] is None else r[c] for c in TEMPLATE_COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def write_template(path: str | Path, city_code: str, indicators: Iterable[Any], periods: Any,
                   values: pd.DataFrame | None = None, *, city_name: str = "",
                   source: str | None = None) -> Path:
    """Write a local-data workbook (``.xlsx``, or ``.csv`` without validation) atomically.

    ``indicators``: :class:`IndicatorSpec`, ``(id, name_ja, unit, cadence)`` tuples or catalog /
    logic-model indicator objects. ``periods``: a label, a range such as ``2025Q1-2026Q4``, or a
    list; each indicator gets the periods of its cadence covering that span. ``values``
    (``indicator_id, period, value`` and optionally ``unit, source, note, area_code``) pre-fills
    the 値 column. ``city_name`` / ``source`` go into the 説明 sheet (title, ingest command).
    """
    path = Path(path)
    rows = template_rows(str(city_code), indicators, periods, values)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = _xlsx_bytes(str(city_code), rows, instructions(str(city_code), city_name, source, path.name))
    elif suffix == ".csv":
        data = _csv_bytes(rows)
    else:
        raise InputFileError(f"テンプレートは .xlsx か .csv です（'{suffix or path.name}' は不可）/ template "
                             "must be .xlsx or .csv", path)
    return atomic.atomic_write_bytes(path, data)
