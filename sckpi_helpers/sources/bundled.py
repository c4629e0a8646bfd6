"""The real statistics that ship with the kit under ``data/raw/``, and the reader of each file.

Why one list: the national build (``sckpi ingest --source ssdse``, the build that serves every real
city without settings of its own), the freshness check, the conformance test and the README's data
section must agree on which published files ship and who reads them. Each entry names the file
(relative to ``data/raw/``), the reader ``kind`` that reads it (``sources/base.py`` registry),
publisher, title, years and licence, and whether the national build reads it — with the reason
when it does not.

Not in the national build: 警視庁's 犯罪オープンデータ 車上ねらい 2021 is one of the seven 街頭犯罪
手口; on its own it would make 街頭犯罪認知件数 look like 車上ねらい only (a silent wrong number), so it
ships for the conformance test and as an example of the format, and a city adds the other 手口 files
of the year with ``--police``.

Stage 3 (sources): imports ``config`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sckpi_helpers.config import paths

CC_BY = "政府標準利用規約 2.0（CC BY 4.0 互換）"


@dataclass(frozen=True)
class BundledFile:
    """One published file shipped under ``data/raw/``."""

    path: str          # relative to data/raw/
    kind: str          # the reader that reads it (sources.base registry)
    publisher: str
    title: str
    years: str         # the years of its values, as the catalog files them
    licence: str = CC_BY
    national: bool = True   # read by the national build
    why_not: str = ""       # when not: why


_SUGATA = ("総務省統計局", "統計でみる市区町村のすがた 2019",
           "2013–2017 (the year of each column: A6107 2015, H5609 2016, J230121 2017 …)")
_KEISHICHO = ("警視庁", "区市町村の町丁別、罪種別及び手口別認知件数")
_JUKI = ("総務省", "住民基本台帳に基づく人口、人口動態及び世帯数（市区町村別・総計）")
_ZAISEI = ("総務省", "地方公共団体の主要財政指標一覧（市町村）")
_TOKYO = ("東京都", "国勢調査による東京都の昼間人口（従業地・通学地による人口）")

BUNDLED: tuple[BundledFile, ...] = (
    BundledFile("ssdse/SSDSE-A-2025.csv", "ssdse", "独立行政法人統計センター",
                "教育用標準データセット SSDSE-A 2025", "2019–2023 (per column)"),
    *(BundledFile(f"sugata-2019/2019-{f}.xls", "sugata", *_SUGATA) for f in "abcdefghij"),
    *(BundledFile(f"juki/{yy}03ssjin.{'xls' if yy < 21 else 'xlsx'}", "juki", *_JUKI,
                  f"population 1 Jan {2000 + yy} → {1999 + yy} (年度); flows of calendar {1999 + yy}")
      for yy in (18, 19, 20, 21, 22)),
    *(BundledFile(f"zaisei/city_{era}.xlsx", "zaisei", *_ZAISEI, f"FY{fy}")
      for era, fy in (("H30", 2018), ("R1", 2019), ("R2", 2020), ("R3", 2021))),
    *(BundledFile(f"tokyo-daytime/{era}第{t}表_{name}.csv", "tokyo-daytime", *_TOKYO, str(year),
                  licence="CC BY 4.0")
      for era, year in (("平成27年", 2015), ("令和2年", 2020))
      for t, name in (("1", "地域_昼間_常住_男女別人口"),
                      ("4", "地域_流入_流出先_通勤者(15歳以上)_通学者状態別人口"))),
    *(BundledFile(f"police/keishicho_ninchikensu_{era}.csv", "police-keishicho", *_KEISHICHO,
                  str(year))
      for era, year in (("H29", 2017), ("H30", 2018), ("H31", 2019), ("R3", 2021), ("R4", 2022),
                        ("R5", 2023), ("R6", 2024))),
    BundledFile("police/tokyo_2021syazyounerai.csv", "police-open-data", "警視庁",
                "犯罪オープンデータ 車上ねらい", "2021", national=False,
                why_not="one 手口 of the seven 街頭犯罪 手口: alone it would understate 街頭犯罪認知件数"),
)


#: the national build's table of code changes (``areas.load_mergers`` layout), relative to data/raw/
NATIONAL_MERGERS = "ssdse/mergers.csv"


def roots() -> list[Path]:
    """Where bundled files are looked for, in order: the project's ``data/raw`` (``$SCKPI_HOME``
    honoured), then the checkout's (as for the bundled SSDSE-A: a project home elsewhere still
    gets what the kit ships)."""
    return list(dict.fromkeys([paths.raw_dir(), paths.PACKAGE_DIR.parent / "data" / "raw"]))


def locate(relative: str) -> Path | None:
    """The bundled file ``relative`` (to data/raw/), from the first root that has it."""
    return next((root / relative for root in roots() if (root / relative).is_file()), None)


def bundled_paths() -> list[Path]:
    """Every bundled file that exists, in list order."""
    return [p for p in (locate(b.path) for b in BUNDLED) if p is not None]


def national_inputs() -> list[Path]:
    """The bundled files the national build reads besides SSDSE-A, whose newest edition
    (``ssdse.bundled_file``: an edition dropped in beside the bundled one replaces it) the
    build adds itself — two editions would give one cell two values."""
    return [p for b, p in zip(BUNDLED, (locate(b.path) for b in BUNDLED), strict=True)
            if b.national and b.kind != "ssdse" and p is not None]


def national_mergers() -> Path | None:
    """The code changes the national build applies (那珂川町 40305 → 那珂川市 40231), if shipped."""
    return locate(NATIONAL_MERGERS)


__all__ = ["BUNDLED", "NATIONAL_MERGERS", "BundledFile", "bundled_paths", "locate",
           "national_inputs", "national_mergers", "roots"]
