"""Incremental runs: a finished set is rendered again only when its inputs, settings or the kit changed."""

from __future__ import annotations

from sckpi_helpers.config.settings import CitySettings
from sckpi_helpers.reports.rerun import file_sha256, fingerprints, rerun_reason

INPUTS = [{"role": "statistics", "path": "data/raw/ssdse/SSDSE-A-2025.csv", "sha256": "aa"}]


def _finished(fp):
    return {"status": "ok", "fingerprints": fp}


def test_an_unchanged_finished_set_is_left_alone():
    fp = fingerprints(INPUTS, CitySettings(city_code="13101", source="ssdse"))
    assert rerun_reason(_finished(fp), fp) is None


def test_a_changed_input_file_reruns_the_set_and_says_so():
    s = CitySettings(city_code="13101", source="ssdse")
    before = fingerprints(INPUTS, s)
    after = fingerprints([{**INPUTS[0], "sha256": "bb"}], s)
    assert rerun_reason(_finished(before), after) == "入力ファイルが変わりました"


def test_changed_settings_rerun_the_set():
    before = fingerprints(INPUTS, CitySettings(city_code="13101", source="ssdse"))
    after = fingerprints(INPUTS, CitySettings(city_code="13101", source="ssdse", peer_group="similar"))
    assert "設定が変わりました" in rerun_reason(_finished(before), after)


def test_a_new_kit_reruns_the_set():
    fp = fingerprints(INPUTS, CitySettings(city_code="13101", source="ssdse"))
    old = {**fp, "kit": "0.0.9+deadbeef"}
    assert "キット" in rerun_reason(_finished(old), fp)


def test_an_interrupted_or_failed_set_is_rerun():
    fp = fingerprints(INPUTS, CitySettings(city_code="13101", source="ssdse"))
    assert "完了していません" in rerun_reason({"status": "partial", "fingerprints": fp}, fp)
    assert "初回" in rerun_reason(None, fp)


def test_a_file_hash_follows_the_file(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes(b"a")
    first = file_sha256(f)
    f.write_bytes(b"ab")
    assert file_sha256(f) != first
