"""``sckpi report`` for one city and one period: plan the notebooks, run them, render the set.

One run = one city × one period → ``reports/<city>/<period>/``::

    index.html              landing page (Japanese): city, period, 補正人口 definition, links, status
    check1_outputs.html     each notebook without code (nbconvert ``--no-input`` equivalent)
    check1_outputs.ipynb    the executed notebook (for auditors)
    check2_outcome1.partial.html   only when a notebook failed: what ran before the error
    catalog.html            the indicator catalog the run used
    files/<notebook>/       figures, tables and summary.json the notebooks saved (output_dir)
    manifest.json           parameters, versions, input files + SHA-256, times, result per notebook

Before any notebook runs, the user's mistakes are caught with one clear line each: an unknown
city (no settings and in no processed build), a period year out of range, a ``logic_model:`` path
that does not exist. Logic-model validation problems do not stop the run (the notebooks explain
them) but are returned as the result's ``warnings`` so the console shows every line.

The folder is built in a temporary sibling and moved into place at the end
(:func:`atomic.atomic_directory`); a lock file ``reports/<city>/.<period>.lock`` (``flock``) keeps a
second concurrent run for the same city and period out, and temporary folders an interrupted run
left behind are removed at the start. A *finished* set (every notebook succeeded) is never
overwritten without ``force``; a failed or partial set is re-run by the next run. A failing
notebook does not stop the others. Secrets are scrubbed (:mod:`.redact`) before the folder is
moved into place. Batches live in :mod:`.executors`, indexes in :mod:`.indexes`.
Stage 8 (reports): imports stages 0–8.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import os
import platform
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sckpi_helpers import __version__
from sckpi_helpers.atomic import atomic_directory
from sckpi_helpers.config import paths
from sckpi_helpers.config.periods import Period, due_checks, parse_period
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.reports import html as rh
from sckpi_helpers.reports.attachments import attach
from sckpi_helpers.reports.catalog_page import write_catalog_page
from sckpi_helpers.reports.corrections import Gate, record, refuse_open, run_gate
from sckpi_helpers.reports.indexes import now as _now
from sckpi_helpers.reports.indexes import write_city_index, write_root_index
from sckpi_helpers.reports.kernel import KernelSession, execute_notebook
from sckpi_helpers.reports.manifest import (
    collect_inputs,
    collect_processed,
    is_finished,
    read_manifest,
    tool_versions,
    write_manifest,
)
from sckpi_helpers.reports.preflight import (
    check_city_known,
    check_period_year,
    clean_stale,
    logic_model_problems,
    report_lock,
)
from sckpi_helpers.reports.redact import redact, scrub_folder

#: check number → notebook stem
CHECK_NOTEBOOKS: dict[int, str] = {
    1: "check1_outputs",
    2: "check2_outcome1",
    3: "check3_outcome2",
    4: "check4_outcome3",
}
#: notebooks that may be run with ``--only`` but are not due in any period
OPTIONAL_NOTEBOOKS = ("00_ingest",)
#: notebooks that are never part of a report run
INTERACTIVE_NOTEBOOKS = ("explorer",)

_EXPORT_LOCK = threading.Lock()


class ReportExistsError(SckpiError):
    """The period already has a report set and ``force`` was not given."""


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


@dataclass
class ReportResult:
    """The outcome of one :func:`run_report` (picklable, so pools can return it)."""

    city_code: str
    period: str
    status: str  # ok | partial | failed | exists | error
    folder: Path | None = None
    city_name: str = ""
    period_ja: str = ""
    notebooks: list[NotebookResult] = field(default_factory=list)
    started: str = ""
    finished: str = ""
    seconds: float = 0.0
    message: str = ""
    warnings: list[str] = field(default_factory=list)  # printed on the console (e.g. logic-model problems)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def failed_notebooks(self) -> list[str]:
        return [n.name for n in self.notebooks if n.status != "ok"]

    @property
    def index_path(self) -> Path | None:
        return self.folder / "index.html" if self.folder else None


# ---------------------------------------------------------------------------------------------
# planning and checks before anything runs
# ---------------------------------------------------------------------------------------------

def default_notebooks_dir() -> Path:
    """Where the check notebooks are: ``$SCKPI_NOTEBOOKS_DIR``, else ``<project root>/notebooks`` when
    it holds them, else the kit checkout's ``notebooks/`` (tests point ``SCKPI_HOME`` at a data-only copy).
    """
    env = os.environ.get("SCKPI_NOTEBOOKS_DIR")
    if env:
        return Path(env).expanduser().resolve()
    home = paths.notebooks_dir()
    if (home / f"{CHECK_NOTEBOOKS[1]}.ipynb").exists():
        return home
    return paths.PACKAGE_DIR.parent / "notebooks"


def plan_notebooks(period: str | Period, only: str | Sequence[str] | None = None,
                   notebooks_dir: str | Path | None = None) -> list[str]:
    """Notebook stems to run: the checks due in ``period``, or the ``only`` selection.

    ``only`` accepts stems (``check2_outcome1``), ``check2``, ``2`` or ``ingest``, comma-separated.
    """
    nb_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    if only:
        items = only.split(",") if isinstance(only, str) else list(only)
        names = []
        for raw in items:
            item = raw.strip().removesuffix(".ipynb")
            if not item:
                continue
            m = re.fullmatch(r"(?:check)?([1-4])", item, re.IGNORECASE)
            name = CHECK_NOTEBOOKS[int(m[1])] if m else ("00_ingest" if item == "ingest" else item)
            if name in INTERACTIVE_NOTEBOOKS:
                raise SckpiError(f"--only {item}: the explorer is interactive and not part of report runs")
            known = set(CHECK_NOTEBOOKS.values()) | set(OPTIONAL_NOTEBOOKS)
            if name not in known and not (nb_dir / f"{name}.ipynb").exists():
                raise SckpiError(f"--only {item}: no such notebook; choose from "
                                 + ", ".join(sorted(known)))
            if name not in names:
                names.append(name)
    else:
        names = [CHECK_NOTEBOOKS[c] for c in due_checks(period)]
    missing = [n for n in names if not (nb_dir / f"{n}.ipynb").exists()]
    if missing:
        raise SckpiError(f"notebooks not found in {nb_dir}: {', '.join(missing)}")
    return names


def city_settings(city: str):
    """The city's settings (defaults when it has no settings.yaml)."""
    from sckpi_helpers.config.settings import find_settings

    return find_settings(city)


def _city_name(settings, city: str) -> str:
    if getattr(settings, "name_ja", None):
        return str(settings.name_ja)
    from sckpi_helpers.store.processed import processed_paths, serving_settings

    f = processed_paths(serving_settings(settings))["areas"]
    if f.exists():
        with contextlib.suppress(Exception):
            import pandas as pd

            areas = pd.read_parquet(f, columns=["area_code", "area_name"])
            hit = areas.loc[areas["area_code"].astype(str) == city, "area_name"]
            if len(hit):
                return str(hit.iloc[0])
    return city


def build_parameters(city: str, period: str, settings, *, source: str | None = None,
                     output_dir: str = "") -> dict[str, str]:
    """The papermill parameters (DESIGN.md) — from arguments and settings, never from the environment."""
    return {
        "city_code": city,
        "period": period,
        "logic_model_path": "",  # the notebook resolves it from the city's settings
        "source": source or getattr(settings, "source", None) or "demo",
        "peer_group": getattr(settings, "peer_group", "") or "",
        "lang": "ja",
        "output_dir": output_dir,
    }



# ---------------------------------------------------------------------------------------------
# one notebook
# ---------------------------------------------------------------------------------------------

def _tidy_metadata(nb, src: Path, name: str) -> None:
    """Executed-notebook metadata without temporary paths."""
    meta = nb.metadata.get("papermill")
    if meta is not None:
        meta["input_path"] = f"notebooks/{src.name}"
        meta["output_path"] = f"{name}.ipynb"
        meta["environment_variables"] = {}


def _run_one(name: str, nb_dir: Path, folder: Path, params: dict[str, str], *, kernel_name: str,
             timeout: float | None, city_name: str, period_ja: str,
             session: KernelSession | None = None) -> NotebookResult:
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
                body = rh.notebook_to_html(nb, title=title, nav=nav, footer=footer)
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


# ---------------------------------------------------------------------------------------------
# one city, one period
# ---------------------------------------------------------------------------------------------

def prepare_data(settings, source: str | None) -> str | None:
    """Build ``data/processed`` and its tier-3 ``indicators.parquet`` once before the notebooks (which
    read them instead of recomputing; they would build them too, but once here avoids races)."""
    from sckpi_helpers.checks.data import ensure_indicators
    from sckpi_helpers.store import build as ingest
    from sckpi_helpers.store import processed

    try:
        build = processed.serving_settings(settings, source or getattr(settings, "source", "demo"))
        ingest.ensure_processed(build)
        ensure_indicators(build)
        return None
    except Exception as exc:  # noqa: BLE001 - the notebooks will show the same problem in context
        return redact(f"{type(exc).__name__}: {exc}")


def run_report(city: str, period: str | Period, *, jobs: int = 1, force: bool = False,
               source: str | None = None, only: str | Sequence[str] | None = None,
               reports_root: str | Path | None = None, notebooks_dir: str | Path | None = None,
               kernel_name: str = "python3", prepare: bool = True, timeout: float | None = None,
               update_indexes: bool = True, reuse_kernels: bool = True,
               on_notebook: Callable[[NotebookResult], None] | None = None,
               session: KernelSession | None = None, strict: bool = False) -> ReportResult:
    """Execute the notebooks due in ``period`` for ``city`` and write ``reports/<city>/<period>/``.

    ``jobs`` > 1 runs the city's notebooks in parallel. With ``reuse_kernels`` (the default) each
    worker keeps one kernel for its notebooks and cleans it between them
    (:class:`~sckpi_helpers.reports.kernel.KernelSession`); otherwise every notebook gets a kernel of
    its own; a batch worker passes its own ``session`` (kept after the run, one lane). ``on_notebook`` is called with each notebook's result as it finishes. Raises
    :class:`ReportExistsError` when the period has a finished set and ``force`` is false (the folder
    is left untouched), and :class:`ReportLockedError` when another run holds the period. A failing notebook does not
    raise: the result's ``status`` is ``partial`` or ``failed``, and the next run re-runs the set.
    ``on_notebook`` is called with each notebook's result as soon as it finishes (progress lines).
    The data-quality gate runs first (:mod:`.corrections`): ``strict`` raises
    :class:`~sckpi_helpers.reports.corrections.QualityGateError` while findings are open.
    """
    city = str(city).strip()
    if not (len(city) == 5 and city.isdigit()):
        raise SckpiError(f"city '{city}' is not a 5-digit area code (標準地域コード)")
    p = parse_period(period)
    check_period_year(p)
    nb_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    names = plan_notebooks(p, only, nb_dir)
    root = Path(reports_root) if reports_root else paths.reports_dir()
    city_dir = root / city
    target = city_dir / p.label
    settings = city_settings(city)
    warnings = logic_model_problems(settings)
    src = source or getattr(settings, "source", None) or "demo"
    if target.exists() and not force and is_finished(read_manifest(target)):
        raise ReportExistsError(f"a finished report for {city} {p.label} already exists at {target}; "
                                "finished periods are not overwritten — rerun with --force to replace it")
    started = _now()
    t0 = time.perf_counter()
    prepare_error = prepare_data(settings, src) if prepare else None
    check_city_known(city, settings)
    gate = run_gate(settings, city, p.fiscal_year, src)
    if strict:
        refuse_open(gate, city, p.label)
    lanes = max(1, min(jobs, len(names)))
    with contextlib.ExitStack() as stack:
        # kernels boot (and import pandas, matplotlib, the kit) while the folder is prepared
        k0 = session.kernels if session is not None else 0  # a worker's session may have one running
        if session is not None:
            sessions = [session.start()]
        elif reuse_kernels:
            sessions = [stack.enter_context(KernelSession(kernel_name)).start() for _ in range(lanes)]
        else:
            sessions = None
        status, results, seconds, finished = _run_locked(
            city, p, names, nb_dir, root, settings, src, force=force, jobs=jobs, kernel_name=kernel_name,
            timeout=timeout, sessions=sessions, keep=session is not None, kernels0=k0, on_notebook=on_notebook,
            started=started, t0=t0, prepare_error=prepare_error, warnings=warnings, gate=gate)
    result = ReportResult(city_code=city, period=p.label, status=status, folder=target,
                          city_name=_city_name(settings, city), period_ja=p.label_ja, notebooks=results,
                          started=started, finished=finished, seconds=seconds,
                          warnings=[redact(w) for w in warnings],
                          message="" if status == "ok" else "failed: " + ", ".join(
                              r.name for r in results if r.status != "ok"))
    if update_indexes:
        write_city_index(root, city)
        write_root_index(root)
    return result


def _run_locked(city: str, p: Period, names: list[str], nb_dir: Path, root: Path, settings, src: str, *,
                force: bool, jobs: int, kernel_name: str, timeout: float | None,
                sessions: list[KernelSession] | None, keep: bool, kernels0: int, on_notebook, started: str,
                t0: float,
                prepare_error: str | None, warnings: list[str],
                gate: Gate | None = None) -> tuple[str, list[NotebookResult], float, str]:
    """The part of :func:`run_report` under the period's lock: notebooks, pages, manifest."""
    city_dir = root / city
    target = city_dir / p.label
    city_name = _city_name(settings, city)
    inputs = collect_inputs(settings, src)
    with report_lock(city_dir, p.label):
        clean_stale(city_dir, p.label)
        previous = read_manifest(target) if target.exists() else None
        if previous is not None and not force and is_finished(previous):  # finished while we waited
            raise ReportExistsError(f"a finished report for {city} {p.label} already exists at {target}; "
                                    "rerun with --force to replace it")
        with atomic_directory(target, overwrite=True) as folder:
            gate = record(folder, target if previous is not None else None, gate or Gate(), started)
            params_by_nb = {n: build_parameters(city, p.label, settings, source=src, output_dir=f"files/{n}")
                            for n in names}
            results = _run_notebooks(names, nb_dir, folder, params_by_nb, jobs=jobs, sessions=sessions,
                                     on_notebook=on_notebook, kernel_name=kernel_name, timeout=timeout,
                                     city_name=city_name, period_ja=p.label_ja)
            kernels = sum(x.kernels for x in sessions) - kernels0 if sessions else len(results)
            for session in () if keep else sessions or ():
                session.discard()  # the kernels' work is done
            catalog_file, catalog_problem = write_catalog_page(folder, settings)
            n_ok = sum(r.status == "ok" for r in results)
            status = "ok" if n_ok == len(results) else ("failed" if n_ok == 0 else "partial")
            finished = _now()
            ap_def = getattr(settings, "adjusted_population", None)
            ap_ja, ap_formula = rh.adjusted_population_info(ap_def)
            common = params_by_nb[names[0]] if names else build_parameters(city, p.label, settings, source=src)
            landing = rh.report_set_page(
                city_code=city, city_name=city_name, period=p.label, period_ja=p.label_ja,
                adjusted_population=ap_def, adjusted_population_ja=ap_ja, adjusted_population_formula=ap_formula,
                peer_group=common.get("peer_group"), source=src,
                notebooks=[rh.NotebookEntry(name=r.name, status=r.status, html=r.html, ipynb=r.ipynb,
                                            partial_html=r.partial_html, error=r.error, seconds=r.seconds,
                                            summary=r.summary) for r in results],
                status=status, started=started, finished=finished, version=__version__, catalog=catalog_file,
                quality=gate.findings.to_dict("records") if gate.findings is not None else None,
                quality_problem=gate.problem, corrections=gate.corrections)
            (folder / "index.html").write_text(landing, encoding="utf-8")
            attach(folder, settings, src)  # downloads, tables.xlsx, inputs/ linked from index.html
            redactions = scrub_folder(folder)
            seconds = round(time.perf_counter() - t0, 2)
            write_manifest(folder, {
                "kit": "sckpi", "kit_version": __version__, "python_version": platform.python_version(),
                "platform": platform.platform(terse=True), "tools": tool_versions(),
                "city_code": city, "city_name": city_name, "period": p.label, "period_ja": p.label_ja,
                "checks_due": due_checks(p),
                "adjusted_population": {"definition": ap_def, "name_ja": ap_ja, "formula": ap_formula},
                "parameters": {k: v for k, v in common.items() if k != "output_dir"},
                "parameters_by_notebook": params_by_nb, "kernel_name": kernel_name, "jobs": jobs, "force": force,
                "replaced": previous.get("status") if previous else None,
                "inputs": inputs, "processed": collect_processed(settings), "prepare_error": prepare_error,
                "logic_model_problems": warnings, "catalog": catalog_file, "catalog_problem": catalog_problem,
                "started": started, "finished": finished, "seconds": seconds, "status": status,
                "notebooks": [asdict(r) for r in results], "redactions": redactions,
                "kernels": {"reused": sessions is not None, "started": kernels},
                "quality": {"open": len(gate.open), "findings": 0 if gate.findings is None else len(gate.findings),
                            "problem": gate.problem, "corrections": len(gate.corrections)},
            })
    return status, results, seconds, finished


def _run_notebooks(names: list[str], nb_dir: Path, folder: Path, params_by_nb: dict[str, dict[str, str]], *,
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
            results[i] = _run_one(n, nb_dir, folder, params_by_nb[n], session=session, **kw)
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


# ---------------------------------------------------------------------------------------------
# the console table (to be replaced by reports/terminal_table.py)
# ---------------------------------------------------------------------------------------------

def summary_table(results: Sequence[ReportResult]) -> str:
    """Plain-text table: city, name, status, seconds, failed notebooks / message."""
    rows = [("city", "name", "status", "seconds", "failed / message")]
    for r in results:
        detail = ", ".join(r.failed_notebooks) or ("" if r.ok else r.message)
        rows.append((r.city_code, r.city_name or "", r.status, f"{r.seconds:.1f}", detail))
    widths = [max(_width(row[i]) for row in rows) for i in range(4)]
    lines = []
    for i, row in enumerate(rows):
        cells = [row[j] + " " * (widths[j] - _width(row[j])) for j in range(4)] + [row[4]]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 16)
    return "\n".join(lines)


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)
