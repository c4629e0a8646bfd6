"""`sckpi indicators` and compute_and_store, on a synthetic processed folder under $SCKPI_HOME."""

from __future__ import annotations

import pandas as pd
import pytest
from synthetic import real_catalog, synthetic_areas, synthetic_panel

from sckpi_helpers.indicators import engine
from sckpi_helpers.atomic import atomic_write_parquet
from sckpi_helpers.cli import main
from sckpi_helpers.indicators.service import compute_and_store
from sckpi_helpers.config.settings import CitySettings


@pytest.fixture()
def home(tmp_path, monkeypatch):
    cat = real_catalog()
    if cat is None:
        pytest.skip("real catalog not available")
    monkeypatch.setenv("SCKPI_HOME", str(tmp_path))
    (tmp_path / "data" / "raw").mkdir(parents=True)
    panel = synthetic_panel(cat, 10, range(2016, 2025), seed=5)
    build = tmp_path / "data" / "processed" / "01201"  # the build of a city with no settings file
    atomic_write_parquet(panel, build / "panel.parquet")
    atomic_write_parquet(synthetic_areas(sorted(panel["area_code"].unique())), build / "areas.parquet")
    return tmp_path, cat, panel


def test_csv_to_file(home, capsys):
    tmp, cat, _ = home
    out = tmp / "out.csv"
    assert main(["indicators", "--city", "01201", "--year", "2024", "--peer-group", "all",
                 "--format", "csv", "--out", str(out)]) == 0
    df = pd.read_csv(out, dtype={"area_code": str})
    for col in ["area_code", "year", "indicator_id", "value", "unit", "status", "reason", "name_ja", "rank",
                "percentile", "deviation_score"]:
        assert col in df.columns
    assert (df["area_code"] == "01201").all() and (df["year"] == 2024).all()
    assert len(df) == len(engine.tier3_indicators(cat, with_formula=True))
    assert "補正人口" in capsys.readouterr().err


def test_table_names_adjusted_population(home, capsys):
    assert main(["indicators", "--city", "01201", "--year", "2024", "--adjusted-population", "daytime"]) == 0
    out = capsys.readouterr().out
    assert "補正人口 (adjusted_population): daytime" in out
    assert "偏差値" in out and "coverage:" in out


def test_errors_exit_1(home, capsys):
    assert main(["indicators", "--city", "09999", "--year", "2024"]) == 1
    assert "not in the processed data" in capsys.readouterr().err
    assert main(["indicators", "--city", "01201", "--year", "2024", "--adjusted-population", "x"]) == 1
    assert main(["indicators", "--city", "01201", "--year", "2024", "--peer-group", "nope"]) == 1
    assert main(["indicators", "--city", "01201", "--year", "1990"]) == 1


def test_compute_and_store(home):
    tmp, cat, panel = home
    path = compute_and_store(panel, cat, CitySettings(city_code="01201"))
    assert path == tmp / "data" / "processed" / "01201" / "indicators.parquet"
    back = pd.read_parquet(path)
    assert list(back.columns) == engine.RESULT_COLUMNS
    assert set(back["status"]) <= {"ok", "estimated", "missing"}
