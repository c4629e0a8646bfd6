"""Plot style: Japanese glyphs everywhere, no tofu boxes.

``matplotlib-fontja`` ships IPAexGothic inside the wheel, so no system font or binary is needed.
Call :func:`use_japanese_font` before drawing; plots in this package do it themselves.
Japanese labels and status colours live in :mod:`sckpi_helpers.config.vocabulary`.

Stage 8 (viz): imports stages 0–7 (… indicators, checks).
"""

from __future__ import annotations

import matplotlib

_DONE = False


def use_japanese_font() -> str:
    """Register the bundled Japanese font and make it the default; return its family name."""
    global _DONE
    import matplotlib_fontja

    matplotlib_fontja.japanize()
    family = matplotlib.rcParams["font.family"][0]
    matplotlib.rcParams["axes.unicode_minus"] = False  # IPAexGothic lacks U+2212
    matplotlib.rcParams["svg.fonttype"] = "path"  # embedded SVG shows the glyphs, not a font name
    _DONE = True
    return family

