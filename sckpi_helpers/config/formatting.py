"""How the kit writes a number: one rule for report pages, check sections, the terminal table, CSV
files and the narrative text.

Why one home: numbers were formatted four ways (the page tables, the terminal table, the
``sckpi indicators`` CSV and the diagnosis text each had their own rounding), so one value could
read 3,154.7 on a page, 3,155 in the terminal and 3155 in a CSV. The rule, decided once:

* missing (None, NaN, ``pd.NA``, ±inf) → a mark (``—`` on pages and in text; the terminal passes ``-``);
* a whole number → no decimals (``3,154``);
* a percentage (unit ``%``, ``%pt``, ``％``) → at most :data:`PERCENT_DECIMALS` decimals;
* anything else → :data:`SIGNIFICANT_DIGITS` significant digits, never cutting the integer part
  (``208,115``, ``12.35``, ``0.001234``);
* a deviation score or a percentile → :data:`SCORE_DECIMALS` decimal (``decimals=SCORE_DECIMALS``);
* rounded half up (四捨五入) on the digits as written (2.675 → 2.68, 1,234.5 → 1,235), not Python's
  half-to-even on the binary value;
* thousands separators in text; trailing zeros after the decimal point dropped.

:func:`round_number` applies the same decimals to a number for a file (CSV), so the CSV and the
table agree digit for digit. Stage 1 (config): plain functions over the standard library.
"""

from __future__ import annotations

import math
import numbers
from decimal import ROUND_HALF_UP, Decimal, localcontext

#: significant digits of a number that is neither whole nor a percentage
SIGNIFICANT_DIGITS = 4
#: decimals of a percentage
PERCENT_DECIMALS = 2
#: decimals of a deviation score (偏差値) or a percentile
SCORE_DECIMALS = 1
#: the mark of a missing number on pages and in text
MISSING_MARK = "—"


def is_missing(value: object) -> bool:
    """True for None, NaN, ±inf and pandas' missing markers (``pd.NA``, ``NaT``)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isfinite(float(value))


def _is_percent(unit: str | None) -> bool:
    return str(unit or "").lstrip().startswith(("%", "％"))


def decimals_for(value: float, unit: str | None = None) -> int:
    """Decimals to keep for ``value`` by the rule above (0 for a whole number)."""
    if _is_percent(unit):
        return PERCENT_DECIMALS
    if value == 0 or not math.isfinite(value) or float(value).is_integer():
        return 0
    return max(SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value))), 0)


def _rounded(x: float, decimals: int) -> Decimal:
    """``x`` rounded half up to ``decimals`` places, from its shortest decimal text (repr)."""
    with localcontext() as ctx:
        ctx.prec = 60  # room for any float's integer part plus the decimals asked for
        return Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def round_number(value: object, unit: str | None = None, *, decimals: int | None = None) -> float | int:
    """``value`` rounded by the rule for a file: an ``int`` when no decimals are kept (a CSV shows
    ``12101``, not ``12101.0``); a missing value is NaN."""
    if is_missing(value):
        return math.nan
    x = float(value)  # type: ignore[arg-type]
    d = decimals_for(x, unit) if decimals is None else decimals
    q = _rounded(x, d)
    return float(q) if d else int(q)


def format_number(value: object, unit: str | None = None, *, decimals: int | None = None,
                  missing: str = MISSING_MARK) -> str:
    """``value`` as text by the rule above; a value that is not a number is returned as its text."""
    if is_missing(value):
        return missing
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    x = float(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    d = decimals_for(x, unit) if decimals is None else decimals
    text = f"{_rounded(x, d):,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_share(ratio: object, *, missing: str = MISSING_MARK) -> str:
    """A ratio (0.63) as a whole percentage (``63%``): KPI progress and data shares."""
    if is_missing(ratio) or isinstance(ratio, bool) or not isinstance(ratio, numbers.Real):
        return missing
    return f"{format_number(float(ratio) * 100, decimals=0)}%"
