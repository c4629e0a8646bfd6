"""A city's extension is validated like the catalog: each rule has its own named error that
names the file and the indicator, and all problems are reported together."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from sckpi_helpers.catalog import CatalogError, load_catalog
from sckpi_helpers.errors import SckpiError

FIXTURES = Path(__file__).parent / "fixtures" / "catalog"

GOOD = """\
  - id: local.test.{id}
    name_ja: {name_ja}
    name_en: Test indicator
    field: {field}
    tier: {tier}
    pillar: social
    cadence: yearly
    unit: 件
    direction: higher
    formula: {formula}
    availability: local
"""


def _ext(tmp_path: Path, body: str, name: str = "ext.yaml") -> Path:
    path = tmp_path / name
    path.write_text(dedent(body), encoding="utf-8")
    return path


def _indicator(id: str = "a", name_ja: str = "テスト指標", field: str = "mobility",
               tier: str = "outcome2", formula: str = "population_resident / 1000") -> str:
    return GOOD.format(id=id, name_ja=name_ja, field=field, tier=tier, formula=formula)


def _error(*paths: Path) -> CatalogError:
    with pytest.raises(CatalogError) as exc:
        load_catalog(paths)
    return exc.value


def test_catalog_error_is_a_sckpi_error():
    assert issubclass(CatalogError, SckpiError)


def test_a_valid_extension_adds_a_local_indicator_and_input():
    cat = load_catalog([FIXTURES / "city_extension.yaml"])
    ind = cat.get("local.sample.bike_share_per_capita")
    assert ind.inputs == ["bike_share_trips", "population_resident"]
    assert cat.inputs["bike_share_trips"].sources[0].kind == "local"
    assert list(cat.indicators)[-2:] == ["local.sample.bike_share_per_capita",
                                         "local.sample.workshop_attendance"]
    assert cat.get("local.sample.workshop_attendance").check == 1
    assert "local.sample.bike_share_per_capita" not in load_catalog().indicators  # cache untouched


def test_duplicate_id_against_the_catalog(tmp_path):
    ext = _ext(tmp_path, "indicators:\n" + _indicator().replace("local.test.a", "t3.soc.crime_rate"))
    err = str(_error(ext))
    assert "t3.soc.crime_rate" in err and "duplicate id" in err and str(ext) in err
    assert "indicators_outcome3.yaml" in err  # where it was first defined


def test_duplicate_id_across_extension_files(tmp_path):
    one = _ext(tmp_path, "indicators:\n" + _indicator(), "one.yaml")
    two = _ext(tmp_path, "indicators:\n" + _indicator(), "two.yaml")
    err = str(_error(one, two))
    assert "local.test.a" in err and "duplicate id" in err and "two.yaml" in err and "one.yaml" in err


def test_unknown_input_in_a_formula(tmp_path):
    ext = _ext(tmp_path, "indicators:\n" + _indicator(formula="bicycles / population_resident"))
    err = str(_error(ext))
    assert "local.test.a" in err and "unknown input(s) bicycles" in err and str(ext) in err


def test_formula_that_does_not_parse(tmp_path):
    ext = _ext(tmp_path, "indicators:\n" + _indicator(formula="'(population_resident / '"))
    err = str(_error(ext))
    assert "local.test.a" in err and "does not parse" in err and str(ext) in err


def test_formula_outside_the_grammar(tmp_path):
    ext = _ext(tmp_path, "indicators:\n" + _indicator(formula="'__import__(\"os\")'"))
    err = str(_error(ext))
    assert "local.test.a" in err and "unknown function" in err


def test_missing_japanese_name(tmp_path):
    ext = _ext(tmp_path, "indicators:\n" + _indicator().replace("    name_ja: テスト指標\n", ""))
    err = str(_error(ext))
    assert "local.test.a" in err and "name_ja is missing" in err and str(ext) in err


def test_blank_japanese_name(tmp_path):
    ext = _ext(tmp_path, "indicators:\n" + _indicator(name_ja="'  '"))
    assert "name_ja" in str(_error(ext))


def test_unknown_field(tmp_path):
    ext = _ext(tmp_path, "indicators:\n" + _indicator(field="mobilty"))
    err = str(_error(ext))
    assert "local.test.a" in err and "unknown field 'mobilty'" in err and str(ext) in err


def test_unknown_tier(tmp_path):
    ext = _ext(tmp_path, "indicators:\n" + _indicator(tier="outcome4"))
    err = str(_error(ext))
    assert "local.test.a" in err and "unknown tier 'outcome4'" in err and str(ext) in err


def test_unknown_pillar_direction_and_cadence(tmp_path):
    body = _indicator().replace("pillar: social", "pillar: cultural").replace(
        "direction: higher", "direction: up").replace("cadence: yearly", "cadence: weekly")
    err = str(_error(_ext(tmp_path, "indicators:\n" + body)))
    assert "unknown pillar 'cultural'" in err
    assert "unknown direction 'up'" in err
    assert "unknown cadence 'weekly'" in err


def test_check_must_match_the_tier(tmp_path):
    ext = _ext(tmp_path, "indicators:\n" + _indicator() + "    check: 4\n")
    err = str(_error(ext))
    assert "local.test.a" in err and "check 4 does not match tier 'outcome2'" in err


def test_foundation_indicator_pillar_is_its_field(tmp_path):
    ext = _ext(tmp_path, "indicators:\n" + _indicator(field="talent"))
    assert "pillar is its field 'talent'" in str(_error(ext))


def test_empty_formula_needs_local_availability(tmp_path):
    body = _indicator(formula="null").replace("availability: local", "availability: estat")
    assert "formula is empty" in str(_error(_ext(tmp_path, "indicators:\n" + body)))


def test_typo_in_a_key_is_reported(tmp_path):
    body = _indicator().replace("unit: 件", "unit: 件\n    formla: x")
    assert "formla is not a known key" in str(_error(_ext(tmp_path, "indicators:\n" + body)))


def test_all_problems_are_reported_together_with_lines(tmp_path):
    ext = _ext(tmp_path, "indicators:\n" + _indicator("a", tier="outcome9")
               + _indicator("b", field="nowhere") + _indicator("c", formula="foo + 1"))
    err = _error(ext)
    assert len(err.problems) == 3
    assert [p.row for p in err.problems] == [2, 13, 24]
    assert "3 problems" in str(err)


def test_a_broken_extension_file_is_a_named_error():
    err = str(_error(FIXTURES / "broken_yaml.yaml"))
    assert "broken_yaml.yaml" in err and "not valid YAML" in err


def test_a_missing_extension_file_is_a_named_error(tmp_path):
    err = str(_error(tmp_path / "nope.yaml"))
    assert "nope.yaml" in err and "cannot read" in err


def test_an_extension_may_not_redefine_fields_or_adjusted_population(tmp_path):
    ext = _ext(tmp_path, "adjusted_population:\n  default: resident\n")
    assert "unknown top-level key 'adjusted_population'" in str(_error(ext))


def test_an_extension_input_that_duplicates_a_catalog_input(tmp_path):
    ext = _ext(tmp_path, """\
        inputs:
          - id: population_resident
            name_ja: 人口
            name_en: Population
            unit: 人
            cadence: yearly
            sources: [{kind: local}]
        """)
    err = str(_error(ext))
    assert "input 'population_resident': duplicate id" in err and "inputs.yaml" in err


# ------------------------------------------------------------------------ e-Stat item sources
def _input_with(tmp_path: Path, source: str) -> Path:
    return _ext(tmp_path, f"""\
        inputs:
          - id: test_items
            name_ja: テスト入力
            name_en: Test input
            unit: 人
            cadence: yearly
            sources:
              - {source}
        """)


@pytest.mark.parametrize("source, message", [
    ("{kind: estat, item_code: A6105, items: [{code: A6106, name: x}]}", "either item_code"),
    ("{kind: estat, items: [{code: A6105, name: x}, {code: A6106, name: y}]}", "combine: sum"),
    ("{kind: estat, items: [{code: A6105, name: x}], combine: product}", "unknown combine rule"),
    (("{kind: estat, items: [{code: A6105, name: x}], combine: sum, designated_city: A6105 - A6103,"
     " designated_city_note: n}"), "items not listed"),
    ("{kind: estat, item_code: A6105, name: x, designated_city: A6105}", "designated_city_note"),
    ("{kind: estat, item_code: J230127, name: x, from_year: 2018, to_year: 2017}", "after to_year"),
])
def test_item_sources_say_how_their_items_make_the_input(tmp_path, source, message):
    err = _error(_input_with(tmp_path, source))
    assert message in str(err) and "test_items" in str(err)


def test_style_keeps_only_the_font():
    """Japanese labels have one home, config.vocabulary; viz.style is the font."""
    from sckpi_helpers.viz import style

    assert not [n for n in vars(style) if n.isupper() and n.endswith(("_JA", "_COLOURS"))]
