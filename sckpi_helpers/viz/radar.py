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

from sckpi_helpers.config.palette import CITY, DARK_GREY, PEER
from sckpi_helpers.viz import style

#: the radial axis (偏差値); values outside are drawn on the edge, their labels give the true value
R_MIN, R_MAX = 20.0, 80.0


def _clip(v: float) -> float:
    return min(max(v, R_MIN), R_MAX)


def _radar(ax, frame: pd.DataFrame, title: str) -> None:
    labels = [f"{lbl}\n{v:.1f}" if np.isfinite(v) else f"{lbl}\nデータなし"
              for lbl, v in zip(frame["label"], frame["city"], strict=True)]
    n = len(frame)
    ax.set_theta_offset(np.pi / 2)  # the first axis at the top, then clockwise
    ax.set_theta_direction(-1)
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    close = np.r_[ang, ang[:1]]
    ring = np.full(len(close), 50.0)
    ax.plot(np.linspace(0, 2 * np.pi, 100), np.full(100, 50.0), color=DARK_GREY, lw=0.8, ls=":",
            label="偏差値50（比較団体の平均）")
    med = [_clip(v) if np.isfinite(v) else 50.0 for v in frame["peer_median"]]
    ax.plot(close, np.r_[med, med[:1]] if n else ring, color=PEER, lw=1.6, ls="--", label="比較団体の中央値")
    city = np.array([_clip(v) if np.isfinite(v) else np.nan for v in frame["city"]])
    ax.plot(close, np.r_[city, city[:1]], color=CITY, lw=2, marker="o", ms=4, label="対象都市")
    ax.fill(close, np.nan_to_num(np.r_[city, city[:1]], nan=R_MIN), color=CITY, alpha=0.18)
    ax.set_xticks(ang, labels, fontsize=8)
    ax.set_ylim(R_MIN, R_MAX)
    ax.set_xlim(0, 2 * np.pi)
    ax.set_yticks([30, 40, 50, 60, 70], ["30", "40", "50", "60", "70"], fontsize=7, color=DARK_GREY)
    ax.set_title(title, fontsize=10, pad=28)


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
            ax = fig.add_subplot(1, len(panels), i, projection="polar")
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
