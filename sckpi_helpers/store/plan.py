"""Which raw files a build of one city reads: settings, command-line inputs, demo data, caches.

Why separate: the build reads these files, and the freshness check (:mod:`.processed`) must
fingerprint exactly the same set; one planner serves both so they cannot drift apart.

Stage: ``store`` — imports ``errors`` and ``config``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sckpi_helpers.config import paths
from sckpi_helpers.config.codes import AreaCodeError, parse_codes
from sckpi_helpers.config.periods import PeriodError, parse_year_range
from sckpi_helpers.config.settings import SOURCES, CitySettings, demo_settings
from sckpi_helpers.errors import SckpiError

#: the build of government statistics only, for every municipality, from the bundled SSDSE-A; it
#: serves every real city without a settings file of its own (no download, no appId)
NATIONAL_SCOPE = "ssdse"


def bundled_ssdse() -> Path | None:
    """The bundled SSDSE-A file (``data/raw/ssdse/SSDSE-A-*.csv``), None when absent."""
    from sckpi_helpers.sources.ssdse import bundled_file

    return bundled_file()


def national_files() -> list[Path]:
    """THE plan of the national build: the bundled files it reads — the bundled SSDSE-A and every
    bundled publication :mod:`sckpi_helpers.sources.bundled` lists for it. A user's own national
    file never goes into it: it makes a city's own build
    (:func:`sckpi_helpers.store.scopes.ingest_target`). Empty without the bundled SSDSE-A."""
    from sckpi_helpers.sources.bundled import national_inputs

    bundled = bundled_ssdse()
    return [bundled, *national_inputs()] if bundled is not None else []


def build_areas(areas: str | Iterable[str] | None) -> list[str] | None:
    """``--cities`` (codes as typed) → the build's area codes; None: every area the files hold."""
    if areas is None:
        return None
    text = areas if isinstance(areas, str) else ",".join(str(c) for c in areas)
    if not text.strip(" ,"):
        return None
    try:
        return parse_codes(text, "--cities")
    except AreaCodeError as exc:
        raise SckpiError(str(exc)) from None


def build_years(years: str | Iterable[int] | None, settings: CitySettings) -> list[int]:
    """``--years`` (or the settings' ``years``) → the build's years; errors name where they came from."""
    try:
        if years is None:
            return parse_year_range(settings.years)
        if isinstance(years, str):
            return parse_year_range(years)
    except PeriodError as exc:
        where = "--years" if years is not None else f"{settings.base_dir or ''} settings.yaml years"
        raise SckpiError(f"{where}: {exc}") from None
    return sorted({int(y) for y in years})


def resolve_all(settings: CitySettings, items: Iterable[Path]) -> list[Path]:
    """Settings paths made absolute against the settings file's folder."""
    return [p for p in (settings.resolve(Path(x)) for x in items) if p is not None]


def unique(files: Iterable[Path]) -> list[Path]:
    """Files in order, each once however it was spelled (``demo/x.csv`` = ``other/../demo/x.csv``)."""
    seen: set[Path] = set()
    out = []
    for f in files:
        key = Path(f).resolve()
        if key not in seen:
            seen.add(key)
            out.append(Path(f))
    return out


def expand_inputs(items: Sequence[str | Path]) -> list[Path]:
    """``--input`` files and folders → files (folders recursively; hidden files skipped)."""
    from sckpi_helpers.sources.base import expand

    return expand(items)


def mergers_file(settings: CitySettings, source: str) -> Path | None:
    """The municipal mergers table a build applies: the settings' ``mergers``, a ``mergers.csv``
    beside the settings, the demo's, or ``data/raw/<city>/mergers.csv``."""
    cands = [p for p in [settings.resolve(settings.mergers)] if p is not None]
    if settings.base_dir is not None:
        cands.append(Path(settings.base_dir) / "mergers.csv")
    if source == "demo":
        cands.append(paths.demo_dir() / "mergers.csv")
    if source == "ssdse":  # the bundled publications' code changes (sources/bundled.py)
        from sckpi_helpers.sources.bundled import national_mergers

        cands += [p for p in [national_mergers()] if p is not None]
    cands.append(paths.raw_dir() / settings.city_code / "mergers.csv")
    return next((p for p in cands if p.exists()), None)


def plan_inputs(settings: CitySettings, source: str, inputs: Sequence[str | Path] = (),
                external: Sequence[str | Path] = (), local: Sequence[str | Path] = (),
                police: Sequence[str | Path] = ()) -> dict[str, Any]:
    """The raw files a build reads, by role.

    ``csv``: e-Stat CSV downloads named by the settings (for ``estat-csv``: only when no
    ``--input`` is given); ``inputs``: the ``--input`` files, folders expanded, whose kind the
    source registry recognises (``ssdse`` without ``--input``: the bundled SSDSE-A and every other
    bundled publication the national build reads, ``sources/bundled.py``);
    ``police``: police crime files (settings ``police:`` and ``--police``); ``external`` / ``local``: the settings' and the command line's;
    ``overrides``: ``areas.csv``; ``mergers``; ``config``: the city's configuration files (not
    statistics, skipped when a folder holds them); ``cache``: the e-Stat API response cache.
    """
    demo = demo_settings() if source == "demo" else None
    stats_settings = demo if demo is not None else settings
    given = expand_inputs(inputs)
    if source == "ssdse" and not given:
        given = national_files()
        if not given:
            raise SckpiError("ssdse: data/raw/ssdse/ に SSDSE-A がありません (no bundled SSDSE-A): "
                             "download SSDSE-A from https://www.nstac.go.jp/use/literacy/ssdse/ and "
                             "run 'sckpi ingest --source ssdse --city CODE --input FILE'")
    if source == "estat-json" and not given:
        raise SckpiError("estat-json: 保存した e-Stat API の応答が指定されていません (no saved "
                         "getStatsData response given): 'sckpi ingest --source estat-json --city "
                         f"{settings.city_code} --input FILE_OR_FOLDER'")
    if source == "estat-csv" and given:
        csvs: list[Path] = []
    else:
        csvs = resolve_all(stats_settings, stats_settings.estat_csv)
    if source == "estat-csv" and not (csvs or given):
        city = settings.city_code
        folder = Path(settings.base_dir) if settings.base_dir is not None else paths.raw_dir() / city
        try:
            folder = folder.resolve().relative_to(paths.project_root())
        except ValueError:
            pass
        raise SckpiError("estat-csv: e-Stat の CSV が指定されていません (no CSV given): put the "
                         f"downloads in {folder}/ and run 'sckpi ingest --source estat-csv --city {city} "
                         f"--input {folder}/', or list them under estat_csv: in the city's settings.yaml")
    ext = resolve_all(stats_settings, stats_settings.external_statistics)
    if demo is not None and settings.base_dir is not None and \
            Path(settings.base_dir).resolve() != paths.demo_dir().resolve():
        ext += resolve_all(settings, settings.external_statistics)
    ext += [Path(p) for p in external]
    loc = resolve_all(settings, settings.local_data) + [Path(p) for p in local]
    pol = resolve_all(settings, settings.police) + [Path(p) for p in police]
    overrides = None
    for base in ([paths.demo_dir()] if source == "demo" else []) + \
            ([Path(settings.base_dir)] if settings.base_dir else []):
        if (base / "areas.csv").exists():
            overrides = base / "areas.csv"
            break
    config = [p for p in [settings.resolve(settings.logic_model), overrides, mergers_file(settings, source)]
              if p is not None] + resolve_all(settings, settings.catalog_extensions)
    if settings.base_dir is not None:
        config.append(Path(settings.base_dir) / "settings.yaml")
        config.append(Path(settings.base_dir) / "quality_reviewed.yaml")  # the gate's, not statistics
    return {"csv": unique(csvs), "inputs": unique(given), "config": config, "external": unique(ext), "local": unique(loc),
            "police": unique(pol),
            "overrides": overrides, "mergers": mergers_file(settings, source),
            "cache": (paths.demo_dir() / "estat_api") if source == "demo"
            else (paths.raw_dir() / "estat") if source == "estat-api" else None}


def _catalog_files() -> list[Path]:
    d = paths.PACKAGE_DIR / "catalog" / "data"
    return sorted(d.glob("*.yaml")) if d.is_dir() else []


def raw_inputs(settings: CitySettings, source: str | None = None, inputs: Sequence[str | Path] = (),
               external: Sequence[str | Path] = (), local: Sequence[str | Path] = (),
               police: Sequence[str | Path] = ()) -> list[Path]:
    """Every raw file a build of ``settings`` reads (settings, statistics, caches, local data)."""
    source = source or settings.source
    files: set[Path] = set()
    if source == "demo":
        files |= {p for p in paths.demo_dir().rglob("*") if p.is_file() and not p.name.startswith(".")}
    if settings.base_dir is not None:
        for name in ("settings.yaml", "areas.csv", "mergers.csv"):
            if (Path(settings.base_dir) / name).exists():
                files.add(Path(settings.base_dir) / name)
    lm = settings.resolve(settings.logic_model)
    if lm is not None and Path(lm).exists():
        files.add(Path(lm))
    try:
        plan = plan_inputs(settings, source, inputs, external, local, police)
    except SckpiError:
        plan = {"csv": [], "inputs": [], "external": [], "local": [], "police": []}
    for key in ("csv", "inputs", "external", "local", "police"):
        files |= {Path(p) for p in plan[key] if Path(p).exists()}
    for p in list(resolve_all(settings, settings.catalog_extensions)) + _catalog_files():
        if Path(p).exists():
            files.add(Path(p))
    return sorted(files)


def fingerprint(files: Iterable[Path]) -> str:
    """A hash of the files' paths, sizes and modification times (what freshness compares).

    The kit's own files (the catalog) count by their place in the package and their contents, as in
    ``reports.rerun.kit_fingerprint``: two processes that import the same kit from different
    checkouts (a kernel started in another clone) must not see every build as changed and rebuild it
    back and forth."""
    kit = paths.PACKAGE_DIR.resolve()

    def line(p: Path) -> str:
        if p.is_relative_to(kit):
            return f"kit:{p.relative_to(kit).as_posix()}|{hashlib.sha256(p.read_bytes()).hexdigest()}"
        st = p.stat()
        return f"{p}|{st.st_size}|{st.st_mtime_ns}"

    h = hashlib.sha256()
    for text in sorted(line(Path(f).resolve()) for f in files):
        h.update(f"{text}\n".encode())
    return h.hexdigest()


__all__ = [
    "NATIONAL_SCOPE",
    "SOURCES",
    "build_areas",
    "build_years",
    "bundled_ssdse",
    "expand_inputs",
    "fingerprint",
    "mergers_file",
    "national_files",
    "plan_inputs",
    "raw_inputs",
    "resolve_all",
    "unique",
]
