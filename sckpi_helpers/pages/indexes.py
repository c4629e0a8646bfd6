"""The two index pages over all report sets: ``reports/<city>/index.html`` (one row per period)
and ``reports/index.html`` (one row per city).

Both are rebuilt from the sets' manifests (the folders are the truth, nothing else is kept) and
written atomically, secrets redacted. Folders starting with a dot (a run's temporary folder, a
lock file) are never listed. Stage 9 (pages): imports stages 0–9.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sckpi_helpers import __version__
from sckpi_helpers.atomic import atomic_write_text
from sckpi_helpers.config.periods import parse_period
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.pages import html as rh
from sckpi_helpers.reports.manifest import read_manifest
from sckpi_helpers.pages.redact import redact


def now() -> str:
    """The local time with its offset, to the second (manifests and page footers)."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _period_key(label: str):
    try:
        return (0, parse_period(label))
    except SckpiError:
        return (1, label)


def city_reports(root: str | Path, city: str) -> list[dict[str, Any]]:
    """Manifests of a city's report sets (finished or failed), newest period first."""
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


def write_city_index(root: str | Path, city: str) -> Path:
    """(Re)write ``reports/<city>/index.html`` atomically."""
    root = Path(root)
    rows = city_reports(root, city)
    name = next((r.get("city_name") for r in rows if r.get("city_name")), city)
    text = rh.city_index_page(city_code=city, city_name=name, rows=rows, version=__version__, generated=now())
    return atomic_write_text(root / city / "index.html", redact(text))


def write_root_index(root: str | Path) -> Path:
    """(Re)write ``reports/index.html`` (one row per city) atomically."""
    root = Path(root)
    rows = []
    if root.is_dir():
        for d in sorted(root.iterdir()):
            if d.name.startswith(".") or not d.is_dir():
                continue
            reps = city_reports(root, d.name)
            if not reps:
                continue
            rows.append({"city_code": d.name, "city_name": reps[0].get("city_name") or d.name,
                         "latest": reps[0], "count": len(reps)})
    text = rh.root_index_page(rows=rows, version=__version__, generated=now())
    return atomic_write_text(root / "index.html", redact(text))
