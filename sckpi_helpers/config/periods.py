"""Reporting periods on the Japanese fiscal year (年度, April–March).

Labels the kit accepts and writes:

- ``2025`` or ``FY2025`` — fiscal year 2025 (2025-04-01 … 2026-03-31), 2025年度
- ``2025H1`` / ``2025H2`` — fiscal half (上期 Apr–Sep / 下期 Oct–Mar)
- ``2025Q1`` … ``2025Q4`` — fiscal quarter (Q1 = Apr–Jun 2025, Q4 = Jan–Mar 2026), 第n四半期
- ``2025-10`` — a calendar month
- ``current-…`` / ``previous-…`` + ``year|half|quarter|month`` — relative to today, for schedulers
  (``previous-quarter`` run on 10 January is 2025Q3, i.e. October–December 2025)

User files are read with :func:`read_period`, which also takes the Japanese forms (``2025年度``,
``令和7年度``, ``2025年度第3四半期``, ``2025年10月``) and reads a date as the period of the indicator's
cadence that holds it; :func:`parse_period_spec` reads ranges and lists (``2025Q1-2026Q4``).
Japanese forms are read too (:func:`normalize_period_label`): full-width digits, 年/年度 suffixes and
the eras 令和/平成/昭和 (also R/H/S): ``令和7年度`` → ``2025``, ``2025年度上期`` → ``2025H1``,
``令和7年度第3四半期`` → ``2025Q3``, ``2025年10月`` → ``2025-10``. Statistics' year cells
(``2023年``, ``FY2023``, ``平成27年度``) are read by :func:`parse_year`. This module is the one place
that parses period, era and 年度 text; sources call it instead of parsing on their own.

Stage: ``config`` — imports only ``errors``.

Quarters are *fiscal* quarters because that is how municipal plans and council reports count them.
Check❶/❷ are due every month or quarter, Check❸/❹ once a fiscal year (GUIDELINE.md, PDCA table).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sckpi_helpers.errors import SckpiError

Kind = Literal["year", "half", "quarter", "month"]

#: cadence names used by the catalog and logic models → the period kind they are reported in
CADENCE_KIND: dict[str, Kind | None] = {
    "monthly": "month",
    "quarterly": "quarter",
    "semiannual": "half",
    "yearly": "year",
    "every_2_years": "year",
    "every_5_years": "year",
    "every_10_years": "year",
    "as_needed": None,  # 適宜: any period; missing periods are not counted against it
}

_RE_YEAR = re.compile(r"^(?:FY)?(\d{4})$", re.IGNORECASE)
_RE_HALF = re.compile(r"^(?:FY)?(\d{4})H([12])$", re.IGNORECASE)
_RE_QUARTER = re.compile(r"^(?:FY)?(\d{4})Q([1-4])$", re.IGNORECASE)
_RE_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class PeriodError(SckpiError, ValueError):
    """A period label the kit cannot read."""


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A fiscal year, half, quarter or month. Ordered by start date, then length."""

    start: date
    months: int  # 12, 6, 3 or 1
    kind: Kind

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        return _add_months(self.start, self.months) - timedelta(days=1)

    @property
    def fiscal_year(self) -> int:
        """年度 the period belongs to (Jan–Mar belong to the previous year's 年度)."""
        return self.start.year if self.start.month >= 4 else self.start.year - 1

    @property
    def label(self) -> str:
        """Canonical label, e.g. ``2025``, ``2025H1``, ``2025Q3``, ``2025-10``."""
        fy = self.fiscal_year
        if self.kind == "year":
            return str(fy)
        if self.kind == "half":
            return f"{fy}H{1 if self.start.month == 4 else 2}"
        if self.kind == "quarter":
            return f"{fy}Q{((self.start.month - 4) % 12) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def label_ja(self) -> str:
        """Japanese label for reports with the era beside the year (:func:`year_ja`), e.g.
        ``2025年度（令和7年度）第3四半期``."""
        fy = self.fiscal_year
        if self.kind == "year":
            return year_ja(fy)
        if self.kind == "half":
            return f"{year_ja(fy)}{'上期' if self.start.month == 4 else '下期'}"
        if self.kind == "quarter":
            q = ((self.start.month - 4) % 12) // 3 + 1
            return f"{year_ja(fy)}第{q}四半期"
        return f"{self.start.year}年{self.start.month}月"

    def next(self) -> Period:
        """The period of the same kind that follows this one."""
        return Period(_add_months(self.start, self.months), self.months, self.kind)

    def previous(self) -> Period:
        """The period of the same kind before this one."""
        return Period(_add_months(self.start, -self.months), self.months, self.kind)

    def contains(self, other: Period | date) -> bool:
        """True when ``other`` (a date or a period) lies wholly inside this period."""
        if isinstance(other, date):
            return self.start <= other <= self.end
        return self.start <= other.start and other.end <= self.end

    def __str__(self) -> str:
        return self.label



def fiscal_year(y: int) -> Period:
    """Fiscal year ``y`` (April y … March y+1)."""
    return Period(date(y, 4, 1), 12, "year")


_RE_RELATIVE = re.compile(r"^(current|previous)-(year|half|quarter|month)$", re.IGNORECASE)


#: Japanese eras → the Gregorian year before the era's first year (令和1 = 2019)
ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925, "S": 1925}
_ERA = r"(令和|平成|昭和|[RHS])\s*(\d{1,2}|元)\s*"
_RE_ERA_YEAR = re.compile(rf"^{_ERA}", re.IGNORECASE)
_RE_STAT_YEAR = re.compile(r"^(?:FY)?(\d{4})(?:年度?|FY)?$", re.IGNORECASE)
_RE_STAT_ERA = re.compile(rf"^{_ERA}(?:年度?)?$", re.IGNORECASE)


#: era names → (first Gregorian year, first day); newest first
_ERA_STARTS = (("令和", date(2019, 5, 1)), ("平成", date(1989, 1, 8)), ("昭和", date(1926, 12, 25)))


def _era_of(d: date) -> str:
    """``令和4年`` for a day; the first year of an era is 元年."""
    for name, start in _ERA_STARTS:
        if d >= start:
            n = d.year - start.year + 1
            return f"{name}{'元' if n == 1 else n}"
    raise PeriodError(f"no era for {d.isoformat()} (昭和 and later only)")


def wareki(year: int, *, fiscal: bool = True) -> str:
    """The era year of ``year`` as municipal documents write it: ``令和4年度`` (fiscal) or ``令和4年``.

    A year in which the era changed names both: fiscal 2019 (April 2019 – March 2020) began in
    平成31年 and is mostly called 令和元年度 → ``平成31年度／令和元年度``; calendar 1989 → ``昭和64年／平成元年``.
    A fiscal year is named by its April–December days (fiscal 1988 stays 昭和63年度, as documents have it).
    """
    days = (date(year, 4, 1) if fiscal else date(year, 1, 1), date(year, 12, 31))
    unit = "年度" if fiscal else "年"
    return "／".join(f"{n}{unit}" for n in dict.fromkeys(_era_of(d) for d in days))


def year_ja(year: int, *, fiscal: bool = True) -> str:
    """``2022年度（令和4年度）``, ``2019年度（平成31年度／令和元年度）``, ``2022年（令和4年）``: the one place
    that writes a year for a reader (headings, tables, captions)."""
    return f"{year}{'年度' if fiscal else '年'}（{wareki(year, fiscal=fiscal)}）"


def _nfkc(v: object) -> str:
    """NFKC text without blanks (full-width digits and letters → ASCII)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(v)))


def era_year(era: str, year: str | int) -> int:
    """``("令和", 5)`` → 2023; ``("H", "元")`` → 1989. ``era`` is a name or its initial."""
    key = era.upper() if len(era) == 1 else era
    if key not in ERAS:
        raise PeriodError(f"unknown era '{era}' (令和, 平成, 昭和, R, H, S)")
    return ERAS[key] + (1 if str(year) == "元" else int(year))


def parse_year(v: object) -> int:
    """A statistics' year cell → int: ``2023``, ``2023.0``, ``2023年``, ``2023年度``, ``FY2023``,
    ``令和5年(度)``, ``R5``, ``H27``, ``令和元年``, full-width digits. Raises :class:`PeriodError`."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        if float(v).is_integer() and 1900 <= v <= 2100:
            return int(v)
        raise PeriodError(f"year '{v}' is not a 4-digit year")
    s = _nfkc(v if v is not None else "")
    if m := _RE_STAT_YEAR.match(s):
        y = int(m[1])
    elif m := _RE_STAT_ERA.match(s):
        y = era_year(m[1], m[2])
    else:
        raise PeriodError(f"year '{s}' is not a year (2023, 2023年度, 令和5年)")
    if not 1900 <= y <= 2100:
        raise PeriodError(f"year '{s}' is out of range")
    return y


_JA_SUFFIX = [  # Japanese period suffixes (after the year and 年度) → the kit's label suffix
    (re.compile(r"^上(?:半)?期$"), "H1"), (re.compile(r"^下(?:半)?期$"), "H2"),
    (re.compile(r"^第?([1-4])四半期$"), "Q{0}"), (re.compile(r"^Q([1-4])$", re.IGNORECASE), "Q{0}"),
    (re.compile(r"^H([12])$", re.IGNORECASE), "H{0}"),
]


def normalize_period_label(text: object) -> str:
    """A period as people write it → the kit's label (see module doc), for :func:`parse_period`.

    Full-width forms, ``年度``, eras and Japanese halves/quarters are rewritten; anything else is
    returned NFKC-normalised and stripped (so the caller's error names what the user typed):
    ``令和7年度`` → ``2025``; ``２０２５年度第１四半期`` → ``2025Q1``; ``R7上期`` → ``2025H1``;
    ``2025年10月`` / ``令和7年10月`` → ``2025-10``.
    """
    s = _nfkc(text if text is not None else "")
    year: int | None = None
    if m := _RE_ERA_YEAR.match(s):
        try:
            year = era_year(m[1], m[2])
        except PeriodError:
            return s
        rest = s[m.end():]
    elif m := re.match(r"^(?:FY)?(\d{4})(?=年|$|[HQ上下第])", s, re.IGNORECASE):
        year, rest = int(m[1]), s[m.end():]
    else:
        return s
    if m := re.match(r"^年(\d{1,2})月$", rest):  # a calendar month
        return f"{year}-{int(m[1]):02d}"
    if m := re.match(r"^年度(\d{1,2})月$", rest):  # a month of the fiscal year: 2025年度1月 = 2026-01
        month = int(m[1])
        return f"{year + (1 if month <= 3 else 0)}-{month:02d}"
    rest = re.sub(r"^年度?", "", rest)
    if not rest:
        return str(year)
    for pattern, label in _JA_SUFFIX:
        if m := pattern.match(rest):
            return f"{year}{label.format(*m.groups())}"
    return s


def parse_period(text: str | int | Period, today: date | None = None) -> Period:
    """Read a period label (see module doc); raises :class:`PeriodError` naming the bad label."""
    if isinstance(text, Period):
        return text
    s = str(text).strip()
    if not (_RE_RELATIVE.match(s) or _RE_MONTH.match(s)):
        s = normalize_period_label(s)
    if m := _RE_RELATIVE.match(s):
        here = period_for(today or date.today(), m[2].lower())  # type: ignore[arg-type]
        return here if m[1].lower() == "current" else here.previous()
    if m := _RE_YEAR.match(s):
        return fiscal_year(int(m[1]))
    if m := _RE_HALF.match(s):
        return Period(date(int(m[1]), 4 if m[2] == "1" else 10, 1), 6, "half")
    if m := _RE_QUARTER.match(s):
        return Period(_add_months(date(int(m[1]), 4, 1), 3 * (int(m[2]) - 1)), 3, "quarter")
    if m := _RE_MONTH.match(s):
        month = int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"period '{s}': month must be 1–12")
        return Period(date(int(m[1]), month, 1), 1, "month")
    raise PeriodError(
        f"period '{s}' is not one of YYYY (fiscal year), YYYYH1/H2, YYYYQ1–Q4 (fiscal quarter), YYYY-MM, "
        "previous-quarter / current-year …")


def period_range(first: str | Period, last: str | Period) -> list[Period]:
    """All periods of ``first``'s kind from ``first`` to ``last`` inclusive."""
    a, b = parse_period(first), parse_period(last)
    if a.kind != b.kind:
        raise PeriodError(f"period range {a}–{b} mixes kinds ({a.kind}, {b.kind})")
    out = []
    p = a
    while p <= b:
        out.append(p)
        p = p.next()
    return out


def period_for(d: date, kind: Kind) -> Period:
    """The period of ``kind`` that contains date ``d``."""
    fy = d.year if d.month >= 4 else d.year - 1
    if kind == "year":
        return fiscal_year(fy)
    if kind == "month":
        return Period(date(d.year, d.month, 1), 1, "month")
    months = 6 if kind == "half" else 3
    offset = ((d.month - 4) % 12) // months * months
    return Period(_add_months(date(fy, 4, 1), offset), months, kind)


def periods_within(container: Period, kind: Kind) -> list[Period]:
    """The periods of ``kind`` that make up ``container`` (e.g. the 4 quarters of a fiscal year)."""
    first = period_for(container.start, kind)
    return [p for p in period_range(first, period_for(container.end, kind)) if container.contains(p)]


def due_checks(period: str | Period) -> list[int]:
    """PDCA checks due in a period: Check❶❷ every month/quarter/half, all four at a fiscal year."""
    p = parse_period(period)
    return [1, 2, 3, 4] if p.kind == "year" else [1, 2]


def parse_year_range(text: str) -> list[int]:
    """``2015-2024`` → [2015, …, 2024]; ``2020`` → [2020]; ``2015,2020`` → [2015, 2020]."""
    s = _nfkc(text)
    try:
        if "," in s:
            return sorted({int(x) for x in s.split(",") if x.strip()})
        if "-" in s:
            a, b = (int(x) for x in s.split("-", 1))
            if b < a:
                raise PeriodError(f"year range '{s}' ends before it starts")
            return list(range(a, b + 1))
        return [int(s)]
    except ValueError as exc:
        raise PeriodError(f"year range '{s}' is not YYYY, YYYY-YYYY or YYYY,YYYY") from exc


_RE_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?$")


def parse_period_spec(spec: object, today: date | None = None) -> list[Period]:
    """Periods from a label (``2025``), a range (``2025Q1-2026Q4``, ``2025-04-2026-03``), a
    comma-separated list, a :class:`Period`, a year number, or a list of any of these.
    ``None`` → the current fiscal year. Used by ``sckpi template`` and ``sckpi init``."""
    if spec is None:
        return [period_for(today or date.today(), "year")]
    if isinstance(spec, Period):
        return [spec]
    if isinstance(spec, int):
        return [fiscal_year(spec)]
    if not isinstance(spec, str):
        return [p for s in spec for p in parse_period_spec(s, today)]  # type: ignore[attr-defined]
    s = spec.strip()
    if "," in s:
        return parse_period_spec([x for x in s.split(",") if x.strip()], today)
    try:
        return [parse_period(s, today)]
    except PeriodError:
        pass
    for sep in ("..", "〜", "~", "–", ":", "-"):
        for i in (m.start() for m in re.finditer(re.escape(sep), s)):
            try:
                return period_range(s[:i].strip(), s[i + len(sep):].strip())
            except PeriodError:
                continue
    raise PeriodError(f"period range '{s}' is not LABEL or LABEL-LABEL (e.g. 2025Q1-2026Q4)")


_RE_CALENDAR_YEAR = re.compile(rf"^(?:{_ERA}|\d{{4}})年$", re.IGNORECASE)


def read_period(value: object, kind: Kind | None = None) -> Period:
    """A period as people and spreadsheets write it — the one reader for user files.

    Accepts everything :func:`parse_period` does (canonical labels and, through
    :func:`normalize_period_label`, ``2025年度``, ``令和7年度``, ``R7``, ``2025年度第3四半期``,
    ``2025年度上期``, ``2025年10月``, full-width digits) and a *date* (an Excel date cell,
    ``2024-10-01``, ``2024/10/1``). A date is read as the period of ``kind`` that contains it (the
    indicator's cadence: quarterly → the fiscal quarter holding the date); without a ``kind`` it is
    refused, never turned into a month silently. ``2024年`` alone is a calendar year and refused:
    the kit counts fiscal years. Raises :class:`PeriodError` with a Japanese message saying what to
    write instead.
    """
    from datetime import datetime

    if isinstance(value, Period):
        return value
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if kind is None:
            raise PeriodError(f"期間に日付 {value.isoformat()} が入っています。どの期間か決められないので、"
                              "2025（年度）・2025Q3・2025-10 のような期間ラベルで書いてください")
        return period_for(value, kind)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = _nfkc(value if value is not None else "")
    if not s:
        raise PeriodError("期間が空です。2025（年度）・2025Q3・2025-10 のように書いてください")
    if m := _RE_DATE.match(s):
        try:
            d = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise PeriodError(f"期間 '{s}' は存在しない日付です") from None
        return read_period(d, kind)
    if _RE_CALENDAR_YEAR.match(s):
        y = normalize_period_label(s)
        raise PeriodError(f"期間 '{s}' は暦年です。年度（4月〜翌3月）なら '{y}年度' または '{y}' と書いてください")
    try:
        return parse_period(s)
    except PeriodError:
        raise PeriodError(f"期間 '{s}' を読めません。2025（2025年度）・2025H1・2025Q3（年度の第3四半期）・"
                          "2025-10（2025年10月）・令和7年度 のように書いてください") from None
