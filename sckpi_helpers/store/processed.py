"""The processed-data store every later step reads: ``data/processed/<scope>/*.parquet``.

Why separate from the build: indicators, checks, reports and notebooks only *read* the store —
where a city's build lives (:func:`scope_of`, :func:`processed_paths`; which build serves a
city is the one rule :func:`sckpi_helpers.store.scopes.serving_build`), whether it is current
(:func:`is_fresh`, :func:`staleness`), and the tables
themselves (:func:`load_panel`, :func:`load_local`, :func:`load_areas`). Building it is
:mod:`sckpi_helpers.store.build` (``ingest``, ``ensure_processed``).

Stage: ``store`` — imports ``errors``, ``config``, :mod:`.plan`, :mod:`.reads` and :mod:`.scopes`.
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
from sckpi_helpers.store.reads import read_parquet
from sckpi_helpers.store.scopes import MANIFEST, Build, Given

#: file names under data/processed/<scope>/
OUTPUT_FILES = {"panel": "panel.parquet", "areas": "areas.parquet", "local": "local.parquet",
                "items": "items.parquet"}
#: bump when the outputs' meaning changes, so ensure_processed rebuilds old outputs
FORMAT_VERSION = 2  # 2: items.parquet (published items) and the panel's derivation column


#: what names a build: a :class:`~.scopes.Build`, or the settings whose build it is
Target = CitySettings | Build


def scope_of(target: Target | None = None) -> str:
    """The build a city's data go to: a :class:`~.scopes.Build`'s scope; for settings, the name of
    its settings folder under ``data/raw/`` (``demo`` for the demo), ``ssdse``
    (:data:`NATIONAL_SCOPE`) for a city without one whose source is the bundled national data, or
    else its area code. Which build *serves* a city is :func:`.scopes.serving_build`."""
    if isinstance(target, Build):
        return target.scope
    settings = target or demo_settings()
    if settings.base_dir is not None:
        return Path(settings.base_dir).name
    return NATIONAL_SCOPE if settings.source == "ssdse" else settings.city_code


def owner(target: Target | None) -> tuple[CitySettings, Given]:
    """(the settings that own the build, the user's own files recorded for it)."""
    if isinstance(target, Build):
        return target.settings, target.given
    return target or demo_settings(), Given()


def processed_paths(settings: Target | None = None) -> dict[str, Path]:
    """``data/processed/<scope>/``'s files: panel, areas, local, items and the build manifest."""
    d = paths.processed_dir(scope_of(settings))
    return {**{k: d / v for k, v in OUTPUT_FILES.items()}, "manifest": d / MANIFEST}


def output_paths(settings: Target | None = None) -> dict[str, Path]:
    """:func:`processed_paths` without the manifest (what a build returns)."""
    return {k: v for k, v in processed_paths(settings).items() if k != "manifest"}


def read_manifest(settings: Target | None = None) -> dict[str, Any]:
    """The build's ``ingest.json`` (city, source, years, input fingerprint, per-file report); {}
    when absent."""
    try:
        return json.loads(processed_paths(settings)["manifest"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def staleness(target: Target) -> str | None:
    """Why the build must be made again (a short Japanese reason with English), or None when its
    outputs exist, were built for this city and source, and no input changed since."""
    settings, given = owner(target)
    outs = output_paths(target)
    if not all(p.exists() for p in outs.values()):
        return "まだ作られていません (not built yet)"
    meta = read_manifest(target)
    if not meta:
        return "ingest.json がありません (no build manifest)"
    scope_wide = scope_of(target) in (NATIONAL_SCOPE, settings.city_code)  # any city of it built it
    if meta.get("format_version") != FORMAT_VERSION:
        return "形式が古い (older format)"
    if meta.get("source") != settings.source or (meta.get("city_code") != settings.city_code and not scope_wide):
        return f"別の自治体・データ源で作られています (built for {meta.get('city_code')} {meta.get('source')})"
    raw = raw_inputs(settings, None, given.inputs, given.external, given.local, given.police)
    newest_raw = max((p.stat().st_mtime for p in raw), default=0)
    if any(p.stat().st_mtime < newest_raw for p in outs.values()) or meta.get("inputs") != fingerprint(raw):
        return "入力ファイルが変わりました (an input file changed)"
    return None


def is_fresh(target: Target) -> bool:
    """True when the build needs no rebuild (:func:`staleness`)."""
    return staleness(target) is None


def ingest_command(target: Target | None) -> str:
    """The ``sckpi ingest`` command that builds ``target``'s store (for hints)."""
    settings, given = owner(target)
    if scope_of(target) == "demo":
        return "sckpi ingest --source demo"
    if settings.base_dir is not None:
        return f"sckpi ingest --city {settings.city_code}"
    if scope_of(target) == NATIONAL_SCOPE:
        return "sckpi ingest --source ssdse"
    if given:
        return f"sckpi ingest --source {settings.source} --city {settings.city_code} --input …"
    return f"sckpi ingest --source {settings.source} --city {settings.city_code}"


def _load(key: str, settings: Target | None) -> pd.DataFrame:
    p = processed_paths(settings)[key]
    if not p.exists():
        raise InputFileError(f"{OUTPUT_FILES[key]} がありません (not built yet): run "
                             f"'{ingest_command(settings)}' first", p)
    return read_parquet(p)  # kept in memory while the file is unchanged (national runs)


def load_panel(settings: Target | None = None) -> pd.DataFrame:
    """``data/processed/<scope>/panel.parquet`` (columns: DESIGN.md); default scope: the demo."""
    return _load("panel", settings)


def load_items(settings: Target | None = None) -> pd.DataFrame:
    """``items.parquet``: every published item the build read, as published (DESIGN.md)."""
    return _load("items", settings)


def load_local(settings: Target | None = None) -> pd.DataFrame:
    """``local.parquet``: area_code, indicator_id, period, value, unit, source, note."""
    return _load("local", settings)


def load_areas(settings: Target | None = None) -> pd.DataFrame:
    """``areas.parquet``: area_code, area_name, pref_code, level, municipal_type, parent_code, lg_code."""
    return _load("areas", settings)


__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "OUTPUT_FILES",
    "ingest_command",
    "is_fresh",
    "load_areas",
    "load_items",
    "load_local",
    "load_panel",
    "output_paths",
    "owner",
    "processed_paths",
    "read_manifest",
    "scope_of",
    "staleness",
]
