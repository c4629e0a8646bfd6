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
- ``items.parquet`` — every published item the statistics files gave, as published (code, name,
  unit, year, value, mark, file, row). The panel's e-Stat rows are derived from the items of all
  files together (:func:`~sckpi_helpers.store.items.derive_panel`), each with its ``derivation``.
- ``areas.parquet`` — codes, names, level, municipal type, parent (:mod:`sckpi_helpers.sources.areas`).
- ``local.parquet`` — the city's local data.

Sources: ``demo`` (the bundled fictional prefecture under ``data/raw/demo``, offline: its e-Stat
API JSON pages are read exactly as the cache of a real run), ``estat-api`` (live e-Stat API v3,
``ESTAT_APP_ID``, cache under ``data/raw/estat``), ``estat-csv`` (downloaded files only),
``ssdse`` (the bundled SSDSE-A, every municipality: the national build ``data/processed/ssdse/``
serves every real city without settings, :func:`ensure_processed` makes it on first use),
``estat-json`` (saved getStatsData responses). Police files (``police:``, ``--police``) are read with
the areas' names (a year's 手口 files added up). Units and ranges are checked first (:mod:`.validity`).
Raw files are only read. Outputs are written atomically after every input was read and validated
(a failure leaves the previous ones); a figure re-published differently is logged (:mod:`.revisions`).
Two sources giving one cell different values is an error naming both (:mod:`.combine`; the files
read: :mod:`.plan`, :mod:`.inputs`; reading the result: :mod:`.processed`).
Stage: ``store`` — imports ``errors``, ``atomic``, ``config``, ``catalog``, ``sources``, ``store``
(the e-Stat area request asks ``store.peer_groups.peer_group`` for the peer group).
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers import atomic
from sckpi_helpers.catalog.items import estat_tables
from sckpi_helpers.config import paths
from sckpi_helpers.config.settings import CitySettings, demo_settings
from sckpi_helpers.errors import InputFileError, SckpiError
from sckpi_helpers.sources import areas as areas_mod
from sckpi_helpers.sources.base import PANEL_COLUMNS, Ignored
from sckpi_helpers.sources.external import SOURCE_PREFIX, panel_frame
from sckpi_helpers.sources.local_workbook import LOCAL_COLUMNS, local_frame
from sckpi_helpers.store import inputs as inputs_mod
from sckpi_helpers.store import revisions as revisions_mod
from sckpi_helpers.store.combine import (
    KEY,
    apply_external,
    count_drops,
    count_unplaced,
    ext_rows,
    refuse_overlaps,
    report_lacking,
    sum_police,
    uses_per_file,
)
from sckpi_helpers.store.inputs import FileReport
from sckpi_helpers.store.items import (
    catalog_requests,
    demo_api_requests,
    derive_panel,
    fetch_api,
    items_frame,
    meta_areas,
    refuse_item_conflicts,
    screen_items,
)
from sckpi_helpers.store.plan import (
    SOURCES,
    build_areas,
    build_years,
    fingerprint,
    plan_inputs,
    raw_inputs,
    resolve_all,
)
from sckpi_helpers.store.processed import FORMAT_VERSION, output_paths, processed_paths, scope_of, staleness
from sckpi_helpers.store.scopes import Build, Given, build_target
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
    """The e-Stat API's item rows (demo: the shipped cache, offline) with their report."""
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
    items, ignored = screen_items(tidy, catalog, file=label)
    report = FileReport(label, "estat-api", "e-Stat API" + ("（デモのキャッシュ）" if source == "demo" else ""),
                        len(tidy), 0, ignored)
    return items, report, (codes if source == "estat-api" and area_list is None else area_list)


def _item_rows(results: list, catalog: Any, reports: dict[str, FileReport],
               unmapped: list[Ignored]) -> list[pd.DataFrame]:
    """Each statistics file's item rows as published (with file and row); what no input can use
    is added to the file's report and to ``unmapped``."""
    out = []
    for res in results:
        items, ignored = screen_items(res.frame, catalog, file=res.file)
        reports[res.file].ignored += ignored
        unmapped += ignored
        out.append(items)
    return out


def ingest(target: CitySettings | Build, *, source: str | None = None, inputs: Sequence[str | Path] = (),
           areas: str | Sequence[str] | None = None, years: str | Sequence[int] | None = None,
           external: Sequence[str | Path] = (), local: Sequence[str | Path] = (),
           police: Sequence[str | Path] = (), police_year: int | None = None,
           refresh: bool = False, progress: bool = False) -> dict[str, Path]:
    """Build ``data/processed/<scope>/{panel,areas,local}.parquet`` for a city; return their paths.

    ``target``: a :class:`~.scopes.Build` or a city's settings (:func:`~.scopes.build_target`: a
    user's own files go into that city's own build, never the national one).

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
    build = build_target(target, source, Given.of(inputs, external, local, police, police_year, areas, years))
    given = build.given  # a rebuild reads the user's recorded files again
    inputs, external, local, police = given.inputs, given.external, given.local, given.police
    police_year, areas, years = given.police_year, given.areas, given.years
    settings = build.settings
    source = source or settings.source
    if source not in SOURCES:
        raise SckpiError(f"unknown source '{source}' ({', '.join(SOURCES)})")
    if source != settings.source:  # the scope and the manifest follow the source built from
        settings = settings.model_copy(update={"source": source})
    build = Build(build.scope, settings, build.why, given)
    catalog = _load_catalog(settings)
    year_list = build_years(years, settings)
    area_list = build_areas(areas)
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

    # 1. statistics keyed by item codes (e-Stat API, downloads): they decide which areas exist.
    #    Every file's items are kept as published; the inputs are derived from all of them together.
    frames = []
    if source in ("demo", "estat-api"):
        api, rep, area_list = _estat_api_rows(settings, source, plan, catalog, overrides, area_list,
                                              refresh, progress)
        frames.append(api)
        reports[rep.file] = rep
        unmapped += rep.ignored
    stats = _read_group([f for f in found if f[1].target == "items"], reports, progress=progress, **context)
    frames += _item_rows(stats, catalog, reports, unmapped)
    items = refuse_item_conflicts(pd.concat(frames, ignore_index=True) if frames else items_frame(), reports)
    estat, unplaced = derive_panel(items, catalog)
    count_unplaced(items, unplaced, reports)
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
    ext = ext_rows(sum_police(rest))
    refuse_overlaps(ext, KEY, "external-statistics", "external statistics overlap")
    refuse_other_units(ext, catalog)
    panel, replaced = apply_external(estat, ext)
    panel = refuse_out_of_range(panel, catalog, reports)
    count_drops(reports, replaced, "外部統計で置き換え (replaced by external statistics)")
    # 3. mergers, years, areas; the areas table; what each file gave
    panel = _select(panel, mergers, year_list, area_list, settings.city_code, reports)
    source_files = revisions_mod.source_files(panel)  # the findings name the raw file (before _file goes)
    panel, areas_df = _with_areas(panel, overrides)
    local_df = _local_rows([r for r in rest if r.target == "local"], reports)

    outputs = {"panel": panel, "areas": areas_df, "local": local_df, "items": items}
    written = revisions_mod.write_logged(build, outputs, write_outputs)  # + the revisions log
    manifest = {
        "format_version": FORMAT_VERSION, "city_code": settings.city_code, "source": source,
        "scope": build.scope, "given": given.to_json() if given else None,
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
    atomic.atomic_write_text(processed_paths(build)["manifest"],
                             json.dumps(manifest, ensure_ascii=False, indent=1))
    return written


def _area_names(estat: pd.DataFrame) -> pd.DataFrame | None:
    """``area_code, area_name`` of the statistics read so far (police files place their
    municipality names on them); None when there are none (then the bundled SSDSE-A's)."""
    if estat.empty:
        return None
    names = estat[["area_code", "area_name"]].dropna().drop_duplicates("area_code")
    return names.reset_index(drop=True) if len(names) else None


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
    lacking = panel["lacking"].notna() if "lacking" in panel.columns else pd.Series(False, index=panel.index)
    used = uses_per_file(panel[~lacking])
    for file, n in used.items():
        if file in reports:
            reports[file].used = n
    report_lacking(panel[lacking], panel[~lacking], reports)
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
    out = panel.sort_values(["variable", "area_code", "year"])
    derivation = out["derivation"].to_numpy(dtype=object) if "derivation" in out.columns else None
    out = panel_frame(out)  # drops _file, _row, _uses, lacking
    out["derivation"] = derivation  # how an input was derived from the published items (e-Stat rows)
    return out, areas_df


def _local_rows(results: list, reports: dict[str, FileReport]) -> pd.DataFrame:
    """The local-data files' rows; the same cell in two files is refused."""
    for res in results:
        reports[res.file].used = len(res.frame)
    local_df = local_frame(pd.concat([r.frame for r in results], ignore_index=True)) if results else local_frame()
    refuse_overlaps(local_df, ["area_code", "indicator_id", "period"], "local-data", "local data overlap")
    return local_df


def write_outputs(frames: dict[str, pd.DataFrame], settings: CitySettings | Build) -> dict[str, Path]:
    """Serialise every frame first, then move each into place atomically (a failure while
    serialising writes nothing; a failure while writing leaves no partial file)."""
    blobs = {}
    for key, df in frames.items():
        buf = io.BytesIO()
        df.to_parquet(buf, engine="pyarrow", index=False)
        blobs[key] = buf.getvalue()
    return {key: atomic.atomic_write_bytes(processed_paths(settings)[key], data) for key, data in blobs.items()}


def ensure_processed(target: CitySettings | Build | None = None, *, say: bool = True) -> dict[str, Path]:
    """The processed outputs of ``target`` (default: the demo), building them only when missing,
    built for another city/source, or older than the raw inputs — and then saying on stderr, in one
    line, which build and why. A city's own build is rebuilt from its recorded files only."""
    target = target or demo_settings()
    why = staleness(target)
    if why is None:
        return output_paths(target)
    if say:
        print(f"sckpi: data/processed/{scope_of(target)}/ を作り直します (rebuilding): {why}", file=sys.stderr)
    return ingest(target)


__all__ = ["AREAS_COLUMNS", "LOCAL_COLUMNS", "PANEL_COLUMNS", "SOURCE_PREFIX", "ensure_processed",
           "ingest", "write_outputs"]
