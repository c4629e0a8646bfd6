"""e-Stat API v3 client and parser, against hand-written responses in e-Stat's JSON format."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pandas as pd
import pytest
import requests

from sckpi_helpers.errors import SckpiError
from sckpi_helpers.sources import estat_api as estat
from sckpi_helpers.sources.estat_api import EstatClient, EstatError, cache_path, parse_stats_data

FIX = Path(__file__).parent / "fixtures" / "estat"
APP_ID = "SECRETAPPID0123456789abcdef"


def body(name: str) -> bytes:
    return (FIX / name).read_bytes()


def load(name: str) -> dict:
    return json.loads(body(name))


class FakeResponse:
    def __init__(self, status_code: int = 200, content: bytes = b"") -> None:
        self.status_code = status_code
        self.content = content


class FakeSession:
    """Stands in for requests.Session: replays answers in order and records every call."""

    def __init__(self, *answers: FakeResponse | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, dict]] = []
        self.timeouts: list = []

    def get(self, url: str, params: dict | None = None, timeout: float | None = None):
        self.calls.append((url, dict(params or {})))
        self.timeouts.append(timeout)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch):
    monkeypatch.setattr(estat, "_sleep", lambda s: None)
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)


def client(tmp_path: Path, *answers, **kw) -> EstatClient:
    return EstatClient(app_id=APP_ID, cache_dir=tmp_path / "cache", session=FakeSession(*answers),
                       **kw)


def all_cache_bytes(tmp_path: Path) -> bytes:
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    return b"".join(p.name.encode() + p.read_bytes() for p in files)


# ------------------------------------------------------------------------------------- cache key
def test_cache_path_ignores_appid_and_parameter_order(tmp_path):
    a = cache_path(tmp_path, "getStatsData", {"statsDataId": "0000020201", "cdArea": "01100",
                                               "appId": "one"})
    b = cache_path(tmp_path, "getStatsData", {"appId": "two", "cdArea": "01100",
                                               "statsDataId": "0000020201"})
    assert a == b and a.name.startswith("0000020201_") and "one" not in str(a)


def test_cache_path_differs_by_filter(tmp_path):
    a = cache_path(tmp_path, "getStatsData", {"statsDataId": "1", "cdArea": "01100"})
    b = cache_path(tmp_path, "getStatsData", {"statsDataId": "1", "cdArea": "01101"})
    assert a != b


# --------------------------------------------------------------------------------------- parser
def test_single_page_parses_to_tidy_columns():
    df = parse_stats_data([load("single_page.json")])
    assert list(df.columns) == estat.COLUMNS
    assert len(df) == 6
    row = df[(df.area_code == "01100") & (df.item_code == "A1101")].iloc[0]
    assert row.area_name == "札幌市" and row.area_full_name == "北海道 札幌市"
    assert row.value == 1973395.0 and row.year == 2020 and row.time_code == "2020100000"
    assert row.item_name == "総人口" and row.unit == "人" and row.stats_data_id == "0000020201"
    assert row.annotation is None
    assert df["year"].dtype == "int64" and df["value"].dtype == "float64"


def test_single_objects_for_class_note_and_value():
    df = parse_stats_data([load("single_objects.json")])
    assert len(df) == 1
    assert df.iloc[0][["area_name", "item_code", "item_name", "unit", "value"]].tolist() == \
        ["千代田区", "A7101", "世帯数", "世帯", 38210.0]


def test_special_values_are_nan_with_annotation():
    df = parse_stats_data([load("special_values.json")]).set_index(["item_code", "area_code"])
    assert df.loc[("A1101", "01100"), "annotation"] == "***"
    assert df.loc[("A1101", "11100"), "annotation"] == "X"
    assert df.loc[("A1101", "13101"), "annotation"] == "-"       # known, not declared
    assert df.loc[("A1301", "01100"), "annotation"] == "…"       # known, not declared
    assert df.loc[("A1301", "11100"), "annotation"] == "‥"       # declared in NOTE only
    assert df["value"].isna().sum() == 5
    assert df.loc[("A1301", "13101"), "value"] == 0.0             # a real zero stays a zero
    assert (df["year"] == 2019).all()                             # calendar-year time code


def test_unknown_non_numeric_value_names_table_position_and_value():
    with pytest.raises(SckpiError, match=r"0000020201.*record 4.*'12a'"):
        parse_stats_data([load("bad_value.json")])


def test_no_data_pages_give_empty_frame():
    df = parse_stats_data([load("status1_nodata.json")])
    assert df.empty and list(df.columns) == estat.COLUMNS


def test_combined_item_code_is_split():
    page = load("single_objects.json")
    obj = page["GET_STATS_DATA"]["STATISTICAL_DATA"]
    obj["CLASS_INF"]["CLASS_OBJ"][1]["CLASS"]["@code"] = "A7101_世帯数"
    obj["DATA_INF"]["VALUE"]["@cat01"] = "A7101_世帯数"
    df = parse_stats_data([page])
    assert df.iloc[0][["item_code", "item_name"]].tolist() == ["A7101", "世帯数"]


# --------------------------------------------------------------------------------------- client
def test_single_page_request_sends_filters_and_keeps_replacespchars_zero(tmp_path):
    c = client(tmp_path, FakeResponse(200, body("single_page.json")))
    df = c.fetch_frame("0000020201", areas=["01100", "11100", "13101"],
                       cats={"cat01": ["A1101", "A1301"]}, times=["2020100000"])
    assert len(df) == 6
    url, params = c.session.calls[0]
    assert url.endswith("/getStatsData")
    assert params["cdArea"] == "01100,11100,13101" and params["cdCat01"] == "A1101,A1301"
    assert params["cdTime"] == "2020100000" and params["replaceSpChars"] == "0"
    assert int(params["limit"]) <= 100_000 and "startPosition" not in params


def test_next_key_is_followed_with_the_same_filters(tmp_path):
    c = client(tmp_path, FakeResponse(200, body("paged_1.json")),
               FakeResponse(200, body("paged_2.json")))
    pages = c.get_stats_data("0000020201", areas=["01100", "11100", "13101"],
                             cats={"cat01": ["A1101"]}, levels={"area": "2"})
    assert len(pages) == 2
    (_, first), (_, second) = c.session.calls
    assert second["startPosition"] == "4"
    assert {k: v for k, v in second.items() if k != "startPosition"} == first
    assert second["lvArea"] == "2"
    assert len(parse_stats_data(pages)) == 5


def test_long_filter_lists_are_split_into_requests_of_100(tmp_path):
    codes = [f"{i:05d}" for i in range(1, 251)]
    c = client(tmp_path, *[FakeResponse(200, body("status1_nodata.json"))] * 3)
    c.get_stats_data("0000020201", areas=codes)
    sent = [p["cdArea"].split(",") for _, p in c.session.calls]
    assert [len(s) for s in sent] == [100, 100, 50]
    assert [c for s in sent for c in s] == codes


def test_status_1_is_empty_not_an_error(tmp_path):
    c = client(tmp_path, FakeResponse(200, body("status1_nodata.json")))
    assert c.fetch_frame("0000020201", areas=["99999"]).empty


def test_status_100_raises_with_error_msg(tmp_path):
    c = client(tmp_path, FakeResponse(200, body("status100_error.json")))
    with pytest.raises(EstatError, match="認証に失敗しました") as info:
        c.get_stats_data("0000020201")
    assert info.value.status == 100
    assert not (tmp_path / "cache").exists()  # an error answer is not cached


def test_retries_on_503_then_succeeds(tmp_path):
    c = client(tmp_path, FakeResponse(503, b"busy"), FakeResponse(502, b""),
               FakeResponse(200, body("single_page.json")))
    assert len(c.get_stats_data("0000020201")) == 1
    assert len(c.session.calls) == 3


def test_gives_up_after_the_configured_retries(tmp_path):
    c = client(tmp_path, *[FakeResponse(503, b"")] * 3, retries=2)
    with pytest.raises(SckpiError, match="after 3 attempt"):
        c.get_stats_data("0000020201")


def test_cache_hit_makes_no_request(tmp_path):
    first = client(tmp_path, FakeResponse(200, body("single_page.json")))
    first.get_stats_data("0000020201", areas=["01100"])
    again = client(tmp_path)  # a session with no answers: any request would fail
    pages = again.get_stats_data("0000020201", areas=["01100"])
    assert again.session.calls == [] and len(pages) == 1
    cached = next((tmp_path / "cache").rglob("*.json"))
    assert cached.read_bytes() == body("single_page.json")  # raw body, byte for byte


def test_paged_cache_is_replayed_offline_without_appid(tmp_path):
    client(tmp_path, FakeResponse(200, body("paged_1.json")),
           FakeResponse(200, body("paged_2.json"))).get_stats_data("0000020201", areas=["01100"])
    off = EstatClient(cache_dir=tmp_path / "cache", offline=True, session=FakeSession())
    assert len(parse_stats_data(off.get_stats_data("0000020201", areas=["01100"]))) == 5


def test_offline_without_cache_names_the_missing_request(tmp_path):
    off = EstatClient(app_id=APP_ID, cache_dir=tmp_path / "cache", offline=True,
                      session=FakeSession())
    with pytest.raises(SckpiError, match=r"offline.*getStatsData.*statsDataId=0000020201.*"
                                         r"cdArea=13101"):
        off.get_stats_data("0000020201", areas=["13101"])


def test_missing_appid_says_to_set_estat_app_id(tmp_path):
    c = EstatClient(cache_dir=tmp_path / "cache", session=FakeSession())
    with pytest.raises(SckpiError, match="ESTAT_APP_ID"):
        c.get_stats_data("0000020201")


def test_appid_taken_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ESTAT_APP_ID", APP_ID)
    c = EstatClient(cache_dir=tmp_path / "cache",
                    session=FakeSession(FakeResponse(200, body("meta_info.json"))))
    meta = c.get_meta_info("0000020201")
    assert meta["GET_META_INFO"]["RESULT"]["STATUS"] == 0
    assert c.session.calls[0][1]["appId"] == APP_ID
    assert c.session.calls[0][0].endswith("/getMetaInfo")


def test_appid_never_in_cache_logs_or_repr(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    c = client(tmp_path, FakeResponse(503, b""), FakeResponse(200, body("paged_1.json")),
               FakeResponse(200, body("paged_2.json")))
    c.get_stats_data("0000020201", areas=["01100"])
    assert APP_ID.encode() not in all_cache_bytes(tmp_path)
    assert APP_ID not in caplog.text and APP_ID not in repr(c)
    assert all(APP_ID not in r.getMessage() for r in caplog.records)


def test_appid_echoed_by_server_is_scrubbed_from_cache(tmp_path):
    page = load("single_objects.json")
    page["GET_STATS_DATA"]["PARAMETER"]["APP_ID"] = APP_ID
    raw = json.dumps(page, ensure_ascii=False).encode()
    client(tmp_path, FakeResponse(200, raw)).get_stats_data("0000020201")
    assert APP_ID.encode() not in all_cache_bytes(tmp_path)


def test_appid_never_in_connection_error_message(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    url = (f"https://api.e-stat.go.jp/rest/3.0/app/json/getStatsData?appId={APP_ID}"
           "&statsDataId=0000020201")
    err = requests.ConnectionError(f"HTTPSConnectionPool(host='api.e-stat.go.jp', port=443): "
                                   f"Max retries exceeded with url: {url}")
    c = client(tmp_path, err, err, retries=1)
    with pytest.raises(SckpiError) as info:
        c.get_stats_data("0000020201")
    exc = info.value
    assert APP_ID not in str(exc) and APP_ID not in repr(exc)
    assert exc.__cause__ is None and exc.__context__ is None
    assert "appId=***" in str(exc)
    assert APP_ID not in caplog.text


def test_appid_never_in_urllib3_debug_log(caplog):
    EstatClient(app_id=APP_ID, cache_dir="unused", session=FakeSession())
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3.connectionpool").debug(
        '%s://%s:%s "%s %s %s" %s', "https", "api.e-stat.go.jp", 443, "GET",
        f"/rest/3.0/app/json/getStatsData?appId={APP_ID}&statsDataId=1", "HTTP/1.1", 200)
    assert APP_ID not in caplog.text and "appId=***" in caplog.text


def test_refresh_bypasses_the_cache(tmp_path):
    c = client(tmp_path, FakeResponse(200, body("single_page.json")),
               FakeResponse(200, body("single_page.json")))
    c.get_stats_data("0000020201")
    c.get_stats_data("0000020201", refresh=True)
    assert len(c.session.calls) == 2


def test_values_are_floats_and_nan_marks_missing():
    df = parse_stats_data([load("special_values.json")])
    assert all(isinstance(v, float) for v in df["value"])
    assert math.isnan(df["value"].iloc[0]) and isinstance(df, pd.DataFrame)


def test_columns_are_the_items_columns_every_reader_emits():
    from sckpi_helpers.sources.base import ITEM_COLUMNS

    df = parse_stats_data([load("single_page.json")])
    assert list(df.columns) == ITEM_COLUMNS and (df["source"] == "").all()


# ------------------------------------------------------------------------ dimensions (issue #13)
def _cube(cat02_classes: list[str], values: list[dict]) -> dict:
    """A table with @tab and cat01..cat06 (SSDS-like tab, one class each for cat03..cat06)."""
    objs = [{"@id": "tab", "@name": "表章項目", "CLASS": {"@code": "01", "@name": "人数"}},
            {"@id": "cat01", "@name": "項目", "CLASS": {"@code": "100", "@name": "就業者数",
                                                         "@unit": "人"}},
            {"@id": "cat02", "@name": "男女", "CLASS": [{"@code": c, "@name": f"性{c}"}
                                                      for c in cat02_classes]}]
    objs += [{"@id": f"cat0{k}", "@name": f"分類{k}", "CLASS": {"@code": "1", "@name": "総数"}}
             for k in range(3, 7)]
    objs += [{"@id": "area", "@name": "地域", "CLASS": {"@code": "13101", "@name": "東京都 千代田区"}},
             {"@id": "time", "@name": "年", "CLASS": {"@code": "2020000000", "@name": "2020年"}}]
    return {"GET_STATS_DATA": {
        "RESULT": {"STATUS": 0, "ERROR_MSG": ""},
        "PARAMETER": {"STATS_DATA_ID": "0003999999"},
        "STATISTICAL_DATA": {"RESULT_INF": {"TOTAL_NUMBER": len(values), "FROM_NUMBER": 1,
                                            "TO_NUMBER": len(values)},
                             "TABLE_INF": {"@id": "0003999999"},
                             "CLASS_INF": {"CLASS_OBJ": objs},
                             "DATA_INF": {"VALUE": values}}}}


def _value(cat02: str, v: str) -> dict:
    return {"@tab": "01", "@cat01": "100", "@cat02": cat02, "@cat03": "1", "@cat04": "1",
            "@cat05": "1", "@cat06": "1", "@area": "13101", "@time": "2020000000", "$": v}


def test_every_dimension_that_tells_values_apart_is_kept_in_the_item_key():
    df = parse_stats_data([_cube(["1", "2", "3"], [_value("1", "30"), _value("2", "16"),
                                                   _value("3", "14")])])
    assert df.set_index("item_code")["value"].to_dict() == {
        "100|cat02=1": 30.0, "100|cat02=2": 16.0, "100|cat02=3": 14.0}
    assert df.iloc[1]["item_name"] == "就業者数 | 男女: 性2" and (df["unit"] == "人").all()


def test_values_that_would_collapse_onto_one_key_are_an_error_naming_the_dimension():
    # the table declares one class for cat02, yet two values differ in it: never merged
    with pytest.raises(SckpiError, match=r"0003999999.*collapse.*cat02"):
        parse_stats_data([_cube(["1"], [_value("1", "30"), _value("2", "16")])])


def test_the_same_page_twice_is_an_error_not_a_merge():
    page = load("single_page.json")
    with pytest.raises(SckpiError, match="share one key"):
        parse_stats_data([page, page])


def test_units_are_nfkc_normalised_once():
    page = load("single_objects.json")
    page["GET_STATS_DATA"]["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]["@unit"] = "ｈａ"
    assert parse_stats_data([page]).iloc[0]["unit"] == "ha"


@pytest.mark.parametrize("name", ["single_page.json", "special_values.json", "paged_1.json"])
def test_fast_paths_give_the_same_frame_as_plain_json(name):
    page = load(name)
    plain = parse_stats_data([page])                                            # dicts
    pretty = parse_stats_data([body(name)])                                     # bytes, pretty
    compact = parse_stats_data([json.dumps(page, ensure_ascii=False,
                                           separators=(",", ":")).encode()])    # Arrow CSV path
    escaped = parse_stats_data([json.dumps(page, separators=(",", ":")).encode()])  # \u escapes
    for other in (pretty, compact, escaped):
        pd.testing.assert_frame_equal(plain, other)


# ------------------------------------------------------------------- waiting (issue #10)
def test_default_waiting_on_a_dead_server_ends_within_a_minute(tmp_path, monkeypatch):
    now = [0.0]
    monkeypatch.setattr(estat, "_clock", lambda: now[0])
    monkeypatch.setattr(estat, "_sleep", lambda s: now.__setitem__(0, now[0] + s))

    class DeadServer(FakeSession):
        def get(self, url, params=None, timeout=None):
            self.calls.append((url, dict(params or {})))
            self.timeouts.append(timeout)
            now[0] += sum(timeout) if isinstance(timeout, tuple) else timeout  # waits it all out
            raise requests.Timeout("read timed out")

    c = EstatClient(app_id=APP_ID, cache_dir=tmp_path / "cache", session=DeadServer())
    with pytest.raises(SckpiError, match="Timeout"):
        c.get_stats_data("0000020201")
    assert now[0] < 60 and len(c.session.calls) >= 2


def test_timeout_and_retries_are_options(tmp_path):
    c = client(tmp_path, requests.ConnectionError("refused"), timeout=3, retries=0)
    with pytest.raises(SckpiError, match="after 1 attempt"):
        c.get_stats_data("0000020201")
    assert c.session.timeouts == [3]


# ------------------------------------------------------------------ STATUS 1 (issue #10)
def test_no_data_answer_is_not_cached(tmp_path):
    c = client(tmp_path, FakeResponse(200, body("status1_nodata.json")),
               FakeResponse(200, body("single_page.json")))
    assert c.fetch_frame("0000020201", areas=["01100"]).empty
    assert not list((tmp_path / "cache").rglob("*.json"))
    assert len(c.fetch_frame("0000020201", areas=["01100"])) == 6  # asked again, data now
    assert len(c.session.calls) == 2


def test_a_cached_no_data_answer_is_not_replayed(tmp_path):
    params = next(EstatClient._filter_sets("0000020201", ["01100"], None, None, None))
    path = cache_path(tmp_path / "cache", "getStatsData", params)
    path.parent.mkdir(parents=True)
    path.write_bytes(body("status1_nodata.json"))  # left by an older version
    off = EstatClient(cache_dir=tmp_path / "cache", offline=True, session=FakeSession())
    with pytest.raises(SckpiError, match="offline: no cached"):
        off.get_stats_data("0000020201", areas=["01100"])
    c = client(tmp_path, FakeResponse(200, body("single_page.json")))
    assert len(c.fetch_frame("0000020201", areas=["01100"])) == 6


def test_text_inside_values_survives_the_fast_path():
    page = load("special_values.json")
    page["GET_STATS_DATA"]["STATISTICAL_DATA"]["DATA_INF"]["VALUE"][0]["@unit"] = "人:1,000"
    raw = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
    assert parse_stats_data([raw]).unit.iloc[0] == "人:1,000"
