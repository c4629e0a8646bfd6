"""Reader for 東京都「国勢調査による東京都の昼間人口」第1表 and 第4表 (census 2015, 2020).

Why: the default 補正人口 is 常住人口 + 流入人口 (``resident_plus_inflow``); SSDSE-A carries neither
the daytime nor the inflow population. 東京都 publishes both per municipality as open data (CC BY 4.0).

- 第1表 (``…第1表_地域_昼間_常住_男女別人口.csv``): 昼間人口, 常住人口, 昼夜間人口比率 (総数/男/女);
- 第4表 (``…第4表_地域_流入_流出先_…csv``): 流入人口 and 流出人口, each 総数, 都内他地域から(へ) and
  他道府県から(へ), by 通勤者 / 通学者.

UTF-8 with BOM; headings ``<item>（<unit>）`` (``昼間人口／総数（人）``). Headings differ slightly between
years (``階層`` vs ``地域階層``, the 面積 unit): the level column is found by either name and items by
heading without the unit. Rows: ``階層`` 0 (東京都総数), 1 (区部・市部・郡部・島部: sums) and 2 (the 62
区市町村, 5-digit 地域コード); only 2 is kept, the others are left out with a count, as are the notes
at the end. The census year is in the file name (``令和2年`` = 2020, ``平成27年`` = 2015).

Rows carry ``stats_data_id`` = ``tokyo-daytime`` and the heading (without unit) as item code; the
catalog maps 流入人口 = 都内他地域から + 他道府県から (the total inflow, as A6105 + A6106).

Stage 3 (sources): imports ``errors``, ``config`` and other ``sources`` modules only.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path
from typing import Any

from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources.base import Ignored, Reader, ReadResult, head_rows, register
from sckpi_helpers.sources.cells import decode
from sckpi_helpers.sources.police_keishicho import year_of_name
from sckpi_helpers.sources.spreadsheet import cell_value, item_frame

DATASET = "tokyo-daytime"
TITLE = "国勢調査による東京都の昼間人口"
#: the items read (headings without their unit); the other columns (男/女, 通勤者/通学者 …) are not
ITEMS = ("昼間人口／総数", "常住人口／総数", "昼夜間人口比率／総数",
         "流入人口／総数", "流入人口／都内他地域から", "流入人口／他道府県から",
         "流出人口／総数", "流出人口／都内他地域へ", "流出人口／他道府県へ")
LEVEL_HEADINGS = ("階層", "地域階層")
_HEADING = re.compile(r"^(?P<item>.+?)[（(](?P<unit>[^（）()]*)[）)]$")


def _norm(cell: str) -> str:
    return unicodedata.normalize("NFKC", cell).replace("\ufeff", "").strip().replace("/", "／")


def split_heading(heading: str) -> tuple[str, str]:
    """``昼間人口／総数（人）`` → (``昼間人口／総数``, ``人``); a heading without a unit → (it, "")."""
    h = _norm(heading)
    m = _HEADING.match(h)
    return (m["item"].strip(), m["unit"].strip()) if m else (h, "")


def _is_tokyo(header: list[str]) -> bool:
    cells = [_norm(c) for c in header]
    items = {split_heading(c)[0] for c in cells}
    return "地域コード" in cells and any(h in cells for h in LEVEL_HEADINGS) and \
        bool(items & {"昼間人口／総数", "流入人口／総数"})


class TokyoDaytimeReader(Reader):
    """東京都の昼間人口 第1表・第4表 → ``items`` rows, dataset ``tokyo-daytime``."""

    kind = "tokyo-daytime"
    title_ja = "国勢調査による東京都の昼間人口（東京都）"
    target = "items"

    def recognise(self, path: Path, head: bytes) -> bool:
        rows = head_rows(head, 2)
        return bool(rows) and _is_tokyo(rows[0])

    def read(self, path: Path, **context: Any) -> ReadResult:
        frame, ignored = read_tokyo_daytime(path, year=context.get("year"))
        return ReadResult(self.kind, self.target, frame, ignored, file=str(path))


def read_tokyo_daytime(path: str | Path, year: int | None = None):
    """Tidy ``ITEM_COLUMNS`` rows of one table and what was left out (with counts)."""
    path = Path(path)
    rows = list(csv.reader(io.StringIO(decode(path.read_bytes(), path))))
    if not rows or not _is_tokyo(rows[0]):
        raise InputFileError("not a table of 東京都の昼間人口: expected '地域コード', '階層' and "
                             "'昼間人口／総数（人）' or '流入人口／総数（人）' in row 1", file=path, row=1)
    header = [_norm(c) for c in rows[0]]
    census = year_of_name(path.name, year)
    if census is None:
        raise InputFileError("the census year is not in the file name (e.g. 令和2年)", file=path)
    level = next(header.index(h) for h in LEVEL_HEADINGS if h in header)
    code_col, name_col = header.index("地域コード"), header.index("地域")
    cols = {split_heading(h)[0]: (j, split_heading(h)[1]) for j, h in enumerate(header)}
    wanted = [(item, *cols[item]) for item in ITEMS if item in cols]
    source = f"東京都 {TITLE} {census}年 ({path.name})"
    records: list[dict[str, Any]] = []
    sums = notes = 0
    for i, row in enumerate(rows[1:], start=2):
        lv = row[level].strip() if len(row) > level else ""
        if lv in ("0", "1"):
            sums += 1
            continue
        if lv != "2":
            notes += any(c.strip() for c in row)
            continue
        code = row[code_col].strip()
        if not re.fullmatch(r"13\d{3}", code):
            raise InputFileError(f"{code!r} is not a 5-digit area code of 東京都", file=path, row=i,
                                 column=rows[0][code_col])
        for item, j, unit in wanted:
            cell = cell_value(row[j] if j < len(row) else "", path, i, rows[0][j])
            if cell is None:
                continue
            records.append({"area_code": code, "area_name": row[name_col].strip(), "year": census,
                            "time_code": f"{census}-10-01", "item_code": item, "item_name": item,
                            "unit": unit, "value": cell[0], "annotation": cell[1]})
    ignored = []
    if sums:
        ignored.append(Ignored(str(path), "階層 0・1 の行（東京都総数・区部・市部・郡部・島部）は合計で、"
                               "区市町村ではない", count=sums))
    if notes:
        ignored.append(Ignored(str(path), "注記の行", count=notes))
    return item_frame(records, DATASET, source), ignored


TOKYO_DAYTIME = register(TokyoDaytimeReader())

__all__ = ["DATASET", "ITEMS", "TOKYO_DAYTIME", "TokyoDaytimeReader", "read_tokyo_daytime",
           "split_heading"]
