"""The processed-data store every later step reads: ``data/processed/<scope>/*.parquet``.

Why separate from the build: indicators, checks, reports and notebooks only *read* the store —
where a city's build lives (:func:`scope_of`, :func:`processed_paths`), which build serves a
city (:func:`serving_settings`), whether it is current (:func:`is_fresh`), and the tables
themselves (:func:`load_panel`, :func:`load_local`, :func:`load_areas`). Building it is
:mod:`sckpi_helpers.store.build` (``ingest``, ``ensure_processed``).

Stage: ``store`` — imports ``errors``, ``config`` and :mod:`.plan`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.config import paths
from sckpi_helpers.config.settings import CitySettings, demo_settings
from sckpi_helpers.errors import InputFileError
from sckpi_helpers.store.plan import NATIONAL_SCOPE, fingerprint, raw_inputs

#: file names under data/processed/<scope>/
OUTPUT_FILES = {"panel": "panel.parquet", "areas": "areas.parquet", "local": "local.parquet",
                "items": "items.parquet"}
MANIFEST = "ingest.json"
#: bump when the outputs' meaning changes, so ensure_processed rebuilds old outputs
FORMAT_VERSION = 2  # 2: items.parquet (published items) and the panel's derivation column


def scope_of(settings: CitySettings | None = None) -> str:
    """The build a city's data go to: the name of its settings folder under ``data/raw/``
    (``demo`` for the demo), ``ssdse`` (:data:`NATIONAL_SCOPE`) for a city without one whose
    source is the bundled SSDSE-A (one national build serves them all), or else its area code."""
    settings = settings or demo_settings()
    if settings.base_dir is not None:
        return Path(settings.base_dir).name
    return NATIONAL_SCOPE if settings.source == "ssdse" else settings.city_code


def processed_paths(settings: CitySettings | None = None) -> dict[str, Path]:
    """``data/processed/<scope>/``'s files: panel, areas, local, items and the build manifest."""
    d = paths.processed_dir(scope_of(settings))
    return {**{k: d / v for k, v in OUTPUT_FILES.items()}, "manifest": d / MANIFEST}


def output_paths(settings: CitySettings | None = None) -> dict[str, Path]:
    """:func:`processed_paths` without the manifest (what a build returns)."""
    return {k: v for k, v in processed_paths(settings).items() if k != "manifest"}


def read_manifest(settings: CitySettings | None = None) -> dict[str, Any]:
    """The build's ``ingest.json`` (city, source, years, input fingerprint, per-file report); {}
    when absent."""
    try:
        return json.loads(processed_paths(settings)["manifest"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _build_owner(scope: str) -> CitySettings | None:
    """The settings a build under ``data/processed/<scope>/`` was made for, from its settings
    file or, for a city without one, from the build's manifest."""
    from sckpi_helpers.config.settings import load_settings
    from sckpi_helpers.errors import SckpiError

    settings_file = paths.raw_dir() / scope / "settings.yaml"
    if settings_file.exists():
        try:
            return load_settings(settings_file)
        except SckpiError:
            return None
    meta_file = paths.processed_dir(scope) / MANIFEST
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        return CitySettings(city_code=meta["city_code"], source=meta["source"])
    except (OSError, ValueError, KeyError):
        pass
    if len(scope) == 5 and scope.isdigit():  # a city's own build without a manifest: from downloads
        return CitySettings(city_code=scope, source="estat-csv")
    return None


def _with_source(settings: CitySettings, source: str | None) -> CitySettings:
    return settings if source in (None, settings.source) else settings.model_copy(update={"source": source})


def serving_settings(settings: CitySettings | None, source: str | None = None) -> CitySettings:
    """The settings whose build serves ``settings``' city.

    A city with its own ``settings.yaml`` has a build of its own (its local data, its peers). A
    city without one only needs government statistics: an existing build whose areas include it
    (e.g. the demo's, which holds the whole prefecture) serves it instead of a new build per city.
    """
    if settings is not None and settings.base_dir is not None:
        return _with_source(settings, source)
    city = settings.city_code if settings is not None else None
    if city is not None:
        for areas_file in sorted(paths.processed_dir().glob(f"*/{OUTPUT_FILES['areas']}")):
            owner = _build_owner(areas_file.parent.name)
            if owner is None or source not in (None, owner.source):
                continue
            try:
                codes = pd.read_parquet(areas_file, columns=["area_code"])["area_code"].astype(str)
            except (OSError, ValueError):
                continue
            if city in set(codes):
                return owner
    if settings is None or source == "demo":
        return demo_settings()
    return _with_source(settings, source)


def is_fresh(settings: CitySettings) -> bool:
    """True when the processed outputs exist, were built for this city and source, and no raw
    input changed since (size or modification time)."""
    outs = output_paths(settings)
    if not all(p.exists() for p in outs.values()):
        return False
    meta = read_manifest(settings)
    if not meta:
        return False
    national = scope_of(settings) == NATIONAL_SCOPE  # one build for every city: any city built it
    if meta.get("format_version") != FORMAT_VERSION or meta.get("source") != settings.source \
            or (meta.get("city_code") != settings.city_code and not national):
        return False
    raw = raw_inputs(settings)
    newest_raw = max((p.stat().st_mtime for p in raw), default=0)
    if any(p.stat().st_mtime < newest_raw for p in outs.values()):
        return False
    return meta.get("inputs") == fingerprint(raw)


def ingest_command(settings: CitySettings | None) -> str:
    """The ``sckpi ingest`` command that builds ``settings``' store (for hints)."""
    settings = settings or demo_settings()
    if scope_of(settings) == "demo":
        return "sckpi ingest --source demo"
    if settings.base_dir is not None:
        return f"sckpi ingest --city {settings.city_code}"
    if scope_of(settings) == NATIONAL_SCOPE:
        return "sckpi ingest --source ssdse"
    return f"sckpi ingest --source {settings.source} --city {settings.city_code}"


def _load(key: str, settings: CitySettings | None) -> pd.DataFrame:
    p = processed_paths(settings)[key]
    if not p.exists():
        raise InputFileError(f"{OUTPUT_FILES[key]} がありません (not built yet): run "
                             f"'{ingest_command(settings)}' first", p)
    return pd.read_parquet(p)


def load_panel(settings: CitySettings | None = None) -> pd.DataFrame:
    """``data/processed/<scope>/panel.parquet`` (columns: DESIGN.md); default scope: the demo."""
    return _load("panel", settings)


def load_items(settings: CitySettings | None = None) -> pd.DataFrame:
    """``items.parquet``: every published item the build read, as published (DESIGN.md)."""
    return _load("items", settings)


def load_local(settings: CitySettings | None = None) -> pd.DataFrame:
    """``local.parquet``: area_code, indicator_id, period, value, unit, source, note."""
    return _load("local", settings)


def load_areas(settings: CitySettings | None = None) -> pd.DataFrame:
    """``areas.parquet``: area_code, area_name, pref_code, level, municipal_type, parent_code, lg_code."""
    return _load("areas", settings)


__all__ = ["FORMAT_VERSION", "MANIFEST", "OUTPUT_FILES", "ingest_command", "is_fresh", "load_areas", "load_items", "load_local",
           "load_panel", "output_paths", "processed_paths", "read_manifest", "scope_of",
           "serving_settings"]
