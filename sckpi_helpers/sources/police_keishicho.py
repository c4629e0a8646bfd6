"""Reader for 警視庁「区市町村の町丁別、罪種別及び手口別認知件数」: 刑法犯認知件数 per Tokyo municipality.

Why: SSDS's municipal 刑法犯認知件数 (K4201) ends in the late 2000s; the Tokyo Metropolitan Police
publish the current counts every year as one CSV (``R4.csv`` = 令和4年 = 2022). Its layout:

- CP932, CRLF; header ``市区町丁, 総合計, 凶悪犯計, 凶悪犯強盗, …`` (38 columns);
- one row per 町丁 (``千代田区丸の内１丁目``), then the municipality's total ``千代田区計`` — the
  count of all 刑法犯 recognised in that municipality (``千代田区計`` 2022 = 2,033);
- names may carry a district or island prefix (``西多摩郡瑞穂町計``, ``八丈島八丈町計``);
- at the end ``２３区計``, ``多摩地区・島部計`` and ``合計``: sums over several municipalities, which
  are **not** municipalities and are listed as ignored.

The reader emits the catalog input ``crimes_recognised`` (:data:`VARIABLE`) from the ``〇〇計`` rows'
``総合計``; the 町丁 rows are listed as ignored (one entry with their count) because the totals
replace them. Municipality names become 13xxx codes through the bundled SSDSE-A names (or an
``areas=`` frame from context), with the same ``<郡/島 name>`` prefix rule as the police open data.
A municipality with no row (some islands in some years) gets no value: the table does not say 0.

The year is only in the file name, as 元号 (``R4``, ``R04``, ``令和4年``, ``H30``) or a four-digit
year; an explicit ``year=`` wins (:func:`year_of_name`; eras through ``config.periods.era_year``),
but through the registry (a build's ``--police-year``) only for a file whose name has no year.

Stage 3 (sources): imports ``errors``, ``config`` and other ``sources`` modules only.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.config.periods import era_year
from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources.base import PANEL_COLUMNS, Ignored, Reader, ReadResult, register
from sckpi_helpers.sources.cells import canonical_mark
from sckpi_helpers.sources.numbers import parse_number
from sckpi_helpers.sources.police_open_data import NameIndex, first_row, known_names, read_rows

#: catalog input id (inputs.yaml: 刑法犯認知件数)
VARIABLE = "crimes_recognised"
UNIT = "件"
TOKYO = "13"
#: sums over several municipalities (after NFKC: ``２３区計`` → ``23区計``)
AGGREGATES = frozenset({"23区計", "多摩地区・島部計", "合計"})
#: an era year somewhere in a file name (``R4``, ``R04``, ``令和4年``, ``H30``); converted by config.periods
_ERA = re.compile(r"(?:(?<![A-Za-z])(?P<letter>[RH])(?P<n1>\d{1,2})(?!\d)"
                  r"|(?P<name>令和|平成)(?P<n2>\d{1,2}|元)年?)")


def year_of_name(name: str, year: int | str | None = None) -> int | None:
    """``R4.csv`` → 2022, ``令和元年`` → 2019, ``H30`` → 2018, ``2024`` → 2024; ``year`` wins."""
    if year is not None and str(year).strip():
        return int(str(year).strip())
    text = unicodedata.normalize("NFKC", Path(name).stem)
    found = re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", text)
    if len(set(found)) == 1:
        return int(found[0])
    m = _ERA.search(text)
    if not m:
        return None
    n = m["n1"] or m["n2"]
    return era_year(m["letter"] or m["name"], n)


class KeishichoReader(Reader):
    """警視庁 町丁別認知件数 → ``panel`` rows of ``crimes_recognised`` per municipality."""

    kind = "police-keishicho"
    title_ja = "警視庁 区市町村の町丁別、罪種別及び手口別認知件数"
    target = "panel"

    def recognise(self, path: Path, head: bytes) -> bool:
        cells = [unicodedata.normalize("NFKC", c).replace("\ufeff", "").strip()
                 for c in first_row(head, path) or []]
        return cells[:2] == ["市区町丁", "総合計"]

    def read(self, path: Path, **context: Any) -> ReadResult:
        # a build's ``year`` (--police-year) is for files whose name carries none: the bundled
        # files of other years must keep theirs
        year = year_of_name(path.name) or context.get("year")
        frame, ignored = read_keishicho(path, year=year, areas=context.get("areas"))
        return ReadResult(self.kind, self.target, frame, ignored, file=str(path))


def read_keishicho(path: str | Path, year: int | str | None = None,
                   areas: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[Ignored]]:
    """``PANEL_COLUMNS`` rows (``crimes_recognised``, one per municipality) and what was left out."""
    path = Path(path)
    header, rows, lines = read_rows(path)
    if [unicodedata.normalize("NFKC", c).replace("\ufeff", "").strip() for c in header[:2]] != \
            ["市区町丁", "総合計"]:
        raise InputFileError("expected the header '市区町丁, 総合計, …'", file=path, row=1)
    the_year = year_of_name(path.name, year)
    if the_year is None:
        raise InputFileError("ファイル名から年が分かりません（例: R4.csv = 令和4年）。年を指定して"
                             "ください (pass year=)", file=path)
    index = NameIndex()
    index.add_frame(known_names(areas))
    out: list[dict[str, Any]] = []
    ignored: list[Ignored] = []
    wards = 0
    for row, line in zip(rows, lines, strict=True):
        name = unicodedata.normalize("NFKC", row[0] if row else "").strip()
        if not name:
            continue
        if not name.endswith("計"):
            wards += 1
            continue
        if name in AGGREGATES:
            ignored.append(Ignored(str(path), f"「{row[0].strip()}」は複数の区市町村の合計で、"
                                   "区市町村ではない", row=line))
            continue
        code = index.find([TOKYO], name[:-1])
        if code is None:
            ignored.append(Ignored(str(path), f"「{name[:-1]}」の市区町村コードが決まらない",
                                   row=line, column=header[0]))
            continue
        cell = row[1] if len(row) > 1 else ""
        mark = canonical_mark(cell)
        try:
            value = np.nan if mark else parse_number(cell)
        except ValueError:
            raise InputFileError(f"{cell!r} is not a number", file=path, row=line,
                                 column=header[1]) from None
        out.append({"area_code": code, "area_name": index.names.get(code, name[:-1]),
                    "value": np.nan if value is None else value, "annotation": mark})
    if wards:
        ignored.append(Ignored(str(path), "町丁別の行は使わない（区市町村計の行を使う）",
                               column=header[0], count=wards))
    frame = pd.DataFrame(out, columns=["area_code", "area_name", "value", "annotation"])
    frame = frame.assign(year=the_year, variable=VARIABLE, unit=UNIT, published=None,
                         source=f"警視庁 区市町村の町丁別、罪種別及び手口別認知件数 {the_year}年 "
                                f"({path.name})")
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    frame["annotation"] = frame["annotation"].astype(object)
    frame["published"] = frame["published"].astype(object)
    return frame[PANEL_COLUMNS], ignored


KEISHICHO = register(KeishichoReader())

__all__ = ["AGGREGATES", "KEISHICHO", "VARIABLE", "KeishichoReader", "read_keishicho",
           "year_of_name"]
