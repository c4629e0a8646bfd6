"""``sckpi ingest``: government statistics and local data → ``data/processed/*.parquet``.

One function, :func:`ingest`, turns whatever a city has into the three tidy tables every later
step reads (DESIGN.md, "Data formats"):

- ``panel.parquet`` — government statistics, one row per (area_code, year, variable): e-Stat API
  responses (through :class:`~sckpi_helpers.estat.EstatClient` and its raw-response cache), e-Stat
  SSDS CSV downloads (:func:`~sckpi_helpers.ssds.read_ssds_csv`) and external statistics
  (:func:`~sckpi_helpers.external.read_external`). SSDS item codes become catalog input ids through
  the catalog's ``inputs`` (their ``sources``), never through a second mapping. External
  statistics win over e-Stat for the same (area, year, variable) — they are the current series
  (GUIDELINE.md, Caution) — and the ``source`` column says so. Municipal mergers are applied when
  the city keeps a ``mergers.csv`` beside its settings.
- ``areas.parquet`` — codes, names, level, municipal type, parent (:mod:`sckpi_helpers.areas`).
- ``local.parquet`` — the city's local data (:func:`~sckpi_helpers.local_data.read_local`).

Sources: ``demo`` (the bundled fictional prefecture under ``data/raw/demo``, offline: its e-Stat
API JSON pages are read exactly as the cache of a real run), ``estat-api`` (live e-Stat API v3,
``ESTAT_APP_ID``, cache under ``data/raw/estat``), ``estat-csv`` (e-Stat CSV downloads).
Raw files are only read. Outputs are written atomically and only after every input has been read
and validated, so a failure leaves the previous outputs intact.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers import atomic
from sckpi_helpers.config import paths
from sckpi_helpers.errors import InputFileError, Problem, SckpiError, ValidationError
from sckpi_helpers.catalog.items import estat_tables  # item codes → inputs are the catalog's
from sckpi_helpers.sources.external import PANEL_COLUMNS, SOURCE_PREFIX, panel_frame, read_external
from sckpi_helpers.sources.local_workbook import LOCAL_COLUMNS, local_frame, read_local
from sckpi_helpers.config.periods import parse_year_range
from sckpi_helpers.config.settings import CitySettings, demo_settings

#: SSDS tables the demo serves as e-Stat API JSON pages (the others come as a CSV download)
DEMO_API_TABLES = ("0000020201", "0000020209")
#: file names under data/processed/
OUTPUT_FILES = {"panel": "panel.parquet", "areas": "areas.parquet", "local": "local.parquet"}
MANIFEST = "ingest.json"
AREAS_COLUMNS = ["area_code", "area_name", "pref_code", "level", "municipal_type", "parent_code", "lg_code"]
#: bump when the outputs' meaning changes, so ensure_processed rebuilds old outputs
FORMAT_VERSION = 1


# ------------------------------------------------------------------ catalog mapping
def tidy_to_panel(tidy: pd.DataFrame, catalog: Any, source_note: str = "") -> tuple[pd.DataFrame, set[str]]:
    """e-Stat tidy rows (estat/ssds columns) → panel rows; returns also the item codes not used.

    The mapping is the catalog's (:func:`sckpi_helpers.catalog.items.tidy_to_inputs`): the name
    guard (a wrong code shows as a missing input, never as another statistic's numbers), sums of
    items (流入人口 = A6105 + A6106) and the 政令指定都市 rule of a source.
    """
    from sckpi_helpers.catalog.items import tidy_to_inputs
    from sckpi_helpers.sources.areas import designated_cities

    if tidy is None or tidy.empty:
        return panel_frame(), set()
    rows, unmapped = tidy_to_inputs(tidy, catalog, designated=designated_cities())
    label = rows["source"].astype(str)
    csvs = tidy["source"].dropna().astype(str).unique() if "source" in tidy.columns else []
    if source_note:
        label = label + f" ({source_note})"
    elif len(csvs) == 1 and csvs[0].replace("e-Stat SSDS CSV ", ""):
        label = label + f" (CSV {csvs[0].replace('e-Stat SSDS CSV ', '')})"
    out = rows.assign(source=label.str.replace(r"\s+", " ", regex=True).str.strip(), published=None)
    return panel_frame(out), unmapped


# ------------------------------------------------------------------ areas
def _read_overrides(path: Path | None) -> pd.DataFrame | None:
    """A city's ``areas.csv``: ``area_code`` (or ``code``), ``area_name`` (or ``name``),
    ``municipal_type`` and any other areas.parquet column, overriding what the codes imply."""
    if path is None or not path.exists():
        return None
    from sckpi_helpers.sources.numbers import normalize_text
    from sckpi_helpers.sources.tables import read_table

    table = read_table(path, [], sheet=None)
    aliases = {"code": "area_code", "name": "area_name", "type": "municipal_type"}
    rows = []
    for rec in table.rows:
        row = {aliases.get(k, k): (normalize_text(v) or None) for k, v in rec.items()}
        rows.append(row)
    df = pd.DataFrame(rows)
    if "area_code" not in df.columns:
        raise InputFileError("areas file needs an 'area_code' (or 'code') column", path, row=1)
    df["area_code"] = df["area_code"].map(lambda v: str(v).strip().zfill(5))
    return df[[c for c in AREAS_COLUMNS if c in df.columns]]


def build_areas_frame(codes_names: pd.DataFrame, overrides: pd.DataFrame | None) -> pd.DataFrame:
    """areas.parquet from (area_code, area_name) pairs seen in the data and an overrides table
    (whose areas are always included, e.g. the prefecture itself)."""
    from sckpi_helpers.sources import areas as areas_mod

    pairs = codes_names[["area_code", "area_name"]]
    if overrides is not None and "area_name" in overrides.columns:
        pairs = pd.concat([overrides[["area_code", "area_name"]], pairs], ignore_index=True)
    pairs = pairs.dropna(subset=["area_code"])
    # a named row first, so a code seen only unnamed does not hide its name
    pairs = pairs.assign(_named=pairs["area_name"].notna()).sort_values(
        ["area_code", "_named"], ascending=[True, False], kind="stable")
    pairs = pairs.drop_duplicates("area_code")[["area_code", "area_name"]].reset_index(drop=True)
    df = areas_mod.build_areas(pairs, overrides)
    for c in AREAS_COLUMNS:
        if c not in df.columns:
            df[c] = None
    return df[AREAS_COLUMNS].sort_values("area_code").reset_index(drop=True)


def _mergers_file(settings: CitySettings, source: str) -> Path | None:
    cands = []
    if settings.base_dir is not None:
        cands.append(Path(settings.base_dir) / "mergers.csv")
    if source == "demo":
        cands.append(paths.demo_dir() / "mergers.csv")
    cands.append(paths.raw_dir() / settings.city_code / "mergers.csv")
    return next((p for p in cands if p.exists()), None)


# ------------------------------------------------------------------ statistics per source
def _as_list(x: Any) -> list:
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def demo_api_requests(area_codes: Sequence[str]) -> list[dict[str, Any]]:
    """The e-Stat requests the demo makes (and whose cached pages it ships): the whole of each
    table in :data:`DEMO_API_TABLES` for the demo's municipalities (no item filter, so the cache
    does not depend on the catalog's item list)."""
    return [{"stats_data_id": sid, "areas": list(area_codes)} for sid in DEMO_API_TABLES]


def fetch_api(client: Any, requests: Iterable[dict[str, Any]], refresh: bool = False,
              progress: bool = False) -> pd.DataFrame:
    """Run getStatsData requests (all pages) and parse them into one tidy frame."""
    from sckpi_helpers.sources.estat_api import parse_stats_data

    reqs = list(requests)
    frames = []
    it = reqs
    if progress and len(reqs) > 1:
        from tqdm import tqdm

        it = tqdm(reqs, desc="e-Stat", unit="table")
    for r in it:
        kwargs = {k: v for k, v in r.items() if k != "stats_data_id"}
        pages = client.get_stats_data(r["stats_data_id"], refresh=refresh, **kwargs)
        frames.append(parse_stats_data(pages))
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _csv_files(items: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for it in items:
        p = Path(it)
        if p.is_dir():
            out += sorted(x for x in p.iterdir() if x.suffix.lower() == ".csv")
        elif p.exists():
            out.append(p)
        else:
            raise InputFileError("file not found", p)
    return out


def _read_csvs(files: Sequence[Path], catalog: Any) -> tuple[list[pd.DataFrame], set[str]]:
    from sckpi_helpers.sources.ssds_csv import read_ssds_csv

    frames, unmapped = [], set()
    for f in files:
        panel, um = tidy_to_panel(read_ssds_csv(f), catalog)
        frames.append(panel)
        unmapped |= um
    return frames, unmapped


def _meta_areas(meta: dict) -> list[tuple[str, str]]:
    root = meta.get("GET_META_INFO", meta)
    objs = _as_list(root.get("METADATA_INF", {}).get("CLASS_INF", {}).get("CLASS_OBJ"))
    for obj in objs:
        if obj.get("@id") == "area":
            from sckpi_helpers.sources.estat_api import municipality_part

            return [(str(c.get("@code")), municipality_part(str(c.get("@name", ""))))
                    for c in _as_list(obj.get("CLASS"))]
    return []


def _api_area_codes(client: Any, settings: CitySettings, catalog: Any, refresh: bool) -> list[str]:
    """The city and its peer group, from the area list of the first SSDS table's metadata."""
    tables = estat_tables(catalog)
    sid = "0000020201" if "0000020201" in tables else next(iter(tables))
    pairs = _meta_areas(client.get_meta_info(sid, refresh=refresh))
    if not pairs:
        raise SckpiError(f"e-Stat getMetaInfo {sid}: no area list; pass --areas")
    areas_df = build_areas_frame(pd.DataFrame(pairs, columns=["area_code", "area_name"]), None)
    try:
        from sckpi_helpers.store.peer_groups import peer_group

        return peer_group(areas_df, settings.city_code, settings.peer_group)
    except (ImportError, SckpiError):
        same = [c for c, _ in pairs if c[:2] == settings.city_code[:2] and not c.endswith("000")]
        return sorted(set(same) | {settings.city_code})


# ------------------------------------------------------------------ the build
def _parse_areas(areas: str | Iterable[str] | None) -> list[str] | None:
    if areas is None:
        return None
    items = areas.split(",") if isinstance(areas, str) else list(areas)
    codes = [str(c).strip() for c in items if str(c).strip()]
    bad = [c for c in codes if not (len(c) == 5 and c.isdigit())]
    if bad:
        raise SckpiError(f"not 5-digit area codes: {', '.join(bad)}")
    return codes or None


def _parse_years(years: str | Iterable[int] | None, settings: CitySettings) -> list[int]:
    if years is None:
        return parse_year_range(settings.years)
    if isinstance(years, str):
        return parse_year_range(years)
    return sorted({int(y) for y in years})


def _apply_external(estat: pd.DataFrame, ext: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Concatenate, external winning over e-Stat on the same (area, year, variable)."""
    if ext.empty:
        return estat, 0
    key = ["area_code", "year", "variable"]
    if estat.empty:
        return ext, 0
    e_idx = pd.MultiIndex.from_frame(estat[key])
    x_idx = pd.MultiIndex.from_frame(ext[key])
    overridden = e_idx.isin(x_idx)
    replaced = estat[overridden].set_index(key)["source"]
    ext = ext.copy()
    if len(replaced):
        xi = ext.set_index(key).index
        old = pd.Series(xi.map(replaced.to_dict().get), index=ext.index)
        ext["source"] = ext["source"].where(old.isna(), ext["source"] + " (overrides " + old.astype(str) + ")")
        # keep e-Stat's area name when external gave none
        names = estat[overridden].set_index(key)["area_name"].to_dict()
        ext["area_name"] = ext["area_name"].where(ext["area_name"].notna(), pd.Series(xi.map(names.get),
                                                                                      index=ext.index))
    return pd.concat([estat[~overridden], ext], ignore_index=True), int(overridden.sum())


def _dedupe_estat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        return panel_frame()
    df = pd.concat(frames, ignore_index=True)
    return df.drop_duplicates(["area_code", "year", "variable"], keep="first")


def _read_all(files: Sequence[Path], read: Any, title: str) -> list[pd.DataFrame]:
    """Read every file, collecting every file's problems into one error (fix all in one pass)."""
    frames, problems = [], []
    for f in files:
        try:
            frames.append(read(f))
        except ValidationError as exc:
            problems += exc.problems
    if problems:
        raise ValidationError(problems, title=title)
    return [f for f in frames if not f.empty]


def _refuse_overlaps(df: pd.DataFrame, keys: list[str], what: str, title: str) -> None:
    """The same cell given by two files is ambiguous: name the cells instead of picking one."""
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        cells = df[dup].drop_duplicates(keys).head(20)
        raise ValidationError([Problem(f"{' '.join(str(getattr(r, k)) for k in keys)} is given by more than "
                                       f"one {what} file") for r in cells.itertuples()], title=title)


def _read_externals(files: Sequence[Path], catalog: Any) -> pd.DataFrame:
    frames = _read_all(files, lambda f: read_external(f, catalog), "external statistics: fix these rows")
    if not frames:
        return panel_frame()
    df = pd.concat(frames, ignore_index=True)
    _refuse_overlaps(df, ["area_code", "year", "variable"], "external-statistics", "external statistics overlap")
    return df


def _read_locals(files: Sequence[Path], catalog: Any, city_code: str, extra: Any) -> pd.DataFrame:
    frames = _read_all(files, lambda f: read_local(f, catalog, city_code=city_code, extra_indicators=extra),
                       "local data: fix these rows")
    if not frames:
        return local_frame()
    df = pd.concat(frames, ignore_index=True)
    _refuse_overlaps(df, ["area_code", "indicator_id", "period"], "local-data", "local data overlap")
    return local_frame(df)


def _logic_model_extra(settings: CitySettings, catalog: Any) -> Any:
    """The logic model's local indicators (definitions beyond the catalog), when it has one."""
    path = settings.resolve(settings.logic_model)
    if path is None or not Path(path).exists():
        return None
    try:
        from sckpi_helpers.checks.logic_model import load_logic_model
    except ImportError:  # pragma: no cover
        return None
    model = load_logic_model(path, catalog)
    return model.local_indicators() if hasattr(model, "local_indicators") else None


def _resolve_all(settings: CitySettings, items: Iterable[Path]) -> list[Path]:
    return [p for p in (settings.resolve(Path(x)) for x in items) if p is not None]


def _unique(files: Iterable[Path]) -> list[Path]:
    """Files in order, each once however it was spelled (``demo/x.csv`` = ``other/../demo/x.csv``)."""
    seen: set[Path] = set()
    out = []
    for f in files:
        key = Path(f).resolve()
        if key not in seen:
            seen.add(key)
            out.append(Path(f))
    return out


def _load_catalog(settings: CitySettings) -> Any:
    from sckpi_helpers.catalog import load_catalog

    return load_catalog(extra=_resolve_all(settings, settings.catalog_extensions))


def _plan_inputs(settings: CitySettings, source: str, inputs: Sequence[str | Path],
                 external: Sequence[str | Path], local: Sequence[str | Path]) -> dict[str, Any]:
    """Which raw files a build reads (for the build and for ensure_processed's freshness check)."""
    demo = demo_settings() if source == "demo" else None
    stats_settings = demo if demo is not None else settings
    if source == "estat-csv":
        csvs = [Path(p) for p in inputs] or _resolve_all(settings, settings.estat_csv)
        if not csvs:
            raise SckpiError("estat-csv: no CSV given (use --input FILE, or estat_csv: in settings.yaml)")
    else:
        csvs = _resolve_all(stats_settings, stats_settings.estat_csv) + [Path(p) for p in inputs]
    ext = _resolve_all(stats_settings, stats_settings.external_statistics)
    if demo is not None and settings.base_dir is not None and \
            Path(settings.base_dir).resolve() != paths.demo_dir().resolve():
        ext += _resolve_all(settings, settings.external_statistics)
    ext += [Path(p) for p in external]
    loc = _resolve_all(settings, settings.local_data) + [Path(p) for p in local]
    overrides = None
    for base in ([paths.demo_dir()] if source == "demo" else []) + \
            ([Path(settings.base_dir)] if settings.base_dir else []):
        if (base / "areas.csv").exists():
            overrides = base / "areas.csv"
            break
    return {"csv": _unique(csvs), "external": _unique(ext), "local": _unique(loc), "overrides": overrides,
            "mergers": _mergers_file(settings, source),
            "cache": (paths.demo_dir() / "estat_api") if source == "demo"
            else (paths.raw_dir() / "estat") if source == "estat-api" else None}


def ingest(settings: CitySettings, *, source: str | None = None, inputs: Sequence[str | Path] = (),
           areas: str | Sequence[str] | None = None, years: str | Sequence[int] | None = None,
           external: Sequence[str | Path] = (), local: Sequence[str | Path] = (),
           refresh: bool = False, progress: bool = False) -> dict[str, Path]:
    """Build ``data/processed/{panel,areas,local}.parquet`` for a city; return their paths.

    ``source``: ``demo`` | ``estat-api`` | ``estat-csv`` (default: the settings'). ``inputs``:
    e-Stat CSV downloads (files or folders) — for ``estat-csv`` instead of the settings'
    ``estat_csv``, otherwise in addition. ``areas``: 5-digit codes to keep (estat-api: to request;
    default the city and its peer group). ``years``: a range string or years (default the
    settings'). ``external`` / ``local``: files beyond the settings'. ``refresh``: estat-api
    ignores its response cache.
    """
    source = source or settings.source
    if source not in ("demo", "estat-api", "estat-csv"):
        raise SckpiError(f"unknown source '{source}' (demo, estat-api, estat-csv)")
    catalog = _load_catalog(settings)
    year_list = _parse_years(years, settings)
    area_list = _parse_areas(areas)
    plan = _plan_inputs(settings, source, inputs, external, local)
    overrides = _read_overrides(plan["overrides"])

    frames: list[pd.DataFrame] = []
    unmapped: set[str] = set()
    if source in ("demo", "estat-api"):
        from sckpi_helpers.sources.estat_api import EstatClient

        if source == "demo":
            client = EstatClient(cache_dir=plan["cache"], offline=True)
            codes = sorted(overrides["area_code"]) if overrides is not None else None
            if not codes:
                raise InputFileError("demo: areas.csv missing", paths.demo_dir() / "areas.csv")
            codes = [c for c in codes if not c.endswith("000")]
            reqs = demo_api_requests(codes)
        else:
            app_id = os.environ.get("ESTAT_APP_ID")
            if not app_id:
                raise SckpiError("estat-api needs the ESTAT_APP_ID environment variable (free "
                                 "registration at https://www.e-stat.go.jp/api/)")
            client = EstatClient(app_id=app_id, cache_dir=plan["cache"])
            codes = area_list or _api_area_codes(client, settings, catalog, refresh)
            reqs = [{"stats_data_id": sid, "areas": codes, "cats": {"cat01": items}}
                    for sid, items in estat_tables(catalog).items()]
        panel_api, um = tidy_to_panel(fetch_api(client, reqs, refresh=refresh, progress=progress), catalog)
        frames.append(panel_api)
        unmapped |= um
        if source == "estat-api" and area_list is None:
            area_list = codes
    csv_frames, um = _read_csvs(plan["csv"], catalog)
    frames += csv_frames
    unmapped |= um
    estat = _dedupe_estat(frames)
    ext = _read_externals(plan["external"], catalog)
    panel, n_over = _apply_external(estat, ext)

    mergers_path = plan["mergers"]
    if mergers_path is not None and not panel.empty:
        from sckpi_helpers.sources import areas as areas_mod

        panel = areas_mod.apply_mergers(panel, areas_mod.load_mergers(mergers_path))

    panel = panel[panel["year"].isin(year_list)]
    if area_list is not None:
        panel = panel[panel["area_code"].isin(set(area_list) | {settings.city_code})]
    codes_names = panel[["area_code", "area_name"]].dropna(subset=["area_name"])
    codes_names = pd.concat([codes_names, panel[["area_code"]].assign(area_name=None)])
    areas_df = build_areas_frame(codes_names, overrides)
    names = areas_df.set_index("area_code")["area_name"]
    panel = panel.copy()
    panel["area_name"] = panel["area_code"].map(names).where(panel["area_code"].isin(names.index),
                                                             panel["area_name"])
    panel = panel_frame(panel.sort_values(["variable", "area_code", "year"]))

    extra = _logic_model_extra(settings, catalog) if plan["local"] else None
    local_df = _read_locals(plan["local"], catalog, settings.city_code, extra)

    outputs = {"panel": panel, "areas": areas_df, "local": local_df}
    written = write_outputs(outputs, settings)
    manifest = {
        "format_version": FORMAT_VERSION, "city_code": settings.city_code, "source": source,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "years": [min(year_list), max(year_list)] if year_list else None,
        "inputs": _fingerprint(raw_inputs(settings, source, inputs, external, local)),
        "rows": {k: len(v) for k, v in outputs.items()},
        "overridden_by_external": n_over, "unmapped_items": sorted(unmapped),
    }
    atomic.atomic_write_text(processed_paths(settings)["manifest"],
                             json.dumps(manifest, ensure_ascii=False, indent=1))
    return written


def write_outputs(frames: dict[str, pd.DataFrame], settings: CitySettings) -> dict[str, Path]:
    """Serialise every frame first, then move each into place atomically (a failure while
    serialising writes nothing; a failure while writing leaves no partial file)."""
    import io

    blobs = {}
    for key, df in frames.items():
        buf = io.BytesIO()
        df.to_parquet(buf, engine="pyarrow", index=False)
        blobs[key] = buf.getvalue()
    out = {}
    for key, data in blobs.items():
        out[key] = atomic.atomic_write_bytes(processed_paths(settings)[key], data)
    return out


# ------------------------------------------------------------------ freshness
def _catalog_files() -> list[Path]:
    d = paths.PACKAGE_DIR / "catalog" / "data"
    return sorted(d.glob("*.yaml")) if d.is_dir() else []


def raw_inputs(settings: CitySettings, source: str | None = None, inputs: Sequence[str | Path] = (),
               external: Sequence[str | Path] = (), local: Sequence[str | Path] = ()) -> list[Path]:
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
        plan = _plan_inputs(settings, source, inputs, external, local)
    except SckpiError:
        plan = {"csv": [], "external": [], "local": []}
    for key in ("csv", "external", "local"):
        files |= {Path(p) for p in plan[key] if Path(p).exists()}
    for p in list(_resolve_all(settings, settings.catalog_extensions)) + _catalog_files():
        if Path(p).exists():
            files.add(Path(p))
    return sorted(files)


def _fingerprint(files: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(Path(f).resolve() for f in files):
        st = p.stat()
        h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def scope_of(settings: CitySettings | None = None) -> str:
    """The build a city's data go to: the name of its settings folder under ``data/raw/``
    (``demo`` for the demo), or its area code when it has no settings file."""
    settings = settings or demo_settings()
    return Path(settings.base_dir).name if settings.base_dir is not None else settings.city_code


def processed_paths(settings: CitySettings | None = None) -> dict[str, Path]:
    """``data/processed/<scope>/``'s files: panel, areas, local and the build manifest."""
    d = paths.processed_dir(scope_of(settings))
    return {**{k: d / v for k, v in OUTPUT_FILES.items()}, "manifest": d / MANIFEST}


def _output_paths(settings: CitySettings | None = None) -> dict[str, Path]:
    return {k: v for k, v in processed_paths(settings).items() if k != "manifest"}


def read_manifest(settings: CitySettings | None = None) -> dict[str, Any]:
    """The build's ``ingest.json`` (city, source, years, input fingerprint …); {} when absent."""
    try:
        return json.loads(processed_paths(settings)["manifest"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _build_owner(scope: str) -> CitySettings | None:
    """The settings a build under ``data/processed/<scope>/`` was made for, from its settings
    file or, for a city without one, from the build's manifest."""
    from sckpi_helpers.config.settings import load_settings

    settings_file = paths.raw_dir() / scope / "settings.yaml"
    if settings_file.exists():
        return load_settings(settings_file)
    meta_file = paths.processed_dir(scope) / MANIFEST
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        return CitySettings(city_code=meta["city_code"], source=meta["source"])
    except (OSError, ValueError, KeyError):
        return None


def serving_settings(settings: CitySettings | None, source: str | None = None) -> CitySettings:
    """The settings whose build serves ``settings``' city.

    A city with its own ``settings.yaml`` has a build of its own (its local data, its peers). A
    city without one only needs government statistics: an existing build whose areas include it
    (e.g. the demo's, which holds the whole prefecture) serves it instead of a new build per city.
    """
    if settings is not None and settings.base_dir is not None:
        return settings if source in (None, settings.source) else settings.model_copy(update={"source": source})
    city = settings.city_code if settings is not None else None
    if city is not None:
        for areas_file in sorted(paths.processed_dir().glob(f"*/{OUTPUT_FILES['areas']}")):
            owner = _build_owner(areas_file.parent.name)
            if owner is None or source not in (None, owner.source):
                continue
            try:
                codes = pd.read_parquet(areas_file, columns=["area_code"])["area_code"].astype(str)
            except (OSError, ValueError):
                continue
            if city in set(codes):
                return owner
    if settings is None or source == "demo":
        return demo_settings()
    return settings if source in (None, settings.source) else settings.model_copy(update={"source": source})


def is_fresh(settings: CitySettings) -> bool:
    """True when the processed outputs exist, were built for this city and source, and no raw
    input changed since (size or modification time)."""
    outs = _output_paths(settings)
    if not all(p.exists() for p in outs.values()):
        return False
    meta = read_manifest(settings)
    if not meta:
        return False
    if meta.get("format_version") != FORMAT_VERSION or meta.get("city_code") != settings.city_code \
            or meta.get("source") != settings.source:
        return False
    newest_raw = max((p.stat().st_mtime for p in raw_inputs(settings)), default=0)
    if any(p.stat().st_mtime < newest_raw for p in outs.values()):
        return False
    return meta.get("inputs") == _fingerprint(raw_inputs(settings))


def ensure_processed(settings: CitySettings | None = None) -> dict[str, Path]:
    """The processed outputs for ``settings`` (default: the demo), building them only when
    missing, built for another city/source, or older than the raw inputs."""
    settings = settings or demo_settings()
    if not is_fresh(settings):
        return ingest(settings)
    return _output_paths(settings)


# ------------------------------------------------------------------ loading
def _load(key: str, settings: CitySettings | None) -> pd.DataFrame:
    p = processed_paths(settings)[key]
    if not p.exists():
        raise InputFileError(f"{OUTPUT_FILES[key]} not found: run 'sckpi ingest --source demo' (or "
                             "'sckpi ingest --source estat-api --city CODE') first", p)
    return pd.read_parquet(p)


def load_panel(settings: CitySettings | None = None) -> pd.DataFrame:
    """``data/processed/<scope>/panel.parquet`` (columns: DESIGN.md); default scope: the demo."""
    return _load("panel", settings)


def load_local(settings: CitySettings | None = None) -> pd.DataFrame:
    """``local.parquet``: area_code, indicator_id, period, value, unit, source, note."""
    return _load("local", settings)


def load_areas(settings: CitySettings | None = None) -> pd.DataFrame:
    """``areas.parquet``: area_code, area_name, pref_code, level, municipal_type, parent_code, lg_code."""
    return _load("areas", settings)


# ------------------------------------------------------------------ CLI
def summary(written: dict[str, Path]) -> str:
    """A few lines describing what was built."""
    panel = pd.read_parquet(written["panel"])
    local = pd.read_parquet(written["local"])
    areas = pd.read_parquet(written["areas"])
    lines = []
    if panel.empty:
        lines.append("panel: 0 rows")
    else:
        kinds = panel["source"].str.extract(r"^(e-Stat|external)", expand=False).fillna("other")
        by_kind = ", ".join(f"{k} {n}" for k, n in kinds.value_counts().sort_index().items())
        over = int(panel["source"].str.contains("(overrides", regex=False).sum())
        lines.append(f"panel: {len(panel):,} rows, {panel['area_code'].nunique()} areas, years "
                     f"{panel['year'].min()}–{panel['year'].max()}, {panel['variable'].nunique()} variables "
                     f"({by_kind}; {over} overridden by external statistics)")
    lines.append(f"areas: {len(areas)} ({', '.join(f'{k} {n}' for k, n in areas['municipal_type'].value_counts().items())})")
    lines.append(f"local: {len(local):,} rows, {local['indicator_id'].nunique() if len(local) else 0} indicators")
    root = paths.project_root()
    for k, p in written.items():
        try:
            rel = p.relative_to(root)
        except ValueError:
            rel = p
        lines.append(f"wrote {k}: {rel}")
    return "\n".join(lines)


def cli_ingest(args: argparse.Namespace) -> int:
    """Handler of ``sckpi ingest``."""
    from sckpi_helpers.config.settings import find_settings

    if args.city:
        settings = find_settings(args.city)
    elif args.source == "demo":
        settings = demo_settings()
    else:
        raise SckpiError(f"--source {args.source} needs --city CODE")
    written = ingest(settings, source=args.source, inputs=args.input, areas=args.areas, years=args.years,
                     external=args.external, local=args.local, refresh=args.refresh, progress=True)
    print(f"sckpi ingest --source {args.source}: city {settings.city_code}")
    print(summary(written))
    return 0


__all__ = [
    "AREAS_COLUMNS",
    "LOCAL_COLUMNS",
    "PANEL_COLUMNS",
    "SOURCE_PREFIX",
    "cli_ingest",
    "ensure_processed",
    "ingest",
    "is_fresh",
    "load_areas",
    "load_local",
    "load_panel",
    "processed_paths",
    "raw_inputs",
    "read_manifest",
    "scope_of",
    "serving_settings",
    "tidy_to_panel",
]
