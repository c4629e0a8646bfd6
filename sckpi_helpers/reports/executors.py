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
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

from sckpi_helpers.errors import SckpiError


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
    """A ``ProcessPoolExecutor`` with ``jobs`` worker processes on this machine."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, int(jobs))
        self.name = f"processes×{self.jobs}"
        self._pool = cf.ProcessPoolExecutor(max_workers=self.jobs)

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
