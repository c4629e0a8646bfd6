"""The data a check notebook shows, computed once: :func:`load_check_data` → :class:`CheckData`.

Processed statistics and local data, the catalog (with the city's extensions), the logic model,
KPI tracking and diagnosis for Check❶–❸, and for Check❹ the composite indicators, their coverage and
the peer comparison. Plus the plain tables the notebooks list (:func:`kpi_data_coverage`,
:func:`input_coverage`).

Why here: this is the checks pipeline without any display, so it is testable without IPython
and reusable outside notebooks. ``params`` is the notebook's validated parameters
(:class:`sckpi_helpers.notebook.params.Params`), used by attribute only (``city``: the city's
context, city_code, period, fiscal_year, lang, logic_model_path): the build, catalog, name, 補正人口
and peers are the context's, never looked up here; the stored tier-3 results are
:mod:`sckpi_helpers.indicators.cache`'s. Stage 7 (checks): imports stages 0–7.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sckpi_helpers.config.formatting import MISSING_MARK, format_share
from sckpi_helpers.config.vocabulary import ACTIONS, CHECK_LABEL, CHECK_TIER, DIAGNOSIS_OF_CHECK, TIER_JA
from sckpi_helpers.errors import SckpiError

#: check number → (label, tier, tier_ja, the guideline's Action when the check fails), from the vocabulary
CHECKS: dict[int, tuple[str, str, str, str]] = {
    c: (CHECK_LABEL[c], t, TIER_JA[t], ACTIONS[DIAGNOSIS_OF_CHECK[c]][0]) for c, t in CHECK_TIER.items()}


def ensure_data(params: Any) -> tuple[Any, dict[str, Path]]:
    """``ensure_processed`` for the build that serves the notebook's city (its context decided which),
    so a notebook runs on a clean clone; returns the build and its files."""
    from sckpi_helpers.store import build as ingest

    ctx = params.city
    return ctx.build, ingest.ensure_processed(ctx.build)


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
    missing: Any = None  # the tier-3 indicators the city lacks in ``year`` (indicators.plan.missing_table)
    build: Any = None  # the build that serves the city (``params.city.build``)
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
    from sckpi_helpers.checks import kpi
    from sckpi_helpers.indicators.cache import indicator_results
    from sckpi_helpers.store import processed

    ctx = params.city
    build, _ = ensure_data(params)
    catalog = ctx.catalog
    panel = processed.load_panel(build)
    local = processed.load_local(build)
    areas = processed.load_areas(build)
    local = local[local["area_code"].astype(str) == params.city_code]
    d = CheckData(params=params, catalog=catalog, panel=panel, local=local, areas=areas, city_name=ctx.name_ja,
                  build=build, extensions=ctx.extensions)

    # the city's peers first: the tier-3 rows read are the city's and its peers' (gate, tables, figures)
    peer_codes, peer_problem = ctx.peers_or_self(areas, panel)
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
        d.results = indicator_results(ctx, panel, areas=peer_codes)
    if d.model is not None:
        from sckpi_helpers.checks import diagnosis

        mine = d.results[d.results["area_code"] == params.city_code] if d.results is not None else None
        d.tracking = kpi.track(d.model, catalog, local, mine, period=params.period)
        d.latest = kpi.latest_status(d.tracking, params.period)
        d.diagnosis = diagnosis.diagnose(d.model, d.tracking, params.period)
        d.flags = diagnosis.system_flags(d.model, d.tracking, params.period)
    if tier3:
        from sckpi_helpers.indicators import coverage, peers
        from sckpi_helpers.indicators.plan import missing_table
        from sckpi_helpers.indicators.service import NoEvaluationYear, evaluation_year

        try:
            d.year, d.year_note = evaluation_year(d.results, params.city_code, params.fiscal_year)
        except NoEvaluationYear as exc:  # shown on the page; the tables stay empty
            d.year, d.year_note = params.fiscal_year, str(exc)
        d.coverage = coverage.coverage(d.results, catalog, params.city_code, d.year)
        d.missing = missing_table(d.results, catalog, params.city_code, d.year)
        d.peer_codes, d.peer_problem = peer_codes, peer_problem
        d.comparison = peers.compare(d.results, catalog, params.city_code, d.year, d.peer_codes)
        d.pillars = peers.pillar_summary(d.comparison, catalog)
    _add_quality(d, peer_codes)
    return d


def _add_quality(d: CheckData, peer_codes: list[str]) -> None:
    """The gate's findings for the page's city and year (shown, never hiding a value), against the
    peers :func:`load_check_data` decided."""
    from sckpi_helpers.checks.quality import city_findings

    try:  # the Check❹ page's year; the other pages: the same rule (checks.quality.report_year)
        d.quality = city_findings(d.params.city, d.year, panel=d.panel, results=d.results, areas=d.areas,
                                  peer_codes=peer_codes)
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
                     "with_data": len(have), "share": format_share(len(have) / len(g)) if len(g) else MISSING_MARK,
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
    import pyarrow.parquet as pq

    files = pd.DataFrame({  # every file of the build (items.parquet included), rows from its metadata
        "file": [Path(p).name for p in written.values()],
        "rows": [pq.ParquetFile(p).metadata.num_rows for p in written.values()],
    })
    return {"manifest": man, "panel": panel, "local": local, "areas": areas, "files": files}


def input_coverage(panel, catalog, city_code: str, year: int):
    """Per catalog input: years with a value for the city, the latest year, source, publication date
    and the latest value's derivation from the published items (``panel.parquet``'s ``derivation``)."""
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
            # how the latest value was derived from the published items (formula, file, row)
            "derivation": (str(g.loc[g["year"].idxmax(), "derivation"]) if len(g) and "derivation" in g
                           and pd.notna(g.loc[g["year"].idxmax(), "derivation"]) else "—"),
        })
    return pd.DataFrame(rows)
