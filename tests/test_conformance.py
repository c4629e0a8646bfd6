"""Conformance: published values of every bundled real file, read through the kit's registry.

Each line of :data:`PUBLISHED` is one value as the publisher printed it: the file (under
``data/raw/``), the row and column where it stands (a spreadsheet's row number and column letter,
a CSV's line number and heading), the area, the publisher's item (or the catalog input for readers
that give inputs directly), the year the kit files it under, the unit as published (normalised
once: ``人:person`` → ``人``, ``％`` → ``%``), the value (or the no-data mark), and the catalog input
and unit it must land under. Three checks per line, so a wrong line in this table fails too:

1. the cell at that row and column holds the value (read with the file's own layout, no reader);
2. the registered reader (``sources.base.reader_for``) gives it under that area, item, year, unit;
3. the catalog maps it to that input, year and unit (``catalog.items.tidy_to_inputs``).

Values: checked by hand against the files (/work/shared/real-data/README.md gives several).
The juki rows say the kit's year rule: the 1 January population is filed under the 年度 of the
date (SSDS A2301); the police open data row counts the offences coded to the municipality.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from typing import Any, NamedTuple

import pytest

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.catalog.items import normalize_unit, tidy_to_inputs
from sckpi_helpers.sources import base
from sckpi_helpers.sources.areas import to_lg_code
from sckpi_helpers.sources.bundled import BUNDLED, locate
from sckpi_helpers.sources.cells import decode
from sckpi_helpers.sources.spreadsheet import cell_value, is_workbook, sheet_rows

CAT = load_catalog()
MARK = "…"  # expected "value" of a no-data cell is its canonical mark


class Value(NamedTuple):
    file: str
    row: int | None      # None: a count of rows carrying the area's code in ``column``
    column: str          # column letter (workbooks) or heading (CSV)
    area: str
    item: str            # publisher's item code (items readers) or catalog input (panel readers)
    year: int
    unit: str            # as published, normalised
    value: float | str   # a number, or the no-data mark
    input: str           # the catalog input it lands under
    input_unit: str      # the unit it carries there


S, J, Z = "sugata-2019/2019-", "juki/", "zaisei/city_"
T1, T4 = ("tokyo-daytime/{}第1表_地域_昼間_常住_男女別人口.csv",
          "tokyo-daytime/{}第4表_地域_流入_流出先_通勤者(15歳以上)_通学者状態別人口.csv")
R2, H27 = "令和2年", "平成27年"
K = "police/keishicho_ninchikensu_{}.csv"
SSDSE = "ssdse/SSDSE-A-2025.csv"

PUBLISHED: list[Value] = [
    # 教育用標準データセット SSDSE-A 2025 (line 4 札幌市, 631 千代田区, 893 生坂村)
    Value(SSDSE, 4, "A1101", "01100", "A1101", 2020, "", 1_973_395, "population_census", ""),
    Value(SSDSE, 631, "A1101", "13101", "A1101", 2020, "", 66_680, "population_census", ""),
    Value(SSDSE, 893, "A1101", "20448", "A1101", 2020, "", 1_639, "population_census", ""),
    Value(SSDSE, 631, "I6100", "13101", "I6100", 2022, "", 1_935, "doctors", ""),
    Value(SSDSE, 4, "A4101", "01100", "A4101", 2022, "", 11_172, "births", ""),
    Value(SSDSE, 631, "D2203", "13101", "D2203", 2021, "", 73.4, "current_balance_ratio", ""),
    # 統計でみる市区町村のすがた 2019
    Value(S + "a.xls", 683, "U", "13101", "A6107", 2015, "人", 853_068, "daytime_population", "人"),
    Value(S + "a.xls", 12, "K", "01100", "A1101", 2015, "人", 1_952_356, "population_census", "人"),
    Value(S + "h.xls", 12, "Q", "01100", "H5609", 2016, "t", 645_436, "waste_total", "t"),
    Value(S + "h.xls", 12, "R", "01100", "H5614", 2016, "%", 26.9, "", ""),
    Value(S + "h.xls", 683, "R", "13101", "H5614", 2016, "%", MARK, "", ""),
    Value(S + "d.xls", 1381, "K", "29201", "D2201", 2016, "-", 0.76, "fiscal_strength_index", ""),
    Value(S + "j.xls", 1381, "K", "29201", "J230121", 2017, "所", 22, "elderly_care_facilities", "施設"),
    Value(S + "i.xls", 1934, "N", "47201", "I6100", 2016, "人", 809, "doctors", "人"),
    Value(S + "i.xls", 683, "K", "13101", "I510120", 2016, "施設", 15, "hospitals", "施設"),
    # 住民基本台帳に基づく人口、人口動態及び世帯数 (1 January of the file's year → the 年度 before)
    Value(J + "2203ssjin.xlsx", 773, "F", "13101", "人口／計", 2021, "人", 67_049, "population_resident", "人"),
    Value(J + "1803ssjin.xls", 771, "F", "13101", "人口／計", 2017, "人", 61_269, "population_resident", "人"),
    Value(J + "2203ssjin.xlsx", 9, "F", "01100", "人口／計", 2021, "人", 1_960_668, "population_resident", "人"),
    Value(J + "2003ssjin.xls", 7, "F", "01100", "人口／計", 2019, "人", 1_959_313, "population_resident", "人"),
    Value(J + "2203ssjin.xlsx", 1122, "F", "20448", "人口／計", 2021, "人", 1_705, "population_resident", "人"),
    Value(J + "2203ssjin.xlsx", 773, "G", "13101", "世帯数", 2021, "世帯", 37_773, "", ""),
    Value(J + "2203ssjin.xlsx", 773, "K", "13101", "住民票記載数／出生者数", 2021, "人", 616, "", ""),
    Value(J + "2203ssjin.xlsx", 773, "Q", "13101", "住民票消除数／死亡者数", 2021, "人", 450, "", ""),
    # 地方公共団体の主要財政指標一覧 (the file prints no unit)
    Value(Z + "H30.xlsx", 630, "D", "13101", "財政力指数", 2018, "", 0.90, "fiscal_strength_index", ""),
    Value(Z + "R3.xlsx", 630, "D", "13101", "財政力指数", 2021, "", 0.87, "fiscal_strength_index", ""),
    Value(Z + "R3.xlsx", 3, "D", "01100", "財政力指数", 2021, "", 0.72, "fiscal_strength_index", ""),
    Value(Z + "R3.xlsx", 3, "E", "01100", "経常収支比率", 2021, "", 93.0, "current_balance_ratio", "%"),
    Value(Z + "H30.xlsx", 630, "E", "13101", "経常収支比率", 2018, "", 73.7, "current_balance_ratio", "%"),
    Value(Z + "R3.xlsx", 630, "F", "13101", "実質公債費比率", 2021, "", -0.6, "real_debt_service_ratio", "%"),
    Value(Z + "R3.xlsx", 630, "G", "13101", "将来負担比率", 2021, "", "-", "future_burden_ratio", "%"),
    Value(Z + "R3.xlsx", 892, "H", "20448", "ラスパイレス指数", 2021, "", 96.0, "laspeyres_index", "指数"),
    # 東京都 国勢調査による東京都の昼間人口 (census 2020 and 2015)
    Value(T1.format(R2), 4, "昼間人口／総数（人）", "13101", "昼間人口／総数", 2020, "人", 903_780,
          "daytime_population", "人"),
    Value(T1.format(R2), 4, "常住人口／総数（人）", "13101", "常住人口／総数", 2020, "人", 66_680,
          "population_census", "人"),
    Value(T1.format(R2), 4, "昼夜間人口比率／総数（％）", "13101", "昼夜間人口比率／総数", 2020, "%",
          1355.4, "day_night_ratio", "%"),
    Value(T4.format(R2), 4, "流入人口／総数（人）", "13101", "流入人口／総数", 2020, "人", 850_920,
          "inflow_population", "人"),
    Value(T4.format(R2), 4, "流出人口／総数（人）", "13101", "流出人口／総数", 2020, "人", 13_824,
          "outflow_population", "人"),
    Value(T4.format(R2), 4, "流出人口／都内他地域へ（人）", "13101", "流出人口／都内他地域へ", 2020, "人",
          11_980, "", ""),
    Value(T1.format(H27), 4, "昼間人口／総数（人）", "13101", "昼間人口／総数", 2015, "人", 853_068,
          "daytime_population", "人"),
    Value(T1.format(H27), 4, "常住人口／総数（人）", "13101", "常住人口／総数", 2015, "人", 58_406,
          "population_census", "人"),
    Value(T4.format(H27), 4, "流入人口／総数（人）", "13101", "流入人口／総数", 2015, "人", 805_792,
          "inflow_population", "人"),
    # 警視庁 区市町村の町丁別、罪種別及び手口別認知件数 (<区市町村>計 rows, 総合計)
    Value(K.format("R4"), 111, "総合計", "13101", "crimes_recognised", 2022, "件", 2_033, "crimes_recognised", "件"),
    Value(K.format("R6"), 115, "総合計", "13101", "crimes_recognised", 2024, "件", 2_532, "crimes_recognised", "件"),
    Value(K.format("H29"), 473, "総合計", "13104", "crimes_recognised", 2017, "件", 6_485, "crimes_recognised", "件"),
    Value(K.format("H30"), 477, "総合計", "13104", "crimes_recognised", 2018, "件", 6_416, "crimes_recognised", "件"),
    Value(K.format("H31"), 476, "総合計", "13104", "crimes_recognised", 2019, "件", 5_898, "crimes_recognised", "件"),
    Value(K.format("R3"), 462, "総合計", "13104", "crimes_recognised", 2021, "件", 4_421, "crimes_recognised", "件"),
    Value(K.format("R5"), 484, "総合計", "13104", "crimes_recognised", 2023, "件", 5_537, "crimes_recognised", "件"),
    # 警視庁 犯罪オープンデータ 車上ねらい 2021 (one row per offence: counted per municipality code)
    Value("police/tokyo_2021syazyounerai.csv", None, "市区町村コード（発生地）", "13101", "street_crimes",
          2021, "件", 9, "street_crimes", "件"),
    Value("police/tokyo_2021syazyounerai.csv", None, "市区町村コード（発生地）", "13104", "street_crimes",
          2021, "件", 50, "street_crimes", "件"),
    Value("police/tokyo_2021syazyounerai.csv", None, "市区町村コード（発生地）", "13201", "street_crimes",
          2021, "件", 70, "street_crimes", "件"),
]


def _letter(column: str) -> int:
    n = 0
    for ch in column:
        n = n * 26 + ord(ch) - 64
    return n - 1


@functools.cache
def _csv_rows(file: str) -> list[list[str]]:
    path = locate(file)
    return list(csv.reader(io.StringIO(decode(path.read_bytes(), path))))


@functools.cache
def _read(file: str) -> base.ReadResult:
    path = locate(file)
    reader = base.reader_for(path)
    assert reader is not None, f"no registered reader recognises {file}"
    return reader.read(path)


def published_cell(v: Value) -> Any:
    """The cell as the file holds it, read with the file's own layout (no reader involved)."""
    path = locate(v.file)
    if is_workbook(path):
        return sheet_rows(path)[v.row - 1][_letter(v.column)]
    rows = _csv_rows(v.file)
    j = [c.strip() for c in rows[0]].index(v.column)
    if v.row is None:
        return sum(1 for r in rows[1:] if len(r) > j and r[j].strip() == to_lg_code(v.area))
    return rows[v.row - 1][j]


def same(got: float, annotation: Any, want: float | str) -> bool:
    if isinstance(want, str):
        return math.isnan(got) and annotation == want
    return got == pytest.approx(want, abs=1e-9)


def test_the_table_covers_every_publisher_and_at_least_30_values():
    assert len(PUBLISHED) >= 30
    kinds = {_read(v.file).kind for v in PUBLISHED}
    assert kinds == {b.kind for b in BUNDLED}  # SSDSE-A, すがた, juki, zaisei, 東京都, 警視庁 ×2


def test_every_bundled_file_is_read_by_its_registered_reader():
    for entry in BUNDLED:
        result = _read(entry.path)
        assert result.kind == entry.kind and len(result.frame), entry.path


@pytest.mark.parametrize("v", PUBLISHED, ids=lambda v: f"{v.file.split('/')[-1][:18]}:{v.row}:{v.column[:6]}")
def test_published_value_is_where_the_table_says(v: Value):
    found = published_cell(v)
    if isinstance(found, str):
        found = cell_value(found, v.file, v.row or 0, v.column)
        found = found[1] if found and found[1] else found[0]
    assert found == v.value or (not isinstance(v.value, str) and float(found) == pytest.approx(v.value))


@pytest.mark.parametrize("v", PUBLISHED, ids=lambda v: f"{v.file.split('/')[-1][:18]}:{v.row}:{v.column[:6]}")
def test_reader_gives_the_value_under_its_item_year_and_unit(v: Value):
    result = _read(v.file)
    frame = result.frame
    key = "item_code" if result.target == "items" else "variable"
    rows = frame[(frame.area_code == v.area) & (frame[key] == v.item) & (frame.year == v.year)]
    assert len(rows) == 1, f"{v.file}: {v.area} {v.item} {v.year}: {len(rows)} rows"
    row = rows.iloc[0]
    assert same(row.value, row.annotation, v.value)
    assert normalize_unit(row.unit) == v.unit


@pytest.mark.parametrize("v", [v for v in PUBLISHED if v.input],
                         ids=lambda v: f"{v.file.split('/')[-1][:18]}:{v.row}:{v.input}")
def test_catalog_puts_the_value_under_its_input_year_and_unit(v: Value):
    result = _read(v.file)
    frame = result.frame[result.frame.area_code == v.area]
    if result.target == "items":
        frame, _ = tidy_to_inputs(frame, CAT)
    rows = frame[(frame.variable == v.input) & (frame.year == v.year)]
    assert len(rows) == 1, f"{v.input} {v.year}: {len(rows)} rows"
    row = rows.iloc[0]  # 流入人口: the input is 都内他地域から + 他道府県から, equal to the published total
    assert same(row.value, row.annotation, v.value)
    assert normalize_unit(row.unit) == normalize_unit(v.input_unit)
    assert v.input in CAT.inputs and row.source
