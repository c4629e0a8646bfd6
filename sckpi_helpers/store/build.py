"""The build behind ``sckpi ingest``: a city's raw files → ``data/processed/<scope>/*.parquet``.

:func:`ingest` turns whatever a city has into the three tidy tables every later step reads
(DESIGN.md, "Data formats"):

- ``panel.parquet`` — government statistics, one row per (area_code, year, variable): e-Stat API
  responses (through the client's raw-response cache), e-Stat SSDS CSV downloads and every other
  registered source format (external statistics, police open data …). Item codes become catalog
  input ids through the catalog (:mod:`.items`). Rows keyed by catalog inputs (``panel`` readers:
  external statistics) win over e-Stat for the same (area, year, variable) — they are the current
  series (GUIDELINE.md, Caution) — and the ``source`` column says so. Municipal mergers are
  applied when the city keeps a mergers table.
- ``areas.parquet`` — codes, names, level, municipal type, parent (:mod:`sckpi_helpers.sources.areas`).
- ``local.parquet`` — the city's local data.

Sources: ``demo`` (the bundled fictional prefecture under ``data/raw/demo``, offline: its e-Stat
API JSON pages are read exactly as the cache of a real run), ``estat-api`` (live e-Stat API v3,
``ESTAT_APP_ID``, cache under ``data/raw/estat``), ``estat-csv`` (downloaded files only),
``ssdse`` (the bundled SSDSE-A, every municipality: the national build ``data/processed/ssdse/``
serves every real city without settings, :func:`ensure_processed` makes it on first use),
``estat-json`` (saved getStatsData responses). Police crime files (``police:``, ``--police``) are
read with the areas' names; a year's 犯罪オープンデータ 手口 files are added up. Units and valid
ranges are checked before anything is written (:mod:`.validity`).
Raw files are only read. Outputs are written atomically and only after every input has been read
and validated, so a failure leaves the previous outputs intact. Two sources giving one cell
different values is an error naming both, never "the first wins" (the rules: :mod:`.combine`;
the files read and the per-file report: :mod:`.plan`, :mod:`.inputs`; reading the result:
:mod:`.processed`).

Stage: ``store`` — imports ``errors``, ``atomic``, ``config``, ``catalog``, ``sources`` and
other ``store`` modules. (One upward call remains: the e-Stat area request asks
``store.peer_groups.peer_group`` for the peer group.)
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers import atomic
from sckpi_helpers.catalog.items import estat_tables
from sckpi_helpers.config import paths
from sckpi_helpers.config.periods import PeriodError, parse_year_range
from sckpi_helpers.config.settings import CitySettings, demo_settings
from sckpi_helpers.errors import InputFileError, SckpiError
from sckpi_helpers.sources import areas as areas_mod
from sckpi_helpers.sources.base import PANEL_COLUMNS, Ignored
from sckpi_helpers.sources.external import SOURCE_PREFIX, panel_frame
from sckpi_helpers.sources.local_workbook import LOCAL_COLUMNS, local_frame
from sckpi_helpers.store import inputs as inputs_mod
from sckpi_helpers.store import revisions as revisions_mod
from sckpi_helpers.store.combine import KEY, apply_external, count_drops, refuse_conflicts, refuse_overlaps
from sckpi_helpers.store.inputs import FileReport
from sckpi_helpers.store.items import (
    catalog_requests,
    demo_api_requests,
    fetch_api,
    meta_areas,
    tidy_to_panel,
)
from sckpi_helpers.store.plan import SOURCES, fingerprint, plan_inputs, raw_inputs, resolve_all
from sckpi_helpers.store.processed import FORMAT_VERSION, is_fresh, output_paths, processed_paths, scope_of
from sckpi_helpers.store.validity import refuse_other_units, refuse_out_of_range

AREAS_COLUMNS = areas_mod.AREA_COLUMNS


# ------------------------------------------------------------------ areas
def _api_area_codes(client: Any, settings: CitySettings, catalog: Any, refresh: bool) -> list[str]:
    """The city and its peer group, from the area list of the first SSDS table's metadata."""
    tables = estat_tables(catalog)
    sid = "0000020201" if "0000020201" in tables else next(iter(tables))
    pairs = meta_areas(client.get_meta_info(sid, refresh=refresh))
    if not pairs:
        raise SckpiError(f"e-Stat getMetaInfo {sid}: no area list; name the areas: 'sckpi ingest "
                         f"--source estat-api --city {settings.city_code} --areas {settings.city_code},CODE,…'")
    areas_df = areas_mod.areas_table(pd.DataFrame(pairs, columns=["area_code", "area_name"]), None)
    try:
        from sckpi_helpers.store.peer_groups import peer_group

        return peer_group(areas_df, settings.city_code, settings.peer_group)
    except (ImportError, SckpiError):
        same = [c for c, _ in pairs if c[:2] == settings.city_code[:2] and not c.endswith("000")]
        return sorted(set(same) | {settings.city_code})


def _parse_areas(areas: str | Iterable[str] | None) -> list[str] | None:
    if areas is None:
        return None
    items = areas.split(",") if isinstance(areas, str) else list(areas)
    codes = [str(c).strip() for c in items if str(c).strip()]
    bad = [c for c in codes if not (len(c) == 5 and c.isdigit())]
    if bad:
        raise SckpiError(f"--areas: 5桁の地域コードではありません (not 5-digit area codes): {', '.join(bad)}")
    return codes or None


def _parse_years(years: str | Iterable[int] | None, settings: CitySettings) -> list[int]:
    try:
        if years is None:
            return parse_year_range(settings.years)
        if isinstance(years, str):
            return parse_year_range(years)
    except PeriodError as exc:
        where = "--years" if years is not None else f"{settings.base_dir or ''} settings.yaml years"
        raise SckpiError(f"{where}: {exc}") from None
    return sorted({int(y) for y in years})


def _once(roles: list[tuple[Path, str | None]], config: Iterable[Path],
          cache: Path | None = None) -> list[tuple[Path, str | None]]:
    """Each file once (a file the settings name and a folder holds is read in its settings
    role), without the city's configuration files (settings, areas, mergers, logic model) and
    without the e-Stat response cache the API step already reads."""
    seen = {Path(p).resolve() for p in config}
    cache_dir = Path(cache).resolve() if cache is not None else None
    out = []
    for path, role in roles:
        key = Path(path).resolve()
        if cache_dir is not None and key.is_relative_to(cache_dir):
            continue
        if key not in seen:
            seen.add(key)
            out.append((path, role))
    return out


def _logic_model_extra(settings: CitySettings, catalog: Any) -> Any:
    """The logic model's local indicators (definitions beyond the catalog), when it has one."""
    path = settings.resolve(settings.logic_model)
    if path is None or not Path(path).exists():
        return None
    from sckpi_helpers.sources.logic_model import load_logic_model

    model = load_logic_model(path, catalog)
    return model.local_indicators() if hasattr(model, "local_indicators") else None


def _load_catalog(settings: CitySettings) -> Any:
    from sckpi_helpers.catalog import load_catalog

    return load_catalog(extra=resolve_all(settings, settings.catalog_extensions))


# ------------------------------------------------------------------ the build
def _estat_api_rows(settings: CitySettings, source: str, plan: dict[str, Any], catalog: Any,
                    overrides: pd.DataFrame | None, area_list: list[str] | None, refresh: bool,
                    progress: bool) -> tuple[pd.DataFrame, FileReport, list[str] | None]:
    """The e-Stat API's rows (demo: the shipped cache, offline) as panel rows with their report."""
    from sckpi_helpers.sources.estat_api import EstatClient

    if source == "demo":
        client = EstatClient(cache_dir=plan["cache"], offline=True)
        if overrides is None or overrides.empty:
            raise InputFileError("demo: areas.csv がありません (missing)", paths.demo_dir() / "areas.csv")
        codes = [c for c in sorted(overrides["area_code"]) if not c.endswith("000")]
        reqs = demo_api_requests(codes)
    else:
        app_id = os.environ.get("ESTAT_APP_ID")
        if not app_id:
            raise SckpiError("estat-api needs the ESTAT_APP_ID environment variable (free "
                             "registration at https://www.e-stat.go.jp/api/)")
        client = EstatClient(app_id=app_id, cache_dir=plan["cache"])
        codes = area_list or _api_area_codes(client, settings, catalog, refresh)
        reqs = catalog_requests(catalog, codes)
    label = "e-Stat API " + ", ".join(r["stats_data_id"] for r in reqs)
    tidy = fetch_api(client, reqs, refresh=refresh, progress=progress)
    panel, ignored = tidy_to_panel(tidy, catalog, file=label)
    report = FileReport(label, "estat-api", "e-Stat API" + ("（デモのキャッシュ）" if source == "demo" else ""),
                        len(tidy), 0, ignored)
    return panel.assign(_file=label), report, (codes if source == "estat-api" and area_list is None
                                               else area_list)


def _panel_rows(results: list, catalog: Any, reports: dict[str, FileReport],
                unmapped: list[Ignored]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(e-Stat rows, rows keyed by catalog inputs) from read results, each row tagged with its
    file; item codes not used are added to the file's report and to ``unmapped``."""
    estat, ext = [], []
    for res in results:
        if res.target == "items":
            panel, ignored = tidy_to_panel(res.frame, catalog, file=res.file)
            reports[res.file].ignored += ignored
            unmapped += ignored
            estat.append(panel.assign(_file=res.file))
        elif res.target == "panel":
            ext.append(panel_frame(res.frame).assign(_file=res.file))
    return (pd.concat(estat, ignore_index=True) if estat else panel_frame().assign(_file=None),
            pd.concat(ext, ignore_index=True) if ext else panel_frame().assign(_file=None))


def ingest(settings: CitySettings, *, source: str | None = None, inputs: Sequence[str | Path] = (),
           areas: str | Sequence[str] | None = None, years: str | Sequence[int] | None = None,
           external: Sequence[str | Path] = (), local: Sequence[str | Path] = (),
           police: Sequence[str | Path] = (), police_year: int | None = None,
           refresh: bool = False, progress: bool = False) -> dict[str, Path]:
    """Build ``data/processed/<scope>/{panel,areas,local}.parquet`` for a city; return their paths.

    ``source``: ``demo`` | ``estat-api`` | ``estat-csv`` | ``ssdse`` (the bundled SSDSE-A unless
    ``inputs`` name another edition) | ``estat-json`` (saved getStatsData responses in ``inputs``)
    (default: the settings'). ``inputs``: files or folders of any registered format, recognised
    per file (for ``estat-csv`` instead of the settings' ``estat_csv``, otherwise in addition).
    ``police`` / ``police_year``: police crime files beyond the settings' ``police:`` and the
    year of those whose name carries none; several 犯罪オープンデータ 手口 files of one year are
    added up (:func:`~sckpi_helpers.sources.police_open_data.sum_methods`). ``areas``: 5-digit codes to keep
    (estat-api: to request; default the city and its peer group). ``years``: a range string or
    years (default the settings'). ``external`` / ``local``: files beyond the settings'.
    ``refresh``: estat-api ignores its response cache. The per-file report (kind, rows used,
    what was ignored and why) is kept in the manifest (``read_manifest(settings)["files"]``).
    """
    source = source or settings.source
    if source not in SOURCES:
        raise SckpiError(f"unknown source '{source}' ({', '.join(SOURCES)})")
    if source != settings.source:  # the scope and the manifest follow the source built from
        settings = settings.model_copy(update={"source": source})
    catalog = _load_catalog(settings)
    year_list = _parse_years(years, settings)
    area_list = _parse_areas(areas)
    plan = plan_inputs(settings, source, inputs, external, local, police)
    overrides = areas_mod.read_area_overrides(plan["overrides"])
    mergers = areas_mod.load_mergers(plan["mergers"]) if plan["mergers"] is not None else None
    roles = ([(p, "csv") for p in plan["csv"]] + [(p, "external") for p in plan["external"]]
             + [(p, "local") for p in plan["local"]] + [(p, "police") for p in plan["police"]]
             + [(p, None) for p in plan["inputs"]])
    cache = plan["cache"] if source in ("demo", "estat-api") else None
    found, unrecognised = inputs_mod.classify(_once(roles, plan["config"], cache))
    context: dict[str, Any] = {"catalog": catalog, "city_code": settings.city_code}
    reports: dict[str, FileReport] = {}
    unmapped: list[Ignored] = []

    # 1. statistics keyed by item codes (e-Stat API, downloads): they decide which areas exist
    frames = []
    if source in ("demo", "estat-api"):
        api, rep, area_list = _estat_api_rows(settings, source, plan, catalog, overrides, area_list,
                                              refresh, progress)
        frames.append(api)
        reports[rep.file] = rep
        unmapped += rep.ignored
    stats = _read_group([f for f in found if f[1].target == "items"], reports, progress=progress, **context)
    frames.append(_panel_rows(stats, catalog, reports, unmapped)[0])
    estat = refuse_conflicts(pd.concat(frames, ignore_index=True),
                              "e-Stat の同じセルに異なる値があります (conflicting statistics)", reports)
    if estat.empty and source in ("estat-csv", "estat-json", "ssdse") and not stats:
        names = ", ".join(str(p) for p in unrecognised) or "(none)"
        raise SckpiError(f"{source}: 統計の行がありません (no statistics read): どの読み取り形式にも当たらない"
                         f"ファイル (no reader recognises): {names}")
    refuse_other_units(estat, catalog)
    # 2. rows keyed by catalog inputs and local data, placed on the areas known so far
    known = _known_areas(estat, overrides, mergers, settings.city_code)
    rest_found = [f for f in found if f[1].target != "items"]
    extra = _logic_model_extra(settings, catalog) if any(r.target == "local" for _, r in rest_found) else None
    rest = _read_group(rest_found, reports, progress=progress, **context, known_areas=known, extra_indicators=extra,
                       year=police_year if police_year is not None else settings.police_year,
                       areas=_area_names(estat))
    ext = _panel_rows(_sum_police(rest), catalog, reports, unmapped)[1]
    refuse_overlaps(ext, KEY, "external-statistics", "external statistics overlap")
    refuse_other_units(ext, catalog)
    panel, replaced = apply_external(estat, ext)
    panel = refuse_out_of_range(panel, catalog, reports)
    count_drops(reports, replaced, "外部統計で置き換え (replaced by external statistics)")
    # 3. mergers, years, areas; the areas table; what each file gave
    panel = _select(panel, mergers, year_list, area_list, settings.city_code, reports)
    source_files = {str(k): sorted({str(f) for f in v if f}) for k, v in panel.groupby("source")["_file"].unique().items()}
    panel, areas_df = _with_areas(panel, overrides)
    local_df = _local_rows([r for r in rest if r.target == "local"], reports)

    outputs = {"panel": panel, "areas": areas_df, "local": local_df}
    revised = _revisions(settings, panel)
    written = write_outputs(outputs, settings)
    revisions_mod.append(scope_of(settings), revised)  # after the panel: a failed write logs nothing
    manifest = {
        "format_version": FORMAT_VERSION, "city_code": settings.city_code, "source": source,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "years": [min(year_list), max(year_list)] if year_list else None,
        "inputs": fingerprint(raw_inputs(settings, source, inputs, external, local, police)),
        "rows": {k: len(v) for k, v in outputs.items()},
        "overridden_by_external": len(replaced),
        "unmapped_items": sorted({i.reason for i in unmapped}),
        "files": [r.to_json() for r in reports.values()],
        "source_files": source_files,  # the panel's source label → the raw files it came from (quality findings)
        "unrecognised": [str(p) for p in unrecognised],
    }
    atomic.atomic_write_text(processed_paths(settings)["manifest"],
                             json.dumps(manifest, ensure_ascii=False, indent=1))
    return written


def _revisions(settings: CitySettings, panel: pd.DataFrame) -> pd.DataFrame:
    """What the previous build published differently for the same source, area and year."""
    previous = processed_paths(settings)["panel"]
    if not previous.is_file():
        return pd.DataFrame(columns=revisions_mod.REVISION_COLUMNS)
    try:
        old = pd.read_parquet(previous)
    except (OSError, ValueError):  # an unreadable previous build has nothing to compare
        return pd.DataFrame(columns=revisions_mod.REVISION_COLUMNS)
    return revisions_mod.detect(old, panel)


def _area_names(estat: pd.DataFrame) -> pd.DataFrame | None:
    """``area_code, area_name`` of the statistics read so far (police files place their
    municipality names on them); None when there are none (then the bundled SSDSE-A's)."""
    if estat.empty:
        return None
    names = estat[["area_code", "area_name"]].dropna().drop_duplicates("area_code")
    return names.reset_index(drop=True) if len(names) else None


def _sum_police(results: list) -> list:
    """The panel results, the 犯罪オープンデータ 手口 files of one year added up into one result
    (before the overlap check, which would otherwise refuse the second 手口 file)."""
    from sckpi_helpers.sources.police_open_data import sum_methods

    panel = [r for r in results if r.target == "panel"]
    police = [r for r in panel if r.kind == "police-open-data"]
    if len(police) < 2:
        return panel
    summed = sum_methods([r.frame for r in police])
    first = police[0]
    merged = type(first)(first.kind, first.target, summed, [], file=first.file)
    return [r for r in panel if r.kind != "police-open-data"] + [merged]


def _read_group(found: list, reports: dict[str, FileReport], progress: bool = False, **context: Any) -> list:
    """Read files (all their row problems in one error) and start each file's report."""
    results = inputs_mod.read_each(found, progress=progress, **context)
    for res, (_, reader) in zip(results, found, strict=True):
        reports[res.file] = inputs_mod.report_for(res, reader)
    return results


def _known_areas(estat: pd.DataFrame, overrides: pd.DataFrame | None, mergers: pd.DataFrame | None,
                 city: str) -> set[str] | None:
    """The areas other sources' rows may name: the statistics' areas, ``areas.csv``'s, merged
    towns' old codes and the city; None when there are no statistics to tell (then any code)."""
    known = set(estat["area_code"]) | (set(overrides["area_code"]) if overrides is not None else set())
    if not known:
        return None
    if mergers is not None:  # a merged town's old code is placed on its successor
        known |= set(mergers["old_code"])
    return known | {city}


def _select(panel: pd.DataFrame, mergers: pd.DataFrame | None, year_list: list[int],
            area_list: list[str] | None, city: str, reports: dict[str, FileReport]) -> pd.DataFrame:
    """Mergers applied, then the build's years and areas kept; every file's rows used counted."""
    if mergers is not None and not panel.empty:
        count_drops(reports, panel[panel["area_code"].isin(set(mergers["old_code"]))],
                     "合併前の地域の行は合併後の地域に合算 (a merged town's rows added to its successor)")
        panel = areas_mod.apply_mergers(panel, mergers)
    out_of_years = ~panel["year"].isin(year_list)
    if year_list:
        count_drops(reports, panel[out_of_years],
                     f"対象年 {min(year_list)}–{max(year_list)} の範囲外 (outside the years)")
    panel = panel[~out_of_years]
    if area_list is not None:
        outside = ~panel["area_code"].isin(set(area_list) | {city})
        count_drops(reports, panel[outside], "対象地域の外 (area not requested: --areas / peer group)")
        panel = panel[~outside]
    for file, n in panel.groupby("_file").size().items():
        if file in reports:
            reports[file].used = int(n)
    return panel


def _with_areas(panel: pd.DataFrame, overrides: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The areas table of the panel's codes (and ``areas.csv``'s), and the panel with its names."""
    codes_names = panel[["area_code", "area_name"]].dropna(subset=["area_name"])
    codes_names = pd.concat([codes_names, panel[["area_code"]].assign(area_name=None)])
    areas_df = areas_mod.areas_table(codes_names, overrides)
    names = areas_df.set_index("area_code")["area_name"]
    panel = panel.copy()
    panel["area_name"] = panel["area_code"].map(names).where(panel["area_code"].isin(names.index),
                                                             panel["area_name"])
    return panel_frame(panel.sort_values(["variable", "area_code", "year"])), areas_df  # drops _file, _row


def _local_rows(results: list, reports: dict[str, FileReport]) -> pd.DataFrame:
    """The local-data files' rows; the same cell in two files is refused."""
    for res in results:
        reports[res.file].used = len(res.frame)
    local_df = local_frame(pd.concat([r.frame for r in results], ignore_index=True)) if results else local_frame()
    refuse_overlaps(local_df, ["area_code", "indicator_id", "period"], "local-data", "local data overlap")
    return local_df


def write_outputs(frames: dict[str, pd.DataFrame], settings: CitySettings) -> dict[str, Path]:
    """Serialise every frame first, then move each into place atomically (a failure while
    serialising writes nothing; a failure while writing leaves no partial file)."""
    blobs = {}
    for key, df in frames.items():
        buf = io.BytesIO()
        df.to_parquet(buf, engine="pyarrow", index=False)
        blobs[key] = buf.getvalue()
    return {key: atomic.atomic_write_bytes(processed_paths(settings)[key], data) for key, data in blobs.items()}


def ensure_processed(settings: CitySettings | None = None) -> dict[str, Path]:
    """The processed outputs for ``settings`` (default: the demo), building them only when
    missing, built for another city/source, or older than the raw inputs."""
    settings = settings or demo_settings()
    if not is_fresh(settings):
        return ingest(settings)
    return output_paths(settings)


__all__ = ["AREAS_COLUMNS", "LOCAL_COLUMNS", "PANEL_COLUMNS", "SOURCE_PREFIX", "ensure_processed",
           "ingest", "write_outputs"]
