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
