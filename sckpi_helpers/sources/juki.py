"""Reader for 総務省「住民基本台帳に基づく人口、人口動態及び世帯数」市区町村別（総計）.

Why: the catalog's per-capita indicators divide by 住民基本台帳人口 (``population_resident``), which
the bundled SSDSE-A does not carry. This yearly table gives it for every municipality and
designated-city ward, with the previous calendar year's births, deaths and moves.

Files ``YY03ssjin.xls(x)`` (``2203ssjin.xlsx`` = 2022): row 1 is the title (``令和4年1月1日住民基本
台帳人口・世帯数、令和3年（1月1日から同年12月31日まで）人口動態…``); the header rows differ between
years (2018–2020: four rows, the labels in row 4; 2021–2022: a 和暦/西暦 row pair and a units row),
so columns are found by their labels (the row holding ``出生者数``) and checked, never assumed.
Data rows: 6-digit 団体コード with check digit (verified by :func:`areas.from_lg_code`), then
prefecture rows (``010006``), municipalities, wards (``札幌市中央区``) and **郡 subtotal rows**
(``東津軽郡``: sums of their towns; 東京都's ``島しょ``). The national total, prefecture and subtotal
rows, the six 北方地域 villages (listed with zeros: nobody is registered there; SSDS and SSDSE do
not list them) and the notes at the end are left out with a count in ``ignored``.

**Years.** The population and households are as of **1 January** of the title's year; the flows
are those of the previous calendar year. SSDS files 住民基本台帳人口 (A2301) under the **年度 (fiscal
year) the reference date falls in**: 1 January 2020 → 2019 (evidence: an SSDS download of
"2019年度" data whose A2301 札幌市 = 1,959,313 = this table's 1 January 2020, next to
D2203 経常収支比率 95.3 = 主要財政指標 FY2019). The kit follows SSDS, so ``2203ssjin`` (1 January
2022) gives population year **2021**, and its flows (calendar 2021) year 2021 as well. The
reference date is kept in ``time_code`` (``2022-01-01``).

Items keep the publisher's headings as codes (``人口／計``, ``住民票記載数／出生者数`` …) with
``stats_data_id`` = ``juki``; the catalog maps them (``dataset: juki``). The births, deaths and
moves here count register entries, not 人口動態統計 (A4101) or 住民基本台帳人口移動報告 (A5103): they
are kept as published and not mapped onto those inputs.

Stage 3 (sources): imports ``errors``, ``config`` and other ``sources`` modules only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.config.periods import era_year
from sckpi_helpers.errors import InputFileError, SckpiError
from sckpi_helpers.sources.areas import from_lg_code
from sckpi_helpers.sources.base import Ignored, register
from sckpi_helpers.sources.spreadsheet import (
    WorkbookReader,
    cell_value,
    item_frame,
    sheet_rows,
    text,
)

DATASET = "juki"
TITLE = "住民基本台帳に基づく人口、人口動態及び世帯数"
_TITLE = re.compile(r"(?P<era>令和|平成)(?P<n>元|\d+)年1月1日住民基本台帳人口")
#: (item code as the publisher's headings, 0-based column, label expected in the label row or
#: above it, unit, "stock" = as of 1 January | "flow" = during the previous calendar year)
ITEMS: tuple[tuple[str, int, str, str, str], ...] = (
    ("人口／男", 3, "男", "人", "stock"),
    ("人口／女", 4, "女", "人", "stock"),
    ("人口／計", 5, "計", "人", "stock"),
    ("世帯数", 6, "世帯数", "世帯", "stock"),
    ("住民票記載数／転入者数（計）", 9, "転入者数(計)", "人", "flow"),
    ("住民票記載数／出生者数", 10, "出生者数", "人", "flow"),
    ("住民票消除数／転出者数（計）", 15, "転出者数(計)", "人", "flow"),
    ("住民票消除数／死亡者数", 16, "死亡者数", "人", "flow"),
)


#: subtotal rows that are not named ``…郡``: 東京都's islands (133604 島しょ)
SUBTOTAL_NAMES = frozenset({"島しょ"})
#: 北方地域 (色丹村 … 蘂取村): listed with zeros; no resident is registered there
NORTHERN_TERRITORIES = frozenset({"01695", "01696", "01697", "01698", "01699", "01700"})


def reference_year(rows: list[list[Any]]) -> int | None:
    """The calendar year of the 1 January reference date in the title row, or None."""
    m = _TITLE.search(text(rows[0][0])) if rows and rows[0] else None
    return era_year(m["era"], m["n"]) if m else None


def _label_row(rows: list[list[Any]]) -> int | None:
    for i, row in enumerate(rows[:12]):
        if any(text(c) == "出生者数" for c in row):
            return i
    return None


class JukiReader(WorkbookReader):
    """住民基本台帳人口・人口動態・世帯数 → ``items`` rows, dataset ``juki``."""

    kind = "juki"
    title_ja = "住民基本台帳に基づく人口、人口動態及び世帯数（総務省）"

    def looks_like(self, rows: list[list[Any]]) -> bool:
        return reference_year(rows) is not None and _label_row(rows) is not None

    def read_file(self, path: Path) -> tuple[pd.DataFrame, list[Ignored]]:
        return read_juki(path)


def read_juki(path: str | Path):
    """Tidy ``ITEM_COLUMNS`` rows of one year's table and what was left out (with counts)."""
    path = Path(path)
    rows = sheet_rows(path)
    ref = reference_year(rows)
    if ref is None:
        raise InputFileError("row 1 does not say '…年1月1日住民基本台帳人口' (not the 住民基本台帳 "
                             "table of municipalities)", file=path, row=1)
    lab = _label_row(rows)
    if lab is None:
        raise InputFileError("no header row with '出生者数'", file=path)
    for code, j, label, _unit, _kind in ITEMS:
        above = [text(rows[i][j]) if j < len(rows[i]) else "" for i in range(lab + 1)]
        if label not in above:
            raise InputFileError(f"expected the heading '{label}' for {code}", file=path,
                                 row=lab + 1, column=code)
    year = ref - 1  # the 年度 of 1 January (SSDS A2301); the flows' calendar year
    source = f"{TITLE} {ref}年1月1日 ({path.name})"
    records: list[dict[str, Any]] = []
    counts = {"total": 0, "pref": 0, "gun": 0, "north": 0, "note": 0}
    for i, row in enumerate(rows[lab + 1:], start=lab + 2):
        first = text(row[0]) if row else ""
        if not re.fullmatch(r"\d{6}", first):
            if text(row[1]) == "合計":
                counts["total"] += 1
            elif first != "団体コード" and any(text(c) for c in row):  # not the units row
                counts["note"] += 1
            continue
        try:
            code = from_lg_code(first)
        except SckpiError as exc:
            raise InputFileError(str(exc), file=path, row=i, column="団体コード") from None
        name = text(row[2])
        if code.endswith("000"):
            counts["pref"] += 1
            continue
        if name.endswith("郡") or name in SUBTOTAL_NAMES:
            counts["gun"] += 1
            continue
        if code in NORTHERN_TERRITORIES:
            counts["north"] += 1
            continue
        for item, j, _label, unit, kind in ITEMS:
            cell = cell_value(row[j], path, i, item)
            if cell is None:
                continue
            records.append({"area_code": code, "area_name": name, "year": year,
                            "time_code": f"{ref}-01-01" if kind == "stock" else str(ref - 1),
                            "item_code": item, "item_name": item, "unit": unit,
                            "value": cell[0], "annotation": cell[1]})
    ignored = [Ignored(str(path), why, count=counts[key]) for key, why in (
        ("total", "全国の合計の行は市区町村ではない"),
        ("pref", "都道府県の行は市区町村ではない"),
        ("gun", "郡（東京都は「島しょ」）の行はその町村の小計で、市区町村ではない"),
        ("north", "北方地域の6村は住民登録がなく（すべて0）、SSDS・SSDSE の市区町村にない"),
        ("note", "注記の行")) if counts[key]]
    return item_frame(records, DATASET, source), ignored


JUKI = register(JukiReader())

__all__ = ["DATASET", "ITEMS", "JUKI", "JukiReader", "read_juki", "reference_year"]
