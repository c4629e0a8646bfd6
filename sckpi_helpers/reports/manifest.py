"""A report set's ``manifest.json``: parameters, versions, input files with SHA-256, times, results.

The manifest is the audit record of a run and the one thing the indexes and the next run read
back: a set is *finished* (:func:`is_finished`) only when every notebook succeeded, so a failed or
partial set is re-run by the next scheduled run without ``--force``. Stage 11 (reports): imports
stages 0–11.
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from typing import Any

from sckpi_helpers.city import CityContext
from sckpi_helpers.config import paths
from sckpi_helpers.config.periods import parse_period
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.notebook.params import LIGHT
from sckpi_helpers.pages.indexes import write_city_index, write_root_index
from sckpi_helpers.pages.redact import redact
from sckpi_helpers.reports.lighten import lighten_city_index
from sckpi_helpers.reports.rerun import file_sha256

MANIFEST = "manifest.json"


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file, hashed once per process while it is unchanged (a national run lists the same
    bundled statistics for each of its 1,741 cities): :func:`~sckpi_helpers.reports.rerun.file_sha256`."""
    return file_sha256(path)


def _rel(path: Path) -> str:
    path = Path(path)
    with contextlib.suppress(ValueError):
        return path.resolve().relative_to(paths.project_root()).as_posix()
    return path.as_posix()


def _file_entry(role: str, path: Path) -> dict[str, Any]:
    path = Path(path)
    entry: dict[str, Any] = {"role": role, "path": _rel(path), "exists": path.is_file()}
    if path.is_file():
        entry["bytes"] = path.stat().st_size
        entry["sha256"] = sha256_file(path)
    return entry


def collect_inputs(city: CityContext | None) -> list[dict[str, Any]]:
    """The raw files a run reads, as the store's planner lists them for the city's build (settings,
    logic model, catalog extensions, areas, mergers, statistics, external statistics, local data,
    police files, the e-Stat response cache), each with its size and SHA-256."""
    return [_file_entry(f.role, f.path) for f in city.inputs] if city is not None else []


def collect_processed(city: CityContext) -> list[dict[str, Any]]:
    """The derived Parquet files the notebooks read (hashed after the run)."""
    d = city.build.folder
    return [_file_entry("processed", f) for f in sorted(d.glob("*.parquet"))] if d.is_dir() else []


def tool_versions() -> dict[str, str]:
    """Versions of the tools that executed and rendered the notebooks."""
    return dict(_tool_versions())


@functools.cache
def _tool_versions() -> tuple[tuple[str, str], ...]:
    """Looked up once per process (a national run writes 1,741 manifests)."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("papermill", "nbconvert", "nbformat", "nbclient", "ipykernel", "pandas", "matplotlib"):
        with contextlib.suppress(PackageNotFoundError):
            out.append((pkg, version(pkg)))
    return tuple(out)


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of a report folder; ``None`` when absent or unreadable."""
    try:
        return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_manifest(folder: str | Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` into a (temporary) report folder, secrets redacted; a light set's
    (a national run's) as compact JSON (a fifth fewer bytes, 1,741 times)."""
    f = Path(folder) / MANIFEST
    layout = {"indent": None, "separators": (",", ":")} if manifest.get("layout") == LIGHT else {"indent": 2}
    f.write_text(redact(json.dumps(manifest, ensure_ascii=False, default=str, **layout)) + "\n", encoding="utf-8")
    return f


def is_finished(manifest: dict[str, Any] | None) -> bool:
    """A set is finished when its manifest says every notebook succeeded (status ``ok``)."""
    return bool(manifest) and manifest.get("status") == "ok"


def _period_key(label: str):
    try:
        return (0, parse_period(label))
    except SckpiError:
        return (1, label)


def city_manifests(root: str | Path, city: str) -> list[dict[str, Any]]:
    """Manifests of a city's report sets (finished or failed), newest period first. Folders starting
    with a dot (a run's temporary folder, a lock file) are never read."""
    d = Path(root) / city
    rows = []
    if d.is_dir():
        for sub in d.iterdir():
            if sub.name.startswith(".") or not sub.is_dir():
                continue
            m = read_manifest(sub)
            if m is not None:
                m.setdefault("period", sub.name)
                rows.append(m)
    rows.sort(key=lambda m: _period_key(str(m["period"])), reverse=True)
    return rows


def refresh_indexes(root: str | Path, cities: list[str]) -> None:
    """Rewrite the index page of each of ``cities`` and the root index from the folders' manifests."""
    root = Path(root)
    for city in cities:
        rows = city_manifests(root, city)
        write_city_index(root, city, rows)
        if rows and all(r.get("layout") == LIGHT for r in rows):  # a national run's city: shared stylesheet
            lighten_city_index(root, city)
    by_city = {d.name: city_manifests(root, d.name) for d in sorted(root.iterdir())
               if d.is_dir() and not d.name.startswith(".")} if root.is_dir() else {}
    write_root_index(root, by_city)
