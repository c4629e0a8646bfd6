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
left behind are removed at the start. A *finished* set (every notebook succeeded) is not
overwritten without ``force`` unless its inputs, settings or the kit changed
(:mod:`.rerun`: the manifest records the fingerprints and why the set was rendered); a failed or
partial set is re-run by the next run. ``layout="light"`` (national runs) writes light sets
(:mod:`.lighten`). A failing
notebook does not stop the others. Secrets are scrubbed (:mod:`sckpi_helpers.pages.redact`) before
the folder is moved into place. Which notebooks run is :mod:`.plan`, running them :mod:`.notebook_run`,
batches :mod:`.executors`, the pages :mod:`sckpi_helpers.pages`; the console table is the CLI's.
Stage 11 (reports): imports stages 0–11.
"""

from __future__ import annotations

import contextlib
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sckpi_helpers import __version__
from sckpi_helpers.atomic import atomic_directory
from sckpi_helpers.city import CityContext, resolve_city
from sckpi_helpers.config import paths
from sckpi_helpers.config.periods import Period, due_checks
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.notebook.params import LIGHT
from sckpi_helpers.pages import html as rh
from sckpi_helpers.pages.attachments import attach
from sckpi_helpers.pages.catalog_page import write_catalog_page
from sckpi_helpers.pages.indexes import now as _now
from sckpi_helpers.pages.redact import redact, scrub_folder
from sckpi_helpers.reports.corrections import Gate, record, refuse_open, run_gate
from sckpi_helpers.reports.kernel import KernelSession
from sckpi_helpers.reports.lighten import compress_notebooks, lighten_set, packed_name, shared_catalog
from sckpi_helpers.reports.manifest import (
    collect_inputs,
    collect_processed,
    read_manifest,
    refresh_indexes,
    tool_versions,
    write_manifest,
)
from sckpi_helpers.reports.notebook_run import NotebookResult, run_notebooks
from sckpi_helpers.reports.plan import default_notebooks_dir, plan_notebooks
from sckpi_helpers.reports.preflight import (
    check_city_known,
    check_period_year,
    clean_stale,
    logic_model_problems,
    report_lock,
)
from sckpi_helpers.reports.rerun import fingerprints, rerun_reason


class ReportExistsError(SckpiError):
    """The period already has a report set and ``force`` was not given."""


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
    rerun_reason: str | None = None  # why the set was rendered (None: not rendered)
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

def build_parameters(city: CityContext, period: str, *, output_dir: str = "", layout: str = "full") -> dict[str, str]:
    """The papermill parameters (DESIGN.md), from the city's context — never from the environment.
    The notebook resolves the same city again from them (``validate_parameters``)."""
    return {
        "city_code": city.code,
        "period": period,
        "logic_model_path": "",  # the notebook resolves it from the city's settings
        "source": city.source,
        "peer_group": city.peer_group.spec,
        "lang": "ja",
        "output_dir": output_dir,
        "layout": layout,
    }



# ---------------------------------------------------------------------------------------------
# one city, one period
# ---------------------------------------------------------------------------------------------

def prepare_data(city: CityContext) -> str | None:
    """Build the city's serving build and its tier-3 ``indicators.parquet`` once before the notebooks
    (which read them instead of recomputing; they would build them too, but once here avoids races)."""
    from sckpi_helpers.indicators.cache import ensure_indicators
    from sckpi_helpers.store import build as ingest

    try:
        ingest.ensure_processed(city.build)
        ensure_indicators(city)
        return None
    except Exception as exc:  # noqa: BLE001 - the notebooks will show the same problem in context
        return redact(f"{type(exc).__name__}: {exc}")


def run_report(city: str, period: str | Period, *, jobs: int = 1, force: bool = False,
               source: str | None = None, only: str | Sequence[str] | None = None,
               reports_root: str | Path | None = None, notebooks_dir: str | Path | None = None,
               kernel_name: str = "python3", prepare: bool = True, timeout: float | None = None,
               update_indexes: bool = True, reuse_kernels: bool = True,
               on_notebook: Callable[[NotebookResult], None] | None = None,
               session: KernelSession | None = None, strict: bool = False, layout: str = "full") -> ReportResult:
    """Execute the notebooks due in ``period`` for ``city`` and write ``reports/<city>/<period>/``.

    ``jobs`` > 1 runs the city's notebooks in parallel. With ``reuse_kernels`` (the default) each
    worker keeps one kernel for its notebooks and cleans it between them
    (:class:`~sckpi_helpers.reports.kernel.KernelSession`); otherwise every notebook gets a kernel of
    its own; a batch worker passes its own ``session`` (kept after the run, one lane). Raises
    :class:`ReportExistsError` when the period has a finished set that is up to date (same input
    files, settings and kit, the notebooks asked for already in it) and ``force`` is false (the folder
    is left untouched); the result's ``rerun_reason`` says why a set was rendered, and :class:`ReportLockedError` when another run holds the period. A failing notebook does not
    raise: the result's ``status`` is ``partial`` or ``failed``, and the next run re-runs the set.
    ``on_notebook`` is called with each notebook's result as soon as it finishes (progress lines).
    The data-quality gate runs first (:mod:`.corrections`): ``strict`` raises
    :class:`~sckpi_helpers.reports.corrections.QualityGateError` while findings are open.
    """
    ctx = resolve_city(city, period, source=source)  # the one place this city is decided
    city, p = ctx.code, ctx.period
    check_period_year(p)
    nb_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    names = plan_notebooks(p, only, nb_dir)
    root = Path(reports_root) if reports_root else paths.reports_dir()
    city_dir = root / city
    target = city_dir / p.label
    warnings = logic_model_problems(ctx)
    inputs = collect_inputs(ctx)
    current = fingerprints(inputs, ctx.settings)
    reason = _why_render(read_manifest(target) if target.exists() else None, current, names, layout, force)
    if reason is None:
        raise ReportExistsError(f"a finished report for {city} {p.label} already exists at {target} and is up to "
                                "date (inputs, settings and kit unchanged) — rerun with --force to replace it")
    started = _now()
    t0 = time.perf_counter()
    check_city_known(ctx)  # a mistyped code is refused before anything is built
    prepare_error = prepare_data(ctx) if prepare else None
    gate = run_gate(ctx)  # the data-quality gate, before anything is published
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
            ctx, names, nb_dir, root, force=force, jobs=jobs, kernel_name=kernel_name,
            timeout=timeout, sessions=sessions, keep=session is not None, kernels0=k0, on_notebook=on_notebook,
            started=started, t0=t0, prepare_error=prepare_error, warnings=warnings, gate=gate, inputs=inputs,
            current=current, layout=layout)
    result = ReportResult(city_code=city, period=p.label, status=status, folder=target, rerun_reason=reason,
                          city_name=ctx.name_ja, period_ja=p.label_ja, notebooks=results,
                          started=started, finished=finished, seconds=seconds,
                          warnings=[redact(w) for w in warnings],
                          message="" if status == "ok" else "failed: " + ", ".join(
                              r.name for r in results if r.status != "ok"))
    if update_indexes:
        refresh_indexes(root, [city])
    return result


def _why_render(previous: dict | None, current: dict[str, str], names: list[str], layout: str,
                force: bool) -> str | None:
    """Why the set must be rendered (Japanese, for the manifest and the console); None: it is finished
    and up to date (:func:`~sckpi_helpers.reports.rerun.rerun_reason`, plus the notebooks asked for and
    the set's layout)."""
    if force:
        return "--force が指定されました" + (f"（{why}）" if (why := rerun_reason(previous, current)) else "")
    why = rerun_reason(previous, current)
    if why is not None or previous is None:
        return why
    done = {n.get("name") for n in previous.get("notebooks") or []}
    if not set(names) <= done:
        return "作成する帳票が増えました（" + "、".join(sorted(set(names) - done)) + "）"
    if previous.get("layout", "full") != layout:
        return "報告の形式が変わりました（" + layout + "）"
    return None


def _run_locked(ctx: CityContext, names: list[str], nb_dir: Path, root: Path, *,
                force: bool, jobs: int, kernel_name: str, timeout: float | None,
                sessions: list[KernelSession] | None, keep: bool, kernels0: int, on_notebook, started: str,
                t0: float, prepare_error: str | None, warnings: list[str], inputs: list[dict],
                current: dict[str, str], layout: str, gate: Gate | None = None
                ) -> tuple[str, list[NotebookResult], float, str]:
    """The part of :func:`run_report` under the period's lock: notebooks, pages, manifest."""
    city, p, city_name = ctx.code, ctx.period, ctx.name_ja
    city_dir = root / city
    target = city_dir / p.label
    with report_lock(city_dir, p.label):
        clean_stale(city_dir, p.label)
        previous = read_manifest(target) if target.exists() else None
        reason = _why_render(previous, current, names, layout, force)
        if reason is None:  # finished while we waited
            raise ReportExistsError(f"a finished report for {city} {p.label} already exists at {target} and is "
                                    "up to date — rerun with --force to replace it")
        with atomic_directory(target, overwrite=True) as folder:
            gate = record(folder, target if previous is not None else None, gate or Gate(), started)
            params_by_nb = {n: build_parameters(ctx, p.label, output_dir=f"files/{n}", layout=layout)
                            for n in names}
            results = run_notebooks(names, nb_dir, folder, params_by_nb, jobs=jobs, sessions=sessions,
                                     on_notebook=on_notebook, kernel_name=kernel_name, timeout=timeout,
                                     city_name=city_name, period_ja=p.label_ja)
            kernels = sum(x.kernels for x in sessions) - kernels0 if sessions else len(results)
            for session in () if keep else sessions or ():
                session.discard()  # the kernels' work is done
            light = layout == LIGHT
            if light:
                catalog_file, catalog_problem = shared_catalog(root, ctx.catalog), None
                for r in results:  # stored compressed at the end (compress_notebooks); pages name that file
                    r.ipynb = packed_name(r.ipynb) if r.ipynb else None
            else:
                catalog_file, catalog_problem = write_catalog_page(
                    folder, ctx.catalog, footer=f"sckpi {__version__} ／ {city_name} ／ {p.label_ja}")
            n_ok = sum(r.status == "ok" for r in results)
            status = "ok" if n_ok == len(results) else ("failed" if n_ok == 0 else "partial")
            finished = _now()
            ap = ctx.adjusted_population
            common = params_by_nb[names[0]] if names else build_parameters(ctx, p.label, layout=layout)
            landing = rh.report_set_page(
                city_code=city, city_name=city_name, period=p.label, period_ja=p.label_ja,
                adjusted_population=ap.id, adjusted_population_ja=ap.name_ja, adjusted_population_formula=ap.formula,
                peer_group=ctx.peer_group.spec, source=ctx.source,
                notebooks=[rh.NotebookEntry(name=r.name, status=r.status, html=r.html, ipynb=r.ipynb,
                                            partial_html=r.partial_html, error=r.error, seconds=r.seconds,
                                            summary=r.summary) for r in results],
                status=status, started=started, finished=finished, version=__version__, catalog=catalog_file,
                **gate.page())
            (folder / "index.html").write_text(landing, encoding="utf-8")
            if light:
                lighten_set(folder, root, [r.name for r in results])
            attach(folder, inputs, workbook_note=None if not light else (  # downloads, tables.xlsx, inputs/
                f"全国一括作成の報告のため、表の Excel ファイルはありません。全市区町村の値は全国の一括表 "
                f"（national/{p.fiscal_year}/indicators.csv・.parquet）にあります。"))
            redactions = scrub_folder(folder)
            if light:  # after the scrub: it reads the notebooks as text
                compress_notebooks(folder, [r.name for r in results])
            seconds = round(time.perf_counter() - t0, 2)
            write_manifest(folder, {
                "kit": "sckpi", "kit_version": __version__, "python_version": platform.python_version(),
                "platform": platform.platform(terse=True), "tools": tool_versions(),
                "city_code": city, "city_name": city_name, "period": p.label, "period_ja": p.label_ja,
                "checks_due": due_checks(p),
                "adjusted_population": {"definition": ap.id, "name_ja": ap.name_ja, "name_en": ap.name_en,
                                        "formula": ap.formula, "fallbacks": list(ap.fallbacks)},
                "build": {"scope": ctx.build.scope, "why": ctx.build.why},
                "parameters": {k: v for k, v in common.items() if k != "output_dir"},
                "parameters_by_notebook": params_by_nb, "kernel_name": kernel_name, "jobs": jobs, "force": force,
                "replaced": previous.get("status") if previous else None,
                "fingerprints": current, "rerun_reason": reason, "layout": layout,
                "inputs": inputs, "processed": collect_processed(ctx), "prepare_error": prepare_error,
                "logic_model_problems": warnings, "catalog": catalog_file, "catalog_problem": catalog_problem,
                "started": started, "finished": finished, "seconds": seconds, "status": status,
                "notebooks": [asdict(r) for r in results], "redactions": redactions,
                "kernels": {"reused": sessions is not None, "started": kernels},
                "quality": gate.summary(),
            })
    return status, results, seconds, finished
