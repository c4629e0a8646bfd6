"""The catalog's formula language: safe to evaluate, explicit about why a value is missing."""

import numpy as np
import pandas as pd
import pytest

from sckpi_helpers.catalog.formula import FormulaEnv, FormulaError, evaluate, max_lag, parse, referenced_names


@pytest.fixture
def env():
    df = pd.DataFrame({
        "area_code": ["A"] * 3 + ["B"] * 3,
        "year": [2018, 2019, 2020] * 2,
        "pop": [1000, 1100, np.nan, 500, 0, 600],
        "crime": [10, 22, 3, 4, 5, 6],
    })
    return FormulaEnv.from_wide(df)


def frame(expr, env):
    return evaluate(expr, env).to_frame(env)


def test_ratio_with_scale(env):
    out = frame("crime / pop * 1000", env)
    assert out.loc[("A", 2018), "value"] == pytest.approx(10.0)
    assert out.loc[("A", 2019), "value"] == pytest.approx(20.0)


def test_missing_input_gives_missing_with_reason_not_zero(env):
    out = frame("crime / pop * 1000", env)
    assert np.isnan(out.loc[("A", 2020), "value"])
    assert out.loc[("A", 2020), "reason"] == "input pop missing for 2020"


def test_zero_denominator_gives_missing_with_reason(env):
    out = frame("crime / pop", env)
    assert np.isnan(out.loc[("B", 2019), "value"])
    assert out.loc[("B", 2019), "reason"] == "zero denominator (pop) for 2019"


def test_year_on_year_rate_uses_the_same_area_only(env):
    out = frame("(pop - lag(pop)) / lag(pop)", env)
    assert out.loc[("A", 2019), "value"] == pytest.approx(0.1)
    # B's first year must not borrow A's last year
    assert np.isnan(out.loc[("B", 2018), "value"])
    assert out.loc[("B", 2018), "reason"] == "no data 1 year(s) earlier (2017)"


def test_previous_observation_skips_gaps(env):
    out = frame("pop - prev_obs(pop)", env)
    assert out.loc[("A", 2019), "value"] == pytest.approx(100)
    assert out.loc[("B", 2020), "value"] == pytest.approx(600)  # previous observation is 0 in 2019


def test_annotation_is_named_in_the_reason():
    long = pd.DataFrame({"area_code": ["A", "A"], "year": [2019, 2020], "variable": ["x", "x"],
                         "value": [1.0, np.nan], "annotation": [None, "X"]})
    env = FormulaEnv.from_long(long)
    out = evaluate("x * 2", env).to_frame(env)
    assert out.loc[("A", 2020), "reason"] == "input x marked 'X' for 2020"


def test_provenance_names_inputs_and_years(env):
    v = evaluate("(pop - lag(pop)) / lag(pop)", env)
    used = {(name, int(y[1])) for name, y in v.sources}  # row 1 = (A, 2019)
    assert used == {("pop", 2019), ("pop", 2018)}


def test_names_and_lags_are_declared():
    assert referenced_names("(population - lag(population, 2)) / area") == {"population", "area"}
    assert max_lag("x - lag(lag(x), 2)") == 3


@pytest.mark.parametrize("expr", [
    "__import__('os').system('true')", "x.real", "x if y else z", "[x]", "x < y", "'text'",
    "lag(x, y)", "open(x)", "x +", "lambda: 1", "True + x",
])
def test_anything_outside_the_grammar_is_refused(expr):
    with pytest.raises(FormulaError):
        parse(expr)


def test_unknown_input_at_evaluation_is_named(env):
    with pytest.raises(FormulaError, match="'households'"):
        evaluate("crime / households", env)


def test_grid_must_be_complete():
    idx = pd.MultiIndex.from_tuples([("A", 2018), ("A", 2020)], names=["area_code", "year"])
    with pytest.raises(ValueError, match="complete"):
        FormulaEnv(pd.DataFrame({"x": [1.0, 2.0]}, index=idx))


def test_parse_returns_a_tree_the_caller_may_change():
    import ast

    tree = parse("a / b")
    tree.body.left = ast.Name(id="c", ctx=ast.Load())
    assert referenced_names("a / b") == {"a", "b"}
