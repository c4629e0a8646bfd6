"""Pluggable executors for batch report runs: in-process, a local process pool, or Dask.

``sckpi report --cities … --jobs N`` runs one city per task. The runner only needs ``submit`` and
an "as completed" iterator, so any pool that offers those can be plugged in through the small
:class:`Executor` protocol:

- :class:`SerialExecutor` — runs each task in this process when it is submitted (``--jobs 1``);
- :class:`LocalExecutor` — ``concurrent.futures.ProcessPoolExecutor`` with N workers (default);
- :class:`DaskExecutor` — ``dask.distributed.Client(address)`` (``--scheduler ADDRESS``, the
  ``[dask]`` extra), so a national batch can run across machines. Every worker must see the same
  ``data/`` and ``reports/`` (a shared filesystem or the same ``SCKPI_HOME``) and have the kit
  installed.

:func:`run_batch` runs one :func:`~sckpi_helpers.reports.runner.run_report` per city on one of them
and rewrites the indexes once at the end. On this machine (serial or process pool) each worker keeps
one kernel from city to city (:func:`worker_session`; cleaned before every notebook, replaced after a
failure and every :data:`KERNEL_NOTEBOOKS` notebooks); on Dask each city's run has its own. Stage 11 (reports): imports stages 0–11.
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sckpi_helpers.city import resolve_city
from sckpi_helpers.config import paths
from sckpi_helpers.config.codes import parse_code
from sckpi_helpers.config.periods import Period, parse_period
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.pages.redact import redact
from sckpi_helpers.reports import runner
from sckpi_helpers.reports.kernel import KernelSession
from sckpi_helpers.reports.manifest import refresh_indexes
from sckpi_helpers.reports.plan import plan_notebooks
from sckpi_helpers.reports.preflight import check_period_year
from sckpi_helpers.reports.runner import ReportExistsError, ReportResult


@runtime_checkable
class TaskFuture(Protocol):
    """What the runner needs from a submitted task."""

    def result(self, timeout: float | None = None) -> Any: ...


@runtime_checkable
class Executor(Protocol):
    """A pool that runs picklable callables and reports them as they finish."""

    name: str

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> TaskFuture: ...

    def as_completed(self, futures: Iterable[TaskFuture]) -> Iterator[TaskFuture]: ...

    def close(self) -> None: ...


class SerialExecutor:
    """Runs each task immediately in this process; the futures are already done."""

    name = "serial"

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            fut.set_exception(exc)
        return fut

    def as_completed(self, futures: Iterable[cf.Future]) -> Iterator[cf.Future]:
        yield from futures

    def close(self) -> None:
        pass


class LocalExecutor:
    """A ``ProcessPoolExecutor`` with ``jobs`` worker processes on this machine.

    Workers are spawned, not forked: the caller has threads (zmq's I/O threads, the progress bar's
    monitor, another run's lanes), and a fork copies whatever lock one of them holds at that moment
    into the child, where nothing releases it — a rare hang, not an error.
    """

    def __init__(self, jobs: int) -> None:
        import multiprocessing

        self.jobs = max(1, int(jobs))
        self.name = f"processes×{self.jobs}"
        self._pool = cf.ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        return self._pool.submit(fn, *args, **kwargs)

    def as_completed(self, futures: Iterable[cf.Future]) -> Iterator[cf.Future]:
        return cf.as_completed(list(futures))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Tasks on a Dask distributed scheduler at ``address`` (``tcp://host:8786``)."""

    def __init__(self, address: str, connect_timeout: float = 30.0) -> None:
        try:
            from dask.distributed import Client
        except ImportError:
            raise SckpiError(
                "--scheduler needs Dask distributed, which is not installed; "
                "install the extra with: pip install 'sckpi[dask]'") from None
        try:
            self._client = Client(address, timeout=connect_timeout)
        except Exception as exc:  # noqa: BLE001 - connection problems vary by transport
            raise SckpiError(f"cannot connect to the Dask scheduler at {address}: {exc}") from None
        self.name = f"dask {address}"

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return self._client.submit(fn, *args, pure=False, **kwargs)

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        from dask.distributed import as_completed

        return iter(as_completed(list(futures)))

    def close(self) -> None:
        self._client.close()


def make_executor(jobs: int = 1, scheduler: str | None = None) -> Executor:
    """The executor for ``--jobs``/``--scheduler``: Dask when an address is given, else local."""
    if scheduler:
        return DaskExecutor(scheduler)
    if jobs <= 1:
        return SerialExecutor()
    return LocalExecutor(jobs)


# ---------------------------------------------------------------------------------------------
# batches
# ---------------------------------------------------------------------------------------------

#: a worker's kernel is replaced after this many notebooks (bounds what long batches accumulate; a
#: national run's kernel stays at ~400 MB over 120 Check❹ pages, and each new kernel costs ~2.5
#: CPU-seconds of start and imports)
KERNEL_NOTEBOOKS = 500
_WORKER = threading.local()


def worker_session(kernel_name: str) -> KernelSession:
    """This worker's kernel session, kept from one city to the next (a fresh one every
    :data:`KERNEL_NOTEBOOKS` notebooks); closed when the worker process exits."""
    s = getattr(_WORKER, "session", None)
    if s is not None and s.kernel_name != kernel_name:
        s.close()
        s = None
    if s is not None and s.notebooks >= KERNEL_NOTEBOOKS:
        s.discard()
    if s is None:
        from multiprocessing import util

        s = _WORKER.session = KernelSession(kernel_name)
        util.Finalize(None, s.close, exitpriority=10)  # pool workers skip atexit, not these
    return s


def close_worker_session() -> None:
    s = getattr(_WORKER, "session", None)
    if s is not None:
        s.close()
        _WORKER.session = None


def _batch_task(city: str, period: str, kwargs: dict[str, Any]) -> ReportResult:
    """One city of a batch; never raises (problems become the result's status)."""
    import gc
    import multiprocessing

    if multiprocessing.parent_process() is not None:  # a pool worker (not the caller's own process):
        gc.collect()  # its modules and kept tables are not rescanned by every collection of the next city
        gc.freeze()
    t0 = time.perf_counter()
    try:
        kw = {k: v for k, v in kwargs.items() if k != "keep_kernel"}
        if kwargs.get("keep_kernel"):
            kw["session"] = worker_session(kw.get("kernel_name", "python3"))
        return runner.run_report(city, period, **kw)
    except ReportExistsError as exc:
        return ReportResult(city_code=city, period=str(period), status="exists", message=redact(str(exc)),
                            seconds=round(time.perf_counter() - t0, 2))
    except Exception as exc:  # noqa: BLE001 - one bad city must not stop the batch
        text = str(exc) if isinstance(exc, SckpiError) else f"{type(exc).__name__}: {exc}"
        return ReportResult(city_code=city, period=str(period), status="error", message=redact(text),
                            seconds=round(time.perf_counter() - t0, 2))


def progress_bar(total: int, desc: str, unit: str, progress: bool | None = None):
    """A tqdm bar on stderr: shown on a terminal (``progress=None``), forced on or off by ``progress``."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                disable=None if progress is None else not progress)


def run_batch(cities: Iterable[str], period: str | Period, *, jobs: int = 1, scheduler: str | None = None,
              force: bool = False, source: str | None = None, only: str | Sequence[str] | None = None,
              reports_root: str | Path | None = None, notebooks_dir: str | Path | None = None,
              kernel_name: str = "python3", prepare: bool = True, progress: bool | None = None,
              executor=None, strict: bool = False, layout: str = "full") -> list[ReportResult]:
    """Report sets for many cities, one city per task on an executor (``--jobs``/``--scheduler``).

    ``layout="light"`` writes light sets (:mod:`.lighten`, what national runs use). A city whose set
    is finished and up to date comes back as ``exists`` (not rendered); the others carry
    ``rerun_reason``. Results come back in the order of ``cities``. Indexes are rewritten once at the end. A progress
    bar (cities × notebooks) runs on stderr when it is a terminal (``progress`` forces it on or off):
    per notebook when the cities run in this process, per finished city on a pool.
    """
    cities = list(dict.fromkeys(parse_code(c) for c in cities))
    p = parse_period(period)
    check_period_year(p)
    root = Path(reports_root) if reports_root else paths.reports_dir()
    per_city = len(plan_notebooks(p, only, notebooks_dir))  # fails early on a bad --only
    if prepare:  # once, here, so workers do not race to build data/processed
        for c in cities[:1]:
            runner.prepare_data(resolve_city(c, p, source=source))
    kwargs = {"jobs": 1, "force": force, "source": source, "only": only, "reports_root": str(root),
              "notebooks_dir": str(notebooks_dir) if notebooks_dir else None, "kernel_name": kernel_name,
              "prepare": prepare, "update_indexes": False, "strict": strict, "layout": layout}
    ex = executor or make_executor(jobs, scheduler)
    results: dict[str, ReportResult] = {}
    bar = progress_bar(len(cities) * per_city, f"sckpi report {p.label}", "notebook", progress)
    in_process = isinstance(ex, SerialExecutor)
    if in_process:  # the bar moves with every notebook
        kwargs["on_notebook"] = lambda nb: bar.update(1)
    # local workers keep one kernel from city to city (cleaned between notebooks; see reports.kernel)
    kwargs["keep_kernel"] = isinstance(ex, (SerialExecutor, LocalExecutor))
    try:
        futs = {ex.submit(_batch_task, c, p.label, kwargs): c for c in cities}
        for fut in ex.as_completed(list(futs)):
            c = futs[fut]
            try:
                results[c] = fut.result()
            except Exception as exc:  # noqa: BLE001 - worker crashed
                results[c] = ReportResult(city_code=c, period=p.label, status="error",
                                          message=redact(f"{type(exc).__name__}: {exc}"))
            bar.set_postfix_str(f"{c} {results[c].status}")
            bar.update(per_city - (len(results[c].notebooks) if in_process else 0))
    finally:
        bar.close()
        ex.close()
        if in_process:
            close_worker_session()
    refresh_indexes(root, [c for c in cities if results[c].folder is not None])
    return [results[c] for c in cities]
