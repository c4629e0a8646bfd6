"""Check❹ pages say which indicators rest on unconfirmed item codes, and the 政令指定都市 rule."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.notebook import sections


def _page(city_code: str, indicator_ids: list[str]) -> SimpleNamespace:
    params = SimpleNamespace(city_code=city_code, settings=None)
    return SimpleNamespace(params=params, catalog=load_catalog(),
                           comparison=pd.DataFrame({"indicator_id": indicator_ids}))


def test_an_indicator_on_an_unconfirmed_code_is_marked_provisional():
    d = _page("13101", ["t3.soc.crime_rate"])
    note = sections.provisional_note(d, "t3.soc.crime_rate")
    assert note.startswith("暫定") and "刑法犯認知件数" in note


def test_an_indicator_on_confirmed_codes_is_not_marked():
    d = _page("13101", ["t3.soc.street_crime_rate"])
    assert sections.provisional_note(d, "t3.soc.population_change") == ""


def test_a_designated_city_page_states_the_inflow_rule():
    assert any("A6106" in n for n in sections.designated_city_notes(_page("01100", ["t3.soc.crime_rate"])))
    assert sections.designated_city_notes(_page("13101", ["t3.soc.crime_rate"])) == []
