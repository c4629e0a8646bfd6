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
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.path import Path

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


def _paths(geometries: Any) -> list[Path | None]:
    """Each (multi)polygon as one matplotlib path (holes included), for a ``PathCollection``;
    None for an empty shape."""
    from shapely.plotting import patch_from_polygon

    return [patch_from_polygon(g).get_path() if g is not None and not g.is_empty else None for g in geometries]


def _layer(ax: Any, paths: list[Path], **style: Any) -> None:
    """``paths`` drawn alike as one compound path (one SVG element, not one per municipality)."""
    if paths:
        ax.add_collection(PathCollection([Path.make_compound_path(*paths)], **style))


def _classes(ax: Any, paths: list[Path], classes: list[int | None], **edge: Any) -> None:
    """Each 偏差値 class's shapes in its colour; shapes without a value (None) white and hatched."""
    for k, colour in enumerate(DEVIATION_COLOURS):
        _layer(ax, [p for p, c in zip(paths, classes, strict=True) if c == k], facecolors=colour, **edge)
    _layer(ax, [p for p, c in zip(paths, classes, strict=True) if c is None], facecolors="white",
           hatch=MISSING_HATCH, **{**edge, "edgecolors": GREY})


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
    # each panel as wide as its frame at the height it gets (a tall frame: narrower panels, not white
    # margins; the figure is saved at this size), never narrower than its title and the legend need
    ratio = (y1 - y0 + 2 * pady) * aspect / max(x1 - x0 + 2 * padx, 1e-6)
    h = min(max((4.4 if ncols > 1 else 6.0) * ratio, 2.5), 6.0)
    w = max(min(4.4 if ncols > 1 else 6.0, h / ratio), 2.9 if ncols > 1 else 5.6)
    tol = (x1 - x0 + y1 - y0) / 700  # about a line's width at the panel's size (4–6 inches)
    shown = shown.assign(geometry=shown.geometry.simplify(tol, preserve_topology=True))
    context = context.assign(geometry=context.geometry.simplify(tol * 2, preserve_topology=True))
    fig, axes = plt.subplots(nrows, ncols, figsize=(w * ncols, h * nrows + 0.9), squeeze=False)
    # shapes → matplotlib paths once per figure; each panel draws its layers as one collection each
    shapes = {c: p for c, p in zip(shown["area_code"], _paths(shown.geometry), strict=True) if p is not None}
    context_paths = [p for p in _paths(context.geometry) if p is not None]
    for ax, (ptitle, frame) in zip(axes.flat, panels, strict=False):
        score = dict(zip(frame["area_code"].astype(str), frame["deviation_score"].astype(float), strict=False))
        _layer(ax, context_paths, facecolors=CONTEXT_FILL, edgecolors="#D0D0D0", linewidths=0.3)
        cls = {c: deviation_class(score.get(c, math.nan)) for c in shapes}
        _classes(ax, list(shapes.values()), list(cls.values()), edgecolors="#666666", linewidths=0.4)
        if city in shapes:
            _layer(ax, [shapes[city]], facecolors="none", edgecolors="#000000", linewidths=2.2)
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


def national_shapes(geo: Any, *, detail: float = 900.0) -> tuple[list[str], list[Path], tuple[float, ...]]:
    """Every municipality's shape as a path, simplified for a map of the whole country (1/``detail``
    of the extent: finer than a line at page size), made once for all of a national site's maps:
    (codes, paths, (x0, y0, x1, y1))."""
    x0, y0, x1, y1 = (float(v) for v in geo.total_bounds)
    simple = geo.geometry.simplify((x1 - x0 + y1 - y0) / detail, preserve_topology=True)
    pairs = [(c, p) for c, p in zip(geo["area_code"].astype(str), _paths(simple), strict=True) if p is not None]
    return [c for c, _ in pairs], [p for _, p in pairs], (x0, y0, x1, y1)


def plot_national_map(shapes: tuple[list[str], list[Path], tuple[float, ...]], scores: dict[str, float], *,
                      title: str = "") -> Figure:
    """Every municipality coloured by its national 偏差値 class (the classes of the city maps); a
    municipality without a value hatched, never coloured. ``shapes`` from :func:`national_shapes`."""
    style.use_japanese_font()
    codes, paths, (x0, y0, x1, y1) = shapes
    aspect = 1 / math.cos(math.radians((y0 + y1) / 2))
    fig, ax = plt.subplots(figsize=(7.0, 7.0 * (y1 - y0) * aspect / (x1 - x0) + 0.9))
    cls = [deviation_class(scores.get(c, math.nan)) for c in codes]
    miss = sum(k is None for k in cls)
    _classes(ax, paths, cls, edgecolors="#777777", linewidths=0.15)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(aspect)
    ax.set_axis_off()
    handles = [Patch(facecolor=c, edgecolor="#666666", label=lbl) for c, lbl in
               zip(DEVIATION_COLOURS, DEVIATION_LABELS, strict=True)]
    handles.append(Patch(facecolor="white", edgecolor=GREY, hatch=MISSING_HATCH, label=f"データなし（{miss}団体）"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False, title="全国の偏差値（高いほど良い）",
              title_fontsize=8)
    if title:
        ax.set_title(title, fontsize=11)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.95 if title else 0.99)
    return fig
