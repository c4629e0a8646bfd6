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

from sckpi_helpers.config import paths
from sckpi_helpers.config.settings import demo_settings, find_settings, national_settings
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.store.build import ingest
from sckpi_helpers.store.processed import load_areas, load_local, load_panel, read_manifest
from sckpi_helpers.store.scopes import Build, Given, ingest_target

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
        # what a derived input still lacks comes first: it is what the user can fix by adding a file
        ignored = sorted(f.get("ignored") or [], key=lambda t: "derived input lacks" not in t)
        for text in ignored[:MAX_IGNORED_LINES]:
            lines.append(f"      使わなかったもの (ignored): {text}")
        if len(ignored) > MAX_IGNORED_LINES:
            lines.append(f"      … ほか {len(ignored) - MAX_IGNORED_LINES} 件 (see ingest.json)")
    for p in manifest.get("unrecognised", []):
        lines.append(f"  {_rel(p)} — 認識できない形式のため読みません (no reader recognises this file)")
    return "\n".join(lines)


def summary(target: Build, written: dict[str, Path]) -> str:
    """A few lines describing what was built."""
    panel, local, areas = load_panel(target), load_local(target), load_areas(target)
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
    if "items" in written:
        import pyarrow.parquet as pq

        lines.append(f"items: {pq.ParquetFile(written['items']).metadata.num_rows:,} published rows kept as "
                     "published (公表された項目をそのまま保存)")
    for k, p in written.items():
        lines.append(f"wrote {k}: {_rel(p)}")
    return "\n".join(lines)


def cli_ingest(args: argparse.Namespace) -> int:
    """Handler of ``sckpi ingest``: ``--source`` defaults to the city's settings (the demo's
    without ``--city``). The build written is :func:`sckpi_helpers.store.scopes.ingest_target`'s: a
    city's own files (``--input``, ``--police`` …) for a city without settings go into that city's
    own build, which later commands use and never replace; the national build reads only the
    bundled files."""
    given = Given.of(args.input, args.external, args.local, getattr(args, "police", []))
    if args.city:
        settings = find_settings(args.city)  # a build target, not a city to serve: see ingest_target
    elif args.source in (None, "demo"):
        settings = demo_settings()
    elif args.source == "ssdse" and not given:
        settings = national_settings()
    elif args.source == "ssdse":
        raise SckpiError("全国ビルドは同梱ファイルだけから作ります (the national build reads only the bundled "
                         "files): your own file goes into a city's build — 'sckpi ingest --source ssdse "
                         "--city CODE --input FILE' (CODE: the city it serves, e.g. 13101)")
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
    target = ingest_target(settings, source, given)
    written = ingest(target, source=source, inputs=args.input, areas=args.areas, years=args.years,
                     external=args.external, local=args.local, police=getattr(args, "police", []),
                     police_year=getattr(args, "police_year", None), refresh=args.refresh, progress=True)
    who = f"city {settings.city_code}" if settings.city_code != "00000" else "全国 (every municipality)"
    print(f"sckpi ingest --source {source}: {who} → data/processed/{target.scope}/ ({target.why})")
    print(file_report(read_manifest(target)))
    print(summary(target, written))
    print(quality_report(target, settings.city_code))
    return 0


def quality_report(target: Build, city: str) -> str:
    """The data-quality findings about the build just written: the city's report for its latest
    year, or for the national build how many each rule raises (``sckpi check --all --verbose`` lists
    them). The build stands either way; a gate that cannot run says why."""
    from sckpi_helpers.checks.quality import city_findings
    from sckpi_helpers.city import resolve_city
    from sckpi_helpers.cli.check import national_findings_of, summary_lines

    try:
        panel, areas = load_panel(target), load_areas(target)
        if panel.empty:
            return "データ品質チェック: 統計がありません"
        if target.national:
            year = int(panel["year"].max())
            found = national_findings_of(target, [year], panel=panel, areas=areas)
            n_open = int((found["status"] == "open").sum())
            return (f"データ品質チェック {year}年 全市区町村: 要確認 {n_open} 件（一覧: sckpi check --all "
                    f"--period {year} --verbose）")
        mine = panel[panel["area_code"] == city]
        if mine.empty:
            return "データ品質チェック: この市区町村の統計がありません"
        year = int(mine["year"].max())
        ctx = resolve_city(city, year, source=target.source)
        if ctx.build.scope != target.scope:
            return f"データ品質チェック: {city} の報告はこのビルドを使いません ({ctx.build.why})"
        found = city_findings(ctx, year, panel=panel, areas=areas)
        return "\n".join(summary_lines(found, f"{city} {year}年"))
    except Exception as exc:  # noqa: BLE001 - the build stands; the gate says why it could not judge it
        return f"データ品質チェックを実行できません (quality gate could not run): {type(exc).__name__}: {exc}"


__all__ = ["cli_ingest", "file_report", "summary"]
