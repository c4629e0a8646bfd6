"""e-Stat API v3 client (getStatsData, getMetaInfo) with a raw-response cache, and its parser.

Signatures published first (issue 7); bodies follow.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from sckpi_helpers import paths
from sckpi_helpers.errors import SckpiError

BASE_URL = "https://api.e-stat.go.jp/rest/3.0/app/json"


class EstatError(SckpiError):
    """e-Stat answered with RESULT.STATUS >= 100 (the HTTP status is 200 even then)."""

    def __init__(self, status: int, message: str, stats_data_id: str | None = None) -> None:
        self.status = status
        self.error_msg = message
        self.stats_data_id = stats_data_id
        where = f" for statsDataId {stats_data_id}" if stats_data_id else ""
        super().__init__(f"e-Stat error STATUS {status}{where}: {message}")


def _safe_name(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "-", text)[:40] or "x"


def cache_path(cache_dir: str | Path, endpoint: str, params: Mapping[str, Any]) -> Path:
    """Where the raw JSON body of one request is cached.

    The key is ``endpoint`` + the sorted parameters *without* ``appId`` (so the key never leaks it
    and two users share a cache), hashed; a readable prefix with the statsDataId helps browsing.
    Layout: ``<cache_dir>/<endpoint>/<statsDataId>_<sha256[:20]>.json``.
    """
    clean = sorted((str(k), str(v)) for k, v in params.items() if k != "appId")
    key = json.dumps([endpoint, clean], ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    sid = _safe_name(str(params.get("statsDataId", "nostats")))
    return Path(cache_dir) / _safe_name(endpoint) / f"{sid}_{digest}.json"


class EstatClient:
    """Client for getStatsData / getMetaInfo; caches every raw response under ``cache_dir``."""

    def __init__(self, app_id: str | None = None, cache_dir: str | Path | None = None,
                 offline: bool = False, session: requests.Session | None = None,
                 base_url: str = BASE_URL, timeout: float = 60, retries: int = 5) -> None:
        raise NotImplementedError

    def get_stats_data(self, stats_data_id: str, *, areas: Sequence[str] | None = None,
                       times: Sequence[str] | None = None,
                       cats: Mapping[str, Sequence[str]] | None = None,
                       levels: Mapping[str, Any] | None = None,
                       refresh: bool = False) -> list[dict]:
        """All pages of every request needed, as raw JSON dicts."""
        raise NotImplementedError

    def get_meta_info(self, stats_data_id: str, *, refresh: bool = False) -> dict:
        raise NotImplementedError

    def fetch_frame(self, stats_data_id: str, **kwargs: Any) -> pd.DataFrame:
        raise NotImplementedError


def parse_stats_data(pages: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Tidy frame: stats_data_id, area_code, area_name, time_code, year, item_code, item_name,
    unit, value, annotation."""
    raise NotImplementedError
