"""The city's profile as the デジタル庁 Well-Being dashboard draws it: a radar of 偏差値 per pillar and per
field, the peers' median as a ring; and a two-indicator scatter of the city among its peers.

Why here: reviewers read a radar at a glance; the value of every axis is printed beside its label,
so the chart does not depend on reading a polygon (or on colour). Inputs are plain frames the checks
stage computed; nothing is looked up here.

Stage 7 (viz): imports stages 0–6.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from sckpi_helpers.config.palette import CITY, DARK_GREY, PEER
from sckpi_helpers.viz import style

#: the radial axis (偏差値); values outside are drawn on the edge, their labels give the true value
R_MIN, R_MAX = 20.0, 80.0


def _clip(v: float) -> float:
    return min(max(v, R_MIN), R_MAX)


def radius(v: float) -> float:
    """A 偏差値 as the distance from the radar's centre (0 at :data:`R_MIN`, 1 at :data:`R_MAX`)."""
    return (_clip(v) - R_MIN) / (R_MAX - R_MIN)


def _radar(ax, frame: pd.DataFrame, title: str) -> None:
    """One radar on a plain, axis-less Axes: rings, spokes and labels are drawn as lines and texts.

    Why not matplotlib's polar projection: its tick machinery measured every label several times
    per figure (two thirds of the radar's time, 1,741 times in a national run); the drawing is the
    same — the first axis at the top, then clockwise, rings at 30–70, the value beside each label."""
    n = len(frame)
    ang = np.pi / 2 - 2 * np.pi * np.arange(n) / n  # the first axis at the top, then clockwise

    def xy(r: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return r * np.cos(a), r * np.sin(a)

    def ring(r: float, **line) -> None:  # a circle patch: eight Bézier curves in the SVG, not 120 segments
        ax.add_patch(Circle((0, 0), r, fill=False, zorder=0, **line))

    for v in (30, 40, 60, 70):
        ring(radius(v), edgecolor="#b0b0b0", lw=0.8)
    ring(1.0, edgecolor="black", lw=0.8)
    for a in ang:
        ax.plot([0, np.cos(a)], [0, np.sin(a)], color="#b0b0b0", lw=0.8, zorder=0)
    for v in (30, 40, 50, 60, 70):  # the 偏差値 of each ring, along the first spoke's right
        x, y = xy(np.array(radius(v)), np.array(np.pi / 2 - np.pi / 8))
        ax.text(x, y, str(v), fontsize=7, color=DARK_GREY, ha="left", va="bottom")
    ring(radius(50.0), edgecolor=DARK_GREY, lw=0.8, ls=":")
    ax.plot([], [], color=DARK_GREY, lw=0.8, ls=":", label="偏差値50（比較団体の平均）")  # the ring's legend entry
    close = np.r_[ang, ang[:1]]
    med = np.array([radius(v) if np.isfinite(v) else radius(50.0) for v in frame["peer_median"]])
    ax.plot(*xy(np.r_[med, med[:1]], close), color=PEER, lw=1.6, ls="--", label="比較団体の中央値")
    city = np.array([radius(v) if np.isfinite(v) else np.nan for v in frame["city"]])
    ax.plot(*xy(np.r_[city, city[:1]], close), color=CITY, lw=2, marker="o", ms=4, label="対象都市")
    ax.fill(*xy(np.nan_to_num(np.r_[city, city[:1]], nan=0.0), close), color=CITY, alpha=0.18)
    for a, lbl, v in zip(ang, frame["label"], frame["city"], strict=True):
        c, s_ = np.cos(a), np.sin(a)
        ax.text(1.1 * c, 1.1 * s_, f"{lbl}\n{v:.1f}" if np.isfinite(v) else f"{lbl}\nデータなし", fontsize=8,
                ha="center" if abs(c) < 0.2 else ("left" if c > 0 else "right"),
                va="center" if abs(s_) < 0.2 else ("bottom" if s_ > 0 else "top"))
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.35, 1.45)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title, fontsize=10, y=1.0)  # placed, not measured against (hidden) tick labels


def plot_radar(pillars: pd.DataFrame, fields: pd.DataFrame | None = None, *, title: str = "") -> Figure:
    """Radar(s) of the city's mean 偏差値 (``label, city, peer_median``; one row per axis) by pillar and,
    when given, by field. Fewer than three axes cannot make a polygon: such a panel is drawn as a
    dot chart on the same scale instead."""
    style.use_japanese_font()
    panels = [(pillars, "柱ごと")] + ([(fields, "分野ごと")] if fields is not None and len(fields) else [])
    polar = any(len(f) >= 3 for f, _ in panels)
    rows = max(len(f) for f, _ in panels)
    fig = plt.figure(figsize=(5.2 * len(panels), 5.0 if polar else 1.6 + 0.45 * rows))
    for i, (frame, sub) in enumerate(panels, start=1):
        if len(frame) >= 3:
            ax = fig.add_subplot(1, len(panels), i)
            _radar(ax, frame.reset_index(drop=True), sub)
        else:
            ax = fig.add_subplot(1, len(panels), i)
            y = np.arange(len(frame))
            ax.axvline(50, color=DARK_GREY, lw=0.8, ls=":")
            ax.scatter(frame["peer_median"], y, color=PEER, marker="|", s=200, label="比較団体の中央値")
            ax.scatter(frame["city"], y, color=CITY, s=40, label="対象都市")
            ax.set_yticks(y, [f"{lbl}（{v:.1f}）" if np.isfinite(v) else f"{lbl}（データなし）"
                              for lbl, v in zip(frame["label"], frame["city"], strict=True)])
            ax.set_xlim(R_MIN, R_MAX)
            ax.set_ylim(-0.6, len(frame) - 0.4)
            ax.set_title(sub, fontsize=10)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(title or "偏差値のプロフィール（50 = 比較団体の平均、外側ほど良い）", fontsize=11)
    if all(len(f) >= 3 for f, _ in panels):  # radars only: their room is known (labels inside the limits)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.09, top=0.87, wspace=0.1)
    else:  # a dot chart's labels vary
        fig.tight_layout(rect=(0, 0.06 if polar else 0.12, 1, 0.9 if polar else 0.88))
    return fig


def plot_pair_scatter(points: pd.DataFrame, city: str, x_label: str, y_label: str, *,
                      x_better: str | None = None, y_better: str | None = None, title: str = "") -> Figure:
    """Two indicators of the city among its peers: ``points`` has ``area_code, name, x, y``; the city
    is a labelled diamond, the peers' medians a crosshair, ``*_better`` (``higher``/``lower``) an arrow
    toward the better side on each axis. With few peers every point is named."""
    style.use_japanese_font()
    city = str(city)
    pts = points.dropna(subset=["x", "y"])
    peers = pts[pts["area_code"] != city]
    mine = pts[pts["area_code"] == city]
    fig, ax = plt.subplots(figsize=(7.2, 5.4))
    if len(peers):
        ax.axvline(float(peers["x"].median()), color=PEER, lw=0.8, ls="--")
        ax.axhline(float(peers["y"].median()), color=PEER, lw=0.8, ls="--", label="比較団体の中央値")
    ax.scatter(peers["x"], peers["y"], s=22, color=PEER, alpha=0.75, edgecolor="white", linewidth=0.4,
               label=f"比較団体（{len(peers)}）")
    if len(peers) <= 15:
        for r in peers.itertuples():
            ax.annotate(str(r.name), (r.x, r.y), fontsize=7, xytext=(3, 2), textcoords="offset points",
                        color=DARK_GREY)
    if len(mine):
        r = mine.iloc[0]
        ax.scatter([r["x"]], [r["y"]], s=90, marker="D", color=CITY, edgecolor="black", zorder=4, label="対象都市")
        ax.annotate(str(r["name"]), (r["x"], r["y"]), fontsize=9.5, xytext=(6, 6),
                    textcoords="offset points")
    arrow = {"higher": "（→ 良い）", "lower": "（← 良い）"}
    ax.set_xlabel(x_label + arrow.get(x_better or "", ""))
    yarrow = {"higher": "（↑ 良い）", "lower": "（↓ 良い）"}
    ax.set_ylabel(y_label + yarrow.get(y_better or "", ""))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="best")
    ax.set_title(title or f"{x_label} と {y_label}", fontsize=10)
    fig.tight_layout()
    return fig


def field_profile(comparison: pd.DataFrame, peer_scores: pd.DataFrame, key: str, labels: dict[str, str],
                  city: str) -> pd.DataFrame:
    """``label, city, peer_median`` per ``key`` (``pillar`` or ``field``): the city's mean 偏差値 over
    the group's indicators, and the median over peers of each peer's own mean. ``peer_scores`` are
    ``indicators.peers.scores`` rows with the same ``key`` column."""
    city = str(city)
    mine = comparison.groupby(key)["deviation_score"].mean()
    others = peer_scores[peer_scores["area_code"] != city]
    per_peer = others.groupby([key, "area_code"])["deviation_score"].mean().groupby(level=0).median()
    keys = [k for k in labels if k in set(comparison[key].dropna())]
    return pd.DataFrame({"key": keys, "label": [labels[k] for k in keys],
                         "city": [float(mine.get(k, math.nan)) for k in keys],
                         "peer_median": [float(per_peer.get(k, math.nan)) for k in keys]})
