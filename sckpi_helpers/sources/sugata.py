"""Reader for 総務省統計局「統計でみる市区町村のすがた」(one ``.xls`` per SSDS field A–J).

Why: the yearly publication carries SSDS items the bundled SSDSE-A lacks — 昼間人口 (A6107, 2015),
ごみ総排出量 / リサイクル率 (H5609 / H5614, 2016), 介護老人福祉施設数 (J230121, 2017), 医師数 2016 …
— for every municipality, 東京都特別区部 and the wards of designated cities (1,965 areas).

Layout of the 2019 edition (``2019-a.xls`` … ``2019-j.xls``, one sheet each), rows as Excel shows them:

- row 6: the item name, with line breaks inside (``ごみ\\n総排出量``; kept without the breaks);
- row 8: the SSDS item code (``A6107``); row 9: the unit as printed (``人:person``, ``％``, ``－``);
- row 10: **the year of each column** (A6107 2015, H5609 2016, J230121 2017): never one per file;
- from row 11: one row per area; the 5-digit area code is in the **last** column (``01   `` for a
  prefecture), the name in column I;
- ``...`` = no data: a missing value with its mark (``…``), never a zero.

Rows of prefectures (2-digit code) and of 東京都特別区部 (13100, the sum of the 23 wards) are not
municipalities: they are left out with a count in ``ignored``. Rows carry ``stats_data_id`` =
``sugata-2019``; the catalog maps them through sources with ``dataset: sugata-2019`` (the
publication names some items differently from SSDS: J230121 「介護老人福祉施設数」).

Stage 3 (sources): imports ``errors``, ``config`` and other ``sources`` modules only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources.base import Ignored, register
from sckpi_helpers.sources.spreadsheet import (
    WorkbookReader,
    cell_value,
    item_frame,
    sheet_rows,
    text,
)

DATASET = "sugata-2019"
TITLE = "統計でみる市区町村のすがた"
#: 1-based rows of the header
NAME_ROW, CODE_ROW, UNIT_ROW, YEAR_ROW, FIRST_DATA_ROW = 6, 8, 9, 10, 11
NAME_COLUMN = 8  # 0-based: column I
SPECIAL_WARDS_TOTAL = "13100"
_CODE = re.compile(r"^[A-Z]\d{4,7}$")
_FILE = re.compile(r"(?P<edition>\d{4})-(?P<field>[a-k])\.xls$", re.IGNORECASE)


def _item_columns(rows: list[list[Any]]) -> list[int]:
    codes = rows[CODE_ROW - 1] if len(rows) >= CODE_ROW else []
    return [j for j, c in enumerate(codes) if _CODE.match(text(c))]


def looks_like_sugata(rows: list[list[Any]]) -> bool:
    """Item codes in row 8, a four-digit year under each in row 10, a code column last."""
    cols = _item_columns(rows)
    if not cols or len(rows) < FIRST_DATA_ROW:
        return False
    years = rows[YEAR_ROW - 1]
    return all(re.fullmatch(r"\d{4}", text(years[j])) for j in cols) and \
        "コード" in text(rows[NAME_ROW - 1][-1]).replace("\n", "").replace("ｺｰﾄﾞ", "コード")


def edition_of(path: Path) -> str:
    """``2019-a.xls`` → ``"2019"`` ("" when the name does not say)."""
    m = _FILE.search(path.name)
    return m["edition"] if m else ""


class SugataReader(WorkbookReader):
    """統計でみる市区町村のすがた → ``items`` rows keyed by SSDS item code, dataset ``sugata-2019``."""

    kind = "sugata"
    title_ja = "統計でみる市区町村のすがた（総務省統計局）"

    def looks_like(self, rows: list[list[Any]]) -> bool:
        return looks_like_sugata(rows)

    def read_file(self, path: Path) -> tuple[pd.DataFrame, list[Ignored]]:
        return read_sugata(path)


def read_sugata(path: str | Path):
    """Tidy ``ITEM_COLUMNS`` rows of one field's workbook and what was left out (with counts)."""
    path = Path(path)
    rows = sheet_rows(path)
    if not looks_like_sugata(rows):
        raise InputFileError("not a 統計でみる市区町村のすがた sheet: expected item codes in row 8, "
                             "their years in row 10 and the area code in the last column", file=path)
    cols = _item_columns(rows)
    codes = [text(rows[CODE_ROW - 1][j]) for j in cols]
    names = [text(rows[NAME_ROW - 1][j]).replace("\n", "") for j in cols]
    units = [text(rows[UNIT_ROW - 1][j]) for j in cols]
    years = [int(text(rows[YEAR_ROW - 1][j])) for j in cols]
    edition = edition_of(path)
    source = f"{TITLE} {edition} ({path.name})".replace("  ", " ")
    records: list[dict[str, Any]] = []
    blank = dict.fromkeys(codes, 0)
    prefectures = special = 0
    notes = 0
    for i, row in enumerate(rows[FIRST_DATA_ROW - 1:], start=FIRST_DATA_ROW):
        code = text(row[-1]) if row else ""
        if not code:
            words = [text(c) for c in row if text(c)]
            if words and words[0].startswith("注"):
                notes += 1
                continue
            if words:
                raise InputFileError("a data row without an area code in the last column", file=path,
                                     row=i, column="市区町村コード")
            continue
        if re.fullmatch(r"\d{2}", code):
            prefectures += 1
            continue
        if not re.fullmatch(r"\d{5}", code):
            raise InputFileError(f"{code!r} is not a 5-digit area code", file=path, row=i,
                                 column="市区町村コード")
        if code == SPECIAL_WARDS_TOTAL:
            special += 1
            continue
        name = text(row[NAME_COLUMN]).replace(" ", "")
        for j, item, item_name, unit, year in zip(cols, codes, names, units, years, strict=True):
            cell = cell_value(row[j], path, i, item)
            if cell is None:
                blank[item] += 1
                continue
            records.append({"area_code": code, "area_name": name, "year": year,
                            "time_code": str(year), "item_code": item, "item_name": item_name,
                            "unit": unit, "value": cell[0], "annotation": cell[1]})
    ignored = []
    if prefectures:
        ignored.append(Ignored(str(path), "都道府県の行は市区町村ではない", count=prefectures))
    if special:
        ignored.append(Ignored(str(path), "「特別区部」(13100) は23区の合計で、区市町村ではない",
                               count=special))
    if notes:
        ignored.append(Ignored(str(path), "注記の行", count=notes))
    ignored += [Ignored(str(path), "空欄（値も記号もない）のため使わない", column=c, count=n)
                for c, n in blank.items() if n]
    frame = item_frame(records, DATASET, source)
    frame["value"] = frame["value"].astype(np.float64)
    return frame, ignored


SUGATA = register(SugataReader())

__all__ = ["DATASET", "SUGATA", "SugataReader", "looks_like_sugata", "read_sugata"]
