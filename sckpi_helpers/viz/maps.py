"""Maps of the city among its peers: each municipality coloured by its 偏差値 class, the city outlined,
a missing value hatched (never coloured as if it were a value).

Why here: reviewers know the municipal maps of RESAS / jSTAT MAP; a map shows at a glance whether a
city's standing is regional. The shapes come from ``sources.boundaries`` (real 国土数値情報 行政区域);
an area without a shape (the fictional demo prefecture 99) is not drawn — the caller says so instead
of drawing a fake map. Colours are colour-blind safe (``config.palette.DEVIATION_COLOURS``), and each
class is also named in the legend. Far-off peers (islands hundreds of km away) would shrink the map to
a dot; they are left out of the frame and counted in the panel's note.

Stage 7 (viz): imports stages 0–6.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sckpi_helpers.config.palette import DEVIATION_BINS, DEVIATION_COLOURS, DEVIATION_LABELS, GREY
from sckpi_helpers.viz import style

MISSING_HATCH = "////"
CONTEXT_FILL = "#F2F2F2"
#: with more municipalities than this in the frame (peers across prefectures) the non-peers are not drawn
MAX_CONTEXT = 250
#: a peer farther from the peers' centre than this many times their median distance is off the frame
FAR_FACTOR = 4.0


def deviation_class(score: float) -> int | None:
    """Index into ``DEVIATION_COLOURS`` of a 偏差値 (None when missing)."""
    if score is None or not np.isfinite(score):
        return None
    for i in range(len(DEVIATION_BINS) - 1):
        if DEVIATION_BINS[i] <= score < DEVIATION_BINS[i + 1]:
            return i
    return len(DEVIATION_COLOURS) - 1


def frame_codes(geo: Any, codes: list[str], city: str) -> tuple[list[str], list[str]]:
    """(codes inside the frame, codes left out as far away) — the city is always inside."""
    sub = geo[geo["area_code"].isin(codes)]
    if len(sub) < 4:
        return list(sub["area_code"]), []
    pts = sub.geometry.representative_point()
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    cx, cy = np.median(x), np.median(y)
    dist = np.hypot((x - cx) * math.cos(math.radians(cy)), y - cy)
    limit = FAR_FACTOR * max(float(np.median(dist)), 0.05)
    inside = (dist <= limit) | (sub["area_code"].to_numpy() == city)
    return list(sub["area_code"][inside]), list(sub["area_code"][~inside])


def plot_deviation_maps(geo: Any, panels: list[tuple[str, pd.DataFrame]], city: str, peer_codes: list[str],
                        *, ncols: int = 2, title: str = "") -> Figure:
    """One map per panel: ``(title, frame with area_code, deviation_score)``; peers coloured by class,
    the city outlined in black, peers without a value hatched, other municipalities in the frame light
    grey for context. ``geo`` from ``sources.boundaries.load_boundaries``."""
    style.use_japanese_font()
    city = str(city)
    codes = sorted(set(map(str, peer_codes)) | {city})
    inside, far = frame_codes(geo, codes, city)
    shown = geo[geo["area_code"].isin(inside)]
    if shown.empty:
        raise ValueError("no peer has a boundary to draw")
    x0, y0, x1, y1 = shown.total_bounds
    padx, pady = (x1 - x0) * 0.04 + 0.01, (y1 - y0) * 0.04 + 0.01
    context = geo.cx[x0 - padx:x1 + padx, y0 - pady:y1 + pady]
    context = context[~context["area_code"].isin(codes)]
    if len(context) > MAX_CONTEXT:  # a national frame: the peers alone keep the figure light
        context = context.iloc[0:0]
    n = max(len(panels), 1)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    aspect = 1 / math.cos(math.radians((y0 + y1) / 2))
    w = 4.4 if ncols > 1 else 6.0
    h = w * (y1 - y0 + 2 * pady) * aspect / max(x1 - x0 + 2 * padx, 1e-6)
    tol = (x1 - x0 + y1 - y0) / 1500  # finer than a line's width at print size
    shown = shown.assign(geometry=shown.geometry.simplify(tol, preserve_topology=True))
    context = context.assign(geometry=context.geometry.simplify(tol * 2, preserve_topology=True))
    fig, axes = plt.subplots(nrows, ncols, figsize=(w * ncols, min(max(h, 2.5), 6.0) * nrows + 0.9), squeeze=False)
    for ax, (ptitle, frame) in zip(axes.flat, panels, strict=False):
        score = dict(zip(frame["area_code"].astype(str), frame["deviation_score"].astype(float), strict=False))
        if len(context):
            context.plot(ax=ax, color=CONTEXT_FILL, edgecolor="#D0D0D0", linewidth=0.3)
        cls = [deviation_class(score.get(c, math.nan)) for c in shown["area_code"]]
        have = shown[[c is not None for c in cls]]
        miss = shown[[c is None for c in cls]]
        if len(have):
            have.plot(ax=ax, color=[DEVIATION_COLOURS[c] for c in cls if c is not None], edgecolor="#666666",
                      linewidth=0.4)
        if len(miss):
            miss.plot(ax=ax, facecolor="white", edgecolor=GREY, hatch=MISSING_HATCH, linewidth=0.4)
        mine = shown[shown["area_code"] == city]
        if len(mine):
            mine.boundary.plot(ax=ax, color="#000000", linewidth=2.2)
        ax.set_xlim(x0 - padx, x1 + padx)
        ax.set_ylim(y0 - pady, y1 + pady)
        ax.set_aspect(aspect)
        ax.set_axis_off()
        ax.set_title(ptitle, fontsize=10)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles = [Patch(facecolor=c, edgecolor="#666666", label=lbl) for c, lbl in
               zip(DEVIATION_COLOURS, DEVIATION_LABELS, strict=True)]
    handles += [Patch(facecolor="white", edgecolor=GREY, hatch=MISSING_HATCH, label="データなし"),
                Patch(facecolor="none", edgecolor="#000000", linewidth=2.2, label="対象都市（太線）")]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False, title="偏差値（高いほど良い）",
               title_fontsize=8)
    note = f"図の範囲外の比較団体 {len(far)} 件（表に記載）" if far else ""
    if title or note:
        fig.suptitle("\n".join(x for x in (title, note) if x), fontsize=11 if title else 9)
    top = 1 - 0.05 * (bool(title) + bool(note)) / max(nrows, 1)
    fig.tight_layout(rect=(0, 0.12 if nrows == 1 else 0.08, 1, top))
    return fig
