"""The data a check notebook shows, computed once: :func:`load_check_data` → :class:`CheckData`.

Processed statistics and local data, the catalog (with the city's extensions), the logic model,
KPI tracking and diagnosis for Check❶–❸, and for Check❹ the composite indicators, their coverage and
the peer comparison. Plus the plain tables the notebooks list (:func:`kpi_data_coverage`,
:func:`input_coverage`).

Why here: this is the checks pipeline without any display, so it is testable without IPython
and reusable outside notebooks. ``params`` is the notebook's validated parameters
(:class:`sckpi_helpers.reports.params.Params`), used by attribute only (city_code, period,
fiscal_year, settings, source, peer_group, lang, logic_model_path). Stage 6 (checks): imports stages 0–6.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sckpi_helpers.errors import SckpiError

#: check number → (label, tier, tier_ja, the guideline's Action when the check fails)
CHECKS: dict[int, tuple[str, str, str, str]] = {
    1: ("Check❶", "output", "アウトプット",
        "事業・取組が計画どおり実施されているかを確認し、遅れている取組の実施体制・スケジュールを見直す"),
    2: ("Check❷", "outcome1", "アウトカム第1階層", "事業の取組内容の軌道修正"),
    3: ("Check❸", "outcome2", "アウトカム第2階層",
        "施策そのものの見直し（目標・投入資源の再検討、継続・中止の判断）"),
    4: ("Check❹", "outcome3", "アウトカム第3階層",
        "分野間のバランスを踏まえた施策体系の見直し（2〜3年ごとに評価体系そのもの・指標の妥当性も見直す）"),
}


TIER_OF_CHECK = {1: "output", 2: "outcome1", 3: "outcome2", 4: "outcome3"}
DIAGNOSIS_OF_CHECK = {1: "execution", 2: "activity", 3: "policy", 4: "system"}


def ensure_data(params: Any) -> tuple[Any, dict[str, Path]]:
    """``ingest.ensure_processed`` for the notebook's city, so it runs on a clean clone; returns
    the settings of the build that serves it (``processed.serving_settings``) and the build's files."""
    from sckpi_helpers.store import build as ingest
    from sckpi_helpers.store import processed

    build = processed.serving_settings(params.settings, params.source)
    return build, ingest.ensure_processed(build)



def _indicators_file(build: Any) -> Path:
    from sckpi_helpers.config import paths
    from sckpi_helpers.indicators.service import INDICATORS_FILE
    from sckpi_helpers.store.processed import scope_of

    return paths.processed_dir(scope_of(build)) / INDICATORS_FILE


def indicators_fresh(build: Any) -> bool:
    """True when the build's ``indicators.parquet`` is newer than its panel and the catalog files."""
    from sckpi_helpers.catalog import loader
    from sckpi_helpers.store.processed import processed_paths

    f, panel = _indicators_file(build), processed_paths(build)["panel"]
    if not (f.is_file() and panel.is_file()):
        return False
    catalog_files = [*Path(loader.__file__).parent.joinpath("data").glob("*.yaml"),
                     *(build.resolve(x) for x in getattr(build, "catalog_extensions", []) or [])]
    newest = max([panel.stat().st_mtime, *(c.stat().st_mtime for c in catalog_files if c.is_file())])
    return f.stat().st_mtime >= newest


def ensure_indicators(build: Any) -> Path:
    """The build's tier-3 results, computed once per build (``indicators.parquet``) when stale."""
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.indicators.service import compute_and_store
    from sckpi_helpers.store.processed import load_panel

    if indicators_fresh(build):
        return _indicators_file(build)
    extra = [build.resolve(x) for x in getattr(build, "catalog_extensions", []) or []]
    return compute_and_store(load_panel(build), load_catalog(extra=extra) if extra else load_catalog(), build)


def indicator_results(build: Any, panel: Any, catalog: Any, adjusted_population: str | None,
                      extensions: list[Path] = ()) -> Any:
    """Tier-3 results for a notebook: the build's stored ``indicators.parquet`` when it is fresh and
    was computed with the same 補正人口 definition and catalog extensions, else computed here."""
    import pandas as pd

    from sckpi_helpers.indicators import engine

    same = (adjusted_population in (None, getattr(build, "adjusted_population", None))
            and [Path(x) for x in extensions]
            == [Path(build.resolve(x)) for x in getattr(build, "catalog_extensions", []) or []])
    if same and indicators_fresh(build):
        stored = pd.read_parquet(_indicators_file(build))
        return stored.astype({c: object for c in stored.columns if isinstance(stored[c].dtype, pd.StringDtype)})
    return engine.compute(panel, catalog, adjusted_population=adjusted_population)


@dataclass
class CheckData:
    """Everything a check notebook shows, computed once by :func:`load_check_data`."""

    params: Any
    catalog: Any
    panel: Any
    local: Any
    areas: Any
    city_name: str
    model: Any = None
    model_problem: str | None = None
    tracking: Any = None
    latest: Any = None
    diagnosis: Any = None
    flags: Any = None
    results: Any = None
    year: int | None = None
    year_note: str | None = None
    peer_codes: list[str] = field(default_factory=list)
    peer_problem: str | None = None
    comparison: Any = None
    pillars: Any = None
    coverage: Any = None
    build: Any = None  # the settings of the build that serves the city (``ensure_data``)
    extensions: list[Path] = field(default_factory=list)  # the city's catalog extensions
    quality: Any = None  # the data-quality findings about what the page shows (checks.quality)
    quality_problem: str | None = None  # why the gate could not run

    @property
    def has_model(self) -> bool:
        return self.model is not None

    def measure_name(self, measure_id: str) -> str:
        try:
            m = self.model.measure(measure_id)
        except Exception:  # noqa: BLE001
            return str(measure_id)
        return (m.name_en or m.name_ja) if self.params.lang == "en" else m.name_ja


def load_check_data(params: Any, *, tier3: bool = False) -> CheckData:
    """Processed data, catalog, logic model, KPI tracking and diagnosis for one city and period.

    ``tier3`` also computes the composite indicators, coverage and the peer comparison (Check❹).
    A city without a logic model gets ``model=None`` and ``model_problem`` saying why.
    """
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.checks import kpi
    from sckpi_helpers.store import processed

    build, _ = ensure_data(params)
    s = params.settings
    extra = [s.resolve(p) for p in (getattr(s, "catalog_extensions", []) or [])] if s is not None else []
    catalog = load_catalog(extra=extra) if extra else load_catalog()
    panel = processed.load_panel(build)
    local = processed.load_local(build)
    areas = processed.load_areas(build)
    local = local[local["area_code"].astype(str) == params.city_code]
    name = getattr(s, "name_ja", None)
    if not name:
        hit = areas.loc[areas["area_code"].astype(str) == params.city_code, "area_name"]
        name = str(hit.iloc[0]) if len(hit) else params.city_code
    d = CheckData(params=params, catalog=catalog, panel=panel, local=local, areas=areas, city_name=name,
                  build=build, extensions=extra)

    adj = getattr(s, "adjusted_population", None) if s is not None else None
    need_results = tier3
    if params.logic_model_path is not None:
        from sckpi_helpers.checks import diagnosis
        from sckpi_helpers.sources import logic_model

        try:
            d.model = logic_model.load_logic_model(params.logic_model_path, catalog)
        except SckpiError as exc:
            d.model_problem = f"ロジックモデルを読み込めません: {exc}"
        if d.model is not None:
            need_results = True
    else:
        d.model_problem = ("この自治体にはロジックモデルが設定されていません"
                           "（settings.yaml の logic_model）。")
    if need_results:
        d.results = indicator_results(build, panel, catalog, adj, extra)
    if d.model is not None:
        from sckpi_helpers.checks import diagnosis

        mine = d.results[d.results["area_code"] == params.city_code] if d.results is not None else None
        d.tracking = kpi.track(d.model, catalog, local, mine, period=params.period)
        d.latest = kpi.latest_status(d.tracking, params.period)
        d.diagnosis = diagnosis.diagnose(d.model, d.tracking, params.period)
        d.flags = diagnosis.system_flags(d.model, d.tracking, params.period)
    if tier3:
        from sckpi_helpers.indicators import coverage, peers
        from sckpi_helpers.indicators.service import NoEvaluationYear, evaluation_year
        from sckpi_helpers.store.peer_groups import peer_group

        try:
            d.year, d.year_note = evaluation_year(d.results, params.city_code, params.fiscal_year)
        except NoEvaluationYear as exc:  # shown on the page; the tables stay empty
            d.year, d.year_note = params.fiscal_year, str(exc)
        d.coverage = coverage.coverage(d.results, catalog, params.city_code, d.year)
        try:
            d.peer_codes = peer_group(areas, params.city_code, params.peer_group, panel)
        except SckpiError as exc:
            d.peer_problem = str(exc)
            d.peer_codes = [params.city_code]
        d.comparison = peers.compare(d.results, catalog, params.city_code, d.year, d.peer_codes)
        d.pillars = peers.pillar_summary(d.comparison, catalog)
    _add_quality(d)
    return d


def _add_quality(d: CheckData) -> None:
    """The gate's findings for the page's city and year (shown, never hiding a value)."""
    from sckpi_helpers.checks.quality import city_findings

    p = d.params
    try:
        d.quality = city_findings(p.settings if p.settings is not None else d.build, p.city_code,
                                  d.year or p.fiscal_year, source=p.source, peer_group=p.peer_group,
                                  panel=d.panel, results=d.results, areas=d.areas, catalog=d.catalog)
    except SckpiError as exc:
        d.quality_problem = str(exc)


def tier_latest(d: CheckData, tier: str):
    if d.latest is None or len(d.latest) == 0:
        return None
    return d.latest[d.latest["tier"] == tier]


def kpi_data_coverage(d: CheckData, tier: str):
    """Per indicator: periods due, periods with data, last period with data, source."""
    import pandas as pd

    tr = d.tracking[d.tracking["tier"] == tier] if d.tracking is not None else None
    if tr is None or tr.empty:
        return pd.DataFrame()
    rows = []
    for (_, _), g in tr.groupby(["measure_id", "indicator_id"], sort=False):
        have = g[g["actual"].notna()]
        rows.append({"name": g["name_ja"].iloc[0], "cadence": g["cadence"].iloc[0], "due": len(g),
                     "with_data": len(have), "share": f"{len(have) / len(g):.0%}" if len(g) else "—",
                     "last": have["period"].iloc[-1] if len(have) else "—",
                     "source": g["data_source"].iloc[0],
                     "recorded_as": "、".join(sorted({str(x) for x in have["source"].dropna()})) or "—"})
    return pd.DataFrame(rows)


def ingest_overview(params: Any) -> dict[str, Any]:
    """Build (if needed) and describe ``data/processed``: manifest, rows, sources, input coverage."""
    import pandas as pd

    from sckpi_helpers.store import processed

    build, written = ensure_data(params)
    man = processed.read_manifest(build)
    panel = processed.load_panel(build)
    local = processed.load_local(build)
    areas = processed.load_areas(build)
    files = pd.DataFrame({
        "file": [Path(p).name for p in written.values()],
        "rows": [len(x) for x in (panel, areas, local)][: len(written)],
    })
    return {"manifest": man, "panel": panel, "local": local, "areas": areas, "files": files}


def input_coverage(panel, catalog, city_code: str, year: int):
    """Per catalog input: years with a value for the city, the latest year, source, publication date."""
    import pandas as pd

    mine = panel[(panel["area_code"].astype(str) == city_code)]
    rows = []
    for iid, inp in catalog.inputs.items():
        g = mine[(mine["variable"] == iid) & mine["value"].notna()]
        latest = int(g["year"].max()) if len(g) else None
        rows.append({
            "input": iid, "name": getattr(inp, "name_ja", iid),
            "years": len(g), "latest": latest if latest is not None else "—",
            "current": "あり" if latest is not None and latest >= year else ("古い" if latest else "なし"),
            "source": "、".join(sorted({str(s) for s in g["source"].dropna()}))[:120] or "—",
            "published": max(map(str, g["published"].dropna())) if g["published"].notna().any() else "—",
        })
    return pd.DataFrame(rows)
