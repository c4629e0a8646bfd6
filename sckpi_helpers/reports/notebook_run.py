"""Running notebooks into a report folder: each notebook executed (in a reused kernel session or a
kernel of its own), its executed copy tidied, its page exported without code — or, when it failed, an
error page and the part that ran — in ``jobs`` lanes.

Why its own module: this is the one place that turns a notebook into the files of a report set; the
runner (:mod:`.runner`) only decides what runs where. Stage 11 (reports): imports stages 0–11.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sckpi_helpers import __version__
from sckpi_helpers.pages import html as rh
from sckpi_helpers.pages.indexes import now as _now
from sckpi_helpers.pages.redact import redact
from sckpi_helpers.reports.kernel import KernelSession, execute_notebook

#: nbconvert's exporter is shared by the lanes of one process: one export at a time
_EXPORT_LOCK = threading.Lock()


@dataclass
class NotebookResult:
    """What happened to one notebook of a run."""

    name: str
    status: str  # ok | failed
    seconds: float
    html: str | None = None  # file name inside the report folder
    ipynb: str | None = None
    partial_html: str | None = None
    error: str | None = None
    summary: str | None = None


def _tidy_metadata(nb, src: Path, name: str) -> None:
    """Executed-notebook metadata without temporary paths, and papermill's parameters cell with a
    fixed id instead of a random one (the same run gives the same files, on any machine)."""
    for cell in nb.cells:
        if "injected-parameters" in (cell.get("metadata", {}).get("tags") or []):
            cell["id"] = "injected-parameters"
    meta = nb.metadata.get("papermill")
    if meta is not None:
        meta["input_path"] = f"notebooks/{src.name}"
        meta["output_path"] = f"{name}.ipynb"
        meta["environment_variables"] = {}


def run_notebook(name: str, nb_dir: Path, folder: Path, params: dict[str, str], *, kernel_name: str,
                 timeout: float | None, city_name: str, period_ja: str,
                 session: KernelSession | None = None) -> NotebookResult:
    """Execute ``nb_dir/<name>.ipynb`` into ``folder`` and write its page (or its error page)."""
    import nbformat

    src = nb_dir / f"{name}.ipynb"
    out = folder / f"{name}.ipynb"
    t0 = time.perf_counter()
    if session is not None:
        ok, error = session.execute(src, out, params, cwd=folder, timeout=timeout)
    else:
        ok, error = execute_notebook(src, out, params, cwd=folder, kernel_name=kernel_name, timeout=timeout)
    seconds = time.perf_counter() - t0
    res = NotebookResult(name=name, status="ok" if ok else "failed", seconds=round(seconds, 2),
                         error=redact(error) if error else None)
    label, ja, _ = rh.nb_heading(name)
    title = f"{city_name} {period_ja} {label} {ja}"
    nav = rh.nav_html([("index.html", "この報告の目次"), ("../index.html", f"{city_name} の報告一覧"),
                       ("../../index.html", "全自治体")])
    footer = rh.footer_html(f"sckpi {__version__} ／ {city_name} ／ {period_ja}")
    nb = None
    if out.exists():
        with contextlib.suppress(Exception):
            nb = nbformat.read(out, as_version=4)
            _tidy_metadata(nb, src, name)
            nbformat.write(nb, out)
        res.ipynb = out.name
    if nb is not None:
        try:
            with _EXPORT_LOCK:
                body = rh.notebook_to_html(nb, title=title, nav=nav, footer=footer,
                                           subtitle=f"{city_name} {period_ja}")
        except Exception as exc:  # noqa: BLE001
            body = None
            res.status = "failed"
            res.error = (res.error + "\n\n" if res.error else "") + f"HTML export failed: {exc}"
        if body is not None:
            target = f"{name}.html" if res.status == "ok" else f"{name}.partial.html"
            (folder / target).write_text(body, encoding="utf-8")
            if res.status == "ok":
                res.html = target
            else:
                res.partial_html = target
    if res.status != "ok":
        (folder / f"{name}.html").write_text(rh.error_page(
            name=name, city_name=city_name, period_ja=period_ja, error=res.error or "",
            partial_html=res.partial_html, version=__version__, finished=_now()), encoding="utf-8")
        res.html = f"{name}.html"
    summary = folder / params["output_dir"] / "summary.json" if params.get("output_dir") else None
    if summary is not None and summary.is_file():
        with contextlib.suppress(Exception):
            data = json.loads(summary.read_text(encoding="utf-8"))
            res.summary = str(data.get("headline") or "") or None
    return res


def run_notebooks(names: list[str], nb_dir: Path, folder: Path, params_by_nb: dict[str, dict[str, str]], *,
                   jobs: int, sessions: list[KernelSession] | None = None,
                   on_notebook: Callable[[NotebookResult], None] | None = None, **kw) -> list[NotebookResult]:
    """Run the notebooks into ``folder``: ``jobs`` lanes, each taking the next notebook not yet run (in
    its own kernel session when ``sessions`` are given); empty output folders are dropped."""
    for n in names:
        (folder / "files" / n).mkdir(parents=True, exist_ok=True)
    lanes: list[KernelSession | None] = list(sessions) if sessions else [None] * max(1, min(jobs, len(names)))
    todo = list(enumerate(names))
    results: list[NotebookResult | None] = [None] * len(names)
    lock = threading.Lock()

    def lane(session: KernelSession | None) -> None:
        while True:
            with lock:
                if not todo:
                    return
                i, n = todo.pop(0)
            results[i] = run_notebook(n, nb_dir, folder, params_by_nb[n], session=session, **kw)
            if on_notebook is not None:
                with lock:
                    on_notebook(results[i])

    if len(lanes) > 1:
        with cf.ThreadPoolExecutor(max_workers=len(lanes)) as pool:
            for f in [pool.submit(lane, s) for s in lanes]:
                f.result()
    else:
        lane(lanes[0])
    for d in (folder / "files").glob("*"):
        with contextlib.suppress(OSError):
            d.rmdir()
    with contextlib.suppress(OSError):
        (folder / "files").rmdir()
    return [r for r in results if r is not None]
