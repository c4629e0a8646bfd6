"""The PDCA diagnosis: where the chain breaks and which Action follows; field balance; system flags."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from lm_fixtures import FIX, fake_catalog, load_demo

from sckpi_helpers.checks.diagnosis import (
    DIAGNOSIS_COLUMNS,
    FLAG_COLUMNS,
    diagnose,
    field_balance,
    system_flags,
)
from sckpi_helpers.checks.kpi import track
from sckpi_helpers.sources.logic_model import load_logic_model

CAT = fake_catalog()


def local_ind(iid: str, cadence: str = "quarterly") -> dict:
    base = "2022Q4" if cadence == "quarterly" else "2022"
    tgt = "2024Q4" if cadence == "quarterly" else "2024"
    return {"id": iid, "name_ja": f"指標{iid}", "unit": "件", "direction": "higher", "cadence": cadence,
            "baseline": {"value": 0, "period": base}, "targets": [{"value": 100, "period": tgt}], "source": "台帳"}


def chain(tmp_path: Path, *, o1_indicators: bool = True, extra_measures: list | None = None):
    """output (quarterly) → tier 1 (quarterly) → tier 2 (yearly) → tier 3 (catalog crime rate)."""
    data = {
        "city": {"code": "99201", "name": "サンプル市"},
        "plan": {"start": 2023, "end": 2027},
        "measures": [{
            "id": "m", "name_ja": "見守り", "field": "disaster_crime",
            "boxes": [
                {"id": "act", "tier": "activity", "label": "設置", "feeds": ["out"]},
                {"id": "out", "tier": "output", "label": "設置台数", "feeds": ["o1"], "indicators": [local_ind("x_out")]},
                {"id": "o1", "tier": "outcome1", "label": "見守りの広がり", "feeds": ["o2"],
                 "indicators": [local_ind("x_o1")] if o1_indicators else []},
                {"id": "o2", "tier": "outcome2", "label": "安心感", "feeds": ["t3"],
                 "indicators": [local_ind("x_o2", "yearly")]},
                {"id": "t3", "tier": "outcome3", "label": "防犯性", "indicators": [{
                    "catalog": "t3.soc.crime_rate", "baseline": {"value": 5.0, "period": "2022"},
                    "targets": [{"value": 4.0, "period": "2027"}]}]},
            ]}] + (extra_measures or []),
    }
    p = tmp_path / "lm.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_logic_model(p, CAT)


GOOD, BAD = 100.0, 10.0


def data(out=GOOD, o1=GOOD, o2=GOOD, t3=4.5, quarter="2024Q4", year=2024):
    """Local rows and engine rows with the given latest values (None = missing)."""
    rows = [{"area_code": "99201", "indicator_id": i, "period": p, "value": v, "unit": "件", "source": "s",
             "note": None}
            for i, p, v in (("x_out", quarter, out), ("x_o1", quarter, o1), ("x_o2", str(year), o2)) if v is not None]
    engine = pd.DataFrame([{"area_code": "99201", "year": year, "indicator_id": "t3.soc.crime_rate", "value": t3,
                            "unit": "件/千人", "status": "ok", "reason": None, "provenance": ""}] if t3 is not None else [],
                          columns=["area_code", "year", "indicator_id", "value", "unit", "status", "reason", "provenance"])
    return pd.DataFrame(rows), engine


def run(model, period="2024", **kw):
    lf, engine = data(**kw)
    t = track(model, CAT, lf, indicators=engine, period=period)
    return diagnose(model, t, period).iloc[0], t


# -------------------------------------------------------------------------- the seminar's example


def test_the_seminars_example_attendance_fine_understanding_flat_revise_the_course(tmp_path):
    model = load_logic_model(FIX / "course.yaml", CAT)
    qs = [f"{y}Q{q}" for y in (2023, 2024) for q in range(1, 5)]
    rows = [{"area_code": "99201", "indicator_id": "env.participants", "period": q, "value": 55 + 50 * i,
             "unit": "人", "source": "名簿", "note": None} for i, q in enumerate(qs)]
    rows += [{"area_code": "99201", "indicator_id": "env.understanding", "period": q,
              "value": 40 + (0.3 if i % 2 else -0.3), "unit": "%", "source": "アンケート", "note": None}
             for i, q in enumerate(qs)]
    t = track(model, CAT, pd.DataFrame(rows), period="2024Q4")
    d = diagnose(model, t)
    assert list(d.columns) == DIAGNOSIS_COLUMNS and len(d) == 1
    r = d.iloc[0]
    assert r["diagnosis"] == "activity"
    assert (r["break_from"], r["break_to"]) == ("output", "outcome1")
    assert r["action_ja"] == "事業の取組内容の軌道修正"
    assert "activity" in r["action_en"].lower()
    assert r["check"] == 2
    assert r["output_status"] == "achieved" and r["outcome1_status"] == "behind"
    # evidence: both tiers, with values, targets and periods, as text and as structured rows
    assert "講座参加者数" in r["evidence"] and "温暖化問題の理解度" in r["evidence"]
    assert "2024Q4" in r["evidence"] and "横ばい" in r["evidence"]
    ev = {e["indicator_id"]: e for e in r["evidence_indicators"]}
    assert set(ev) == {"env.participants", "env.understanding"}
    assert ev["env.understanding"]["target"] == 55 and ev["env.understanding"]["status"] == "behind"
    assert ev["env.understanding"]["trend"] == "flat"
    assert ev["env.participants"]["actual"] == 405
    # the fiscal-year review says the same: the walk stops at the first break
    assert diagnose(model, track(model, CAT, pd.DataFrame(rows), period="2024"))["diagnosis"].iloc[0] == "activity"


# --------------------------------------------------------------------------------- the other rules


def test_outputs_behind_is_an_execution_problem(tmp_path):
    r, _ = run(chain(tmp_path), out=BAD, o1=BAD, o2=BAD, t3=5.5)
    assert r["diagnosis"] == "execution" and r["check"] == 1
    assert (r["break_from"], r["break_to"]) == ("activity", "output")
    assert r["action_ja"] == "事業の実施状況の改善"
    assert "指標x_out" in r["evidence"] and "指標x_o1" not in r["evidence"]


def test_tier1_ok_tier2_behind_revisit_the_policy(tmp_path):
    r, _ = run(chain(tmp_path), o2=BAD)
    assert r["diagnosis"] == "policy" and r["check"] == 3
    assert (r["break_from"], r["break_to"]) == ("outcome1", "outcome2")
    assert r["action_ja"].startswith("施策自体の見直し・改善")
    assert "目的の再設定" in r["action_ja"] and "continue" in r["action_en"]
    assert r["outcome1_status"] == "achieved" and r["outcome2_status"] == "behind"


def test_tier2_ok_tier3_behind_review_the_policy_system(tmp_path):
    r, _ = run(chain(tmp_path), t3=5.2)
    assert r["diagnosis"] == "system" and r["check"] == 4
    assert (r["break_from"], r["break_to"]) == ("outcome2", "outcome3")
    assert r["action_ja"].startswith("施策体系の見直し")
    assert "防犯性" in r["evidence"]


def test_all_tiers_fine_continue(tmp_path):
    r, _ = run(chain(tmp_path))
    assert r["diagnosis"] == "continue" and r["action_ja"] == "継続"
    assert r["break_from"] is None and r["break_to"] is None
    assert r["tiers_diagnosed"] == "output,outcome1,outcome2,outcome3"


def test_no_data_at_a_tier_stops_the_diagnosis_there(tmp_path):
    r, _ = run(chain(tmp_path), o1=None, o2=BAD)
    assert r["diagnosis"] == "no_data" and r["break_to"] == "outcome1"
    assert "診断できません" in r["message_ja"] and "cannot be diagnosed" in r["message_en"]
    assert r["outcome2_status"] == "behind"  # reported, but not diagnosed
    assert r["tiers_diagnosed"] == "output,outcome1"


def test_a_tier_without_indicators_is_skipped_and_named(tmp_path):
    r, _ = run(chain(tmp_path, o1_indicators=False), o2=BAD)
    assert r["outcome1_status"] == "none"
    assert r["diagnosis"] == "policy" and r["break_from"] == "output"
    assert "アウトカム第1階層" in r["message_ja"]


def test_a_quarterly_report_only_diagnoses_check1_and_check2(tmp_path):
    r, _ = run(chain(tmp_path), period="2024Q4", o2=BAD, t3=5.5)
    assert r["diagnosis"] == "continue"
    assert r["tiers_diagnosed"] == "output,outcome1"
    assert "年度" in r["message_ja"]


# ----------------------------------------------------------------------------------- system flags


def test_system_flags_no_data_for_two_cadences(tmp_path):
    model = chain(tmp_path)
    lf = pd.DataFrame([{"area_code": "99201", "indicator_id": i, "period": q, "value": 50.0, "unit": "件",
                        "source": "s", "note": None}
                       for i, qs in (("x_out", ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]), ("x_o1", ["2024Q1", "2024Q2"]))
                       for q in qs])
    t = track(model, CAT, lf, period="2024Q4")
    f = system_flags(model, t)
    assert list(f.columns) == FLAG_COLUMNS
    nd = f[f["flag"] == "no_data"]
    assert "x_o1" in set(nd["indicator_id"]) and "x_out" not in set(nd["indicator_id"])
    msg = nd.loc[nd["indicator_id"] == "x_o1", "message_ja"].iloc[0]
    assert "直近2期" in msg and "2024Q2" in msg
    assert nd["action_ja"].iloc[0].startswith("評価体系の見直し")
    # one missing quarter is not yet a flag
    t = track(model, CAT, lf, period="2024Q3")
    assert "x_o1" not in set(system_flags(model, t).query("flag == 'no_data'")["indicator_id"])


def test_system_flags_target_achieved_early(tmp_path):
    model = chain(tmp_path)
    lf, engine = data(out=120, quarter="2024Q1")
    t = track(model, CAT, lf, indicators=engine, period="2024Q1")
    f = system_flags(model, t)
    early = f[f["flag"] == "achieved_early"]
    assert list(early["indicator_id"]) == ["x_out", "x_o1"]
    assert "引き上げ" in early["message_ja"].iloc[0] and early["period"].iloc[0] == "2024Q1"


def test_system_flags_target_expired(tmp_path):
    model = chain(tmp_path)
    lf, engine = data(quarter="2025Q4", year=2025)
    f = system_flags(model, track(model, CAT, lf, indicators=engine, period="2025"))
    assert {"x_out", "x_o1", "x_o2"} <= set(f.loc[f["flag"] == "target_expired", "indicator_id"])


def test_system_flags_boxes_without_indicators_and_missing_tier3_links(tmp_path):
    orphan = {"id": "orphan", "name_ja": "出力だけの施策", "field": "community", "boxes": [
        {"id": "out2", "tier": "output", "label": "出力のみ", "indicators": [local_ind("y_out")]}]}
    local_t3 = {"id": "foundation", "name_ja": "基盤", "field": "it_platform", "boxes": [
        {"id": "f1", "tier": "outcome1", "label": "利用", "feeds": ["f3"], "indicators": [local_ind("z1")]},
        {"id": "f3", "tier": "outcome3", "label": "機能発揮", "indicators": [local_ind("z3", "yearly")]}]}
    model = chain(tmp_path, o1_indicators=False, extra_measures=[orphan, local_t3])
    lf, engine = data()
    f = system_flags(model, track(model, CAT, lf, indicators=engine, period="2024"))
    noind = f[f["flag"] == "no_indicator"]
    assert list(zip(noind["measure_id"], noind["box_id"], strict=True)) == [("m", "o1")]
    links = f[f["flag"] == "no_tier3_link"]
    assert links.loc[links["measure_id"] == "orphan", "box_id"].isna().all()
    assert ("foundation", "f3") in set(zip(links["measure_id"], links["box_id"], strict=True))
    assert "m" not in set(links["measure_id"])


def test_field_balance_finds_fields_without_or_with_weak_measures(tmp_path):
    orphan = {"id": "orphan", "name_ja": "出力だけの施策", "field": "community", "boxes": [
        {"id": "out2", "tier": "output", "label": "出力のみ", "indicators": [local_ind("y_out")]}]}
    model = chain(tmp_path, extra_measures=[orphan])
    fb = field_balance(model, CAT).set_index("field")
    assert len(fb) == 13
    assert fb.loc["disaster_crime", "status"] == "ok" and fb.loc["disaster_crime", "n_tier3_catalog"] == 1
    assert fb.loc["disaster_crime", "pillars"] == "social"
    assert fb.loc["community", "status"] == "weak"
    assert fb.loc["mobility", "status"] == "none" and fb.loc["mobility", "n_measures"] == 0
    assert fb.loc["mobility", "action_ja"].startswith("施策体系の見直し")
    assert fb.loc["disaster_crime", "field_ja"] == "防災／防犯"


# -------------------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def demo_engine() -> pd.DataFrame:
    """Stand-in engine results for the demo's tier-3 indicators, as the demo statistics give them."""
    vals = {"t3.env.co2_residential": (517.2, 506.1), "t3.soc.traffic_accident_rate": (1.34, 0.96),
            "t3.soc.crime_rate": (3.9, 4.19)}
    return pd.DataFrame([{"area_code": "99201", "year": y, "indicator_id": i, "value": v[k], "unit": "",
                          "status": "ok", "reason": None, "provenance": ""}
                         for i, v in vals.items() for k, y in enumerate((2023, 2024))])


def test_demo_local_frame_covers_every_local_indicator(demo):
    _, model, make_local_frame = demo
    lf = make_local_frame()
    assert list(lf.columns) == ["area_code", "indicator_id", "period", "value", "unit", "source", "note"]
    assert set(lf["indicator_id"]) == set(model.local_indicators())
    assert (lf["area_code"] == "99201").all()
    for iid, spec in model.local_indicators().items():
        periods = set(lf.loc[lf["indicator_id"] == iid, "period"])
        if spec.cadence == "quarterly":
            expected = {f"{y}Q{q}" for y in (2023, 2024) for q in range(1, 5)}
            assert periods == expected or (iid == "it.od_catalog_access" and periods == expected - {"2023Q3"})
        else:
            assert periods == {"2023", "2024"}
        assert set(lf.loc[lf["indicator_id"] == iid, "unit"]) == {spec.unit}
    pd.testing.assert_frame_equal(make_local_frame(), lf)  # seeded
    assert not make_local_frame(seed=8).equals(lf)


@pytest.mark.parametrize("seed", [7, 1, 2, 3])
def test_the_demo_tells_its_four_stories(demo, seed):
    catalog, model, make_local_frame = demo
    t = track(model, catalog, make_local_frame(seed), indicators=demo_engine(), period="2024")
    d = diagnose(model, t).set_index("measure_id")
    assert d.loc["env_course", "diagnosis"] == "activity"
    assert d.loc["env_course", "action_ja"] == "事業の取組内容の軌道修正"
    assert d.loc["env_course", "output_status"] in ("on_track", "achieved")
    assert d.loc["ondemand", "diagnosis"] == "continue"
    assert set(d.loc["ondemand", ["output_status", "outcome1_status", "outcome2_status", "outcome3_status"]]) <= {
        "on_track", "achieved"}
    assert d.loc["watch_cam", "diagnosis"] == "execution"
    assert d.loc["opendata", "diagnosis"] == "policy"
    gap = t[(t["indicator_id"] == "it.od_catalog_access") & (t["period"] == "2023Q3")]
    assert list(gap["status"]) == ["no_data"]
    flags = system_flags(model, t)
    assert "it.od_catalog_access" not in set(flags.loc[flags["flag"] == "no_data", "indicator_id"])
    fb = field_balance(model, catalog).set_index("field")
    assert fb.loc["it_platform", "status"] == "weak"  # no catalog indicator for readiness at tier 3
    assert fb.loc["mobility", "status"] == "ok"


def test_the_demo_quarterly_review_diagnoses_checks_1_and_2(demo):
    catalog, model, make_local_frame = demo
    t = track(model, catalog, make_local_frame(), indicators=demo_engine(), period="2024Q4")
    d = diagnose(model, t).set_index("measure_id")
    assert d["diagnosis"].to_dict() == {"env_course": "activity", "ondemand": "continue",
                                        "watch_cam": "execution", "opendata": "continue"}
