"""Kernel and event-loop plumbing: execute notebooks with papermill, safely from any thread.

Why its own module: papermill → nbclient → jupyter_core keep state that is process-wide or
context-wide (the working directory, an event loop in a ContextVar, the kernel's stderr). The
work-arounds live here, each with its reason, so the runner reads as planning and bookkeeping.

Most of a check notebook's time is not its own work but starting a kernel and importing pandas,
matplotlib and the kit. A :class:`KernelSession` therefore starts one kernel (in the background, with
those modules imported while the caller prepares the run) and executes several notebooks of one
report run in it, one after the other, with a clean namespace before each: :func:`enter_notebook`
runs *inside* the kernel, resets IPython's user namespace and history, closes figures, restores the
environment, ``sys.path``, warning filters, matplotlib's rcParams and pandas' options to what they
were before the first notebook, and refuses (so the session starts a fresh kernel) when any name
survives. A notebook that fails, times out or kills its kernel never hands its kernel on: the next
notebook gets a fresh one. :func:`execute_notebook` (one fresh kernel per notebook) stays for callers
that want no reuse at all.
Stage 11 (reports): imports stages 0–11 (and, inside the kernel, only the standard library).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def clean_error(text: str) -> str:
    """Error text without ANSI colour codes (papermill tracebacks carry them)."""
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


def in_own_event_loop(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
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
        _close_loop(loop)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Finish the loop's async generators and default executor, then close it (file descriptors)."""
    if loop.is_closed():
        return
    with contextlib.suppress(Exception):
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()


def execute_notebook(src: Path, out_ipynb: Path, params: dict[str, str], *, cwd: Path,
                     kernel_name: str = "python3", timeout: float | None = None) -> tuple[bool, str | None]:
    """Run ``src`` with papermill into ``out_ipynb`` in a fresh kernel of its own; (success, error text)."""
    # The kernel starts in ``cwd`` through nbclient's resources path, not papermill's ``cwd=``:
    # that one is a process-wide os.chdir, which races when notebooks run in parallel threads
    # (a kernel could start in another run's folder or the caller's).
    return _papermill(in_own_event_loop, src, out_ipynb, params, kernel_name=kernel_name, timeout=timeout,
                      resources={"metadata": {"path": str(cwd)}}, kernel_manager_class=_quiet_kernel_manager())


def _papermill(call: Callable[..., Any], src: Path, out_ipynb: Path, params: dict[str, str], *,
               kernel_name: str, timeout: float | None, **engine_kwargs: Any) -> tuple[bool, str | None]:
    """``papermill.execute_notebook`` through ``call`` (which supplies the event loop); errors as text."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        call(pm.execute_notebook, str(src), str(out_ipynb), parameters=params, kernel_name=kernel_name,
             progress_bar=False, log_output=False, request_save_on_cell_execute=True,
             execution_timeout=timeout, **engine_kwargs)
        return True, None
    except PapermillExecutionError as exc:
        tb = clean_error("\n".join(exc.traceback or []))
        msg = f"{exc.ename}: {clean_error(exc.evalue)}\n(セル {exc.exec_count} で停止)"
        if tb and len(tb) < 8000:
            msg += "\n\n" + tb
        return False, msg
    except Exception as exc:  # noqa: BLE001 - kernel died, bad notebook, timeout …
        return False, f"{type(exc).__name__}: {clean_error(str(exc))}"


# ---------------------------------------------------------------------------------------------
# one kernel for several notebooks of a run
# ---------------------------------------------------------------------------------------------

#: modules every check notebook imports first; a session's kernel imports them while it waits
WARM_MODULES = ("pandas", "matplotlib", "matplotlib.pyplot", "sckpi_helpers.notebook.params",
                "sckpi_helpers.checks.data", "sckpi_helpers.notebook.sections")
_ENGINE = "sckpi-session"
_BASELINE: dict[str, Any] = {}


def warm_up(modules: tuple[str, ...] = WARM_MODULES) -> None:
    """Runs inside a new kernel: import ``modules`` (missing ones are skipped: the notebook says why)."""
    import importlib

    for m in modules:
        try:
            importlib.import_module(m)
        except Exception:  # noqa: BLE001,S112 - the notebook's own import shows the problem in context
            continue


def _rc_and_options() -> tuple[dict | None, dict | None]:
    """matplotlib's rcParams and pandas' options as they are now (None for a module not imported)."""
    import warnings

    mpl, pd = sys.modules.get("matplotlib"), sys.modules.get("pandas")
    rc = dict(mpl.rcParams) if mpl is not None else None
    opts = None
    if pd is not None:
        with contextlib.suppress(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pandas._config import config as pdc  # the registry of options (no public listing)

            opts = {k: pd.get_option(k) for k in pdc._registered_options if k not in pdc._deprecated_options}
    return rc, opts


def enter_notebook(cwd: str) -> None:
    """Runs inside the kernel before each notebook: a clean state, then ``cwd`` as working directory.

    The first call remembers the state a fresh kernel has (after :func:`warm_up`); every later call
    resets IPython (namespace, ``In``/``Out``, execution count), closes all figures and restores
    that state. It raises when a user name survives the reset, so the caller starts a new kernel.
    """
    import warnings

    from IPython import get_ipython

    ip = get_ipython()
    if not _BASELINE:
        rc, opts = _rc_and_options()
        _BASELINE.update(names=set(ip.user_ns), environ=dict(os.environ), path=list(sys.path),
                         filters=list(warnings.filters), rc=rc, options=opts)
    else:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")
        ip.reset(new_session=True)
        os.environ.clear()
        os.environ.update(_BASELINE["environ"])
        sys.path[:] = _BASELINE["path"]
        warnings.resetwarnings()  # also forgets which warnings were already shown
        warnings.filters[:] = _BASELINE["filters"]
        mpl = sys.modules.get("matplotlib")
        if mpl is not None and _BASELINE["rc"] is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mpl.rcParams.update(_BASELINE["rc"])
        pd = sys.modules.get("pandas")
        if pd is not None and _BASELINE["options"] is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for k, v in _BASELINE["options"].items():
                    if pd.get_option(k) != v:
                        pd.set_option(k, v)
        left = set(ip.user_ns) - _BASELINE["names"]
        if left:
            raise RuntimeError(f"names survived the reset: {sorted(left)}")
    # what survives (modules, the kit's kept tables) is never garbage: keep the cyclic collector off it,
    # so the next reset's collection scans only what the next notebook makes (not ~0.4 s of old objects)
    import gc

    gc.collect()  # the last notebook's cycles (figures, frames) go first: frozen garbage would stay
    gc.freeze()
    os.chdir(cwd)


async def _heartbeat_started(kc: Any, wait: float = 2.0) -> None:
    """Wait (at most ``wait`` seconds) until the heartbeat thread has made its socket: a kernel discarded
    right after it started (a run refused by the lock) would otherwise close the zmq context under the
    thread still creating its socket ("ZMQError: Too many open files" from that thread)."""
    hb = getattr(kc, "_hb_channel", None)
    if hb is None or not hb.is_alive():
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while getattr(hb, "socket", None) is None and hb.is_alive() and loop.time() < deadline:
        await asyncio.sleep(0.01)


class KernelSession:
    """One kernel at a time, reused for the notebooks of one report run (see the module docstring).

    Use from one thread at a time; ``with KernelSession(...) as s: s.execute(...)``. :meth:`start`
    launches the kernel and returns at once (it boots and imports :data:`WARM_MODULES` meanwhile).
    """

    def __init__(self, kernel_name: str = "python3", *, startup_timeout: float = 180.0,
                 warm: tuple[str, ...] = WARM_MODULES) -> None:
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.warm = warm
        self.km = None
        self.kc = None
        self.notebooks = 0  # notebooks run in the current kernel
        self.kernels = 0  # kernels started so far
        self._ready = False
        self._environ: dict[str, str] = {}
        self._loop = asyncio.new_event_loop()
        self._ctx = contextvars.Context()

    # -- event loop: every call runs in this session's context and loop ---------------------------
    def _call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        try:
            from jupyter_core.utils import _loop as jupyter_loop
        except ImportError:  # pragma: no cover
            jupyter_loop = None

        def run() -> Any:
            if jupyter_loop is not None:
                jupyter_loop.set(self._loop)
            asyncio.set_event_loop(self._loop)
            try:
                return fn(*args, **kwargs)
            finally:
                asyncio.set_event_loop(None)

        return self._ctx.run(run)

    def _await(self, coro) -> Any:
        return self._call(self._loop.run_until_complete, coro)

    # -- kernel lifecycle ---------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The kernel's process id (None when no kernel runs)."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(proc, "pid", None)

    def start(self) -> Self:
        """Launch a kernel unless one runs; returns without waiting for it."""
        if self.km is not None:
            return self
        km = _quiet_kernel_manager()(kernel_name=self.kernel_name)
        self.km, self.kc, self._ready, self.notebooks = km, None, False, 0
        try:  # a half-started kernel is shut down, its sockets closed (discard), before raising
            self._await(km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"]))
            kc = self.kc = km.client()
            self._call(kc.start_channels)
            kc.allow_stdin = False
            if self.warm:  # queued now; the kernel runs it as soon as it is up
                kc.execute(f"__import__('sckpi_helpers.reports.kernel', fromlist=['_']).warm_up({self.warm!r})",
                           silent=True, store_history=False)
        except BaseException:
            self.discard()
            raise
        self._environ = dict(os.environ)
        self.kernels += 1
        return self

    def discard(self) -> None:
        """Shut the current kernel down (the next :meth:`execute` starts a fresh one)."""
        km, kc = self.km, self.kc
        self.km = self.kc = None
        if km is None:
            return

        async def stop() -> None:
            try:
                if kc is not None:
                    await _heartbeat_started(kc)
                    kc.stop_channels()  # closes the client's five sockets and its zmq context
                km.shutdown_wait_time = 2.0
                await km.shutdown_kernel(now=False)  # ends with cleanup_resources: control socket, context
            except Exception:  # noqa: BLE001 - already dead
                with contextlib.suppress(Exception):
                    await km.shutdown_kernel(now=True)
                with contextlib.suppress(Exception):  # even when the kill failed: never leave sockets to GC
                    await km.cleanup_resources()

        with contextlib.suppress(Exception):
            self._await(stop())

    def close(self) -> None:
        """Shut the kernel down and close the session's event loop (its selector and self-pipe)."""
        self.discard()
        _close_loop(self._loop)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _enter(self, cwd: Path) -> None:
        """Kernel up, clean and in ``cwd``; a kernel that cannot be cleaned is replaced once."""
        if self.km is not None and dict(os.environ) != self._environ:
            self.discard()  # the caller's environment changed: a fresh kernel inherits it
        for attempt in (1, 2):
            self.start()
            try:
                if not self._ready:
                    self._await(self.kc.wait_for_ready(timeout=self.startup_timeout))
                    self._ready = True
                reply = self._await(self.kc.execute_interactive(
                    f"__import__('sckpi_helpers.reports.kernel', fromlist=['_']).enter_notebook({str(cwd)!r})",
                    silent=True, store_history=False, allow_stdin=False, timeout=self.startup_timeout,
                    output_hook=lambda msg: None))
                if reply["content"].get("status") == "ok":
                    return
                problem = f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}"
            except Exception as exc:  # noqa: BLE001 - kernel died or timed out
                problem = f"{type(exc).__name__}: {exc}"
            self.discard()
            if attempt == 2:
                raise RuntimeError(f"kernel not usable: {problem}")

    def execute(self, src: Path, out_ipynb: Path, params: dict[str, str], *, cwd: Path,
                timeout: float | None = None) -> tuple[bool, str | None]:
        """Run ``src`` with papermill into ``out_ipynb`` in this session's kernel; (success, error text)."""
        try:
            self._enter(cwd)
        except Exception as exc:  # noqa: BLE001
            return False, f"{type(exc).__name__}: {clean_error(str(exc))}"
        ok, error = _papermill(self._call, src, out_ipynb, params, kernel_name=self.kernel_name,
                               timeout=timeout, engine_name=_register_engine(), session=self)
        self.notebooks += 1
        if not ok:  # never hand a kernel on after a failure
            self.discard()
        return ok, error


_ENGINE_REGISTERED = False


def _register_engine() -> str:
    """papermill's nbclient engine, with the session's kernel and client instead of new ones."""
    global _ENGINE_REGISTERED
    if not _ENGINE_REGISTERED:
        from papermill.clientwrap import PapermillNotebookClient
        from papermill.engines import NBClientEngine, papermill_engines

        class SessionEngine(NBClientEngine):
            @classmethod
            def execute_managed_notebook(cls, nb_man, kernel_name, *, session: KernelSession, **kwargs):
                from papermill.engines import logger
                from papermill.utils import merge_kwargs, remove_args

                kwargs = remove_args(["input_path", "timeout", "startup_timeout", "start_timeout"], **kwargs)
                timeout = kwargs.pop("execution_timeout", None)
                client = PapermillNotebookClient(nb_man, km=session.km, **merge_kwargs(
                    kwargs, timeout=timeout, kernel_name=kernel_name, log=logger))
                client.kc = session.kc  # owns_km is False: nbclient neither starts nor stops them
                # papermill writes the whole notebook at every cell's start and end (a live view for
                # long notebooks); a report's notebook is written once, when papermill completes it
                # (its ``finally``, so a failed or timed-out notebook is written as far as it ran)
                save, nb_man.save = nb_man.save, lambda **kw: None
                try:
                    return client.execute()
                finally:
                    nb_man.save = save

        papermill_engines.register(_ENGINE, SessionEngine)
        _ENGINE_REGISTERED = True
    return _ENGINE
