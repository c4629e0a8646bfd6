"""Reader for the prefectural police's 犯罪オープンデータ (警察庁 standard): street crimes per municipality.

Why: SSDS's municipal crime series end in the late 2000s; the police publish, per prefecture,
手口 and year, one CSV row per recognised offence (街頭犯罪: ひったくり, 車上ねらい, 部品ねらい,
自動販売機ねらい, 自動車盗, オートバイ盗, 自転車盗). Counting the rows per municipality gives the
current series, the catalog input ``street_crimes`` (:data:`STREET_CRIMES_VARIABLE`).

What the files look like (``tokyo_2021syazyounerai.csv``, and variants between prefectures and
years): CP932 or UTF-8 with BOM; columns ``罪名, 手口, 管轄警察署（発生地）, …,
市区町村コード（発生地）, 都道府県（発生地）, 市区町村（発生地）, 町丁目（発生地）, 発生年月日（始期）, …``
— the ``（発生地）`` suffix may be missing and extra columns differ by 手口 (施錠関係, 被害者の性別 …).

Rules (each one is a test):

- **year** = the file's year: a four-digit year in the file name (``tokyo_2021…`` → 2021) or an
  explicit ``year=``. Never the occurrence date: the 2021 file lists offences *recognised* in
  2021, some of which *occurred* in 2019–2020.
- **area** = the 6-digit 全国地方公共団体コード (check digit verified) → 5-digit code. When the code
  is blank, the municipality name is looked up within its prefecture: first in the file's own
  coded rows, then in the bundled SSDSE-A names (:func:`ssdse.municipality_names`) or a
  ``areas=`` frame (``area_code, area_name``) from context. A name matches exactly, or as
  ``<郡 or 島 name><municipality>`` (``八丈島八丈町`` → 八丈町, ``西多摩郡瑞穂町`` → 瑞穂町).
- **designated cities**: offences carry ward codes; each ward gets its count and the city
  (:func:`areas.parent_code`) gets the sum of its wards.
- **zeros**: the file lists every recognised offence of its prefecture, so a municipality of that
  prefecture known from the bundled names and absent from the file has 0 offences of the 手口.
- every row that cannot be placed (no code and no name, unknown name, bad code, a 手口 that is not
  a street crime) is listed in ``ReadResult.ignored`` with its line number: counts + ignored rows
  = data rows, always.

One file covers one 手口; :func:`sum_methods` adds several files' rows into ``street_crimes``.

Stage 3 (sources): imports ``errors``, ``config`` and other ``sources`` modules only.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.errors import InputFileError, SckpiError
from sckpi_helpers.sources import areas as area_codes
from sckpi_helpers.sources.base import PANEL_COLUMNS, Ignored, Reader, ReadResult, head_rows, register
from sckpi_helpers.sources.cells import decode
from sckpi_helpers.sources.ssdse import municipality_names

#: catalog input id of the street-crime count (added to the catalog by the catalog's owner)
STREET_CRIMES_VARIABLE = "street_crimes"
#: the 街頭犯罪 手口 the police open data cover (警察庁 standard; ``自販機ねらい`` is a spelling some
#: prefectures use)
STREET_CRIME_METHODS = frozenset({"ひったくり", "車上ねらい", "部品ねらい", "自動販売機ねらい",
                                  "自販機ねらい", "自動車盗", "オートバイ盗", "自転車盗"})
UNIT = "件"
#: header keys (``（発生地）`` and blanks removed) the reader needs
REQUIRED = ("手口", "市区町村コード", "市区町村")
_SUFFIX = re.compile(r"\(発生地\)$")
_PREFIX = re.compile(r"^.+[郡島]$")


def header_key(cell: str) -> str:
    """``市区町村コード（発生地）`` → ``市区町村コード``; blanks and BOM removed."""
    return _SUFFIX.sub("", re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell.replace("\ufeff", ""))))


def first_row(head: bytes, path: Path) -> list[str] | None:
    """The header cells in the first line of ``head`` (None when it is not text)."""
    rows = head_rows(head, 1)
    return rows[0] if rows else None


class PoliceOpenDataReader(Reader):
    """犯罪オープンデータ (one row per offence) → ``panel`` rows of ``street_crimes``."""

    kind = "police-open-data"
    title_ja = "都道府県警察 犯罪オープンデータ（街頭犯罪）"
    target = "panel"

    def recognise(self, path: Path, head: bytes) -> bool:
        cells = first_row(head, path)
        keys = {header_key(c) for c in cells or []}
        return "罪名" in keys and all(k in keys for k in REQUIRED)

    def read(self, path: Path, **context: Any) -> ReadResult:
        frame, ignored = read_police_open_data(path, year=context.get("year"),
                                               areas=context.get("areas"))
        return ReadResult(self.kind, self.target, frame, ignored, file=str(path))


def year_of_file(path: str | Path, year: int | str | None = None) -> int:
    """The year a file counts: ``year`` when given, else the one four-digit year in its name."""
    if year is not None and str(year).strip():
        try:
            return int(str(year).strip())
        except ValueError:
            raise InputFileError(f"year={year!r} is not a year", file=path) from None
    found = set(re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", Path(path).name))
    if len(found) != 1:
        raise InputFileError("ファイル名から集計年が分かりません（例: tokyo_2021syazyounerai.csv）。"
                             "年を指定してください (pass year=)", file=path)
    return int(found.pop())


def code_of(text: str) -> str:
    """A 6-digit 全国地方公共団体コード (check digit verified) or a 5-digit code → 5 digits."""
    if re.fullmatch(r"\d{6}", text):
        return area_codes.from_lg_code(text)
    if re.fullmatch(r"\d{5}", text):
        return text
    raise SckpiError(f"{text!r} is neither a 6-digit nor a 5-digit area code")


def read_rows(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """(header, data rows, the editor line each row starts on) of a CSV in CP932 or UTF-8."""
    reader = csv.reader(io.StringIO(decode(path.read_bytes(), path), newline=""))
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    for row in reader:
        rows.append(row)
        lines.append(start)
        start = reader.line_num + 1
    if not rows:
        raise InputFileError("the file is empty", file=path)
    return rows[0], rows[1:], lines[1:]


class NameIndex:
    """Municipality name → 5-digit code within a prefecture, from coded rows and known names."""

    def __init__(self) -> None:
        self._codes: dict[tuple[str, str], set[str]] = {}
        self.pref_of_name: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self._found: dict[tuple[tuple[str, ...], str], str | None] = {}

    def add(self, code: str, pref_name: str, name: str) -> None:
        pref = code[:2]
        name = unicodedata.normalize("NFKC", name).strip()
        if pref_name:
            self.pref_of_name.setdefault(pref_name, pref)
        if name:
            self._codes.setdefault((pref, name), set()).add(code)
            self.names.setdefault(code, name)

    def add_frame(self, known: pd.DataFrame) -> None:
        """Add ``area_code, pref_name, area_name`` rows (see :func:`known_names`)."""
        for rec in known.itertuples(index=False):
            self.add(rec.area_code, rec.pref_name, rec.area_name)

    def find(self, prefs: list[str], name: str) -> str | None:
        """The one code whose name is ``name``, or ``<郡/島 name>`` + it, in one of ``prefs``."""
        name = unicodedata.normalize("NFKC", name).strip()
        key = (tuple(prefs), name)
        if key not in self._found:
            self._found[key] = self._search(prefs, name)
        return self._found[key]

    def _search(self, prefs: list[str], name: str) -> str | None:
        for exact in (True, False):
            hits = {c for (p, n), codes in self._codes.items() if p in prefs
                    and (n == name if exact else name.endswith(n) and _PREFIX.match(name[:-len(n)]))
                    for c in codes}
            if hits:
                return hits.pop() if len(hits) == 1 else None
        return None


def read_police_open_data(path: str | Path, year: int | str | None = None,
                          areas: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[Ignored]]:
    """``PANEL_COLUMNS`` rows (``street_crimes`` per municipality, ward and designated city for the
    file's year) and every row not counted, with its line number and the reason."""
    path = Path(path)
    header, rows, lines = read_rows(path)
    keys = [header_key(c) for c in header]
    missing = [k for k in REQUIRED if k not in keys]
    if missing:
        raise InputFileError(f"犯罪オープンデータの列 {', '.join(missing)} がありません", file=path,
                             row=1, column=missing[0])
    at = {k: keys.index(k) for k in (*REQUIRED, "都道府県") if k in keys}
    the_year = year_of_file(path, year)

    def cell(row: list[str], key: str) -> str:
        j = at.get(key)
        return unicodedata.normalize("NFKC", row[j]).strip() if j is not None and j < len(row) else ""

    index = NameIndex()
    coded: list[str | None] = []
    problems: dict[int, str] = {}
    for i, row in enumerate(rows):
        code = cell(row, "市区町村コード")
        coded.append(None)
        if not code:
            continue
        try:
            code5 = code_of(code)
        except SckpiError as exc:
            problems[i] = f"市区町村コード {code} が正しくない ({exc})"
            continue
        coded[i] = code5
        index.add(code5, cell(row, "都道府県"), cell(row, "市区町村"))
    file_prefs = sorted({c[:2] for c in coded if c})
    known = known_names(areas)
    index.add_frame(known)

    counts: Counter[str] = Counter()
    ignored: list[Ignored] = []
    methods: Counter[str] = Counter()
    for i, row in enumerate(rows):
        if not any(c.strip() for c in row):
            continue  # a blank line is no offence
        method = cell(row, "手口")
        code5 = coded[i]
        if method not in STREET_CRIME_METHODS:
            reason = f"手口「{method}」は街頭犯罪の手口ではない"
        elif i in problems:
            reason = problems[i]
        elif code5 is None:
            code5, reason = _by_name(index, cell(row, "都道府県"), cell(row, "市区町村"), file_prefs)
        else:
            reason = ""
        if code5 is None or reason:
            ignored.append(Ignored(str(path), f"数えない: {reason}", row=lines[i]))
            continue
        counts[code5] += 1
        methods[method] += 1
    frame = _panel(counts, index, file_prefs, known, the_year, methods, path)
    return frame, ignored


def known_names(areas: pd.DataFrame | None) -> pd.DataFrame:
    """Names known besides a file's own rows (``area_code, pref_name, area_name``): the caller's
    ``areas`` (``area_code, area_name``) or else the bundled SSDSE-A."""
    if areas is not None and not areas.empty:
        return areas[["area_code", "area_name"]].astype(str).assign(pref_name="")[
            ["area_code", "pref_name", "area_name"]]
    return municipality_names()


def _by_name(index: NameIndex, pref_name: str, name: str,
             file_prefs: list[str]) -> tuple[str | None, str]:
    if not name:
        return None, "市区町村コードも市区町村名もない"
    prefs = [index.pref_of_name[pref_name]] if pref_name in index.pref_of_name else file_prefs
    code = index.find(prefs, name)
    if code is None:
        return None, f"市区町村コードが空で、市区町村名「{name}」からコードが決まらない"
    return code, ""


def _panel(counts: Counter[str], index: NameIndex, file_prefs: list[str], known: pd.DataFrame,
           year: int, methods: Counter[str], path: Path) -> pd.DataFrame:
    """Counts per code, plus designated cities as the sum of their wards, plus zeros."""
    totals: Counter[str] = Counter(counts)
    for code, n in counts.items():
        if area_codes.level_of(code) == "ward":
            parent = area_codes.parent_code(code)
            if parent:
                totals[parent] += n
    for code in known.loc[known["area_code"].str[:2].isin(file_prefs), "area_code"]:
        totals.setdefault(code, 0)
    label = "・".join(sorted(methods)) or "街頭犯罪"
    source = f"犯罪オープンデータ {label} {year}年 ({path.name})"
    codes = sorted(totals)
    return pd.DataFrame({
        "area_code": codes,
        "area_name": [index.names.get(c, "") for c in codes],
        "year": pd.Series([year] * len(codes), dtype="int64"),
        "variable": STREET_CRIMES_VARIABLE,
        "value": pd.Series([float(totals[c]) for c in codes], dtype="float64"),
        "unit": UNIT,
        "source": source,
        "annotation": pd.Series([None] * len(codes), dtype=object),
        "published": pd.Series([None] * len(codes), dtype=object),
    }, columns=PANEL_COLUMNS)


def sum_methods(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Several 手口 files' ``street_crimes`` rows → one row per area and year (the sum), ``source``
    naming every file. Refuses one 手口 twice for the same prefecture and year (it would count
    twice); files of different prefectures add up side by side."""
    if not frames:
        return pd.DataFrame(columns=PANEL_COLUMNS)
    seen: dict[tuple[int, str, str], str] = {}
    for frame in frames:
        for (year, source), rows in frame.groupby(["year", "source"]):
            method = str(source).split(" ")[1]  # "犯罪オープンデータ <手口> <year>年 (file)"
            for pref in sorted(set(rows["area_code"].str[:2])):
                key = (int(year), method, pref)
                if key in seen:
                    raise SckpiError(f"犯罪オープンデータ: the same 手口 twice for {year}, "
                                     f"prefecture {pref}: {seen[key]} and {source}")
                seen[key] = str(source)
    df = pd.concat(frames, ignore_index=True)
    out = df.groupby(["area_code", "year", "variable"], as_index=False, sort=True).agg(
        area_name=("area_name", "first"), value=("value", "sum"), unit=("unit", "first"),
        source=("source", lambda s: "; ".join(sorted(set(s)))),
        annotation=("annotation", "first"), published=("published", "first"))
    return out[PANEL_COLUMNS]


POLICE_OPEN_DATA = register(PoliceOpenDataReader())

__all__ = ["POLICE_OPEN_DATA", "STREET_CRIMES_VARIABLE", "STREET_CRIME_METHODS", "NameIndex",
           "PoliceOpenDataReader", "code_of", "first_row", "header_key", "known_names", "read_police_open_data", "read_rows",
           "sum_methods", "year_of_file"]
