"""The indicator explorer behind ``notebooks/explorer.ipynb``: pick a city, 補正人口 definition, peer
group (類似団体 included), indicator and years; the chart, a scatter of the indicator against a second
one chosen by the reader (the city among its peers), the city's standing and its tier-1/2 KPIs update
live (ipywidgets), and the table shown can be exported (CSV with BOM or xlsx).

Why a module of its own: it is the one interactive piece (not part of report runs) and the only
user of ipywidgets. The logic is in plain functions (:func:`definition_options`,
:func:`standing_frame`, :func:`kpi_frame`, :func:`export_table`) testable without a browser;
:meth:`Explorer.render` draws the current selection statically, so the notebook also executes
headless under papermill/nbval. The year follows the one rule of
:func:`sckpi_helpers.indicators.service.evaluation_year`; the city's own 補正人口 definition and build
are its context's (``params.city``). Stage 12 (explore): imports stages 0–11.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.atomic import atomic_write_bytes
from sckpi_helpers.checks.data import load_check_data
from sckpi_helpers.config.vocabulary import TIER_SHORT_JA, peer_group_ja
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators.cache import indicator_results
from sckpi_helpers.indicators.service import NoEvaluationYear, city_standing
from sckpi_helpers.notebook.params import Params
from sckpi_helpers.pages.display import show_figure, show_notice, show_table

#: peer groups offered (see :mod:`sckpi_helpers.store.peer_groups`)
PEER_CHOICES = ("prefecture", "similar", "population_band", "municipal_type", "all")
#: standing table: result column → Japanese header (what is shown and exported)
STANDING_COLUMNS = {"name_ja": "指標", "year": "年", "value": "値", "unit": "単位", "rank": "順位",
                    "n": "団体数", "deviation_score": "偏差値", "peer_median": "比較中央値", "trend_ja": "傾向"}
#: logic-model tiers the explorer lists (Check❷ and Check❸)
EXPLORER_TIERS = ("outcome1", "outcome2")
EXPORT_FORMATS = (".csv", ".xlsx")


def definition_options(catalog: Any) -> list[tuple[str, str]]:
    """(label, id) of every 補正人口 definition in the catalog, the catalog default first."""
    ap = catalog.adjusted_population
    ids = [ap.default, *(k for k in ap.definitions if k != ap.default)]
    return [(f"{ap.definitions[k].name_ja}（{k}）", k) for k in ids]


def peer_options() -> list[tuple[str, str]]:
    """(Japanese label, spec) of the peer groups offered."""
    return [(peer_group_ja(s), s) for s in PEER_CHOICES]


def standing_frame(results: pd.DataFrame, catalog: Any, city: str, peer_codes: list[str],
                   wanted: int) -> tuple[pd.DataFrame, int | None, str | None]:
    """The city's standing among ``peer_codes`` for every indicator with a value, in the year the
    one rule picks: ``(table with STANDING_COLUMNS, year, note)``; an empty table and the reason
    when no year up to ``wanted`` has values."""
    try:
        table, year, note = city_standing(results, catalog, city, wanted, peer_codes)
    except NoEvaluationYear as exc:
        return pd.DataFrame(columns=list(STANDING_COLUMNS)), None, str(exc)
    table = table[table["value"].notna()]
    return table[list(STANDING_COLUMNS)].reset_index(drop=True), year, note


def kpi_frame(d: Any) -> pd.DataFrame:
    """The tier-1/2 KPIs of the city's logic model (latest status), with a 階層 column; empty when
    the city has no logic model (``d`` is :class:`sckpi_helpers.checks.data.CheckData`)."""
    from sckpi_helpers.notebook.sections import kpi_table

    if d is None or not d.has_model:
        return pd.DataFrame()
    parts = [kpi_table(d, tier).assign(tier=TIER_SHORT_JA[tier]) for tier in EXPLORER_TIERS]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[["tier", *[c for c in out.columns if c != "tier"]]]


def export_table(df: pd.DataFrame, path: str | Path, columns: dict[str, str] | None = None) -> Path:
    """Write ``df`` (headers renamed by ``columns``) to ``path`` atomically: ``.csv`` as UTF-8 with BOM
    (Excel shows the Japanese names), ``.xlsx`` as a workbook. Any other suffix is a SckpiError."""
    p = Path(str(path)).expanduser()
    suffix = p.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise SckpiError(f"書き出し先 '{p}' の拡張子は .csv か .xlsx にしてください (export to .csv or .xlsx)")
    out = df.rename(columns=columns or {})
    if suffix == ".csv":
        data = out.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    else:
        buf = io.BytesIO()
        out.to_excel(buf, index=False, engine="openpyxl")
        data = buf.getvalue()
    p.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(p, data)


class Explorer:
    """Pick a city, 補正人口 definition, peer group, indicator and years; the chart, the standing
    and the KPIs update live.

    Works in a browser (ipywidgets) and headless: :meth:`render` draws the current selection
    as a static figure, so the notebook executes top to bottom under papermill/nbval.
    """

    def __init__(self, params: Params) -> None:
        from sckpi_helpers.indicators import engine

        self.params = params
        self.data = d = load_check_data(params)
        self.catalog, self.panel, self.areas = d.catalog, d.panel, d.areas
        self.definitions = definition_options(self.catalog)
        default_def = params.city.adjusted_population.id  # the city's, decided by its context
        self._results: dict[str, pd.DataFrame] = {}
        if d.results is not None:
            self._results[default_def] = d.results
        results = self.results_for(default_def)
        muni = self.areas[self.areas["level"].isin(["municipality", "ward"])]
        self.cities = [(f"{n}（{c}）", str(c)) for c, n in zip(muni["area_code"], muni["area_name"], strict=False)]
        have = set(results.loc[results["value"].notna(), "indicator_id"])
        self.indicators = [(f"{i.name_ja}", i.id) for i in engine.tier3_indicators(self.catalog, with_formula=True)
                           if i.id in have]
        ys = results["year"]
        self.year_range = (int(ys.min()), int(ys.max())) if len(ys) else (params.fiscal_year, params.fiscal_year)
        want = min(max(params.fiscal_year, self.year_range[0]), self.year_range[1])
        default_city = params.city_code if params.city_code in {c for _, c in self.cities} else \
            (self.cities[0][1] if self.cities else params.city_code)
        self.state = {"city": default_city, "definition": default_def,
                      "peer_group": params.peer_group if params.peer_group in PEER_CHOICES else "prefecture",
                      "indicator": self.indicators[0][1] if self.indicators else None,
                      "pair": self.indicators[1][1] if len(self.indicators) > 1 else None,
                      "years": (self.year_range[0], want)}
        self.table = pd.DataFrame()  # the standing table last shown (what export writes)

    def results_for(self, definition: str) -> pd.DataFrame:
        """Tier-3 results with 補正人口 ``definition`` (the stored ones when they match, else computed
        through the engine), computed once per definition."""
        if definition not in self._results:
            self._results[definition] = indicator_results(self.params.city, self.panel, definition)
        return self._results[definition]

    def peers(self, city: str, peer_group: str) -> list[str]:
        from sckpi_helpers.store.peer_groups import peer_group as members

        return members(self.areas, city, peer_group, self.panel)

    def figure(self, results: pd.DataFrame, city: str, codes: list[str], indicator: str, years: tuple[int, int]):
        from sckpi_helpers.viz.plots import plot_timeseries_with_peers

        r = results[(results["year"] >= years[0]) & (results["year"] <= years[1])]
        return plot_timeseries_with_peers(r, indicator, city, codes, self.catalog)

    def scatter(self, results: pd.DataFrame, city: str, codes: list[str], x_id: str, y_id: str, year: int):
        """The two-indicator scatter of ``city`` among ``codes`` in ``year`` (None when a value is missing)."""
        from sckpi_helpers.notebook.peer_page import axis_label, pair_frame
        from sckpi_helpers.viz.radar import plot_pair_scatter

        names = dict(zip(self.areas["area_code"].astype(str), self.areas["area_name"].astype(str), strict=False))
        pts = pair_frame(results, year, sorted(set(codes) | {city}), x_id, y_id, names)
        if pts.dropna(subset=["x", "y"]).empty:
            return None
        ind = self.catalog.indicators
        row = {k: {"name_ja": ind[k].name_ja, "unit": ind[k].unit} for k in (x_id, y_id)}
        return plot_pair_scatter(pts, city, axis_label(row[x_id]), axis_label(row[y_id]),
                                 x_better=ind[x_id].direction, y_better=ind[y_id].direction,
                                 title=f"{ind[x_id].name_ja} と {ind[y_id].name_ja}（{year}年）")

    def render(self, city: str | None = None, peer_group: str | None = None, indicator: str | None = None,
               years: tuple[int, int] | None = None, definition: str | None = None, pair: str | None = None) -> None:
        """Draw one selection (default: the current state): chart, scatter against the ``pair``
        indicator, standing table, the city's KPIs."""
        given = {"city": city, "peer_group": peer_group, "indicator": indicator, "years": years,
                 "definition": definition, "pair": pair}
        st = self.state = {**self.state, **{k: v for k, v in given.items() if v is not None}}
        if not st["indicator"]:
            show_notice("表示できる指標がありません。")
            return
        try:
            results = self.results_for(st["definition"])
            codes = self.peers(st["city"], st["peer_group"])
        except SckpiError as exc:
            show_notice(str(exc), "warning")
            return
        show_figure(self.figure(results, st["city"], codes, st["indicator"], tuple(st["years"])), params=None)
        self.table, year, note = standing_frame(results, self.catalog, st["city"], codes, int(st["years"][1]))
        if note:
            show_notice(note, "warning" if year is None else "info")
        if year is not None and st.get("pair") and st["pair"] != st["indicator"]:
            fig = self.scatter(results, st["city"], codes, st["indicator"], st["pair"], year)
            if fig is None:
                show_notice("この年は2指標のどちらかの値がないため、散布図はありません。")
            else:
                show_figure(fig, params=None)
        show_table(self.table, status_col=(), columns=STANDING_COLUMNS,
                   caption=f"{year or st['years'][1]}年の位置（{peer_group_ja(st['peer_group'])}、{len(codes)}団体、"
                           f"補正人口: {st['definition']}）", empty="この年の値はありません。")
        if st["city"] == self.params.city_code:
            self.show_kpis()

    def show_kpis(self) -> None:
        """The settings city's tier-1/2 KPIs from its logic model tracking, or why there are none."""
        from sckpi_helpers.notebook.sections import KPI_COLUMNS

        kpis = kpi_frame(self.data)
        if self.data.model is None:
            show_notice(f"{self.data.model_problem} 第1・第2階層のKPIは表示できません。")
            return
        show_table(kpis, columns={"tier": "階層", **KPI_COLUMNS},
                   caption=f"ロジックモデルの第1・第2階層KPI（{self.params.period_ja}時点）",
                   empty="ロジックモデルに第1・第2階層の指標がありません。")

    def export(self, path: str | Path) -> Path:
        """Write the standing table last shown to ``path`` (.csv with BOM or .xlsx)."""
        if self.table is None or self.table.empty:
            raise SckpiError("書き出す表がありません（先に表示してください）。")
        return export_table(self.table, path, STANDING_COLUMNS)

    def widgets(self):
        """The interactive UI (ipywidgets): controls, an export button, an output area updated on
        every change."""
        import ipywidgets as w

        city = w.Dropdown(options=self.cities, value=self.state["city"], description="都市")
        defn = w.Dropdown(options=self.definitions, value=self.state["definition"], description="補正人口")
        peer = w.Dropdown(options=peer_options(), value=self.state["peer_group"], description="比較対象")
        ind = w.Dropdown(options=self.indicators, value=self.state["indicator"], description="指標",
                         layout=w.Layout(width="95%"))
        pair = w.Dropdown(options=self.indicators, value=self.state["pair"], description="散布図の縦軸",
                          layout=w.Layout(width="95%"), style={"description_width": "initial"})
        yrs = w.IntRangeSlider(value=self.state["years"], min=self.year_range[0], max=self.year_range[1], step=1,
                               description="年", continuous_update=False)
        path = w.Text(value=str(self.params.output_dir / "explorer.csv") if self.params.output_dir
                      else "explorer.csv", description="書き出し先", layout=w.Layout(width="60%"))
        button = w.Button(description="表を書き出す（CSV / xlsx）", layout=w.Layout(width="auto"))
        message = w.Output()

        def update(city, defn, peer, ind, yrs, pair):
            self.render(city, peer, ind, yrs, defn, pair)

        def on_export(_):
            message.clear_output()
            with message:
                try:
                    print(f"書き出しました: {self.export(path.value)}")
                except SckpiError as exc:
                    print(exc)

        button.on_click(on_export)
        out = w.interactive_output(update, {"city": city, "defn": defn, "peer": peer, "ind": ind, "yrs": yrs,
                                            "pair": pair})
        return w.VBox([w.HBox([city, peer]), w.HBox([defn, yrs]), ind, pair, w.HBox([path, button]), message, out])
