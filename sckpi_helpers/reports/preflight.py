"""Checks and guards before a report run touches anything: the user's mistakes as one clear line
each (a period year out of range, an unknown city, a ``logic_model:`` path that does not exist),
logic-model validation problems collected for the console, the per-city-and-period lock, and the
removal of temporary folders an interrupted run left behind.

Why its own module: the runner stays planning and bookkeeping; these are the rules issue #10 asked
for, each testable alone. Stage 11 (reports): imports stages 0–11.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sckpi_helpers.city import CityContext
from sckpi_helpers.config import paths
from sckpi_helpers.config.periods import Period
from sckpi_helpers.errors import SckpiError

#: the earliest fiscal year a report can be made for (the latest is next year)
MIN_YEAR = 2000


class ReportLockedError(SckpiError):
    """Another run holds the lock of the same city and period."""


def check_period_year(p: Period) -> None:
    """A report period must lie between :data:`MIN_YEAR` and next year (typos such as 9999)."""
    latest = date.today().year + 1
    if not MIN_YEAR <= p.fiscal_year <= latest:
        raise SckpiError(f"period {p.label}: year {p.fiscal_year} is out of range ({MIN_YEAR}–{latest})")


def check_city_known(city: CityContext) -> None:
    """A city needs a ``settings.yaml``, a build of its own, or a row in the data of the build that
    serves it (the bundled national data, the demo's areas): a mistyped code is refused here."""
    if city.own_settings or not (city.build.national or city.build.demo):
        return
    known: set[str] = set()
    if city.build.national:
        from sckpi_helpers.sources.ssdse import municipality_names

        known = set(municipality_names()["area_code"])
    else:
        from sckpi_helpers.sources.areas import read_area_overrides

        table = read_area_overrides(paths.demo_dir() / "areas.csv")
        known = set(table["area_code"]) if table is not None else set()
    if city.code not in known:
        raise SckpiError(f"city {city.code}: unknown — no data/raw/*/settings.yaml names it and the "
                         f"{city.build.scope} build has no such area; check the code or run "
                         f"'sckpi ingest --city {city.code} …' first")


def logic_model_problems(city: CityContext) -> list[str]:
    """Validation problems of the city's logic model, one line each, for the console (a path that
    does not exist was already refused by :func:`sckpi_helpers.city.resolve_city`)."""
    lm = city.logic_model_path
    if lm is None:
        return []
    from sckpi_helpers.sources.logic_model import load_logic_model

    try:
        load_logic_model(lm, city.catalog)
    except SckpiError as exc:
        return [f"logic model {lm}:"] + [line for line in str(exc).splitlines() if line.strip()]
    return []


# ---------------------------------------------------------------------------------------------
# the report folder: lock, stale temporary folders
# ---------------------------------------------------------------------------------------------

@contextlib.contextmanager
def report_lock(city_dir: Path, label: str) -> Iterator[Path]:
    """Hold ``<city_dir>/.<label>.lock`` for the block; :class:`ReportLockedError` when another run has it.

    ``flock`` is released by the kernel however the holder ends (even ``kill -9``), so a crashed
    run never leaves the period locked. The file is removed on release; a run that locked a file
    which was removed meanwhile (same path, other inode) counts as locked out.
    """
    import fcntl

    city_dir.mkdir(parents=True, exist_ok=True)
    path = city_dir / f".{label}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(fd).st_ino != os.stat(path).st_ino:
                raise OSError("lock file replaced")
        except OSError:
            raise ReportLockedError(f"another 'sckpi report' is running for {city_dir.name} {label} "
                                    f"(lock {path}); wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
    finally:
        os.close(fd)


def clean_stale(city_dir: Path, label: str) -> list[Path]:
    """Remove the temporary folders an interrupted run for ``label`` left (call with the lock held)."""
    stale = [*city_dir.glob(f".{label}.*.tmp"), *city_dir.glob(f".{label}.old-*")]
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return stale
