"""``sckpi report --all``: Check❹ for every municipality of the national build, then the national site.

Why one function: the command line, the tests (a few codes), the benchmark and a Dask run all call
:func:`run_national`, so they make the same sets and the same pages. A run is incremental and
resumable because :func:`~sckpi_helpers.reports.runner.run_report` skips every set that is finished
and up to date (its manifest's fingerprints): an interrupted run picks up the cities it did not
finish. The sets are *light* (:mod:`.lighten`: one shared catalog page and stylesheet, figures
stored once; the notebook's ``layout="light"`` links each indicator's national page for its map and
distribution instead of drawing them for every city). The national pages (``reports/national/<year>/``,
:func:`~sckpi_helpers.pages.national.write_national_site`) are drawn from the national build's
stored tier-3 results, each area with its own 補正人口 chain (``for_city(stored, chain, None)``,
flagged 代替 where it fell back), with a national map per indicator from the bundled boundaries,
and are rewritten when any set was rendered, the bulk table or
the set of linked cities changed, or the kit changed (``national.json`` records what they show).

Stage 11 (reports): imports stages 0–11.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sckpi_helpers.atomic import atomic_write_text
from sckpi_helpers.city import CityContext, resolve_city
from sckpi_helpers.config import paths
from sckpi_helpers.config.codes import parse_code
from sckpi_helpers.config.periods import Period, parse_period
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.notebook.params import LIGHT
from sckpi_helpers.pages.indexes import now as _now
from sckpi_helpers.pages.national import national_dir, write_national_site
from sckpi_helpers.reports.executors import run_batch
from sckpi_helpers.reports.manifest import read_manifest, refresh_indexes
from sckpi_helpers.reports.rerun import kit_fingerprint
from sckpi_helpers.reports.runner import ReportResult
from sckpi_helpers.store.digest import frame_digest

#: the national pages' record of what they were drawn from
STATE_FILE = "national.json"
#: the notebook a national run renders for each city (Check❹), unless ``only`` says otherwise
NATIONAL_ONLY = "check4"
CHECK4_PAGE = "check4_outcome3.html"


@dataclass
class NationalResult:
    """What a national run did: the cities' results and whether the national pages were rewritten."""

    period: str
    results: list[ReportResult] = field(default_factory=list)
    index: Path | None = None
    rewritten: bool = False
    why: str = ""

    @property
    def complete(self) -> bool:
        """Every city's set is finished (rendered now or already up to date)."""
        return all(r.ok or r.status == "exists" for r in self.results)


def national_codes() -> list[str]:
    """Every municipality of the build that serves cities without settings (the bundled national data)."""
    from sckpi_helpers.store import build as ingest
    from sckpi_helpers.store.processed import load_areas
    from sckpi_helpers.store.scopes import national_build

    b = national_build()
    ingest.ensure_processed(b)
    areas = load_areas(b)
    return sorted(areas.loc[areas["level"].astype(str) == "municipality", "area_code"].astype(str).unique())


def _anchor(codes: Iterable[str], period: Period) -> CityContext:
    """A city the national build serves (its context gives the build, catalog and 補正人口 chain)."""
    for c in codes:
        ctx = resolve_city(c, period)
        if ctx.build.national:
            return ctx
    raise SckpiError("no municipality of the national build is served by it (every one has settings of its own)")


def national_results(ctx: CityContext) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(tier-3 results with each area's own 補正人口 chain, areas, panel) of the national build."""
    from sckpi_helpers.indicators.cache import chain_of, ensure_indicators, for_city, read_indicators
    from sckpi_helpers.store.processed import load_areas, load_panel

    ensure_indicators(ctx)
    stored = read_indicators(ctx.build)
    return for_city(stored, chain_of(ctx), None), load_areas(ctx.build), load_panel(ctx.build)


def _sources(ctx: CityContext) -> str:
    names = sorted({Path(str(f.path)).name for f in ctx.inputs if f.role not in ("settings", "logic_model")})
    return "同梱の政府統計（" + "、".join(names) + "）" if names else "同梱の政府統計"


def _boundaries():
    """The bundled municipal boundaries for the national maps; None when they cannot be read (the
    pages then say there is no map)."""
    from sckpi_helpers.sources.boundaries import load_boundaries

    try:
        return load_boundaries()
    except SckpiError:
        return None


def write_national(root: str | Path, period: Period, ctx: CityContext, *, rendered: bool) -> tuple[Path, bool, str]:
    """The national pages of ``period`` from the national build; rewritten only when something
    changed. Returns (index path, rewritten, why)."""
    from sckpi_helpers.indicators.national import national_table

    root = Path(root)
    year = period.fiscal_year
    results, areas, panel = national_results(ctx)
    table = national_table(results, ctx.catalog, areas, panel, year)
    linked = sorted(c for c in table["area_code"].unique()
                    if (m := read_manifest(root / c / period.label)) and m.get("status") == "ok"
                    and (root / c / period.label / CHECK4_PAGE).is_file())
    state = {"table": frame_digest(table), "linked": hashlib.sha256(",".join(linked).encode()).hexdigest(),
             "kit": kit_fingerprint()}
    folder = national_dir(root, year)
    try:
        before = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = None
    why = ("まだ作られていません" if before is None or not (folder / "index.html").is_file() else
           "報告を作り直した自治体があります" if rendered else
           "全国の一括表が変わりました" if before.get("table") != state["table"] else
           "報告へのリンクが変わりました" if before.get("linked") != state["linked"] else
           "キットが更新されました" if before.get("kit") != state["kit"] else "")
    if why:
        links = set(linked)
        write_national_site(root, year, table, ctx.catalog, sources=_sources(ctx), generated=_now(),
                            city_href=lambda c: f"{c}/{period.label}/{CHECK4_PAGE}" if c in links else None,
                            geo=_boundaries())
        atomic_write_text(folder / STATE_FILE, json.dumps({**state, "why": why, "period": period.label},
                                                          ensure_ascii=False, indent=1) + "\n")
    return folder / "index.html", bool(why), why or "変更なし（最新）"


def run_national(period: str | Period, cities: Sequence[str] | None = None, *, jobs: int = 1,
                 scheduler: str | None = None, only: str | Sequence[str] | None = None, force: bool = False,
                 reports_root: str | Path | None = None, notebooks_dir: str | Path | None = None,
                 progress: bool | None = None, executor=None) -> NationalResult:
    """Check❹ (or ``only``) for ``cities`` (default: every municipality of the national build) through
    :func:`~sckpi_helpers.reports.executors.run_batch`, as light sets; then ``reports/national/<year>/``
    (every municipality of the build, linking the cities whose set is finished)."""
    p = parse_period(period)
    if p.kind != "year":
        raise SckpiError(f"a national run is yearly (Check❹): give a fiscal year such as 2022, not {p.label}")
    root = Path(reports_root) if reports_root else paths.reports_dir()
    codes = [parse_code(c) for c in cities] if cities else national_codes()
    ctx = _anchor(codes if cities else codes[:50], p)
    results = run_batch(codes, p, jobs=jobs, scheduler=scheduler, force=force, only=only or NATIONAL_ONLY,
                        reports_root=root, notebooks_dir=notebooks_dir, progress=progress, executor=executor,
                        layout=LIGHT)
    rendered = any(r.rerun_reason and r.status in ("ok", "partial", "failed") for r in results)
    index, rewritten, why = write_national(root, p, ctx, rendered=rendered)
    refresh_indexes(root, [])  # the top index links the national pages
    return NationalResult(period=p.label, results=results, index=index, rewritten=rewritten, why=why)


__all__ = ["NATIONAL_ONLY", "NationalResult", "national_codes", "national_results", "run_national",
           "write_national"]
