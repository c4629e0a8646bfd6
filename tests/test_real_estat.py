"""Conformance of the e-Stat JSON parser and reader with real API responses (tests/data/real/estat-api).

Every value below was read by hand from the file (see the README there).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from sckpi_helpers.errors import InputFileError
from sckpi_helpers.sources.base import ITEM_COLUMNS, get_reader, reader_for, sniff
from sckpi_helpers.sources.estat_json import parse_stats_data

REAL = Path(__file__).parent / "data" / "real" / "estat-api"
SSDS_B = REAL / "getStatsData_0000020202_page1.json"
SURVEY = REAL / "getStatsData_0003065345.json"
META = REAL / "getMetaInfo_0003065345.json"


def read(path: Path):
    return get_reader("estat-json").read(path)


def edited(tmp_path: Path, src: Path, change) -> Path:
    body = json.loads(src.read_bytes())
    change(body["GET_STATS_DATA"])
    out = tmp_path / src.name
    out.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return out


def test_saved_responses_are_recognised_by_content():
    reader = get_reader("estat-json")
    assert reader_for(SSDS_B) is reader and reader_for(SURVEY) is reader
    assert not reader.recognise(META, sniff(META))   # metadata, not data


def test_ssds_response_values_units_and_plain_item_codes():
    res = read(SSDS_B)
    df = res.frame
    assert list(df.columns) == ITEM_COLUMNS and len(df) == 10
    first = df.iloc[0]
    assert (first.stats_data_id, first.area_code, first.area_name, first.time_code, first.year) == \
        ("0000020202", "01100", "札幌市", "1981100000", 1981)
    assert (first.item_code, first.item_name) == ("B1101", "総面積（北方地域及び竹島を除く）")
    assert first.value == 111_801 and df.iloc[7].value == 112_118
    assert set(df.unit) == {"ha"}   # published as ｈａ
    assert (df.source == f"e-Stat API {SSDS_B.name}").all()


def test_a_first_page_only_says_what_is_missing():
    (note,) = read(SSDS_B).ignored
    assert "403227" in note.reason and note.count == 403_227 - 10


def test_marks_declared_by_the_table_are_kept_as_annotations(tmp_path):
    def mark(root):
        values = root["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]
        for v, m in zip(values, ["X", "***", "-"], strict=False):
            v["$"] = m
    df = read(edited(tmp_path, SSDS_B, mark)).frame
    assert df.annotation.head(3).tolist() == ["X", "***", "-"]
    assert df.value.head(3).isna().all() and df.value.iloc[3] == 111_801


def test_a_mark_only_this_table_declares_is_a_mark(tmp_path):
    # 0003065345 declares "..." (標本数が皆無又は10未満), unknown to other tables
    def mark(root):
        root["STATISTICAL_DATA"]["DATA_INF"]["VALUE"][1]["$"] = "..."
    row = read(edited(tmp_path, SURVEY, mark)).frame.iloc[1]
    assert math.isnan(row.value) and row.annotation == "..."


def test_every_dimension_is_kept_in_the_item_key():
    df = read(SURVEY).frame
    assert df.item_code.tolist() == ["008|cat02=001|cat03=001"] * 3
    assert df.set_index("area_code").value.to_dict() == {"00000": 9782, "01000": 440, "02000": 82}
    assert set(df.unit) == {"千人"} and set(df.year) == {2011}


def test_with_metadata_the_breakdowns_are_named():
    body = json.loads(SURVEY.read_bytes())
    meta = json.loads(META.read_bytes())["GET_META_INFO"]["METADATA_INF"]
    body["GET_STATS_DATA"]["STATISTICAL_DATA"]["CLASS_INF"] = meta["CLASS_INF"]
    df = parse_stats_data([body])
    # cat02 (性別) and cat03 have several classes in the table: they stay in the key, named
    assert df.item_code.iloc[0] == "008|cat02=001|cat03=001"
    assert df.item_name.iloc[0].split(" | ")[1:] == ["性別: 総数", "ふだんの就業状態，年齢_2011: 総数"]
    assert df.area_name.tolist() == ["全国", "北海道", "青森県"]


def test_single_value_object_quirk(tmp_path):
    def single(root):
        data = root["STATISTICAL_DATA"]
        data["DATA_INF"]["VALUE"] = data["DATA_INF"]["VALUE"][0]
        data["RESULT_INF"]["TO_NUMBER"] = 1
    df = read(edited(tmp_path, SURVEY, single)).frame
    assert len(df) == 1 and df.value.iloc[0] == 9782


def test_bytes_and_parsed_json_give_the_same_frame():
    for path in (SSDS_B, SURVEY):
        pd.testing.assert_frame_equal(parse_stats_data([path.read_bytes()]),
                                      parse_stats_data([json.loads(path.read_bytes())]))


def test_a_saved_file_cut_off_is_an_error(tmp_path):
    raw = SURVEY.read_bytes()
    (tmp_path / "cut.json").write_bytes(raw[:raw.index(b'"$":"440"') + 8])
    with pytest.raises(InputFileError, match="ファイルが途中で切れています"):
        read(tmp_path / "cut.json")


def test_a_saved_error_answer_is_an_error(tmp_path):
    def fail(root):
        root["RESULT"] = {"STATUS": 100, "ERROR_MSG": "認証に失敗しました。"}
    with pytest.raises(InputFileError, match="STATUS 100"):
        read(edited(tmp_path, SURVEY, fail))


def test_a_folder_of_real_files_finds_each_file_its_reader(tmp_path):
    import shutil

    from sckpi_helpers.sources.base import expand

    for src in (SSDS_B, SURVEY, META,
                REAL.parent / "ssds-csv" / "population_A1101-A1231_1980-2015.csv"):
        shutil.copy(src, tmp_path / src.name)
    kinds = {p.name: getattr(reader_for(p), "kind", None) for p in expand([tmp_path])}
    assert kinds == {SSDS_B.name: "estat-json", SURVEY.name: "estat-json", META.name: None,
                     "population_A1101-A1231_1980-2015.csv": "ssds-csv"}
