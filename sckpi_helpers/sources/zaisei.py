"""Reader for 総務省「地方公共団体の主要財政指標一覧」(市町村): five fiscal indicators per municipality.

Why: 財政力指数, 経常収支比率, 実質公債費比率, 将来負担比率 and ラスパイレス指数 for all 1,741
municipalities, one fiscal year per file (``city_H30.xlsx`` = FY2018 … ``city_R3.xlsx`` = FY2021).

Layout: row 1 the title with the fiscal year (``全市町村の主要財政指標（平成30年度決算）``,
``（令和２年度）``); row 2 the headings ``団体コード, 都道府県名, 団体名, 財政力指数, …``; then one row
per municipality with its 6-digit 団体コード (check digit verified); the last row is
``全国市町村平均`` (no code: left out with a count). ``-`` where an indicator does not arise
(将来負担比率 of a municipality without future burden) is a missing value with its mark.
Columns are found by their headings. Rows carry ``stats_data_id`` = ``zaisei`` and the headings
as item codes; the catalog maps them (``dataset: zaisei``). The 年度 is the file's: SSDS files
D2203 経常収支比率 under the same 年度 (SSDSE-A 2021 = this table's FY2021 for 千代田区 and 札幌市).

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

DATASET = "zaisei"
TITLE = "地方公共団体の主要財政指標一覧"
#: the headings read. The file prints no unit (the ratios are %, the others indices): rows carry
#: none and the catalog's sources declare it (``unit: ""``)
ITEMS = ("財政力指数", "経常収支比率", "実質公債費比率", "将来負担比率", "ラスパイレス指数")
_FY = re.compile(r"(?P<era>令和|平成)(?P<n>元|\d+)年度")
ID_HEADINGS = ("団体コード", "都道府県名", "団体名")


def fiscal_year(rows: list[list[Any]]) -> int | None:
    """The 年度 in the title row (``令和２年度`` → 2020), or None."""
    m = _FY.search(text(rows[0][0])) if rows and rows[0] else None
    return era_year(m["era"], m["n"]) if m else None


def _is_zaisei(rows: list[list[Any]]) -> bool:
    return (len(rows) > 2 and "主要財政指標" in text(rows[0][0])
            and tuple(text(c) for c in rows[1][:3]) == ID_HEADINGS)


class ZaiseiReader(WorkbookReader):
    """主要財政指標一覧 → ``items`` rows, dataset ``zaisei``."""

    kind = "zaisei"
    title_ja = "地方公共団体の主要財政指標一覧（総務省）"

    def looks_like(self, rows: list[list[Any]]) -> bool:
        return _is_zaisei(rows)

    def read_file(self, path: Path) -> tuple[pd.DataFrame, list[Ignored]]:
        return read_zaisei(path)


def read_zaisei(path: str | Path):
    """Tidy ``ITEM_COLUMNS`` rows of one fiscal year and what was left out (with counts)."""
    path = Path(path)
    rows = sheet_rows(path)
    if not _is_zaisei(rows):
        raise InputFileError("not the 主要財政指標一覧: expected the title in row 1 and "
                             "'団体コード, 都道府県名, 団体名' in row 2", file=path, row=2)
    year = fiscal_year(rows)
    if year is None:
        raise InputFileError("row 1 names no 年度 (e.g. 令和3年度)", file=path, row=1)
    headings = [text(c) for c in rows[1]]
    missing = [h for h in ITEMS if h not in headings]
    if missing:
        raise InputFileError(f"headings {missing} not found in row 2", file=path, row=2)
    cols = {h: headings.index(h) for h in ITEMS}
    source = f"{TITLE} {year}年度 ({path.name})"
    records: list[dict[str, Any]] = []
    other = 0
    for i, row in enumerate(rows[2:], start=3):
        first = text(row[0])
        if not re.fullmatch(r"\d{6}", first):
            other += any(text(c) for c in row)
            continue
        try:
            code = from_lg_code(first)
        except SckpiError as exc:
            raise InputFileError(str(exc), file=path, row=i, column="団体コード") from None
        for item, j in cols.items():
            cell = cell_value(row[j], path, i, item)
            if cell is None:
                continue
            records.append({"area_code": code, "area_name": text(row[2]), "year": year,
                            "time_code": f"{year}年度", "item_code": item, "item_name": item,
                            "unit": "", "value": cell[0], "annotation": cell[1]})
    ignored = [Ignored(str(path), "団体コードのない行（全国市町村平均など）は市町村ではない",
                       count=other)] if other else []
    return item_frame(records, DATASET, source), ignored


ZAISEI = register(ZaiseiReader())

__all__ = ["DATASET", "ITEMS", "ZAISEI", "ZaiseiReader", "fiscal_year", "read_zaisei"]
