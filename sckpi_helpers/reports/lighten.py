"""Light report sets for national runs: what every set repeats is stored once, images once.

Why: a national run writes 1,741 sets; a full set carries ~1.3–1.7 MB, most of it repeated — the
notebook page inlines JupyterLab's stylesheet (~250 KB), its figures as base64 (the same PNGs are
in ``files/``), the executed notebook repeats those images, and every set has its own copy of the
catalog page (~120 KB). A *light* set (``layout="light"``, what ``sckpi report --all`` writes) keeps
everything a reviewer needs and drops only the copies:

- the catalog page is written once per run into ``reports/_shared/catalog-<hash>.html`` and each
  set's index links it;
- the notebook page links the shared stylesheet ``reports/_shared/notebook-<hash>.css`` instead of
  inlining it, and shows each figure from ``files/<notebook>/<figure>.png`` (the file the notebook
  saved, matched by its bytes) instead of a base64 copy; a figure not saved there stays inline;
- the figure files are stored as 64-colour palette PNGs (charts: lines, dots and text; about a third
  of the bytes, legible as before);
- the executed ``.ipynb`` names each such figure's file (an ``<img>`` output with the same alt
  text) instead of repeating its bytes, as compact JSON; text, tables and everything else are as
  executed; it is stored gzip-compressed (``<notebook>.ipynb.gz``, :func:`compress_notebooks`);
- the notebooks draw no per-city map or time-series chart (``layout="light"``): those sections link
  the national pages, where each indicator's map and distribution are drawn once for every
  municipality, and show the series as tables; there is no ``tables.xlsx`` (the national bulk table
  holds every municipality's values);
- every page of the set (the notebook pages, ``index.html``) links the kit's stylesheet from
  ``reports/_shared/`` too.

Shared files are named by their content's hash, so sets made by different kit versions never
point at a changed file. Stage 11 (reports): imports stages 0–11.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sckpi_helpers import __version__
from sckpi_helpers.atomic import atomic_write_text
from sckpi_helpers.pages.catalog_page import render_catalog_html
from sckpi_helpers.pages.display import palette_png
from sckpi_helpers.pages.redact import redact

SHARED_DIR = "_shared"
#: from a set folder ``reports/<city>/<period>/`` to ``reports/_shared/``
_UP = f"../../{SHARED_DIR}/"
#: an inline stylesheet at least this long is shared (JupyterLab's ~250 KB and ~16 KB, the kit's
#: ``sckpi.css`` ~9 KB); small page-specific rules stay inline
_BIG_STYLE = 4_000
_STYLE = re.compile(r'<style(?: type="text/css")?>(.*?)</style>', re.DOTALL)
_DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=\s]+)"')


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_shared(root: Path, stem: str, suffix: str, text: str, up: str = _UP) -> str:
    """``reports/_shared/<stem>-<hash>.<suffix>`` (written once), as a link from a set folder (or,
    with ``up``, from another folder)."""
    name = f"{stem}-{_sha(text.encode())[:16]}{suffix}"
    target = Path(root) / SHARED_DIR / name
    if not target.is_file():
        atomic_write_text(target, text)
    return up + name


_CATALOG_PAGES: dict[str, str] = {}


def _catalog_page(key: str, catalog: Any) -> str:
    if key not in _CATALOG_PAGES:
        _CATALOG_PAGES[key] = redact(render_catalog_html(catalog, footer=f"sckpi {__version__} ／ 指標カタログ"))
    return _CATALOG_PAGES[key]


def shared_catalog(root: str | Path, catalog: Any) -> str:
    """The run's catalog page, written once into ``reports/_shared/``; its link from a set folder.
    Rendered once per process per catalog content (the national build's cities share one)."""
    key = json.dumps(sorted((i.id, i.name_ja, str(i.inputs), str(getattr(i, "formula", "")))
                            for i in catalog.indicators.values()), ensure_ascii=False)
    return _write_shared(Path(root), "catalog", ".html", _catalog_page(key, catalog))


def _figure_files(folder: Path, notebook: str) -> dict[str, str]:
    """SHA-256 of each PNG the notebook saved (as saved) → its path inside the set; each file is then
    rewritten as a palette PNG (:func:`palette_png`)."""
    d = folder / "files" / notebook
    figures = {}
    for f in sorted(d.glob("*.png")) if d.is_dir() else ():
        data = f.read_bytes()
        figures[_sha(data)] = f"files/{notebook}/{f.name}"
        f.write_bytes(palette_png(data))
    return figures


def _decode(b64: str) -> bytes | None:
    try:
        return base64.b64decode("".join(b64.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def lighten_page(html: str, figures: dict[str, str], shared_css: Callable[[str], str]) -> str:
    """A notebook page with JupyterLab's stylesheets linked and saved figures referenced by path."""
    def style(m: re.Match) -> str:
        css = m.group(1)
        if len(css) < _BIG_STYLE:
            return m.group(0)
        return f'<link rel="stylesheet" href="{shared_css(css)}">'

    def image(m: re.Match) -> str:
        data = _decode(m.group(1))
        path = figures.get(_sha(data)) if data is not None else None
        return f'src="{path}"' if path else m.group(0)

    return _DATA_PNG.sub(image, _STYLE.sub(style, html))


def lighten_notebook(nb: dict[str, Any], figures: dict[str, str]) -> int:
    """Replace each PNG output that is also a saved figure by an ``<img>`` naming the file; returns
    how many were replaced."""
    n = 0
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            png = data.get("image/png")
            if not png:
                continue
            raw = _decode("".join(png) if isinstance(png, list) else png)
            path = figures.get(_sha(raw)) if raw is not None else None
            if path is None:
                continue
            alt = str((out.get("metadata") or {}).get("alt") or "")
            alt = alt.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            del data["image/png"]
            data["text/html"] = f'<img src="{path}" alt="{alt}">'
            data.setdefault("text/plain", f"<図: {path}>")
            n += 1
    return n


def lighten_set(folder: str | Path, root: str | Path, notebooks: list[str]) -> None:
    """Make the set in ``folder`` (still the run's temporary folder) light; shared files go to ``root``."""
    folder, root = Path(folder), Path(root)
    css = functools.partial(_write_shared, root, "notebook", ".css")
    for name in notebooks:
        figures = _figure_files(folder, name)
        for page in (folder / f"{name}.html", folder / f"{name}.partial.html"):
            if page.is_file():
                page.write_text(lighten_page(page.read_text(encoding="utf-8"), figures, css), encoding="utf-8")
        ipynb = folder / f"{name}.ipynb"
        if ipynb.is_file():  # compact JSON (valid nbformat; Jupyter re-indents it when it saves)
            nb = json.loads(ipynb.read_text(encoding="utf-8"))
            lighten_notebook(nb, figures)
            ipynb.write_text(json.dumps(nb, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    index = folder / "index.html"
    if index.is_file():
        index.write_text(lighten_page(index.read_text(encoding="utf-8"), {}, css), encoding="utf-8")


def lighten_city_index(root: str | Path, city: str) -> None:
    """A city's ``reports/<city>/index.html`` linking the kit's stylesheet in ``reports/_shared/``
    (a national run writes 1,741 of them; inlined, the stylesheet alone was 17 MB)."""
    page = Path(root) / city / "index.html"
    if page.is_file():
        css = functools.partial(_write_shared, Path(root), "notebook", ".css", up=f"../{SHARED_DIR}/")
        atomic_write_text(page, lighten_page(page.read_text(encoding="utf-8"), {}, css))


def compress_notebooks(folder: str | Path, notebooks: list[str]) -> None:
    """The set's executed notebooks gzip-compressed (``<name>.ipynb.gz``; a notebook's tables are
    the page's tables again, and text compresses ~8×), the landing page linking them. Called after
    the secrets were scrubbed (:func:`~sckpi_helpers.pages.redact.scrub_folder` reads text, not gzip).
    Deterministic (no name or time in the gzip header). The pages name the ``.gz`` file already
    (:func:`packed_name`)."""
    import gzip

    folder = Path(folder)
    for name in notebooks:
        ipynb = folder / f"{name}.ipynb"
        if ipynb.is_file():
            (folder / packed_name(ipynb.name)).write_bytes(gzip.compress(ipynb.read_bytes(), compresslevel=9, mtime=0))
            ipynb.unlink()


def packed_name(ipynb: str) -> str:
    """A light set's file name of an executed notebook."""
    return f"{ipynb}.gz"


__all__ = ["SHARED_DIR", "compress_notebooks", "lighten_city_index", "lighten_notebook", "lighten_page", "lighten_set",
           "packed_name", "shared_catalog"]
