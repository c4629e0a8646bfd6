"""Reporting periods follow the Japanese fiscal year (April–March)."""

from datetime import date

import pytest

from sckpi_helpers.config.periods import (
    PeriodError,
    due_checks,
    parse_period,
    parse_year_range,
    period_for,
    period_range,
    periods_within,
)


def test_fiscal_year_runs_april_to_march():
    p = parse_period("2025")
    assert (p.start, p.end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert parse_period("FY2025") == p
    assert p.label_ja == "2025年度"


def test_quarters_are_fiscal_quarters():
    assert parse_period("2025Q1").start == date(2025, 4, 1)
    q3 = parse_period("2025Q3")
    assert (q3.start, q3.end) == (date(2025, 10, 1), date(2025, 12, 31))
    q4 = parse_period("2025Q4")
    assert (q4.start, q4.end, q4.fiscal_year) == (date(2026, 1, 1), date(2026, 3, 31), 2025)
    assert q3.label_ja == "2025年度第3四半期"


def test_january_belongs_to_the_previous_fiscal_year():
    assert period_for(date(2026, 2, 3), "quarter").label == "2025Q4"
    assert period_for(date(2026, 2, 3), "year").label == "2025"
    assert period_for(date(2026, 2, 3), "month").label == "2026-02"
    assert period_for(date(2025, 11, 30), "half").label == "2025H2"


def test_next_quarter_crosses_the_fiscal_year():
    assert str(parse_period("2025Q4").next()) == "2026Q1"
    assert str(parse_period("2026Q1").previous()) == "2025Q4"


def test_a_fiscal_year_holds_four_quarters_and_twelve_months():
    fy = parse_period("2024")
    assert [str(q) for q in periods_within(fy, "quarter")] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    months = periods_within(fy, "month")
    assert len(months) == 12 and str(months[0]) == "2024-04" and str(months[-1]) == "2025-03"


def test_period_range_is_inclusive_and_single_kind():
    assert [str(p) for p in period_range("2023Q3", "2024Q2")] == ["2023Q3", "2023Q4", "2024Q1", "2024Q2"]
    with pytest.raises(PeriodError, match="mixes kinds"):
        period_range("2023Q3", "2024")


def test_checks_due_each_period():
    """Check❶❷ monthly/quarterly, Check❸❹ at the fiscal year (docs/GUIDELINE.md, PDCA table)."""
    assert due_checks("2025Q3") == [1, 2]
    assert due_checks("2025-10") == [1, 2]
    assert due_checks("2025") == [1, 2, 3, 4]


@pytest.mark.parametrize("bad", ["2025Q5", "25", "2025-13", "Q3", ""])
def test_bad_period_labels_are_named(bad):
    with pytest.raises(PeriodError, match="period"):
        parse_period(bad)


def test_year_ranges():
    assert parse_year_range("2015-2018") == [2015, 2016, 2017, 2018]
    assert parse_year_range("2020") == [2020]
    assert parse_year_range("2020,2015") == [2015, 2020]
    with pytest.raises(PeriodError):
        parse_year_range("2020-2015")


def test_relative_periods_for_schedulers():
    jan10 = date(2026, 1, 10)
    assert str(parse_period("previous-quarter", today=jan10)) == "2025Q3"
    assert str(parse_period("current-quarter", today=jan10)) == "2025Q4"
    assert str(parse_period("previous-year", today=date(2026, 6, 1))) == "2025"
    assert str(parse_period("previous-month", today=jan10)) == "2025-12"
