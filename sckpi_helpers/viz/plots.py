"""Check❹ charts: the city among its peers, pillar scores, a time series against the peer band.

Every function draws with the bundled Japanese font (``style.use_japanese_font``), labels in
Japanese, and returns a matplotlib ``Figure`` (never ``plt.show``), so notebooks display it and
reports save it.

Stage 8 (viz): imports stages 0–7 (… indicators, checks).
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sckpi_helpers.config import palette
from sckpi_helpers.config.formatting import SCORE_DECIMALS, format_number
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.indicators.engine import _attr, tier3_indicators
from sckpi_helpers.indicators.peers import scores
from sckpi_helpers.viz import style

# colours from the one palette (Okabe–Ito, config.palette)
CITY_COLOUR = palette.CITY
PEER_COLOUR = palette.PEER
BAND_COLOUR = palette.PEER_BAND


def _name(catalog: Any, indicator_id: str) -> str:
    ind = catalog.indicators.get(indicator_id)
    return str(_attr(ind, "name_ja", indicator_id)) if ind is not None else indicator_id


def _short(text: str, n: int = 22) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def plot_peer_strip(data: pd.DataFrame, catalog: Any, city: str, year: int, peer_codes: list[str],
                    indicator_ids: list[str] | None = None) -> Figure:
    """Each indicator's peers as a box and dots on one 偏差値 axis, the city highlighted.

    ``data``: the engine's results (every peer's value is drawn) or a ``peers.compare`` frame
    (only the city's score is drawn against the 40–60 band). Scores are direction-aware, so
    right is always better.
    """
    style.use_japanese_font()
    city = str(city)
    is_results = "area_code" in data.columns
    order = [i.id for i in tier3_indicators(catalog, with_formula=True)]
    if is_results:
        sc = scores(data, catalog, year, sorted(set(map(str, peer_codes)) | {city}))
        sc = sc[sc["deviation_score"].notna()]
    else:
        sc = data[data["deviation_score"].notna()].assign(area_code=city)
    ids = [i for i in (indicator_ids or order) if i in set(sc["indicator_id"])]
    ids = ids or [i for i in pd.unique(sc["indicator_id"])]
    fig, ax = plt.subplots(figsize=(8.5, 0.42 * max(len(ids), 3) + 1.6))
    ax.axvspan(40, 60, color="#f0f0f0", zorder=0)
    ax.axvline(50, color=palette.DARK_GREY, lw=1, zorder=1)
    rng = np.random.default_rng(0)
    dots_x, dots_y, city_x, city_y, box_pos = [], [], [], [], []
    by_indicator = {i: g for i, g in sc.groupby("indicator_id", sort=False)}
    for pos, iid in enumerate(ids):
        sub = by_indicator[iid]
        peers_ = sub[sub["area_code"] != city]["deviation_score"].to_numpy(dtype=float)
        if len(peers_):
            box_pos.append(pos)
            dots_x.append(peers_)
            dots_y.append(pos + rng.uniform(-0.18, 0.18, len(peers_)))
        mine = sub[sub["area_code"] == city]["deviation_score"].to_numpy(dtype=float)
        city_x += list(mine)
        city_y += [pos] * len(mine)
    if dots_x:  # one call for every indicator's box (a call each re-scales the axes and its ticks)
        ax.boxplot(dots_x, positions=box_pos, orientation="horizontal", widths=0.55, showfliers=False,
                   patch_artist=True, boxprops={"facecolor": BAND_COLOUR, "edgecolor": PEER_COLOUR},
                   medianprops={"color": PEER_COLOUR}, whiskerprops={"color": PEER_COLOUR},
                   capprops={"color": PEER_COLOUR}, zorder=2)
        # every indicator's peers in one collection: one small image inside the SVG (not a node per dot,
        # nor an image per indicator)
        ax.scatter(np.concatenate(dots_x), np.concatenate(dots_y), s=9, color=PEER_COLOUR, alpha=0.5, zorder=3,
                   label="比較団体", rasterized=True)
    if city_x:
        ax.scatter(city_x, city_y, s=70, marker="D", color=CITY_COLOUR, edgecolor="white", zorder=4, label="対象都市")
    ax.set_yticks(range(len(ids)), [_short(_name(catalog, i)) for i in ids])
    ax.invert_yaxis()
    ax.set_xlabel("偏差値（右ほど良い。低いほど良い指標は向きを反転）")
    n_peers = len(set(map(str, peer_codes)) | {city})
    ax.set_title(f"比較団体の中での位置（{year}年、{n_peers}団体）")
    handles, _labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    if not ids:
        ax.text(0.5, 0.5, "表示できる指標がありません", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig


def plot_pillar_scores(summary: pd.DataFrame) -> Figure:
    """Mean deviation score per pillar as horizontal bars (50 = peer average), with the count used."""
    style.use_japanese_font()
    fig, ax = plt.subplots(figsize=(7, 0.6 * max(len(summary), 2) + 1.4))
    labels = [f"{r.pillar_ja}（{r.n_indicators}/{r.n_total}指標）" for r in summary.itertuples()]
    vals = summary["deviation_score"].to_numpy(dtype=float)
    # above / below the peers' average by colour (Okabe–Ito blue / orange), hatch and words alike
    colours = [(palette.OKABE_ITO["blue"] if v >= 50 else palette.OKABE_ITO["orange"]) if np.isfinite(v)
               else palette.GREY for v in vals]
    bars = ax.barh(range(len(vals)), np.nan_to_num(vals - 50), left=50, color=colours, height=0.55)
    for bar, v in zip(bars, vals, strict=True):
        if np.isfinite(v) and v < 50:
            bar.set_hatch("//")
    for i, v in enumerate(vals):
        word = ("平均以上" if v >= 50 else "平均未満") if np.isfinite(v) else ""
        ax.text(max(v, 50.0) + 0.4 if np.isfinite(v) else 50.4, i,
                f"{format_number(v, decimals=SCORE_DECIMALS)}（{word}）" if np.isfinite(v) else "データなし",
                va="center", fontsize=9)
    ax.axvline(50, color=palette.DARK_GREY, lw=1)
    ax.set_yticks(range(len(vals)), labels)
    ax.invert_yaxis()
    finite = vals[np.isfinite(vals)]
    lo = min(35.0, float(finite.min()) - 3) if len(finite) else 35.0
    hi = max(65.0, float(finite.max()) + 5) if len(finite) else 65.0
    ax.set_xlim(lo, hi)
    ax.set_xlabel("平均偏差値（50 = 比較団体の平均）")
    ax.set_title("柱ごとの総合評価")
    fig.tight_layout()
    return fig


def plot_timeseries_with_peers(results: pd.DataFrame, indicator_id: str, city: str, peer_codes: list[str],
                               catalog: Any, *, baseline: tuple[int, float] | None = None,
                               targets: list[tuple[int, float]] = ()) -> Figure:
    """The city's series against the peers' median and interquartile band (city excluded from the
    band); estimated values (carried forward / interpolated inputs) drawn as hollow markers. With the
    logic model's ``baseline`` and ``targets`` (year, value): the baseline as a square, each target as
    a star, and the planned line from the baseline through the targets."""
    style.use_japanese_font()
    city = str(city)
    r = results[results["indicator_id"] == indicator_id]
    if r.empty:
        raise SckpiError(f"no results for indicator '{indicator_id}'")
    others = r[r["area_code"].isin(set(map(str, peer_codes)) - {city})]
    band = others.groupby("year")["value"].quantile([0.25, 0.5, 0.75]).unstack()
    mine = r[r["area_code"] == city].sort_values("year")
    fig, ax = plt.subplots(figsize=(8, 4.2))
    if not band.empty:
        band = band.sort_index()
        ax.fill_between(band.index, band[0.25], band[0.75], color=BAND_COLOUR, alpha=0.8,
                        label="比較団体の四分位範囲")
        ax.plot(band.index, band[0.5], color=PEER_COLOUR, lw=1.5, ls="--", label="比較団体の中央値")
    ax.plot(mine["year"], mine["value"], color=CITY_COLOUR, lw=2, label="対象都市")
    ok = mine[mine["status"] == "ok"]
    est = mine[mine["status"] == "estimated"]
    ax.scatter(ok["year"], ok["value"], color=CITY_COLOUR, s=25, zorder=3)
    if len(est):
        ax.scatter(est["year"], est["value"], facecolor="white", edgecolor=CITY_COLOUR, s=30, zorder=3,
                   label="推計値（国勢調査等を補完）")
    if baseline is not None:
        path = [baseline, *sorted(targets)]
        ax.plot([p[0] for p in path], [p[1] for p in path], color=palette.TARGET, lw=1.2, ls=(0, (4, 2)),
                label="計画（基準値→目標）")
        ax.scatter([baseline[0]], [baseline[1]], marker="s", s=45, color=palette.BASELINE, zorder=4,
                   label=f"基準値（{baseline[0]}）")
    if targets:
        ax.scatter([t[0] for t in targets], [t[1] for t in targets], marker="*", s=140, color=palette.TARGET,
                   edgecolor="black", linewidth=0.5, zorder=4,
                   label="目標（" + "・".join(str(t[0]) for t in sorted(targets)) + "）")
    unit = ""
    ind = catalog.indicators.get(indicator_id)
    if ind is not None:
        unit = str(_attr(ind, "unit", "") or "")
    ax.set_xlabel("年")
    ax.set_ylabel(unit)
    ax.set_title(_name(catalog, indicator_id))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
