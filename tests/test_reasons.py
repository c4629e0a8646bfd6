"""Reports say in Japanese why a value is missing or estimated, naming inputs as the catalog does."""

import pytest

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.indicators.reasons import reason_ja


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.mark.parametrize(("english", "japanese"), [
    ("input crimes_recognised missing for 2019", "「刑法犯認知件数」の2019年の値がない"),
    ("input crimes_recognised marked 'X' for 2020", "「刑法犯認知件数」の2020年は「X」（秘匿）"),
    ("zero denominator (adjusted_population) for 2019", "2019年の分母（補正人口）が0"),
    ("input crimes_recognised marked 'out of range [0, ∞)' for 2022",
     "「刑法犯認知件数」の2022年の値が有効な範囲 [0, ∞) の外（誤りとみなして使わない）"),
    ("no data 1 year(s) earlier (2009)", "比較に必要な2009年（1年前）のデータがない"),
    ("population_census interpolated between 2015 and 2020", "「総人口（国勢調査）」は2015年と2020年の間を補間"),
])
def test_each_engine_reason_reads_in_japanese(catalog, english, japanese):
    assert reason_ja(english, catalog) == japanese


def test_several_reasons_are_joined_once_each(catalog):
    text = "population_census carried forward from 2020; population_census carried forward from 2020"
    assert reason_ja(text, catalog) == "「総人口（国勢調査）」は2020年の値を繰越し"


def test_unknown_text_is_kept_not_guessed(catalog):
    assert reason_ja("statistics office note 12", catalog) == "statistics office note 12"
    assert reason_ja(None, catalog) == ""
