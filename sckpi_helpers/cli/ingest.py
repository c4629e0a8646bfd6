"""``sckpi ingest``: build a city's processed data and say, per input file, what was used.

Why the per-file report: a city's folder mixes downloads; the person running the command must
see which files were read as what, how many rows each gave, and everything left out and why
(unknown item codes, a published name that differs from the catalog's, empty values, unknown
area codes, rows outside the years) — nothing is dropped silently. Files no reader recognises
are listed too.

Stage: ``cli`` — imports anything.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.config import paths
from sckpi_helpers.config.settings import demo_settings, find_settings, national_settings
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.store.build import ingest
from sckpi_helpers.store.processed import read_manifest

#: at most this many ignored lines per file on the console (the manifest keeps them all)
MAX_IGNORED_LINES = 12


def _rel(p: str | Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(paths.project_root()))
    except ValueError:
        return str(p)


def file_report(manifest: dict[str, Any]) -> str:
    """Per input file: kind, rows used of rows read, and what was ignored and why; then the files
    no reader recognised."""
    lines = ["入力ファイル (input files):"]
    for f in manifest.get("files", []):
        title = f" {f['title']}" if f.get("title") else ""
        lines.append(f"  {_rel(f['file'])} — {f['kind']}{title}: {f['used']:,} 行を使用 / "
                     f"{f['rows']:,} 行 (rows used / read)")
        ignored = f.get("ignored") or []
        for text in ignored[:MAX_IGNORED_LINES]:
            lines.append(f"      使わなかったもの (ignored): {text}")
        if len(ignored) > MAX_IGNORED_LINES:
            lines.append(f"      … ほか {len(ignored) - MAX_IGNORED_LINES} 件 (see ingest.json)")
    for p in manifest.get("unrecognised", []):
        lines.append(f"  {_rel(p)} — 認識できない形式のため読みません (no reader recognises this file)")
    return "\n".join(lines)


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
    types = ", ".join(f"{k} {n}" for k, n in areas["municipal_type"].value_counts().items())
    lines.append(f"areas: {len(areas)} ({types})")
    lines.append(f"local: {len(local):,} rows, {local['indicator_id'].nunique() if len(local) else 0} indicators")
    for k, p in written.items():
        lines.append(f"wrote {k}: {_rel(p)}")
    return "\n".join(lines)


def cli_ingest(args: argparse.Namespace) -> int:
    """Handler of ``sckpi ingest``: ``--source`` defaults to the city's settings (the demo's
    without ``--city``)."""
    if args.city:
        settings = find_settings(args.city)
    elif args.source in (None, "demo"):
        settings = demo_settings()
    elif args.source == "ssdse":
        settings = national_settings()
    else:
        raise SckpiError(f"--source {args.source} needs a city: 'sckpi ingest --source {args.source} "
                         "--city CODE' (CODE: the 5-digit 標準地域コード, e.g. 13101)")
    if args.source is None and args.city and settings.base_dir is None:
        raise SckpiError(f"city {args.city} has no settings.yaml under data/raw/: name the source, e.g. "
                         f"'sckpi ingest --source ssdse --city {args.city}' (the bundled SSDSE-A, every "
                         "municipality, no download), "
                         f"'sckpi ingest --source estat-api --city {args.city}' (needs ESTAT_APP_ID) or "
                         f"'sckpi ingest --source estat-csv --city {args.city} --input FOLDER'")
    source = args.source or settings.source
    if source != settings.source:  # the build's scope and manifest follow the source it is built from
        settings = settings.model_copy(update={"source": source})
    written = ingest(settings, source=source, inputs=args.input, areas=args.areas, years=args.years,
                     external=args.external, local=args.local, police=getattr(args, "police", []),
                     police_year=getattr(args, "police_year", None), refresh=args.refresh, progress=True)
    print(f"sckpi ingest --source {source}: " + (f"city {settings.city_code}" if settings.city_code != "00000"
                                                  else "全国 (every municipality)"))
    print(file_report(read_manifest(settings)))
    print(summary(written))
    print(quality_report(settings, source))
    return 0


def quality_report(settings, source: str) -> str:
    """The data-quality findings after the build: the city's (latest year), or for the national
    build how many each rule raises (``sckpi check --all --verbose`` lists them)."""
    from sckpi_helpers.checks.quality import city_findings, national_findings
    from sckpi_helpers.cli.check import summary_lines
    from sckpi_helpers.store.processed import load_areas, load_panel

    try:
        panel, areas = load_panel(settings), load_areas(settings)
        return _quality_lines(settings, source, panel, areas, city_findings, national_findings, summary_lines)
    except SckpiError as exc:  # the build stands; the gate says why it could not judge it
        return f"データ品質チェックを実行できません (quality gate could not run): {exc}"


def _quality_lines(settings, source, panel, areas, city_findings, national_findings, summary_lines) -> str:
    if panel.empty:
        return "データ品質チェック: 統計がありません"
    if settings.city_code == "00000":
        year = int(panel["year"].max())
        found = national_findings(settings, [year], panel=panel, areas=areas)
        n_open = int((found["status"] == "open").sum())
        return (f"データ品質チェック {year}年 全市区町村: 要確認 {n_open} 件（一覧: sckpi check --all "
                f"--period {year} --verbose）")
    mine = panel[panel["area_code"] == settings.city_code]
    if mine.empty:
        return "データ品質チェック: この市区町村の統計がありません"
    year = int(mine["year"].max())
    found = city_findings(settings, settings.city_code, year, source=source, panel=panel, areas=areas)
    return "\n".join(summary_lines(found, f"{settings.city_code} {year}年"))


__all__ = ["cli_ingest", "file_report", "summary"]
