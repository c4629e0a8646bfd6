"""The national distribution of one indicator as a small SVG histogram (the national site's pages).

Why SVG and why small: a national indicator page must stay light (1,741 municipalities, 47 pages),
print sharply and carry its own text alternative; matplotlib writes the SVG (ticks only — the
page's HTML carries the title, the median and the alt text, which screen readers read).

Stage 8 (viz): imports stages 0–7.
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np

from sckpi_helpers.config import palette
from sckpi_helpers.viz import style

#: the peers' colour for the bars and the city's for the median line (Okabe–Ito, config.palette)
BAR_COLOUR = palette.PEER
MEDIAN_COLOUR = palette.CITY


def histogram_svg(values: np.ndarray, *, bins: int = 40, width: float = 6.4, height: float = 2.2) -> str:
    """An SVG histogram of ``values`` (NaN ignored) with the median marked; ``""`` without values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return ""
    style.use_japanese_font()
    lo, hi = np.percentile(v, [0.5, 99.5]) if v.size > 20 else (v.min(), v.max())
    if hi <= lo:
        lo, hi = v.min() - 0.5, v.max() + 0.5
    clipped = np.clip(v, lo, hi)
    fig, ax = plt.subplots(figsize=(width, height))
    try:
        ax.hist(clipped, bins=bins, range=(lo, hi), color=BAR_COLOUR, edgecolor="white", linewidth=0.3)
        ax.axvline(float(np.median(v)), color=MEDIAN_COLOUR, lw=1.5, ls="--")
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=8)
        fig.tight_layout(pad=0.3)
        buf = io.StringIO()
        # a fixed salt: the SVG's ids come from its content, so the same data give the same page
        # (a run on another machine or a Dask worker writes identical files)
        with plt.rc_context({"svg.hashsalt": "sckpi"}):
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]
