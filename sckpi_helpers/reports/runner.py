"""``sckpi report``: execute the check notebooks with papermill and render them for reviewers.

One run = one city × one period → ``reports/<city>/<period>/``::

    index.html              landing page (Japanese): city, period, 補正人口 definition, links, status
    check1_outputs.html     each notebook without code (nbconvert ``--no-input`` equivalent)
    check1_outputs.ipynb    the executed notebook (for auditors)
    check2_outcome1.partial.html   only when a notebook failed: what ran before the error
    catalog.html            the indicator catalog the run used
    files/<notebook>/       figures, tables and summary.json the notebooks saved (output_dir)
    manifest.json           parameters, versions, input files + SHA-256, times, result per notebook

The folder is built in a temporary sibling and moved into place at the end
(:func:`atomic.atomic_directory`), so a reviewer never sees half a report and an interrupted run
leaves nothing behind. An existing period is never overwritten without ``force``. A failing
notebook does not stop the others; it is marked in the set and the run's status is non-zero.
Then ``reports/<city>/index.html`` and ``reports/index.html`` are rewritten atomically.

Secrets: papermill parameters are built from the city's settings only (never from the
environment), and before the folder is moved into place every file is scanned for the values of
secret environment variables (``ESTAT_APP_ID`` and names like ``*_TOKEN``, ``*_SECRET``); any hit is
replaced by ``[REDACTED:NAME]`` and recorded (by name only) in the manifest.

Batches (:func:`run_batch`) run one city per task on a pluggable executor
(:mod:`sckpi_helpers.executors`): a local process pool by default, Dask with ``--scheduler``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import contextvars
import hashlib
import json
import os
import platform
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sckpi_helpers import __version__
from sckpi_helpers.config import paths
from sckpi_helpers.reports import html as rh
from sckpi_helpers.atomic import atomic_directory, atomic_write_text
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.config.periods import Period, due_checks, parse_period

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

#: environment variables whose values must never reach an output
SECRET_ENV_NAMES = ("ESTAT_APP_ID",)
_SECRET_NAME_RE = re.compile(r"(APP_?ID|TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY)",
                             re.IGNORECASE)
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

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
# planning
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


def _load_settings(city: str):
    from sckpi_helpers.config.settings import find_settings

    return find_settings(city)


def _city_name(settings, city: str) -> str:
    if getattr(settings, "name_ja", None):
        return str(settings.name_ja)
    from sckpi_helpers.store.build import processed_paths, serving_settings

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
# inputs, hashes and secrets
# ---------------------------------------------------------------------------------------------

def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


def collect_inputs(settings, source: str | None = None) -> list[dict[str, Any]]:
    """The raw files a run reads (settings, logic model, local data, external statistics, CSV/JSON)."""
    out: list[dict[str, Any]] = []
    base = getattr(settings, "base_dir", None)
    if base is not None:
        out.append(_file_entry("settings", Path(base) / "settings.yaml"))
    resolve = getattr(settings, "resolve", lambda p: p)
    if getattr(settings, "logic_model", None):
        out.append(_file_entry("logic_model", resolve(settings.logic_model)))
    for role, attr in (("local_data", "local_data"), ("external_statistics", "external_statistics"),
                       ("estat_csv", "estat_csv"), ("catalog_extension", "catalog_extensions")):
        for p in getattr(settings, attr, []) or []:
            out.append(_file_entry(role, resolve(p)))
    if (source or getattr(settings, "source", None)) == "estat-api":
        cache = paths.raw_dir() / "estat"
        if cache.is_dir():
            out += [_file_entry("estat_api_json", f) for f in sorted(cache.rglob("*.json"))]
    return out


def collect_processed(settings=None) -> list[dict[str, Any]]:
    """The derived Parquet files the notebooks read (hashed after the run)."""
    from sckpi_helpers.store.build import processed_paths, serving_settings

    d = processed_paths(serving_settings(settings))["panel"].parent
    return [_file_entry("processed", f) for f in sorted(d.glob("*.parquet"))] if d.is_dir() else []


def secret_values(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Secret environment values to keep out of every output: name → value."""
    env = os.environ if environ is None else environ
    out = {}
    for name, value in env.items():
        if not value:
            continue
        if name in SECRET_ENV_NAMES or (_SECRET_NAME_RE.search(name) and len(value) >= 6):
            out[name] = value
    return out


def redact(text: str, secrets: dict[str, str] | None = None) -> str:
    """``text`` with every secret value (raw, HTML- or JSON-escaped) replaced by ``[REDACTED:NAME]``."""
    import html

    for name, value in (secret_values() if secrets is None else secrets).items():
        for form in {value, html.escape(value), json.dumps(value)[1:-1]}:
            if form:
                text = text.replace(form, f"[REDACTED:{name}]")
    return text


def scrub_folder(folder: str | Path, secrets: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Redact secret values in every file under ``folder``; binary files holding one are removed.

    Returns what was done, naming files and variables (never values).
    """
    secrets = secret_values() if secrets is None else secrets
    if not secrets:
        return []
    import html

    forms = {name: {f.encode() for f in {v, html.escape(v), json.dumps(v)[1:-1]} if f}
             for name, v in secrets.items()}
    done = []
    for f in sorted(Path(folder).rglob("*")):
        if not f.is_file():
            continue
        data = f.read_bytes()
        hits = [name for name, fs in forms.items() if any(x in data for x in fs)]
        if not hits:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            f.unlink()
            done += [{"file": f.relative_to(folder).as_posix(), "variable": n, "action": "removed"}
                     for n in hits]
            continue
        f.write_text(redact(text, secrets), encoding="utf-8")
        done += [{"file": f.relative_to(folder).as_posix(), "variable": n, "action": "redacted"}
                 for n in hits]
    return done


# ---------------------------------------------------------------------------------------------
# executing and exporting one notebook
# ---------------------------------------------------------------------------------------------

def _clean_error(text: str) -> str:
    return _ANSI_RE.sub("", text or "").strip()


_QUIET_KM = None


def _quiet_kernel_manager():
    """A kernel manager whose kernel process does not write its own log lines to our stderr.

    (ipykernel 7 warns on every start that TCP is unencrypted; cell output still reaches the
    notebook through the messaging channel.)
    """
    global _QUIET_KM
    if _QUIET_KM is None:
        import subprocess

        from jupyter_client.manager import AsyncKernelManager

        class QuietKernelManager(AsyncKernelManager):
            async def _async_start_kernel(self, **kw):
                kw.setdefault("stderr", subprocess.DEVNULL)
                return await super()._async_start_kernel(**kw)

            start_kernel = _async_start_kernel

        _QUIET_KM = QuietKernelManager
    return _QUIET_KM


def _in_own_event_loop(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` in a fresh context with an event loop of its own, closed afterwards.

    papermill → nbclient → jupyter_core keeps its event loop in a ContextVar. Thread pools and Dask
    workers copy the caller's context into their threads, so two notebooks running at once in one
    process would share one loop and fail ("This event loop is already running"). A fresh context
    holding a new loop isolates each run; closing the loop afterwards keeps long batches from
    leaking file descriptors.
    """
    try:
        from jupyter_core.utils import _loop as jupyter_loop  # the ContextVar jupyter_core reads
    except ImportError:  # pragma: no cover - other jupyter_core versions create their own loop
        jupyter_loop = None
    loop = asyncio.new_event_loop()

    def run() -> Any:
        if jupyter_loop is not None:
            jupyter_loop.set(loop)
        asyncio.set_event_loop(loop)
        try:
            return fn(*args, **kwargs)
        finally:
            asyncio.set_event_loop(None)

    try:
        return contextvars.Context().run(run)
    finally:
        loop.close()


def execute_notebook(src: Path, out_ipynb: Path, params: dict[str, str], *, cwd: Path,
                     kernel_name: str = "python3", timeout: float | None = None) -> tuple[bool, str | None]:
    """Run ``src`` with papermill into ``out_ipynb``; (success, error text)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        # The kernel starts in ``cwd`` through nbclient's resources path, not papermill's ``cwd=``:
        # that one is a process-wide os.chdir, which races when notebooks run in parallel threads
        # (a kernel could start in another run's folder or the caller's).
        _in_own_event_loop(pm.execute_notebook, str(src), str(out_ipynb), parameters=params,
                           kernel_name=kernel_name, resources={"metadata": {"path": str(cwd)}},
                           progress_bar=False, log_output=False,
                           request_save_on_cell_execute=True, execution_timeout=timeout,
                           kernel_manager_class=_quiet_kernel_manager())
        return True, None
    except PapermillExecutionError as exc:
        tb = _clean_error("\n".join(exc.traceback or []))
        msg = f"{exc.ename}: {_clean_error(exc.evalue)}\n(セル {exc.exec_count} で停止)"
        if tb and len(tb) < 8000:
            msg += "\n\n" + tb
        return False, msg
    except Exception as exc:  # noqa: BLE001 - kernel died, bad notebook, timeout …
        return False, f"{type(exc).__name__}: {_clean_error(str(exc))}"


def _tidy_metadata(nb, src: Path, name: str) -> None:
    """Executed-notebook metadata without temporary paths."""
    meta = nb.metadata.get("papermill")
    if meta is not None:
        meta["input_path"] = f"notebooks/{src.name}"
        meta["output_path"] = f"{name}.ipynb"
        meta["environment_variables"] = {}


def _run_one(name: str, nb_dir: Path, folder: Path, params: dict[str, str], *, kernel_name: str,
             timeout: float | None, city_name: str, period_ja: str) -> NotebookResult:
    import nbformat

    src = nb_dir / f"{name}.ipynb"
    out = folder / f"{name}.ipynb"
    t0 = time.perf_counter()
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

def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _prepare(settings, source: str | None) -> str | None:
    """Build ``data/processed`` once before the notebooks (they call it too; this avoids races)."""
    try:
        from sckpi_helpers.store import build as ingest
    except ImportError:
        return None
    try:
        ingest.ensure_processed(ingest.serving_settings(settings, source or getattr(settings, "source", "demo")))
        return None
    except Exception as exc:  # noqa: BLE001 - the notebooks will show the same problem in context
        return redact(f"{type(exc).__name__}: {exc}")


def _write_catalog(folder: Path, settings) -> tuple[str | None, str | None]:
    """``catalog.html`` from the catalog module; (file name, problem)."""
    try:
        from sckpi_helpers.catalog import load_catalog
        from sckpi_helpers.reports.catalog_page import render_catalog_html
    except ImportError as exc:
        return None, f"catalog not available: {exc}"
    try:
        resolve = getattr(settings, "resolve", lambda p: p)
        extra = [resolve(p) for p in getattr(settings, "catalog_extensions", []) or []]
        cat = load_catalog(extra=extra) if extra else load_catalog()
        (folder / "catalog.html").write_text(render_catalog_html(cat), encoding="utf-8")
        return "catalog.html", None
    except Exception as exc:  # noqa: BLE001
        return None, redact(f"{type(exc).__name__}: {exc}")


def adjusted_population_info(definition: str | None) -> tuple[str | None, str | None]:
    """(Japanese name, formula) of a 補正人口 definition: the catalog's, else DESIGN.md's table."""
    name, formula = rh.ADJUSTED_POPULATION_JA.get(definition or "", (None, None))
    with contextlib.suppress(Exception):
        from sckpi_helpers.catalog import load_catalog

        cat = load_catalog()
        with contextlib.suppress(Exception):
            formula = cat.adjusted_population_formula(definition) or formula
        ap = getattr(cat, "adjusted_population", None)
        defs = getattr(ap, "definitions", None) if ap is not None else None
        d = None
        if isinstance(defs, dict):
            d = defs.get(definition)
        elif isinstance(defs, list):
            d = next((x for x in defs if getattr(x, "id", None) == definition), None)
        if d is not None:
            name = getattr(d, "name_ja", None) or name
    return name, formula


def run_report(city: str, period: str | Period, *, jobs: int = 1, force: bool = False,
               source: str | None = None, only: str | Sequence[str] | None = None,
               reports_root: str | Path | None = None, notebooks_dir: str | Path | None = None,
               kernel_name: str = "python3", prepare: bool = True, timeout: float | None = None,
               update_indexes: bool = True) -> ReportResult:
    """Execute the notebooks due in ``period`` for ``city`` and write ``reports/<city>/<period>/``.

    ``jobs`` > 1 runs the city's notebooks in parallel. Raises :class:`ReportExistsError` when the
    period's report exists and ``force`` is false (the folder is left untouched). A failing
    notebook does not raise: the result's ``status`` is ``partial`` or ``failed``.
    """
    city = str(city).strip()
    if not (len(city) == 5 and city.isdigit()):
        raise SckpiError(f"city '{city}' is not a 5-digit area code (標準地域コード)")
    p = parse_period(period)
    nb_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    names = plan_notebooks(p, only, nb_dir)
    root = Path(reports_root) if reports_root else paths.reports_dir()
    target = root / city / p.label
    if target.exists() and not force:
        old = _read_manifest(target)
        state = f" (status: {old.get('status')})" if old else ""
        raise ReportExistsError(
            f"a report for {city} {p.label} already exists at {target}{state}; "
            "finished periods are not overwritten — rerun with --force to replace it")

    settings = _load_settings(city)
    city_name = _city_name(settings, city)
    src = source or getattr(settings, "source", None) or "demo"
    started = _now()
    t0 = time.perf_counter()
    inputs = collect_inputs(settings, src)
    prepare_error = _prepare(settings, src) if prepare else None
    if prepare:
        city_name = _city_name(settings, city)  # areas.parquet may exist now

    with atomic_directory(target, overwrite=force) as folder:
        params_by_nb = {n: build_parameters(city, p.label, settings, source=src, output_dir=f"files/{n}")
                        for n in names}
        for n in names:
            (folder / "files" / n).mkdir(parents=True, exist_ok=True)
        kw = {"kernel_name": kernel_name, "timeout": timeout, "city_name": city_name, "period_ja": p.label_ja}
        if jobs > 1 and len(names) > 1:
            with cf.ThreadPoolExecutor(max_workers=min(jobs, len(names))) as pool:
                futs = [pool.submit(_run_one, n, nb_dir, folder, params_by_nb[n], **kw) for n in names]
                results = [f.result() for f in futs]
        else:
            results = [_run_one(n, nb_dir, folder, params_by_nb[n], **kw) for n in names]
        for d in (folder / "files").glob("*"):  # drop empty output folders
            with contextlib.suppress(OSError):
                d.rmdir()
        with contextlib.suppress(OSError):
            (folder / "files").rmdir()

        catalog_file, catalog_problem = _write_catalog(folder, settings)
        n_ok = sum(r.status == "ok" for r in results)
        status = "ok" if n_ok == len(results) else ("failed" if n_ok == 0 else "partial")
        finished = _now()
        ap_def = getattr(settings, "adjusted_population", None)
        ap_ja, ap_formula = adjusted_population_info(ap_def)
        common = params_by_nb[names[0]] if names else build_parameters(city, p.label, settings, source=src)
        landing = rh.report_set_page(
            city_code=city, city_name=city_name, period=p.label, period_ja=p.label_ja,
            adjusted_population=ap_def, adjusted_population_ja=ap_ja, adjusted_population_formula=ap_formula,
            peer_group=common.get("peer_group"), source=src,
            notebooks=[rh.NotebookEntry(name=r.name, status=r.status, html=r.html, ipynb=r.ipynb,
                                        partial_html=r.partial_html, error=r.error, seconds=r.seconds,
                                        summary=r.summary) for r in results],
            status=status, started=started, finished=finished, version=__version__, catalog=catalog_file)
        (folder / "index.html").write_text(landing, encoding="utf-8")

        redactions = scrub_folder(folder)
        manifest = {
            "kit": "sckpi",
            "kit_version": __version__,
            "python_version": platform.python_version(),
            "platform": platform.platform(terse=True),
            "tools": _tool_versions(),
            "city_code": city,
            "city_name": city_name,
            "period": p.label,
            "period_ja": p.label_ja,
            "checks_due": due_checks(p),
            "adjusted_population": {"definition": ap_def, "name_ja": ap_ja, "formula": ap_formula},
            "parameters": {k: v for k, v in common.items() if k != "output_dir"},
            "parameters_by_notebook": params_by_nb,
            "kernel_name": kernel_name,
            "jobs": jobs,
            "force": force,
            "inputs": inputs,
            "processed": collect_processed(settings),
            "prepare_error": prepare_error,
            "catalog": catalog_file,
            "catalog_problem": catalog_problem,
            "started": started,
            "finished": finished,
            "seconds": round(time.perf_counter() - t0, 2),
            "status": status,
            "notebooks": [asdict(r) for r in results],
            "redactions": redactions,
        }
        text = redact(json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
        (folder / "manifest.json").write_text(text + "\n", encoding="utf-8")

    result = ReportResult(city_code=city, period=p.label, status=status, folder=target, city_name=city_name,
                          period_ja=p.label_ja, notebooks=results, started=started, finished=finished,
                          seconds=manifest["seconds"],
                          message="" if status == "ok" else "failed: " + ", ".join(
                              r.name for r in results if r.status != "ok"))
    if update_indexes:
        write_city_index(root, city)
        write_root_index(root)
    return result


def _tool_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("papermill", "nbconvert", "nbformat", "nbclient", "ipykernel", "pandas", "matplotlib"):
        with contextlib.suppress(PackageNotFoundError):
            out[pkg] = version(pkg)
    return out


# ---------------------------------------------------------------------------------------------
# indexes
# ---------------------------------------------------------------------------------------------

def _read_manifest(folder: Path) -> dict[str, Any] | None:
    f = Path(folder) / "manifest.json"
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _period_key(label: str):
    try:
        return (0, parse_period(label))
    except SckpiError:
        return (1, label)


def city_reports(root: Path, city: str) -> list[dict[str, Any]]:
    """Manifests of a city's finished report sets, newest period first."""
    d = Path(root) / city
    rows = []
    if d.is_dir():
        for sub in d.iterdir():
            if sub.name.startswith(".") or not sub.is_dir():
                continue
            m = _read_manifest(sub)
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
    text = rh.city_index_page(city_code=city, city_name=name, rows=rows, version=__version__,
                              generated=_now())
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
    text = rh.root_index_page(rows=rows, version=__version__, generated=_now())
    return atomic_write_text(root / "index.html", redact(text))


# ---------------------------------------------------------------------------------------------
# batches
# ---------------------------------------------------------------------------------------------

def _batch_task(city: str, period: str, kwargs: dict[str, Any]) -> ReportResult:
    """One city of a batch; never raises (problems become the result's status)."""
    t0 = time.perf_counter()
    try:
        return run_report(city, period, **kwargs)
    except ReportExistsError as exc:
        return ReportResult(city_code=city, period=str(period), status="exists", message=redact(str(exc)),
                            seconds=round(time.perf_counter() - t0, 2))
    except Exception as exc:  # noqa: BLE001 - one bad city must not stop the batch
        return ReportResult(city_code=city, period=str(period), status="error",
                            message=redact(f"{type(exc).__name__}: {exc}"),
                            seconds=round(time.perf_counter() - t0, 2))


def run_batch(cities: Iterable[str], period: str | Period, *, jobs: int = 1, scheduler: str | None = None,
              force: bool = False, source: str | None = None, only: str | Sequence[str] | None = None,
              reports_root: str | Path | None = None, notebooks_dir: str | Path | None = None,
              kernel_name: str = "python3", prepare: bool = True, progress: bool | None = None,
              executor=None) -> list[ReportResult]:
    """Report sets for many cities, one city per task on an executor (``--jobs``/``--scheduler``).

    Results come back in the order of ``cities``. Indexes are rewritten once at the end.
    """
    from tqdm.auto import tqdm

    from sckpi_helpers.reports.executors import make_executor

    cities = list(dict.fromkeys(str(c).strip() for c in cities))
    p = parse_period(period)
    root = Path(reports_root) if reports_root else paths.reports_dir()
    plan_notebooks(p, only, notebooks_dir)  # fail early on a bad --only
    if prepare:  # once, here, so workers do not race to build data/processed
        for c in cities[:1]:
            _prepare(_load_settings(c), source)
    kwargs = {"jobs": 1, "force": force, "source": source, "only": only, "reports_root": str(root),
              "notebooks_dir": str(notebooks_dir) if notebooks_dir else None, "kernel_name": kernel_name,
              "prepare": prepare, "update_indexes": False}
    ex = executor or make_executor(jobs, scheduler)
    results: dict[str, ReportResult] = {}
    try:
        futs = {ex.submit(_batch_task, c, p.label, kwargs): c for c in cities}
        bar = tqdm(total=len(futs), desc=f"sckpi report {p.label}", unit="city", disable=progress is False
                   if progress is not None else None, file=sys.stderr)
        for fut in ex.as_completed(list(futs)):
            c = futs[fut]
            try:
                results[c] = fut.result()
            except Exception as exc:  # noqa: BLE001 - worker crashed
                results[c] = ReportResult(city_code=c, period=p.label, status="error",
                                          message=redact(f"{type(exc).__name__}: {exc}"))
            bar.set_postfix_str(f"{c} {results[c].status}")
            bar.update(1)
        bar.close()
    finally:
        ex.close()
    for c in cities:
        if results[c].folder is not None:
            write_city_index(root, c)
    write_root_index(root)
    return [results[c] for c in cities]


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


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------

def _cities_from_args(args) -> list[str]:
    if getattr(args, "city", None):
        return [args.city]
    if getattr(args, "cities", None):
        cities = [c.strip() for c in args.cities.split(",") if c.strip()]
        bad = [c for c in cities if not (len(c) == 5 and c.isdigit())]
        if bad or not cities:
            raise SckpiError(f"--cities: not 5-digit area codes: {', '.join(bad) or '(none given)'}")
        return cities
    spec = args.batch_peer_group
    from sckpi_helpers.store import build as ingest
    from sckpi_helpers.config.settings import demo_settings
    from sckpi_helpers.store.peer_groups import peer_group

    anchor = demo_settings()
    ingest.ensure_processed(anchor)
    areas = ingest.load_areas(anchor)
    panel = None
    with contextlib.suppress(Exception):
        panel = ingest.load_panel(anchor)
    codes = list(peer_group(areas, anchor.city_code, spec, panel=panel))
    if anchor.city_code not in codes:
        codes.insert(0, anchor.city_code)
    if not codes:
        raise SckpiError(f"--peer-group {spec}: no cities in that group")
    return codes


def cli_report(args) -> int:
    """``sckpi report``: 0 only when every notebook of every city succeeded."""
    p = parse_period(args.period)
    cities = _cities_from_args(args)
    jobs = int(getattr(args, "jobs", 1) or 1)
    scheduler = getattr(args, "scheduler", None)
    common = {"force": bool(getattr(args, "force", False)), "source": getattr(args, "source", None),
              "only": getattr(args, "only", None)}
    root = paths.reports_dir()
    if len(cities) == 1 and not scheduler:
        r = run_report(cities[0], p, jobs=jobs, **common)
        results = [r]
        for n in r.notebooks:
            mark = "ok" if n.status == "ok" else "FAILED"
            print(f"  {n.name:<18} {mark:<6} {n.seconds:6.1f}s")
            if n.error:
                print("    " + n.error.splitlines()[0])
        print(f"report: {r.index_path}")
    else:
        results = run_batch(cities, p, jobs=jobs, scheduler=scheduler, **common)
        print(summary_table(results))
    print(f"index: {root / 'index.html'}")
    bad = [r for r in results if not r.ok]
    if bad:
        print(f"sckpi report: {len(bad)} of {len(results)} report sets not complete", file=sys.stderr)
        return 1
    return 0
