"""KPI tracking: progress and status in both directions, the linear path, cadence, engine results."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from lm_fixtures import fake_catalog

from sckpi_helpers.checks.kpi import (
    TRACK_COLUMNS,
    judge,
    latest_status,
    next_milestone,
    progress_class,
    track,
)
from sckpi_helpers.config.vocabulary import STATUS_JA
from sckpi_helpers.sources.logic_model import load_logic_model

CAT = fake_catalog()


def one_indicator_model(tmp_path: Path, *, direction="higher", baseline=(100, "2022Q4"),
                        targets=((200, "2024Q4"),), cadence="quarterly", unit="件"):
    """A measure with one local output indicator feeding a tier-3 catalog box."""
    data = {
        "city": {"code": "99201", "name": "サンプル市"},
        "plan": {"start": 2023, "end": 2027},
        "measures": [{
            "id": "m", "name_ja": "施策", "field": "disaster_crime",
            "boxes": [
                {"id": "out", "tier": "output", "label": "出力", "feeds": ["t3"], "indicators": [{
                    "id": "x", "name_ja": "指標X", "unit": unit, "direction": direction, "cadence": cadence,
                    "baseline": {"value": baseline[0], "period": baseline[1]},
                    "targets": [{"value": v, "period": p} for v, p in targets], "source": "台帳"}]},
                {"id": "t3", "tier": "outcome3", "label": "防犯", "indicators": [{
                    "catalog": "t3.soc.crime_rate", "baseline": {"value": 5.0, "period": "2022"},
                    "targets": [{"value": 4.0, "period": "2027"}]}]},
            ]}],
    }
    p = tmp_path / "lm.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_logic_model(p, CAT)


def local(values: dict[str, float], indicator="x", area="99201") -> pd.DataFrame:
    return pd.DataFrame([{"area_code": area, "indicator_id": indicator, "period": p, "value": v, "unit": "件",
                          "source": "台帳", "note": None} for p, v in values.items()])


def row(t: pd.DataFrame, period: str, indicator="x") -> pd.Series:
    r = t[(t["indicator_id"] == indicator) & (t["period"] == period)]
    assert len(r) == 1, r
    return r.iloc[0]


# ------------------------------------------------------------------------------ progress / status


def test_progress_and_status_higher_is_better(tmp_path):
    m = one_indicator_model(tmp_path, direction="higher", baseline=(100, "2022Q4"), targets=((200, "2024Q4"),))
    # 2023Q4 ends 2024-03-31: the linear path from 2023-03-31 to 2025-03-31 stands at 366/731 ≈ 0.5007
    t = track(m, CAT, local({"2023Q4": 160}), period="2023Q4")
    r = row(t, "2023Q4")
    assert r["progress"] == pytest.approx(0.6)
    assert r["expected_progress"] == pytest.approx(366 / 731)
    assert (r["status"], r["status_ja"]) == ("on_track", "順調")
    assert r["target"] == 200 and r["target_period"] == "2024Q4" and r["baseline"] == 100
    assert row(track(m, CAT, local({"2023Q4": 140}), period="2023Q4"), "2023Q4")["status"] == "behind"
    r = row(track(m, CAT, local({"2023Q4": 210}), period="2023Q4"), "2023Q4")
    assert r["progress"] == pytest.approx(1.1) and r["status"] == "achieved"
    r = row(track(m, CAT, local({"2023Q4": 90}), period="2023Q4"), "2023Q4")
    assert r["progress"] == pytest.approx(-0.1) and r["status"] == "behind"


def test_progress_and_status_lower_is_better_uses_the_same_formula(tmp_path):
    m = one_indicator_model(tmp_path, direction="lower", baseline=(10, "2022Q4"), targets=((6, "2024Q4"),))
    cases = {8: (0.5, "behind"),     # (8-10)/(6-10) = 0.5, just short of the path's 0.5007
             7: (0.75, "on_track"),  # (7-10)/(6-10)
             9: (0.25, "behind"),
             5.5: (1.125, "achieved"),
             11: (-0.25, "behind")}  # worse than the baseline: negative progress
    for actual, (progress, status) in cases.items():
        r = row(track(m, CAT, local({"2023Q4": actual}), period="2023Q4"), "2023Q4")
        assert r["progress"] == pytest.approx(progress), actual
        assert r["status"] == status, actual


def test_on_track_is_judged_against_the_linear_path_at_the_period_end(tmp_path):
    m = one_indicator_model(tmp_path, baseline=(0, "2022"), targets=((100, "2024"),), cadence="yearly")
    spec = m.measure("m").box("out").indicators[0]
    # baseline dated 2023-03-31, target 2025-03-31; FY2023 ends 2024-03-31
    j = judge(50.0, spec, dt.date(2024, 3, 31))
    assert j["expected_progress"] == pytest.approx(366 / 731)
    assert j["expected"] == pytest.approx(100 * 366 / 731)
    assert j["status"] == "behind"                    # 50 < 50.07
    assert judge(50.1, spec, dt.date(2024, 3, 31))["status"] == "on_track"
    assert judge(50.0, spec, dt.date(2024, 3, 31), tolerance=0.01)["status"] == "on_track"
    # at the baseline's own date nothing is expected yet; after the target date everything is
    assert judge(0.0, spec, dt.date(2023, 3, 31))["expected_progress"] == 0
    assert judge(99.0, spec, dt.date(2026, 3, 31))["expected_progress"] == 1
    assert judge(99.0, spec, dt.date(2026, 3, 31))["status"] == "behind"
    assert judge(math.nan, spec, dt.date(2024, 3, 31))["status"] == "no_data"


def test_the_target_is_the_next_milestone(tmp_path):
    m = one_indicator_model(tmp_path, baseline=(0, "2022"), cadence="yearly",
                            targets=((100, "2024"), (300, "2027")))
    spec = m.measure("m").box("out").indicators[0]
    assert next_milestone(spec, dt.date(2024, 3, 31)).value == 100
    assert next_milestone(spec, dt.date(2025, 3, 31)).value == 100   # the milestone's own period
    assert next_milestone(spec, dt.date(2026, 3, 31)).value == 300
    assert next_milestone(spec, dt.date(2030, 3, 31)).value == 300   # all passed → the last one
    t = track(m, CAT, local({"2023": 40, "2024": 100, "2025": 150}), period="2025")
    assert list(t.loc[t["indicator_id"] == "x", "target_period"]) == ["2024", "2024", "2027"]
    r = row(t, "2025")  # (150-0)/(300-0); path from baseline (2023-03-31) to 2028-03-31 at 2026-03-31
    assert r["progress"] == pytest.approx(0.5) and r["target"] == 300
    assert r["expected_progress"] == pytest.approx(1096 / 1827)
    assert r["status"] == "behind"


def test_a_target_equal_to_the_baseline_means_hold_the_level(tmp_path):
    m = one_indicator_model(tmp_path, direction="lower", baseline=(5, "2022"), targets=((5, "2024"),),
                            cadence="yearly")
    t = track(m, CAT, local({"2023": 4.8, "2024": 5.3}), period="2024")
    assert row(t, "2023")["status"] == "achieved"
    assert row(t, "2024")["status"] == "behind"


# ------------------------------------------------------------------------------------- cadence


def test_a_missing_quarter_is_no_data_not_carried_forward(tmp_path):
    m = one_indicator_model(tmp_path)
    vals = {"2023Q1": 110, "2023Q2": 125, "2023Q4": 150, "2024Q1": 160}
    t = track(m, CAT, local(vals), period="2024Q1")
    x = t[t["indicator_id"] == "x"]
    assert list(x["period"]) == ["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1"]
    gap = row(t, "2023Q3")
    assert gap["status"] == "no_data" and gap["status_ja"] == "データなし"
    assert math.isnan(gap["actual"]) and math.isnan(gap["progress"])
    assert row(t, "2023Q4")["actual"] == 150


def test_rows_follow_each_indicators_cadence_up_to_the_reporting_period(tmp_path):
    m = one_indicator_model(tmp_path)
    t = track(m, CAT, local({"2023Q1": 110}), period="2024")
    assert list(t.loc[t["indicator_id"] == "x", "period"]) == [f"{y}Q{q}" for y in (2023, 2024) for q in range(1, 5)]
    assert list(t.loc[t["indicator_id"] == "t3.soc.crime_rate", "period"]) == ["2023", "2024"]
    assert list(t.columns) == TRACK_COLUMNS
    assert t.attrs["period"] == "2024"
    # a half-year report: only the quarters (and no fiscal year) that have ended
    t = track(m, CAT, local({"2023Q1": 110}), period="2024H1")
    assert t.loc[t["indicator_id"] == "x", "period"].iloc[-1] == "2024Q2"
    assert list(t.loc[t["indicator_id"] == "t3.soc.crime_rate", "period"]) == ["2023"]


def test_values_of_another_kind_are_not_used_and_say_so(tmp_path):
    m = one_indicator_model(tmp_path)  # quarterly
    t = track(m, CAT, local({"2023": 150}), period="2023")
    x = t[t["indicator_id"] == "x"]
    assert (x["status"] == "no_data").all()
    assert "cadence is quarterly" in x["note"].iloc[0]


def test_as_needed_indicators_only_have_rows_for_their_values(tmp_path):
    m = one_indicator_model(tmp_path, cadence="as_needed", baseline=(100, "2022-12"), targets=((200, "2024-12"),))
    t = track(m, CAT, local({"2023-05": 120, "2024-02": 150}), period="2024")
    assert list(t.loc[t["indicator_id"] == "x", "period"]) == ["2023-05", "2024-02"]
    empty = track(m, CAT, local({}), period="2024")
    assert list(empty.loc[empty["indicator_id"] == "x", "status"]) == ["no_data"]


# ------------------------------------------------------------------------------ data sources


def test_tier3_values_come_from_the_engine_results_of_the_city(tmp_path):
    m = one_indicator_model(tmp_path)
    engine = pd.DataFrame([
        {"area_code": "99201", "year": 2023, "indicator_id": "t3.soc.crime_rate", "value": 4.7, "unit": "件/千人",
         "status": "ok", "reason": None, "provenance": "crimes_recognised@2023"},
        {"area_code": "99201", "year": 2024, "indicator_id": "t3.soc.crime_rate", "value": 4.6, "unit": "件/千人",
         "status": "estimated", "reason": "inflow carried forward from 2020", "provenance": "x@2024"},
        {"area_code": "99202", "year": 2024, "indicator_id": "t3.soc.crime_rate", "value": 9.9, "unit": "件/千人",
         "status": "ok", "reason": None, "provenance": ""},
    ])
    t = track(m, CAT, local({}), indicators=engine, period="2024")
    r23, r24 = row(t, "2023", "t3.soc.crime_rate"), row(t, "2024", "t3.soc.crime_rate")
    assert r23["actual"] == 4.7 and r24["actual"] == 4.6
    assert r23["progress"] == pytest.approx(0.3)      # (4.7-5)/(4-5), lower is better
    assert "estimated" in r24["note"] and "carried forward" in r24["note"]
    assert "engine" in r23["source"]


def test_other_cities_local_rows_are_ignored(tmp_path):
    m = one_indicator_model(tmp_path)
    lf = pd.concat([local({"2023Q1": 110}), local({"2023Q2": 999}, area="99202")])
    t = track(m, CAT, lf, period="2023Q2")
    assert row(t, "2023Q2")["status"] == "no_data"


def test_the_reporting_period_defaults_to_the_latest_fiscal_year_with_data(tmp_path):
    m = one_indicator_model(tmp_path)
    t = track(m, CAT, local({"2023Q1": 110, "2024Q2": 170}))
    assert t.attrs["period"] == "2024"


# ------------------------------------------------------------------------------------- trend


@pytest.mark.parametrize(("direction", "values", "trend"), [
    ("higher", [110, 120, 130, 140], "better"),
    ("higher", [140, 130, 120, 110], "worse"),
    ("lower", [140, 130, 120, 110], "better"),
    ("lower", [110, 120, 130, 140], "worse"),
    ("higher", [120, 120.3, 119.8, 120.1], "flat"),
])
def test_trend_is_direction_aware(tmp_path, direction, values, trend):
    tgt = (200, "2024Q4") if direction == "higher" else (50, "2024Q4")
    m = one_indicator_model(tmp_path, direction=direction, baseline=(100 if direction == "higher" else 150, "2022Q4"),
                            targets=(tgt,))
    t = track(m, CAT, local(dict(zip(["2023Q1", "2023Q2", "2023Q3", "2023Q4"], values, strict=True))),
              period="2023Q4")
    assert row(t, "2023Q4")["trend"] == trend
    assert pd.isna(row(t, "2023Q1")["trend"])  # one value is no trend


# ------------------------------------------------------------------------------ latest status


def test_latest_status_takes_the_last_due_period_and_does_not_carry_forward(tmp_path):
    m = one_indicator_model(tmp_path)
    t = track(m, CAT, local({"2024Q1": 130, "2024Q2": 140, "2024Q3": 150}), period="2024")
    ls = latest_status(t)
    x = ls[ls["indicator_id"] == "x"].iloc[0]
    assert x["period"] == "2024Q4" and x["status"] == "no_data"
    assert x["last_period_with_data"] == "2024Q3" and x["last_actual"] == 150
    assert x["reporting_period"] == "2024"
    assert len(ls) == 2  # one row per indicator
    q3 = latest_status(t, "2024Q3")
    assert q3.loc[q3["indicator_id"] == "x", "status"].iloc[0] in ("on_track", "behind", "achieved")
    assert q3.loc[q3["indicator_id"] == "x", "period"].iloc[0] == "2024Q3"


def test_status_labels_are_the_shared_japanese_ones(tmp_path):
    m = one_indicator_model(tmp_path)
    t = track(m, CAT, local({"2023Q1": 110, "2023Q2": 300}), period="2023Q3")
    assert set(zip(t["status"], t["status_ja"], strict=True)) <= set(STATUS_JA.items())


@pytest.mark.parametrize("actual,expected", [
    (6.0, "achieved"),      # the target of a lower-is-better indicator reached
    (9.0, "accelerate"),    # a quarter of the way, the line asks for more: right direction, too slow
    (10.1, "stalled"),      # within 5 % of the way either side of the baseline
    (21.9, "worsening"),    # moved away from the target (progress −298 %, as the demo's 防犯性 did)
])
def test_progress_is_told_in_words_not_as_a_percentage_outside_0_to_100(tmp_path, actual, expected):
    lm = one_indicator_model(tmp_path, direction="lower", baseline=(10, "2022Q4"), targets=((6, "2024Q4"),))
    spec = next(s for _, _, s in lm.iter_indicators() if s.id == "x")
    j = judge(actual, spec, dt.date(2024, 3, 31))
    assert progress_class(j["status"], j["progress"], j["baseline"], j["target"]) == expected
    if expected == "worsening":
        assert j["progress"] < -2.9  # the number itself stays (the CSV keeps it)


def test_progress_on_the_planned_line_is_on_track_and_no_value_is_no_data():
    assert progress_class("on_track", 0.4) == "on_track"
    assert progress_class("no_data", math.nan) == "no_data"
    assert progress_class("behind", 0.0, 5.0, 5.0) == "worsening"  # "hold the level" missed


def test_every_tracking_row_carries_its_progress_word(tmp_path):
    lm = one_indicator_model(tmp_path)
    local = pd.DataFrame({"area_code": "99201", "indicator_id": "x", "period": ["2023Q1", "2023Q2"],
                          "value": [90.0, 150.0], "unit": "件", "source": "台帳", "note": None})
    t = track(lm, CAT, local, period="2023Q2")
    x = t[t["indicator_id"] == "x"].set_index("period")
    assert x.loc["2023Q1", "progress_class"] == "worsening" and x.loc["2023Q2", "progress_class"] == "on_track"
