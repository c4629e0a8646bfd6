"""How statistics write a cell that holds no number, and how their files are encoded.

One definition for every reader (e-Stat API, SSDS CSV, external statistics, local data), so a
``X`` (秘匿) is treated the same wherever it comes from: the value is missing, the mark is kept
as the annotation, and no reader ever turns it into a zero.

Stage 3 (sources): imports ``errors``, ``atomic``, ``config`` and ``catalog``.
"""

from __future__ import annotations

from pathlib import Path

from sckpi_helpers.catalog.items import normalize_unit as _catalog_normalize_unit
from sckpi_helpers.errors import InputFileError

#: canonical marks and what Japanese statistics mean by them (e-Stat declares its own per table
#: in DATA_INF.NOTE; those are added on top by the API parser)
MARKS: dict[str, str] = {
    "-": "計数のない場合",
    "…": "データを得ることができないもの",
    "x": "秘匿",
    "X": "秘匿",
    "***": "該当数値がないもの",
}
#: the same marks as they appear in downloads typed or converted by hand
VARIANTS: dict[str, str] = {
    "－": "-", "―": "-", "—": "-", "‐": "-",
    "...": "…", "..": "…", "‥": "…",
    "＊＊＊": "***", "Ｘ": "X", "ｘ": "x",
}
ALL_MARKS: frozenset[str] = frozenset(MARKS) | frozenset(VARIANTS)


def canonical_mark(text: object) -> str | None:
    """The canonical mark a cell holds (``"－"`` → ``"-"``), or None when it is not a mark."""
    if not isinstance(text, str):
        return None
    t = text.strip()
    if t in MARKS:
        return t
    return VARIANTS.get(t)


def normalize_unit(unit: object) -> str:
    """A unit as published, normalised once (``ｈａ`` → ``ha``, ``％`` → ``%``, ``㎡`` → ``m2``,
    ``【人】`` → ``人``); ``""`` for none. The one implementation is the catalog's
    (:func:`sckpi_helpers.catalog.items.normalize_unit`), so a unit compares equal wherever it
    was typed or published and whatever the catalog says."""
    return _catalog_normalize_unit(unit)


def decode(raw: bytes, path: str | Path) -> str:
    """UTF-8 (BOM optional) first, strictly; then CP932 (Shift_JIS plus Windows extensions).

    e-Stat offers both encodings for downloads and Excel saves CSV as CP932 on Japanese Windows.
    """
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputFileError("the file is neither UTF-8 nor Shift_JIS/CP932 text; save it again as "
                         "CSV (UTF-8 or Shift_JIS)", file=path)
