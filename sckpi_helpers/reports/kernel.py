"""Kernel and event-loop plumbing: execute one notebook with papermill, safely from any thread.

Why its own module: papermill → nbclient → jupyter_core keep state that is process-wide or
context-wide (the working directory, an event loop in a ContextVar, the kernel's stderr). The
work-arounds live here, each with its reason, so the runner reads as planning and bookkeeping.
Stage 8 (reports): imports stages 0–8.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
        in_own_event_loop(pm.execute_notebook, str(src), str(out_ipynb), parameters=params,
                           kernel_name=kernel_name, resources={"metadata": {"path": str(cwd)}},
                           progress_bar=False, log_output=False,
                           request_save_on_cell_execute=True, execution_timeout=timeout,
                           kernel_manager_class=_quiet_kernel_manager())
        return True, None
    except PapermillExecutionError as exc:
        tb = clean_error("\n".join(exc.traceback or []))
        msg = f"{exc.ename}: {clean_error(exc.evalue)}\n(セル {exc.exec_count} で停止)"
        if tb and len(tb) < 8000:
            msg += "\n\n" + tb
        return False, msg
    except Exception as exc:  # noqa: BLE001 - kernel died, bad notebook, timeout …
        return False, f"{type(exc).__name__}: {clean_error(str(exc))}"
