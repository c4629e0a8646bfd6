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


def _areas_of_builds() -> Iterator[set[str]]:
    from sckpi_helpers.store.processed import OUTPUT_FILES

    for f in sorted(paths.processed_dir().glob(f"*/{OUTPUT_FILES['areas']}")):
        with contextlib.suppress(Exception):
            import pandas as pd

            yield set(pd.read_parquet(f, columns=["area_code"])["area_code"].astype(str))


def check_city_known(city: str, settings) -> None:
    """A city needs a ``settings.yaml``, a processed build whose areas include it, or a row in the
    bundled SSDSE-A (every real municipality: the national build serves it)."""
    if getattr(settings, "base_dir", None) is not None:
        return
    if any(city in codes for codes in _areas_of_builds()):
        return
    from sckpi_helpers.sources.ssdse import municipality_names

    if city in set(municipality_names()["area_code"]):
        return
    raise SckpiError(f"city {city}: unknown — no data/raw/*/settings.yaml names it and no processed build "
                     f"(data/processed/*/areas.parquet) includes it; check the code or run "
                     f"'sckpi ingest --city {city} …' first")


def settings_file(settings) -> Path | None:
    base = getattr(settings, "base_dir", None)
    return Path(base) / "settings.yaml" if base is not None else None


def logic_model_problems(settings) -> list[str]:
    """Check the city's ``logic_model:`` before any notebook runs.

    A path that does not exist raises (naming the settings file and the path); validation problems
    of an existing model are returned, one line each, for the console.
    """
    if not getattr(settings, "logic_model", None):
        return []
    lm = Path(settings.resolve(settings.logic_model))
    if not lm.is_file():
        raise SckpiError(f"{settings_file(settings)}: logic_model: ファイルがありません (file not found): {lm}")
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.sources.logic_model import load_logic_model

    try:
        extra = [settings.resolve(p) for p in getattr(settings, "catalog_extensions", []) or []]
        load_logic_model(lm, load_catalog(extra=extra) if extra else load_catalog())
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
