"""Why a value is missing or estimated, said in Japanese for reports.

The engine and the formula evaluator write reasons in a small fixed set of English patterns
(stable, greppable, used in CSV output and tests). Reports speak Japanese, so this module renders
each pattern with the inputs' Japanese names from the catalog. Text it does not recognise is
returned unchanged rather than guessed at.

Stage 6 (indicators): imports stages 0–5 (… store, city).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from sckpi_helpers.sources.cells import MARKS

_ID = r"([a-z][a-z0-9_]*)"
_Y = r"(\d{4})"


def _name(catalog: Any, input_id: str) -> str:
    if input_id == "adjusted_population":
        return "補正人口"
    var = (getattr(catalog, "inputs", None) or {}).get(input_id)
    return getattr(var, "name_ja", None) or input_id


def _expr(catalog: Any, text: str) -> str:
    return re.sub(r"[a-z][a-z0-9_]*", lambda m: _name(catalog, m[0])
                  if m[0] not in {"lag", "prev_obs", "min", "max", "abs"} else m[0], text)


def _rules(catalog: Any) -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]:
    def n(input_id: str) -> str:
        return f"「{_name(catalog, input_id)}」"

    return [
        (re.compile(rf"^input {_ID} missing for {_Y}$"), lambda m: f"{n(m[1])}の{m[2]}年の値がない"),
        (re.compile(rf"^input {_ID} marked 'out of range ([^']*)' for {_Y}$"),
         lambda m: f"{n(m[1])}の{m[3]}年の値が有効な範囲 {m[2]} の外（誤りとみなして使わない）"),
        (re.compile(rf"^input {_ID} marked '([^']*)' for {_Y}$"),
         lambda m: f"{n(m[1])}の{m[3]}年は「{m[2]}」" + (f"（{MARKS[m[2]]}）" if m[2] in MARKS else "")),
        (re.compile(rf"^zero denominator \((.+)\) for {_Y}$"),
         lambda m: f"{m[2]}年の分母（{_expr(catalog, m[1])}）が0"),
        (re.compile(rf"^no data (\d+) year\(s\) earlier \({_Y}\)$"),
         lambda m: f"比較に必要な{m[2]}年（{m[1]}年前）のデータがない"),
        (re.compile(r"^no earlier observation of (.+)$"),
         lambda m: f"「{_expr(catalog, m[1])}」の前回の観測値がない"),
        (re.compile(rf"^{_ID} carried forward from {_Y} on both sides of the comparison.*$"),
         lambda m: f"{n(m[1])}は{m[2]}年の値の繰越しだけで、比べられる新しい観測値がない"),
        (re.compile(rf"^{_ID} carried forward from {_Y}$"), lambda m: f"{n(m[1])}は{m[2]}年の値を繰越し"),
        (re.compile(rf"^{_ID} interpolated between {_Y} and {_Y}$"),
         lambda m: f"{n(m[1])}は{m[2]}年と{m[3]}年の間を補間"),
        (re.compile(r"^missing inputs: (.+?) — (.+)$"),
         lambda m: "不足する入力：" + "".join(n(i.strip()) for i in m[1].split(","))
         + "（" + reason_ja(m[2], catalog) + "）"),
        (re.compile(r"^collect it as local data.*$"), lambda m: "地域データとして収集する（sckpi template で様式を作成）"),
        (re.compile(r"^no formula in the catalog$"), lambda m: "カタログに算式がない"),
        (re.compile(rf"^not computed for (\d{{5}}) in {_Y} \(area or year not in the data\)$"),
         lambda m: f"{m[1]}の{m[2]}年はデータに含まれない"),
        (re.compile(r"^no published statistic for municipalities$"), lambda m: "市区町村別の公表統計がない"),
        (re.compile(r"^result not finite$"), lambda m: "計算結果が有限の値にならない"),
    ]


def reason_ja(text: Any, catalog: Any = None) -> str:
    """The Japanese rendering of an engine/evaluator reason; ``"; "``-joined parts each rendered."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    rules = _rules(catalog)
    out = []
    for part in str(text).split("; "):
        for pattern, render in rules:
            if m := pattern.match(part.strip()):
                out.append(render(m))
                break
        else:
            out.append(part)
    return "、".join(dict.fromkeys(out))
