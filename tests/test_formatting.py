"""The kit's one number rule (config.formatting): what a page, a check section, the terminal table,
the CSV and the narrative text write for a number."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sckpi_helpers.config.formatting import format_number, format_share, round_number

PKG = Path(__file__).resolve().parents[1] / "sckpi_helpers"


def test_a_whole_number_has_no_decimals_and_thousands_separators():
    assert format_number(3154.0) == "3,154" and format_number(13) == "13" and format_number(np.int64(12101)) == "12,101"


def test_other_numbers_keep_four_significant_digits_without_cutting_the_integer_part():
    assert format_number(1.23456) == "1.235" and format_number(0.0012345) == "0.001235"
    assert format_number(123456.7) == "123,457" and format_number(1234.5678) == "1,235"


def test_numbers_are_rounded_half_up_as_written():
    assert format_number(1234.5) == "1,235" and format_number(2.675, "%") == "2.68" and round_number(2.675, "%") == 2.68
    assert format_number(-1234.5) == "-1,235" and format_number(1e30) == f"{10**30:,}"


def test_trailing_zeros_are_dropped():
    assert format_number(0.5) == "0.5" and format_number(-0.049) == "-0.049" and format_number(0.0) == "0"


def test_a_percentage_keeps_at_most_two_decimals():
    assert format_number(12.34567, "%") == "12.35" and format_number(0.123456, "%（前年比）") == "0.12"
    assert format_number(50.0, "％") == "50"


def test_a_score_is_written_with_the_decimals_asked_for():
    assert format_number(51.234, decimals=1) == "51.2" and format_number(48.6, decimals=0) == "49"


@pytest.mark.parametrize("missing", [None, float("nan"), math.inf, pd.NA, np.nan])
def test_a_missing_number_is_a_mark_never_a_number(missing):
    assert format_number(missing) == "—" and format_number(missing, missing="-") == "-"
    assert math.isnan(round_number(missing))


def test_text_is_left_as_text():
    assert format_number("13 / 29") == "13 / 29" and format_number(True) == "True"


def test_a_file_gets_the_same_digits_as_the_page():
    for value, unit in [(12.34567, "%"), (4.19333, "件/補正人口千人"), (208115.4, "人"), (0.5, None)]:
        assert format_number(round_number(value, unit), unit) == format_number(value, unit)
    assert round_number(208115.4, "人") == 208115 and isinstance(round_number(208115.4, "人"), int)


def test_a_share_is_a_whole_percentage():
    assert format_share(0.634) == "63%" and format_share(1.0) == "100%" and format_share(None) == "—"


def test_no_module_defines_a_number_formatter_of_its_own():
    """Formatting numbers is decided once: no other function named like a number formatter."""
    names = {"fmt_value", "format_value", "format_number", "decimals_for", "round_value", "round_number", "_pct",
             "format_share"}
    own = []
    for path in PKG.rglob("*.py"):
        if path == PKG / "config" / "formatting.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in names:
                own.append(f"{path.relative_to(PKG)}:{node.lineno} {node.name}")
    assert not own, own
