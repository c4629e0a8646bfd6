"""Police statistics read from the real published files: every row counted or listed, counts checked
by hand, aggregate rows never taken for municipalities."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from real_data import all_real_files, real

from sckpi_helpers.errors import InputFileError, SckpiError
from sckpi_helpers.sources import base, police_keishicho, police_open_data
from sckpi_helpers.sources.areas import to_lg_code
from sckpi_helpers.sources.base import PANEL_COLUMNS
from sckpi_helpers.sources.police_keishicho import read_keishicho, year_of_name
from sckpi_helpers.sources.police_open_data import STREET_CRIMES_VARIABLE, read_police_open_data, sum_methods

OPEN_DATA = real("police", "tokyo_2021syazyounerai.csv")
R4 = real("police", "keishicho_ninchikensu_R4.csv")
R6 = real("police", "keishicho_ninchikensu_R6.csv")
HEADER = ("罪名,手口,管轄警察署（発生地）,管轄交番・駐在所（発生地）,市区町村コード（発生地）,"
          "都道府県（発生地）,市区町村（発生地）,町丁目（発生地）,発生年月日（始期）")


@pytest.fixture(scope="module")
def street():
    return read_police_open_data(OPEN_DATA)


@pytest.fixture(scope="module")
def keishicho_2022():
    return read_keishicho(R4)


def value(frame: pd.DataFrame, area: str) -> float:
    rows = frame[frame.area_code == area]
    assert len(rows) == 1, area
    return rows.iloc[0].value


def data_rows(path: Path) -> int:
    return path.read_bytes().count(b"\n") - 1  # CRLF, one header line, a newline after the last row


def write_csv(tmp_path: Path, name: str, lines: list[str], encoding: str = "cp932") -> Path:
    path = tmp_path / name
    path.write_bytes("\r\n".join([*lines, ""]).encode(encoding))
    return path


# ------------------------------------------------------------------------------ recognition
@pytest.mark.parametrize(("path", "kind"), [(OPEN_DATA, "police-open-data"),
                                            (R4, "police-keishicho"), (R6, "police-keishicho")],
                         ids=lambda x: getattr(x, "name", x))
def test_reader_for_picks_the_police_reader(path, kind):
    assert base.reader_for(path).kind == kind


@pytest.mark.parametrize("path", [p for p in all_real_files() if p.parent.name != "police"],
                         ids=lambda p: p.name)
def test_police_readers_do_not_claim_other_publishers_files(path):
    head = base.sniff(path)
    assert not police_open_data.POLICE_OPEN_DATA.recognise(path, head)
    assert not police_keishicho.KEISHICHO.recognise(path, head)


def test_the_two_police_formats_do_not_claim_each_other():
    assert not police_keishicho.KEISHICHO.recognise(OPEN_DATA, base.sniff(OPEN_DATA))
    assert not police_open_data.POLICE_OPEN_DATA.recognise(R4, base.sniff(R4))


# ------------------------------------------------------------------ 犯罪オープンデータ (street)
def test_every_row_is_counted_or_listed(street):
    frame, ignored = street
    assert data_rows(OPEN_DATA) == 1675
    assert frame["value"].sum() + len(ignored) == 1675  # Tokyo has no designated city to add twice


def test_the_row_with_neither_code_nor_name_is_listed_with_its_line(street):
    _, ignored = street
    assert [(i.row, i.reason) for i in ignored] == [(639, "数えない: 市区町村コードも市区町村名もない")]


@pytest.mark.parametrize(("area", "count"), [
    ("13101", 9),     # 千代田区: 9 rows with code 131016
    ("13110", 21),    # 目黒区: 20 coded rows + 1 with a blank code, found by name
    ("13123", 143),   # 江戸川区
    ("13361", 1),     # 大島町: blank code, found by name
    ("13401", 1),     # 八丈町: blank code, named 八丈島八丈町 (island prefix)
    ("13308", 0),     # 奥多摩町: no offence in the file is a count of 0
])
def test_counts_checked_by_hand(street, area, count):
    assert value(street[0], area) == count


def test_the_year_is_the_files_year_not_the_occurrence_date(street):
    frame, _ = street
    assert frame["year"].unique().tolist() == [2021]  # 29 offences occurred in 2019–2020
    again, _ = read_police_open_data(OPEN_DATA, year=2022)
    assert again["year"].unique().tolist() == [2022]


def test_panel_rows_name_the_variable_and_source(street):
    frame, _ = street
    assert list(frame.columns) == PANEL_COLUMNS
    row = frame[frame.area_code == "13101"].iloc[0]
    assert (row.variable, row.unit, row.area_name) == (STREET_CRIMES_VARIABLE, "件", "千代田区")
    assert row.source == "犯罪オープンデータ 車上ねらい 2021年 (tokyo_2021syazyounerai.csv)"


def test_a_file_without_a_year_needs_one(tmp_path):
    path = tmp_path / "syazyounerai.csv"
    path.write_bytes(OPEN_DATA.read_bytes())
    with pytest.raises(InputFileError, match="year="):
        read_police_open_data(path)
    assert read_police_open_data(path, year=2021)[0]["value"].sum() == 1674


def test_utf8_bom_header_without_hasseichi_and_extra_columns_read_the_same(tmp_path, street):
    text = OPEN_DATA.read_bytes().decode("cp932").replace("（発生地）", "")
    lines = [line + ",追加列" for line in text.split("\r\n") if line]
    path = write_csv(tmp_path, "tokyo_2021syazyounerai.csv", lines, "utf-8-sig")
    assert base.reader_for(path).kind == "police-open-data"
    frame, ignored = read_police_open_data(path)
    assert frame["value"].tolist() == street[0]["value"].tolist() and len(ignored) == 1


def test_designated_city_wards_are_counted_and_added_to_the_city(tmp_path):
    chuo, kita = to_lg_code("01101"), to_lg_code("01102")
    lines = [HEADER, f"窃盗,自転車盗,,,{chuo},北海道,札幌市中央区,,2022/1/1",
             f"窃盗,自転車盗,,,{chuo},北海道,札幌市中央区,,2022/1/2",
             f"窃盗,自転車盗,,,{kita},北海道,札幌市北区,,2022/1/3",
             "窃盗,自転車盗,,,,北海道,札幌市北区,,2022/1/4"]  # blank code: the file's own rows name it
    frame, ignored = read_police_open_data(write_csv(tmp_path, "hokkaido_2022jitensya.csv", lines))
    assert (value(frame, "01101"), value(frame, "01102"), value(frame, "01100")) == (2, 2, 4)
    assert ignored == []


def test_rows_that_cannot_be_placed_are_listed_never_dropped(tmp_path):
    lines = [HEADER, "窃盗,車上ねらい,,,131017,東京都,千代田区,,2021/1/1",  # wrong check digit
             "窃盗,車上ねらい,,,,東京都,架空町,,2021/1/1",                 # unknown name
             "窃盗,空き巣,,,131016,東京都,千代田区,,2021/1/1",             # not a street crime
             "窃盗,車上ねらい,,,131016,東京都,千代田区,,2021/1/1"]
    frame, ignored = read_police_open_data(write_csv(tmp_path, "tokyo_2021x.csv", lines))
    assert value(frame, "13101") == 1
    assert [i.row for i in ignored] == [2, 3, 4]
    assert "131017" in ignored[0].reason and "架空町" in ignored[1].reason
    assert "空き巣" in ignored[2].reason


def test_several_methods_add_up_to_street_crimes(tmp_path, street):
    text = OPEN_DATA.read_bytes().decode("cp932").replace(",車上ねらい,", ",自転車盗,")
    bikes = tmp_path / "tokyo_2021zitensyatou.csv"
    bikes.write_bytes(text.encode("cp932"))
    total = sum_methods([street[0], read_police_open_data(bikes)[0]])
    assert value(total, "13110") == 42
    with pytest.raises(SckpiError, match="same 手口"):
        sum_methods([street[0], street[0]])


# ------------------------------------------------------------- 警視庁 町丁別認知件数 (all 刑法犯)
def test_chiyoda_2022_is_2033(keishicho_2022):
    frame, _ = keishicho_2022
    row = frame[frame.area_code == "13101"].iloc[0]
    assert (row.value, row.year, row.variable, row.unit) == (2033, 2022, "crimes_recognised", "件")


def test_chiyoda_2024_is_2532():
    frame, _ = read_keishicho(R6)
    assert value(frame, "13101") == 2532 and frame["year"].unique().tolist() == [2024]


@pytest.mark.parametrize(("area", "count"), [("13303", 171),   # 西多摩郡瑞穂町計
                                             ("13381", 1),     # 三宅島三宅村計
                                             ("13401", 13)])   # 八丈島八丈町計
def test_district_and_island_prefixes_resolve_to_the_municipality(keishicho_2022, area, count):
    assert value(keishicho_2022[0], area) == count


def test_aggregate_rows_are_listed_not_municipalities(keishicho_2022):
    frame, ignored = keishicho_2022
    listed = {i.row: i.reason for i in ignored if i.row}
    assert sorted(listed) == [5119, 5120, 5124]
    assert all("区市町村ではない" in r for r in listed.values())
    assert frame["area_code"].str.fullmatch(r"13\d{3}").all()
    assert frame["value"].sum() == 59_392 + 18_583  # = ２３区計 + 多摩地区・島部計


def test_every_row_is_a_municipality_an_aggregate_or_a_listed_town_row(keishicho_2022):
    frame, ignored = keishicho_2022
    towns = [i for i in ignored if i.count > 1]
    assert len(frame) + 3 + towns[0].count == data_rows(R4) == 5123


@pytest.mark.parametrize(("name", "year"), [("keishicho_ninchikensu_R4.csv", 2022), ("R6.csv", 2024),
                                            ("R04.csv", 2022), ("令和元年.csv", 2019),
                                            ("H30.csv", 2018), ("ninchikensu_2023.csv", 2023)])
def test_year_from_the_era_in_the_file_name(name, year):
    assert year_of_name(name) == year


def test_an_explicit_year_wins_and_a_file_without_one_needs_it(tmp_path):
    assert year_of_name("R4.csv", 2030) == 2030
    path = tmp_path / "ninchikensu.csv"
    path.write_bytes(R4.read_bytes())
    with pytest.raises(InputFileError, match="year="):
        read_keishicho(path)
    assert value(read_keishicho(path, year=2022)[0], "13101") == 2033


@pytest.mark.parametrize(("path", "n_areas"), [(OPEN_DATA, 62), (R4, 59)], ids=lambda x: getattr(x, "name", x))
def test_readers_return_panel_read_results(path, n_areas):
    result = base.reader_for(path).read(path)
    assert (result.target, len(result.frame), result.file) == ("panel", n_areas, str(path))


def test_names_can_come_from_the_callers_areas_table():
    tokyo = pd.DataFrame({"area_code": ["13101", "13303"], "area_name": ["千代田区", "瑞穂町"]})
    frame, ignored = read_keishicho(R4, areas=tokyo)
    assert frame["area_code"].tolist() == ["13101", "13303"]
    assert sum(1 for i in ignored if "コードが決まらない" in i.reason) == 57
