"""Reporting periods follow the Japanese fiscal year (April–March)."""

from datetime import date

import pytest

from sckpi_helpers.config.periods import (
    PeriodError,
    due_checks,
    normalize_period_label,
    parse_period,
    parse_year,
    parse_year_range,
    period_for,
    period_range,
    periods_within,
    wareki,
    year_ja,
)


def test_fiscal_year_runs_april_to_march():
    p = parse_period("2025")
    assert (p.start, p.end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert parse_period("FY2025") == p
    assert p.label_ja == "2025年度（令和7年度）"


def test_quarters_are_fiscal_quarters():
    assert parse_period("2025Q1").start == date(2025, 4, 1)
    q3 = parse_period("2025Q3")
    assert (q3.start, q3.end) == (date(2025, 10, 1), date(2025, 12, 31))
    q4 = parse_period("2025Q4")
    assert (q4.start, q4.end, q4.fiscal_year) == (date(2026, 1, 1), date(2026, 3, 31), 2025)
    assert q3.label_ja == "2025年度（令和7年度）第3四半期"


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


# ---------------------------------------------------------------- Japanese forms (one parser)
@pytest.mark.parametrize("text,label", [
    ("令和7年度", "2025"), ("２０２５年度", "2025"), ("R7", "2025"), ("平成元年度", "1989"),
    ("2025年度上期", "2025H1"), ("令和7年度下期", "2025H2"), ("２０２５年度第１四半期", "2025Q1"),
    ("R7Q3", "2025Q3"), ("2025年10月", "2025-10"), ("令和7年10月", "2025-10"),
])
def test_japanese_period_forms_read_as_kit_labels(text, label):
    assert normalize_period_label(text) == label
    assert parse_period(text).label == label


def test_text_that_is_no_period_is_still_an_error_naming_it():
    with pytest.raises(PeriodError, match="令和X年"):
        parse_period("令和X年")


@pytest.mark.parametrize("text,year", [("2023", 2023), ("2023年", 2023), ("2023年度", 2023),
                                       ("FY2023", 2023), ("令和5年", 2023), ("R5", 2023),
                                       ("平成27年度", 2015), ("令和元年", 2019), ("２０２１", 2021),
                                       (2021.0, 2021)])
def test_statistics_years(text, year):
    assert parse_year(text) == year


@pytest.mark.parametrize("text", ["20233", "令和", "2023.5", 1850, "Q1"])
def test_what_is_not_a_year_is_refused(text):
    with pytest.raises(PeriodError):
        parse_year(text)


@pytest.mark.parametrize("year,text", [(2022, "2022年度（令和4年度）"), (2019, "2019年度（平成31年度／令和元年度）"),
                                       (2020, "2020年度（令和2年度）"), (2018, "2018年度（平成30年度）"),
                                       (1989, "1989年度（平成元年度）"), (1988, "1988年度（昭和63年度）")])
def test_fiscal_years_carry_their_era_year(year, text):
    assert year_ja(year) == text


def test_calendar_years_carry_their_era_year():
    assert year_ja(2022, fiscal=False) == "2022年（令和4年）"
    assert wareki(2019, fiscal=False) == "平成31年／令和元年"
    assert wareki(1989, fiscal=False) == "昭和64年／平成元年"


def test_the_era_beside_a_year_reads_back_as_the_same_year():
    for y in (1990, 2019, 2024):
        for part in wareki(y).split("／"):
            assert parse_year(part) == y
