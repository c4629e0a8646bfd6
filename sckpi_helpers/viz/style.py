"""Plot style: Japanese glyphs everywhere, no tofu boxes.

``matplotlib-fontja`` ships IPAexGothic inside the wheel, so no system font or binary is needed.
Call :func:`use_japanese_font` before drawing; plots in this package do it themselves.
Japanese labels and status colours live in :mod:`sckpi_helpers.config.vocabulary`.

Stage 8 (viz): imports stages 0–7 (… indicators, checks).
"""

from __future__ import annotations

import matplotlib

_REGISTERED = False


def use_japanese_font() -> str:
    """Register the bundled Japanese font (once per process) and make it the default; return its
    family name.

    Why once: ``matplotlib_fontja.japanize()`` walks the font folder, parses the TTF and appends it to
    matplotlib's font list again on every call — a national run's kernel draws thousands of figures,
    and each call made every later font lookup slower. The rc settings are applied every time (a
    notebook kernel restores matplotlib's defaults between notebooks)."""
    global _REGISTERED
    import matplotlib_fontja

    if not _REGISTERED:
        matplotlib_fontja.japanize()  # registers the font file and sets the family
        _REGISTERED = True
    matplotlib.rc("font", family=matplotlib_fontja.matplotlib_fontja.FONT_NAME)
    family = matplotlib.rcParams["font.family"][0]
    matplotlib.rcParams["axes.unicode_minus"] = False  # IPAexGothic lacks U+2212
    matplotlib.rcParams["svg.fonttype"] = "path"  # embedded SVG shows the glyphs, not a font name
    return family
