"""The indicator explorer behind ``notebooks/explorer.ipynb``: pick a city, peer group, indicator and
years; the chart and the city's standing update live (ipywidgets).

Why a module of its own: it is the one interactive piece (not part of report runs) and the only
user of ipywidgets. :meth:`Explorer.render` draws the current selection statically, so the notebook
also executes headless under papermill/nbval. Stage 9: imports stages 0–8.
"""

from __future__ import annotations

from sckpi_helpers.checks.data import ensure_data, indicator_results
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.reports.display import show_figure, show_notice, show_table
from sckpi_helpers.reports.params import Params
from sckpi_helpers.config.vocabulary import peer_group_ja


class Explorer:
    """Pick a city, peer group, indicator and years; the chart and the standing update live.

    Works in a browser (ipywidgets) and headless: :meth:`render` draws the current selection
    as a static figure, so the notebook executes top to bottom under papermill/nbval.
    """

    def __init__(self, params: Params) -> None:
        from sckpi_helpers.catalog import load_catalog
        from sckpi_helpers.indicators import engine
        from sckpi_helpers.store import build as ingest

        build, _ = ensure_data(params)
        self.params = params
        self.catalog = load_catalog()
        self.panel = ingest.load_panel(build)
        self.areas = ingest.load_areas(build)
        adj = getattr(params.settings, "adjusted_population", None) if params.settings is not None else None
        self.results = indicator_results(build, self.panel, self.catalog, adj)
        muni = self.areas[self.areas["level"].isin(["municipality", "ward"])]
        self.cities = [(f"{n}（{c}）", str(c)) for c, n in zip(muni["area_code"], muni["area_name"], strict=False)]
        have = set(self.results.loc[self.results["value"].notna(), "indicator_id"])
        self.indicators = [(f"{i.name_ja}", i.id) for i in engine.tier3_indicators(self.catalog, with_formula=True)
                           if i.id in have]
        ys = self.results["year"]
        self.year_range = (int(ys.min()), int(ys.max())) if len(ys) else (params.fiscal_year, params.fiscal_year)
        default_city = params.city_code if params.city_code in {c for _, c in self.cities} else \
            (self.cities[0][1] if self.cities else params.city_code)
        self.state = {"city": default_city, "peer_group": params.peer_group or "prefecture",
                      "indicator": self.indicators[0][1] if self.indicators else None,
                      "years": self.year_range}

    def figure(self, city: str, peer_group: str, indicator: str, years: tuple[int, int]):
        from sckpi_helpers.store.peer_groups import peer_group as members
        from sckpi_helpers.viz.plots import plot_timeseries_with_peers

        codes = members(self.areas, city, peer_group, self.panel)
        r = self.results[(self.results["year"] >= years[0]) & (self.results["year"] <= years[1])]
        return plot_timeseries_with_peers(r, indicator, city, codes, self.catalog), codes

    def standing(self, city: str, codes: list[str], indicator: str, year: int):
        from sckpi_helpers.indicators import peers

        cmp = peers.compare(self.results, self.catalog, city, year, codes)
        return cmp[cmp["indicator_id"] == indicator]

    def render(self, city: str | None = None, peer_group: str | None = None, indicator: str | None = None,
               years: tuple[int, int] | None = None) -> None:
        """Draw one selection (default: the current state) as a static figure and table."""
        st = {**self.state, **{k: v for k, v in {"city": city, "peer_group": peer_group, "indicator": indicator,
                                                  "years": years}.items() if v is not None}}
        self.state = st
        if not st["indicator"]:
            show_notice("表示できる指標がありません。")
            return
        try:
            fig, codes = self.figure(st["city"], st["peer_group"], st["indicator"], tuple(st["years"]))
        except SckpiError as exc:
            show_notice(str(exc), "warning")
            return
        show_figure(fig, params=None)
        row = self.standing(st["city"], codes, st["indicator"], int(st["years"][1]))
        show_table(row, status_col=(), columns={"name_ja": "指標", "year": "年", "value": "値", "unit": "単位",
                                                "rank": "順位", "n": "団体数", "deviation_score": "偏差値",
                                                "trend_ja": "傾向"},
                   empty="この年の値はありません。")

    def widgets(self):
        """The interactive UI (ipywidgets): controls + an output area updated on every change."""
        import ipywidgets as w

        city = w.Dropdown(options=self.cities, value=self.state["city"], description="都市")
        peer = w.Dropdown(options=[(peer_group_ja(s), s) for s in ("prefecture", "population_band",
                                                                    "municipal_type", "all")],
                          value=self.state["peer_group"] if self.state["peer_group"] in
                          ("prefecture", "population_band", "municipal_type", "all") else "prefecture",
                          description="比較対象")
        ind = w.Dropdown(options=self.indicators, value=self.state["indicator"], description="指標",
                         layout=w.Layout(width="95%"))
        yrs = w.IntRangeSlider(value=self.year_range, min=self.year_range[0], max=self.year_range[1], step=1,
                               description="年", continuous_update=False)

        def update(city, peer, ind, yrs):
            self.render(city, peer, ind, yrs)

        out = w.interactive_output(update, {"city": city, "peer": peer, "ind": ind, "yrs": yrs})
        return w.VBox([w.HBox([city, peer]), ind, yrs, out])
