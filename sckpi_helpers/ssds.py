"""Reader for e-Stat / SSDS CSV downloads (signature published first; body follows)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def read_ssds_csv(path: str | Path) -> pd.DataFrame:
    """Tidy frame with the columns of ``estat.parse_stats_data`` plus ``source``."""
    raise NotImplementedError
