"""Municipal boundaries for maps: the bundled 国土数値情報 行政区域 (TopoJSON) as one geometry per area code.

Why here: maps need real shapes, and the kit must stand on its own, so the simplified boundaries ship
under ``data/raw/boundaries/`` (credits in its ATTRIBUTION.md). GeoPandas reads TopoJSON through
GDAL's TopoJSON driver (pyogrio wheels carry GDAL; no system binary), so the arcs are not decoded
by hand. Rows without an area code (所属未定地) are left out and counted; an area drawn as several
rows (islands) becomes one geometry. Coordinates are longitude/latitude (JGD2011).

Stage 3 (sources): imports stages 0–2.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from sckpi_helpers.config import paths
from sckpi_helpers.errors import InputFileError

#: the file maps use: municipalities with 政令指定都市 merged (one shape per 5-digit code)
MUNICIPALITIES = "N03-21_210101_designated_city.topojson.json"
WARDS = "N03-21_210101.topojson.json"
PREFECTURES = "prefectures.topojson.json"
#: the date of the boundaries (国土数値情報 N03, 2021-01-01)
AS_OF = "2021-01-01"
CREDIT = "国土数値情報（行政区域データ）（国土交通省）、スマートニュース メディア研究所 japan-topography を加工"


def boundaries_dir() -> Path:
    """``data/raw/boundaries/``."""
    return paths.raw_dir() / "boundaries"


@lru_cache(maxsize=4)
def _read(path: str) -> Any:
    import geopandas as gpd

    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"境界データがありません: {p}（data/raw/boundaries/ を確認してください）", file=p)
    try:
        g = gpd.read_file(p)
    except Exception as exc:  # GDAL raises its own types
        raise InputFileError(f"境界データを読めません: {exc}", file=p) from exc
    if "N03_007" not in g.columns:
        raise InputFileError("境界データに列 N03_007（行政区域コード）がありません", file=p, column="N03_007")
    g = g.rename(columns={"N03_007": "area_code", "N03_001": "pref_name", "N03_004": "name"})
    no_code = int(g["area_code"].isna().sum())
    g = g[g["area_code"].notna()]
    g["area_code"] = g["area_code"].astype(str).str.zfill(5)
    g = g.dissolve(by="area_code", as_index=False, aggfunc="first")[["area_code", "pref_name", "name", "geometry"]]
    g.attrs["without_code"] = no_code
    g.attrs["file"] = str(p)
    return g


def load_boundaries(path: str | Path | None = None) -> Any:
    """The municipal boundaries as a GeoDataFrame ``area_code, pref_name, name, geometry`` (one row per
    code; ``attrs['without_code']`` counts the rows left out). Cached per file; do not modify it."""
    return _read(str(Path(path) if path is not None else boundaries_dir() / MUNICIPALITIES))


def has_geometry(codes: list[str], boundaries: Any) -> list[str]:
    """The codes of ``codes`` that have a shape (the fictional demo prefecture 99 has none)."""
    have = set(boundaries["area_code"])
    return [c for c in map(str, codes) if c in have]
