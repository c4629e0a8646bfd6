"""The two index pages over all report sets: ``reports/<city>/index.html`` (one row per period)
and ``reports/index.html`` (one row per city).

Both are rebuilt from the sets' manifests (the folders are the truth, nothing else is kept; the run
machinery reads them back, :func:`sckpi_helpers.reports.manifest.refresh_indexes`) and written
atomically, secrets redacted. Stage 9 (pages): imports stages 0–9.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sckpi_helpers import __version__
from sckpi_helpers.atomic import atomic_write_text
from sckpi_helpers.config.periods import year_ja
from sckpi_helpers.pages import html as rh
from sckpi_helpers.pages.redact import redact


def now() -> str:
    """The local time with its offset, to the second (manifests and page footers)."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def write_city_index(root: str | Path, city: str, rows: list[dict[str, Any]]) -> Path:
    """(Re)write ``reports/<city>/index.html`` atomically from the city's manifests (newest first)."""
    root = Path(root)
    name = next((r.get("city_name") for r in rows if r.get("city_name")), city)
    text = rh.city_index_page(city_code=city, city_name=name, rows=rows, version=__version__, generated=now())
    return atomic_write_text(root / city / "index.html", redact(text))


def write_root_index(root: str | Path, by_city: dict[str, list[dict[str, Any]]]) -> Path:
    """(Re)write ``reports/index.html`` (one row per city with a report set) atomically, from each
    city's manifests (newest first)."""
    root = Path(root)
    rows = [{"city_code": c, "city_name": reps[0].get("city_name") or c, "latest": reps[0], "count": len(reps)}
            for c, reps in sorted(by_city.items()) if reps]
    national = [(f"national/{d.name}/index.html", year_ja(int(d.name)))
                for d in sorted((root / "national").glob("[0-9][0-9][0-9][0-9]"), reverse=True)
                if (d / "index.html").is_file()]
    text = rh.root_index_page(rows=rows, version=__version__, generated=now(), national=national)
    return atomic_write_text(root / "index.html", redact(text))
