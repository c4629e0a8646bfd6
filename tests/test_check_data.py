"""The checks pipeline without display (checks.data): importable and usable without IPython."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

from sckpi_helpers.checks import data


def test_check_data_does_not_import_ipython():
    code = ("import sys; import sckpi_helpers.checks.data, sckpi_helpers.checks.narrative; "
            "sys.exit(1 if 'IPython' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_kpi_data_coverage_without_tracking_is_empty():
    d = SimpleNamespace(tracking=None)
    assert data.kpi_data_coverage(d, "output").empty


def test_every_check_names_its_tier():
    assert [data.CHECKS[n][1] for n in (1, 2, 3, 4)] == [data.CHECK_TIER[n] for n in (1, 2, 3, 4)]


def test_notebooks_read_the_indicators_computed_once_per_build(demo_home):
    import os

    import pandas as pd

    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.config.settings import demo_settings
    from sckpi_helpers.store import build as ingest
    from sckpi_helpers.store import processed

    s = demo_settings()
    ingest.ensure_processed(s)
    stored = data.ensure_indicators(s)
    assert data.indicators_fresh(s)
    marked = pd.read_parquet(stored).assign(value=-1.0)  # a stand-in that shows where results came from
    marked.to_parquet(stored, index=False)
    panel, catalog = processed.load_panel(s), load_catalog()
    assert (data.indicator_results(s, panel, catalog, s.adjusted_population)["value"] == -1.0).all()
    # another 補正人口 definition, or a panel newer than the stored results: computed afresh
    assert not (data.indicator_results(s, panel, catalog, "resident")["value"] == -1.0).all()
    panel_file = processed.processed_paths(s)["panel"]
    later = stored.stat().st_mtime + 10
    os.utime(panel_file, (later, later))
    assert not data.indicators_fresh(s)
    assert not (data.indicator_results(s, panel, catalog, s.adjusted_population)["value"] == -1.0).all()


# ------------------------------------------------------------------ the one rule for "which year"

def _results(years_with_values, city="13101"):
    import pandas as pd

    rows = [{"area_code": city, "year": y, "indicator_id": "x", "value": 1.0, "status": "ok"}
            for y in years_with_values]
    rows.append({"area_code": city, "year": 2030, "indicator_id": "x", "value": None, "status": "missing"})
    return pd.DataFrame(rows)


def test_evaluation_year_is_the_year_asked_for_when_it_has_values():
    from sckpi_helpers.indicators.service import evaluation_year

    assert evaluation_year(_results([2020, 2022, 2024]), "13101", 2022) == (2022, None)


def test_evaluation_year_falls_back_to_the_latest_earlier_year_and_says_so():
    from sckpi_helpers.indicators.service import evaluation_year

    year, note = evaluation_year(_results([2020, 2022, 2024]), "13101", 2025)
    assert year == 2024 and "2025年のデータがないため、2024年の値で評価しています" in note
    assert evaluation_year(_results([2020, 2022, 2024]), "13101", 2023)[0] == 2022
    assert evaluation_year(_results([2020, 2024]), "13101", 2030)[0] == 2024  # a year of missing rows only


def test_evaluation_year_refuses_when_no_earlier_year_has_values():
    import pytest

    from sckpi_helpers.indicators.service import NoEvaluationYear, evaluation_year

    with pytest.raises(NoEvaluationYear, match="2019年以前に値がありません（データのある年: 2020〜2024年）"):
        evaluation_year(_results([2020, 2024]), "13101", 2019)
    with pytest.raises(NoEvaluationYear, match="算出できる年がありません"):
        evaluation_year(_results([2020]), "13102", 2024)


def test_cli_notebooks_and_explorer_share_the_year_rule():
    import inspect

    from sckpi_helpers import explore
    from sckpi_helpers.cli import indicators as cli_indicators

    for module in (data, cli_indicators, explore):
        src = inspect.getsource(module)
        assert "evaluation_year(" in src or "city_standing(" in src, module.__name__


def test_cli_indicators_falls_back_like_the_report(demo_home, capsys):
    from sckpi_helpers.cli import main
    from sckpi_helpers.config.settings import demo_settings
    from sckpi_helpers.store import build as ingest

    ingest.ensure_processed(demo_settings())
    assert main(["indicators", "--city", "99201", "--period", "2026", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert "2026年のデータがないため、2024年の値で評価しています" in captured.err
    assert ",2024," in captured.out


# ------------------------------------------------------------------ parameters from the city's settings

def test_empty_parameters_come_from_the_citys_settings(demo_home):
    from sckpi_helpers.notebook.params import validate_parameters

    p = validate_parameters("99201", "2022", "", "", "", "ja", "", setup=False)
    assert p.source == "demo" and p.peer_group == "prefecture" and p.logic_model_path is not None


def test_a_real_city_without_settings_is_not_served_by_the_demo_data(demo_home):
    import pytest

    from sckpi_helpers.config.settings import find_settings
    from sckpi_helpers.notebook.params import ParameterError, validate_parameters

    if find_settings("13101").source == "demo":  # until the settings-less default serves real cities
        with pytest.raises(ParameterError, match="13101 は同梱のデモデータ.*source"):
            validate_parameters("13101", "2022", setup=False)
    p = validate_parameters("13101", "2022", source="ssdse", setup=False)
    assert p.source == "ssdse" and p.peer_group == "prefecture" and p.logic_model_path is None
