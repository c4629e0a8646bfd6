"""Logic-model files: the schema, and one test per validation rule (each names file, measure, box)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from lm_fixtures import FIX, ROOT, fake_catalog

from sckpi_helpers.errors import InputFileError, ValidationError
from sckpi_helpers.sources.logic_model import LogicModel, load_logic_model


def course() -> dict:
    return yaml.safe_load((FIX / "course.yaml").read_text(encoding="utf-8"))


def box(data: dict, box_id: str, measure: int = 0) -> dict:
    return next(b for b in data["measures"][measure]["boxes"] if b["id"] == box_id)


def write(tmp_path: Path, data: dict | str, name: str = "logic_model.yaml") -> Path:
    p = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    p.write_text(text, encoding="utf-8")
    return p


def problems(tmp_path: Path, data: dict | str) -> list:
    path = write(tmp_path, data)
    with pytest.raises(ValidationError) as exc:
        load_logic_model(path, fake_catalog())
    for p in exc.value.problems:
        assert p.file == str(path)
    return exc.value.problems


def only(probs: list, text: str):
    hits = [p for p in probs if text in p.message]
    assert len(hits) == 1, [str(p) for p in probs]
    return hits[0]


# --------------------------------------------------------------------------------------- loading


def test_the_seminar_course_loads_with_catalog_indicators_filled_in():
    m = load_logic_model(FIX / "course.yaml", fake_catalog())
    assert isinstance(m, LogicModel)
    assert m.city.code == "99201" and (m.plan.start, m.plan.end) == (2023, 2027)
    meas = m.measure("env_course")
    assert [b.tier for b in meas.boxes] == ["input", "activity", "output", "outcome1", "outcome2", "outcome3"]
    t3 = meas.box("co2_city").indicators[0]
    assert t3.is_catalog and t3.id == "t3.env.co2_per_capita"
    assert (t3.name_ja, t3.unit, t3.direction, t3.cadence) == ("CO2排出量（年間トン/人）", "t-CO2/人", "lower",
                                                               "yearly")
    assert meas.box("attend").feeds == ["understand"]
    assert meas.reaches("attend", "outcome3")
    assert set(m.local_indicators()) == {"env.participants", "env.understanding", "env.home_co2"}
    assert m.source_path == str(FIX / "course.yaml")


def test_milestones_accept_a_period_or_a_date(tmp_path):
    d = course()
    ind = box(d, "attend")["indicators"][0]
    ind["baseline"] = {"value": 0, "date": "2023-03-31"}
    ind["targets"] = [{"value": 200, "period": "2023Q4"}, {"value": 400, "period": "2024Q4"}]
    m = load_logic_model(write(tmp_path, d), fake_catalog())
    spec = m.measure("env_course").box("attend").indicators[0]
    assert spec.baseline.label == "2023-03-31" and spec.baseline.when.isoformat() == "2023-03-31"
    assert [t.label for t in spec.sorted_targets()] == ["2023Q4", "2024Q4"]
    assert spec.final_target.value == 400


def test_missing_file_is_an_input_file_error(tmp_path):
    with pytest.raises(InputFileError, match="cannot read logic model"):
        load_logic_model(tmp_path / "nope.yaml", fake_catalog())


# ------------------------------------------------------------------------------ one rule per test


def test_yaml_that_does_not_parse(tmp_path):
    text = (FIX / "course.yaml").read_text(encoding="utf-8").replace("feeds: [attend]", "feeds: [attend")
    probs = problems(tmp_path, text)
    assert len(probs) == 1
    assert "YAML does not parse" in probs[0].message and probs[0].row is not None


def test_unknown_catalog_id(tmp_path):
    d = course()
    box(d, "co2_city")["indicators"][0]["catalog"] = "t3.env.no_such_thing"
    p = only(problems(tmp_path, d), "unknown catalog id 't3.env.no_such_thing'")
    assert "measure 'env_course'" in p.message and "box 'co2_city'" in p.message
    assert "logic_model.yaml" in str(p)


def test_link_to_a_missing_box(tmp_path):
    d = course()
    box(d, "attend")["feeds"] = ["understand", "ghost"]
    p = only(problems(tmp_path, d), "feeds 'ghost'")
    assert "measure 'env_course'" in p.message and "box 'attend'" in p.message
    assert "no such box" in p.message


def test_a_cycle(tmp_path):
    d = course()
    boxes = d["measures"][0]["boxes"]
    box(d, "understand")["feeds"] = ["co2_home", "interest"]
    boxes.append({"id": "interest", "tier": "outcome1", "label": "関心", "feeds": ["understand"]})
    p = only(problems(tmp_path, d), "cycle")
    assert "measure 'env_course'" in p.message and "box '" in p.message
    assert "understand → interest → understand" in p.message or "interest → understand → interest" in p.message


def test_an_outcome_with_no_path_to_tier_3(tmp_path):
    d = course()
    box(d, "co2_home")["feeds"] = []
    probs = problems(tmp_path, d)
    p = only(probs, "box 'co2_home': アウトカム第2階層 box has no path to アウトカム第3階層")
    assert "measure 'env_course'" in p.message
    # the tier-1 box below it is cut off as well, and says so
    only(probs, "box 'understand': アウトカム第1階層 box has no path")


def test_a_tier1_outcome_cut_off_from_tier3_is_reported_too(tmp_path):
    d = course()
    box(d, "understand")["feeds"] = []
    probs = problems(tmp_path, d)
    assert any("box 'understand'" in p.message and "no path" in p.message for p in probs)


def test_target_below_baseline_for_higher_is_better(tmp_path):
    d = course()
    box(d, "understand")["indicators"][0]["targets"] = [{"value": 35, "period": "2024Q4"}]
    p = only(problems(tmp_path, d), "below baseline 40")
    assert "higher is better" in p.message
    assert "measure 'env_course'" in p.message and "box 'understand'" in p.message


def test_target_above_baseline_for_lower_is_better(tmp_path):
    d = course()
    box(d, "co2_city")["indicators"][0]["targets"] = [{"value": 7.5, "period": 2027}]
    p = only(problems(tmp_path, d), "above baseline 7")
    assert "lower is better" in p.message and "box 'co2_city'" in p.message


def test_milestones_going_backwards(tmp_path):
    d = course()
    box(d, "co2_home")["indicators"][0]["targets"] = [{"value": 450, "period": 2024}, {"value": 470, "period": 2027}]
    p = only(problems(tmp_path, d), "above the earlier target 450")
    assert "box 'co2_home'" in p.message


def test_a_unit_that_contradicts_the_catalog(tmp_path):
    d = course()
    box(d, "co2_city")["indicators"][0]["unit"] = "kg"
    p = only(problems(tmp_path, d), "unit 'kg' contradicts the catalog's 't-CO2/人'")
    assert "measure 'env_course'" in p.message and "box 'co2_city'" in p.message


def test_a_tier_that_contradicts_the_catalog(tmp_path):
    d = course()
    box(d, "co2_home")["indicators"].append({"catalog": "t3.soc.crime_rate", "baseline": {"value": 5, "period": 2022},
                                             "targets": [{"value": 4, "period": 2027}]})
    p = only(problems(tmp_path, d), "is a outcome3")
    assert "box 'co2_home'" in p.message


def test_a_link_going_downwards(tmp_path):
    d = course()
    box(d, "co2_city")["feeds"] = ["attend"]
    p = only(problems(tmp_path, d), "link goes downwards")
    assert "measure 'env_course'" in p.message and "box 'co2_city'" in p.message
    assert "outcome3 'co2_city' feeds output 'attend'" in p.message


def test_schema_errors_name_measure_box_and_line(tmp_path):
    d = course()
    del box(d, "understand")["indicators"][0]["unit"]
    box(d, "attend")["tier"] = "outcome9"
    path = write(tmp_path, d)
    with pytest.raises(ValidationError) as exc:
        load_logic_model(path, fake_catalog())
    msgs = [str(p) for p in exc.value.problems]
    assert len(msgs) == 2, msgs
    unit = next(p for p in exc.value.problems if "needs unit" in p.message)
    assert "measure 'env_course'" in unit.message and "box 'understand'" in unit.message
    tier = next(p for p in exc.value.problems if "tier" in p.message and "box 'attend'" in p.message)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "outcome9" in lines[tier.row - 1]


def test_a_bad_period_label(tmp_path):
    d = course()
    box(d, "attend")["indicators"][0]["targets"] = [{"value": 400, "period": "2024Q5"}]
    p = only(problems(tmp_path, d), "2024Q5")
    assert "box 'attend'" in p.message


def test_duplicate_box_ids(tmp_path):
    d = course()
    d["measures"][0]["boxes"].append({"id": "attend", "tier": "output", "label": "x", "feeds": ["understand"]})
    only(problems(tmp_path, d), "box id 'attend' is used twice")


def test_a_local_indicator_defined_twice_differently(tmp_path):
    d = course()
    other = copy.deepcopy(box(d, "attend")["indicators"][0])
    other["unit"] = "組"
    box(d, "understand")["indicators"].append(other)
    only(problems(tmp_path, d), "defined differently")


def test_every_problem_is_reported_at_once(tmp_path):
    d = course()
    box(d, "co2_city")["indicators"][0]["catalog"] = "t3.nope"
    box(d, "attend")["feeds"] = ["ghost"]
    box(d, "co2_home")["feeds"] = []
    probs = problems(tmp_path, d)
    assert len(probs) >= 3
    text = "\n".join(str(p) for p in probs)
    assert "t3.nope" in text and "ghost" in text and "no path" in text


# ---------------------------------------------------------------------------- the real catalog


def test_demo_logic_model_loads_against_the_real_catalog():
    catalog = pytest.importorskip("sckpi_helpers.catalog").load_catalog()
    m = load_logic_model(ROOT / "data" / "raw" / "demo" / "logic_model.yaml", catalog)
    assert m.city.code == "99201"
    assert [x.id for x in m.measures] == ["env_course", "ondemand", "watch_cam", "opendata"]
    assert {x.field for x in m.measures} == {"environment_energy", "mobility", "disaster_crime", "it_platform"}
    tier3 = {i.id for _, b, i in m.iter_indicators() if b.tier == "outcome3" and i.is_catalog}
    assert tier3 == {"t3.env.co2_residential", "t3.soc.traffic_accident_rate", "t3.soc.crime_rate"}
    for _, b, i in m.iter_indicators():
        if i.is_catalog:
            c = catalog.indicators[i.id]
            assert (i.unit, i.direction, b.tier) == (c.unit, c.direction, c.tier)


def test_the_course_fixture_loads_against_the_real_catalog_with_the_catalog_unit():
    catalog = pytest.importorskip("sckpi_helpers.catalog").load_catalog()
    if "t3.env.co2_per_capita" not in catalog.indicators:
        pytest.skip("catalog has no t3.env.co2_per_capita")
    m = load_logic_model(FIX / "course.yaml", catalog)
    assert m.measure("env_course").box("co2_city").indicators[0].unit == catalog.indicators[
        "t3.env.co2_per_capita"].unit
