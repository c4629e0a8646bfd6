"""The one number parser of the kit: cells, YAML targets and typed text all become floats here.

Why one module: municipal staff type numbers the way Japanese documents write them — full-width
digits (１２３), thousands separators (1,234 / １，２３４), the minus marks ``−``, ``▲``, ``△`` — and the
same number must be accepted wherever it is typed: a local-data workbook, an external-statistics
table or a logic model's baseline and targets. Before this module each had its own rules, so a
target ``１２０`` was refused while the workbook accepted it (issue #10).

Also here: text normalisation of cells (NFKC) and units, and :func:`plausible_range`, the
unit-derived default bounds of a value (counts ≥ 0, shares 0–100 %) that the local-data reader
enforces until the catalog carries ranges of its own.

Stage: ``sources`` (3); imports only the standard library.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

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
    """A cell or typed value as a float; ``None`` when empty. Raises ``ValueError`` when not a number.

    Accepts numbers, full-width digits (１２３), thousands separators (``1,234`` / ``１，２３４``),
    the minus signs ``−`` and ``▲``/``△`` (Japanese negative marks), and surrounding blanks.
    Refuses booleans, ``12,34`` (a misplaced separator), units (``5%``) and marks (``-``).
    """
    if isinstance(v, bool):  # callers catch ValueError for every bad cell
        raise ValueError(f"'{v}' is not a number")  # noqa: TRY004
    if v is None:
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
    """Unit for comparison: the catalog's one implementation
    (:func:`sckpi_helpers.catalog.items.normalize_unit`: NFKC, no blanks, no brackets)."""
    from sckpi_helpers.catalog.items import normalize_unit as one

    return one(u)


#: units whose values are counts or amounts of something, hence never negative
_COUNT_WORDS = (
    "人 名 者 件 台 回 個 箇所 か所 カ所 ヵ所 ケ所 施設 団体 社 校 園 店 世帯 戸 本 冊 基 機 棟 区画 地区 "
    "事業所 事例 種類 サービス 人日 人回 人泊 km m ha m2 m² t トン kg kWh MWh GJ 時間 分 日 秒 台数 "
    "枚 通 票 アクセス PV ページビュー ダウンロード DL データセット")
_COUNT_UNITS = frozenset(_COUNT_WORDS.split())
_SCALE = re.compile(r"^(百万|十万|千|万|億)")
_PERCENT = frozenset({"%", "パーセント", "割合(%)"})
#: words in a unit that say the value is a change or a difference, which may be negative
_SIGNED_WORDS = ("増減", "変化", "差", "前年比", "pt", "ポイント", "change")


def plausible_range(unit: Any) -> tuple[float | None, float | None]:
    """Default bounds of a value from its unit: ``(0, 100)`` for a share in %, ``(0, None)`` for
    counts and amounts (人, 件, 台, kWh/世帯 …; not money, which may be negative), ``(None, None)`` when the unit says nothing or names
    a change (``%pt``, ``増減数``). The one place these defaults live (catalog ranges come later)."""
    u = normalize_unit(unit)
    if not u or any(w in u for w in _SIGNED_WORDS):
        return (None, None)
    if u in _PERCENT:
        return (0.0, 100.0)
    head = u.split("/")[0]          # kWh/世帯 → kWh, 人/日 → 人
    head = _SCALE.sub("", head) or head
    if head in _COUNT_UNITS or head.endswith(("人", "件", "台", "回", "箇所", "世帯")):
        return (0.0, None)
    return (None, None)


def range_problem(value: float, unit: Any) -> str | None:
    """A Japanese sentence when ``value`` lies outside :func:`plausible_range` of ``unit``, else None."""
    lo, hi = plausible_range(unit)
    u = normalize_unit(unit)
    if lo is not None and value < lo:
        return (f"値 {value:g} は負の数です。単位「{u}」の数は 0 以上です。入力を確かめてください"
                "（減少を表すなら、単位を「増減数」などにしてください）")
    if hi is not None and value > hi:
        return (f"値 {value:g} は {hi:g}{u} を超えています。割合は 0〜{hi:g} の範囲です。"
                "入力を確かめてください（比率 0.62 ではなく 62 と書きます）")
    return None
