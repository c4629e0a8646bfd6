"""Area codes: check digits, hierarchy, municipal types, the shipped list, mergers."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sckpi_helpers.errors import InputFileError, SckpiError
from sckpi_helpers.sources import areas
from sckpi_helpers.sources.areas import (
    apply_mergers,
    build_areas,
    check_digit,
    from_lg_code,
    level_of,
    load_mergers,
    municipal_type,
    parent_code,
    pref_code,
    to_lg_code,
)


@pytest.mark.parametrize("code5, lg", [("13101", "131016"), ("01100", "011002"),
                                        ("13000", "130001"), ("27100", "271004")])
def test_check_digit_examples(code5, lg):
    assert to_lg_code(code5) == lg and check_digit(code5) == int(lg[-1])


def test_from_lg_code_round_trip():
    assert from_lg_code("131016") == "13101"


def test_from_lg_code_rejects_a_wrong_check_digit():
    with pytest.raises(SckpiError, match="check digit 7, expected 6"):
        from_lg_code("131017")


def test_levels():
    assert [level_of(c) for c in ("00000", "13000", "13101", "01100", "01101", "27120",
                                  "01202")] == ["country", "prefecture", "municipality",
                                                "municipality", "ward", "ward", "municipality"]


def test_pref_code_is_two_digits():
    assert pref_code("13101") == "13" and pref_code("1100") == "01"


def test_parent_codes():
    assert parent_code("01101") == "01100"          # ward → designated city
    assert parent_code("27128") == "27100"          # 大阪市 中央区, not 27120
    assert parent_code("27141") == "27140"          # 堺市 堺区
    assert parent_code("14131") == "14130"          # 川崎市 川崎区
    assert parent_code("01202") == "01000"          # city → prefecture
    assert parent_code("13101") == "13000"          # special ward → 東京都
    assert parent_code("13000") == "00000" and parent_code("00000") is None


def test_municipal_types():
    assert municipal_type("01100", "北海道 札幌市") == "designated_city"
    assert municipal_type("01202", "函館市") == "core_city"
    assert municipal_type("13101", "千代田区") == "special_ward"
    assert municipal_type("01101", "札幌市 中央区") == "ward"
    assert municipal_type("11224", "埼玉県 戸田市") == "city"
    assert municipal_type("11301", "伊奈町") == "town"
    assert municipal_type("11369", "東秩父村") == "village"
    assert municipal_type("13000") == "prefecture" and municipal_type("00000") == "country"


def test_municipal_type_needs_a_name_for_towns():
    with pytest.raises(SckpiError, match="city, town or village"):
        municipal_type("11301")


def test_shipped_list_counts_and_check_digits():
    df = pd.read_csv(Path(areas.__file__).parent / "data" / "municipal_types.csv", comment="#",
                     dtype=str)
    assert (df.municipal_type == "designated_city").sum() == 21  # 20 cities + 東京都区部
    assert (df.municipal_type == "core_city").sum() == 62
    assert df.area_code.is_unique and df.area_code.str.fullmatch(r"\d{5}").all()


def test_build_areas_columns_and_values():
    df = build_areas(pd.DataFrame({"area_code": ["00000", "01000", "01100", "01101", "13101"],
                                   "area_name": ["全国", "北海道", "北海道 札幌市",
                                                 "北海道 札幌市 中央区", "東京都 千代田区"]}))
    assert list(df.columns) == areas.AREA_COLUMNS
    row = df.set_index("area_code").loc["01101"]
    assert row.tolist() == ["札幌市中央区", "01", "ward", "ward", "01100", "011011"]
    assert pd.isna(df.set_index("area_code").loc["00000", "lg_code"])


def test_build_areas_overrides_for_the_demo_prefecture():
    names = pd.DataFrame({"area_code": ["99000", "99100", "99101", "99201", "99301"],
                          "area_name": ["サンプル県", "サンプル市", "サンプル市 中央区",
                                        "みなと市", "やまの町"]})
    over = pd.DataFrame({"area_code": ["99100", "99201"],
                         "municipal_type": ["designated_city", "core_city"]})
    df = build_areas(names, over).set_index("area_code")
    assert df.loc["99100", "municipal_type"] == "designated_city"
    assert df.loc["99201", "municipal_type"] == "core_city"
    assert df.loc["99101", ["level", "parent_code"]].tolist() == ["ward", "99100"]
    assert df.loc["99301", "municipal_type"] == "town"


def test_build_areas_rejects_unknown_override_type():
    with pytest.raises(SckpiError, match="unknown municipal_type"):
        build_areas(pd.DataFrame({"area_code": ["99201"], "area_name": ["みなと市"]}),
                    pd.DataFrame({"area_code": ["99201"], "municipal_type": ["metropolis"]}))


# ---------------------------------------------------------------------------------- mergers
def write_mergers(tmp_path, text):
    path = tmp_path / "mergers.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_mergers_accepts_5_and_6_digit_codes(tmp_path):
    df = load_mergers(write_mergers(tmp_path, "# comment\nold_code,new_code,effective_date,note\n"
                                    "99302,992011,2005-04-01,官報\n"))
    assert df.iloc[0].tolist() == ["99302", "99201", "2005-04-01", "官報"]


def test_load_mergers_bad_code_names_row_and_column(tmp_path):
    path = write_mergers(tmp_path, "old_code,new_code,effective_date,note\n"
                                   "99302,99201,2005-04-01,\n99303,992012,2006-01-01,\n")
    with pytest.raises(InputFileError) as info:
        load_mergers(path)
    assert (info.value.problem.row, info.value.problem.column) == (3, "new_code")


def test_load_mergers_bad_date(tmp_path):
    path = write_mergers(tmp_path, "old_code,new_code,effective_date\n99302,99201,someday\n")
    with pytest.raises(InputFileError, match="not a date"):
        load_mergers(path)


def panel():
    rows = []
    for code, name, pop in [("99201", "みなと市", 100.0), ("99302", "うみ町", 10.0),
                            ("99303", "かわ村", 5.0), ("99301", "やまの町", 7.0)]:
        for year in (2000, 2005):
            rows.append({"area_code": code, "area_name": name, "year": year,
                         "variable": "population_census", "value": pop, "unit": "人",
                         "source": "test", "annotation": None})
    return pd.DataFrame(rows)


def mergers():
    return pd.DataFrame({"old_code": ["99302", "99303"], "new_code": ["99201", "99302"],
                         "effective_date": ["2005-04-01", "2003-04-01"], "note": ["", ""]})


def test_apply_mergers_sums_onto_the_final_successor():
    out = apply_mergers(panel(), mergers())
    assert set(out.area_code) == {"99201", "99301"}
    row = out[(out.area_code == "99201") & (out.year == 2000)].iloc[0]
    assert row.value == 115.0 and row.area_name == "みなと市"
    assert out[out.area_code == "99301"].value.tolist() == [7.0, 7.0]


def test_apply_mergers_missing_part_makes_the_sum_missing():
    p = panel()
    p.loc[(p.area_code == "99303") & (p.year == 2005), ["value", "annotation"]] = [math.nan, "X"]
    out = apply_mergers(p, mergers())
    row = out[(out.area_code == "99201") & (out.year == 2005)].iloc[0]
    assert math.isnan(row.value) and row.annotation == "X"


def test_apply_mergers_drop():
    out = apply_mergers(panel(), mergers(), how="drop")
    assert set(out.area_code) == {"99201", "99301"}
    assert out[out.area_code == "99201"].value.tolist() == [100.0, 100.0]


def test_apply_mergers_rejects_cycles():
    m = pd.DataFrame({"old_code": ["99302", "99201"], "new_code": ["99201", "99302"],
                      "effective_date": ["2005-04-01"] * 2, "note": ["", ""]})
    with pytest.raises(SckpiError, match="cycle"):
        apply_mergers(panel(), m)


@pytest.mark.parametrize("cell,code", [("13101", "13101"), ("1100", "01100"), ("１３１０１", "13101"),
                                       ("131016", "13101"), (1100.0, "01100")])
def test_a_cell_becomes_a_five_digit_code(cell, code):
    from sckpi_helpers.sources.areas import normalize_area_code

    assert normalize_area_code(cell) == code


@pytest.mark.parametrize("cell", ["131017", "131", "13101a", ""])
def test_what_is_no_area_code_is_refused(cell):
    from sckpi_helpers.sources.areas import AreaCodeError, normalize_area_code

    with pytest.raises(AreaCodeError):
        normalize_area_code(cell)


def test_codes_the_build_does_not_know_are_unplaceable():
    from sckpi_helpers.sources.areas import unknown_codes

    assert unknown_codes(["99201", "99999", "09201", "99999"], {"99201", "99000"}) == ["09201", "99999"]
