"""The explorer's logic without a browser (sckpi_helpers.explore): 補正人口 definitions and peer
groups offered, the standing for the year the one rule picks, the tier-1/2 KPIs, the export."""

from __future__ import annotations

import pandas as pd
import pytest

from sckpi_helpers import explore
from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.errors import SckpiError


def test_every_adjusted_population_definition_is_offered_default_first():
    catalog = load_catalog()
    ids = [i for _, i in explore.definition_options(catalog)]
    assert ids[0] == catalog.adjusted_population.default
    assert sorted(ids) == sorted(catalog.adjusted_population.definitions)


def test_similar_municipalities_are_a_peer_group_choice():
    offered = {spec: label for label, spec in explore.peer_options()}
    assert "similar" in offered and "類似団体" in offered["similar"]


def test_export_writes_csv_with_bom_and_xlsx(tmp_path):
    df = pd.DataFrame({"name_ja": ["人口"], "value": [1.5]})
    csv = explore.export_table(df, tmp_path / "a" / "t.csv", {"name_ja": "指標", "value": "値"})
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf") and "指標,値" in csv.read_text(encoding="utf-8-sig")
    xlsx = explore.export_table(df, tmp_path / "t.xlsx", {"name_ja": "指標"})
    assert list(pd.read_excel(xlsx, engine="openpyxl").columns) == ["指標", "value"]


def test_export_refuses_another_format(tmp_path):
    with pytest.raises(SckpiError, match=r"\.csv か \.xlsx"):
        explore.export_table(pd.DataFrame({"a": [1]}), tmp_path / "t.json")


def test_kpi_frame_is_empty_without_a_logic_model():
    from types import SimpleNamespace

    assert explore.kpi_frame(SimpleNamespace(has_model=False)).empty


@pytest.fixture
def demo_explorer(demo_home):
    from sckpi_helpers.notebook.params import validate_parameters

    return explore.Explorer(validate_parameters("99201", "2024", setup=False))


def test_explorer_switches_definition_peer_group_and_exports(demo_explorer, tmp_path):
    e = demo_explorer
    base = e.results_for(e.state["definition"])
    other = next(i for _, i in e.definitions if i != e.state["definition"])
    assert not e.results_for(other)["value"].equals(base["value"])  # recomputed with the other 補正人口
    table, year, note = explore.standing_frame(base, e.catalog, "99201", e.peers("99201", "prefecture"), 2030)
    assert year == 2024 and "2030年のデータがないため" in note and len(table) > 0
    assert list(table.columns) == list(explore.STANDING_COLUMNS)
    e.render(peer_group="similar", definition=other)
    assert e.state["peer_group"] == "similar" and len(e.table) > 0
    out = e.export(tmp_path / "standing.csv")
    assert out.read_text(encoding="utf-8-sig").startswith("指標,年,値")


def test_explorer_lists_the_citys_tier1_and_tier2_kpis(demo_explorer):
    kpis = explore.kpi_frame(demo_explorer.data)
    assert set(kpis["tier"]) == {"第1階層", "第2階層"} and {"name", "status"} <= set(kpis.columns)


def test_the_export_button_writes_the_table_shown(demo_explorer, tmp_path):
    import ipywidgets as w

    ui = demo_explorer.widgets()
    demo_explorer.render()
    found = [c for box in ui.children if isinstance(box, w.HBox) for c in box.children]
    path = next(c for c in found if isinstance(c, w.Text))
    button = next(c for c in found if isinstance(c, w.Button))
    path.value = str(tmp_path / "shown.xlsx")
    button.click()
    assert len(pd.read_excel(tmp_path / "shown.xlsx", engine="openpyxl")) == len(demo_explorer.table) > 0


def test_the_reader_chooses_the_two_indicators_of_the_scatter(demo_explorer, monkeypatch):
    import matplotlib.pyplot as plt

    e = demo_explorer
    ids = [i for _, i in e.indicators]
    shown = []
    monkeypatch.setattr(explore, "show_figure", lambda fig, **kw: shown.append(fig))
    e.render(indicator=ids[0], pair=ids[2])
    assert e.state["pair"] == ids[2] and len(shown) == 2  # the series, then the scatter
    ax = shown[1].axes[0]
    assert e.catalog.indicators[ids[0]].name_ja in ax.get_xlabel()
    assert e.catalog.indicators[ids[2]].name_ja in ax.get_ylabel()
    assert "サンプル市" in {t.get_text() for t in ax.texts}  # the city is named among its peers
    plt.close("all")
