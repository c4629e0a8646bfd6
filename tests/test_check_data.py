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
    assert [data.CHECKS[n][1] for n in (1, 2, 3, 4)] == [data.TIER_OF_CHECK[n] for n in (1, 2, 3, 4)]


def test_notebooks_read_the_indicators_computed_once_per_build(demo_home):
    import os

    import pandas as pd

    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.config.settings import demo_settings
    from sckpi_helpers.store import build as ingest

    s = demo_settings()
    ingest.ensure_processed(s)
    stored = data.ensure_indicators(s)
    assert data.indicators_fresh(s)
    marked = pd.read_parquet(stored).assign(value=-1.0)  # a stand-in that shows where results came from
    marked.to_parquet(stored, index=False)
    panel, catalog = ingest.load_panel(s), load_catalog()
    assert (data.indicator_results(s, panel, catalog, s.adjusted_population)["value"] == -1.0).all()
    # another 補正人口 definition, or a panel newer than the stored results: computed afresh
    assert not (data.indicator_results(s, panel, catalog, "resident")["value"] == -1.0).all()
    panel_file = ingest.processed_paths(s)["panel"]
    later = stored.stat().st_mtime + 10
    os.utime(panel_file, (later, later))
    assert not data.indicators_fresh(s)
    assert not (data.indicator_results(s, panel, catalog, s.adjusted_population)["value"] == -1.0).all()
