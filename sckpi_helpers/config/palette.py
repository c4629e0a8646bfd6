"""Every colour the kit draws with, from one colour-blind-safe palette (Okabe–Ito), and the contrast rule.

Why here: figures (viz), page CSS and status badges (reports) and the logic-model diagram must agree,
and a reader with a colour-vision deficiency must tell every status apart. Okabe & Ito's eight colours
("Color Universal Design", 2008) stay distinct under protanopia, deuteranopia and tritanopia; status
is never shown by colour alone (each has a mark in :data:`STATUS_MARKS` and its Japanese word), and
text on a coloured background takes the colour :func:`text_on` picks so that WCAG 2.x contrast is at
least :data:`MIN_CONTRAST`. Plain data and arithmetic only, so every stage may import it.

Stage 1 (config): imports only ``errors`` and ``atomic``.
"""

from __future__ import annotations

#: Okabe–Ito: the eight colours of Color Universal Design
OKABE_ITO = {
    "black": "#000000",
    "orange": "#e69f00",
    "sky_blue": "#56b4e9",
    "bluish_green": "#009e73",
    "yellow": "#f0e442",
    "blue": "#0072b2",
    "vermillion": "#d55e00",
    "reddish_purple": "#cc79a7",
}
GREY = "#bbbbbb"  # no data / not assessed (neutral, not one of the eight)
DARK_GREY = "#595959"  # secondary lines and text (7:1 on white)
TEXT = "#222222"  # body text
MUTED_TEXT = "#595959"  # captions, footers (≥ 4.5:1 on white and on the table stripes)

#: KPI status (Check❶–❹ tracking): colour, and a mark so it reads without colour too
STATUS_COLOURS = {
    "achieved": OKABE_ITO["bluish_green"],
    "on_track": OKABE_ITO["sky_blue"],
    "behind": OKABE_ITO["vermillion"],
    "no_data": GREY,
}
STATUS_MARKS = {"achieved": "◎", "on_track": "○", "behind": "△", "no_data": "－"}
#: KPI status as a marker shape in figures too (never by colour alone)
STATUS_MARKER_SHAPES = {"achieved": "o", "on_track": "s", "behind": "v", "no_data": "x"}

#: progress in words (checks.kpi.progress_class): colour and mark
PROGRESS_COLOURS = {
    "achieved": OKABE_ITO["bluish_green"],
    "on_track": OKABE_ITO["sky_blue"],
    "accelerate": OKABE_ITO["orange"],
    "stalled": OKABE_ITO["yellow"],
    "worsening": OKABE_ITO["vermillion"],
    "no_data": GREY,
}
PROGRESS_MARKS = {"achieved": "◎", "on_track": "○", "accelerate": "△", "stalled": "→", "worsening": "▼",
                  "no_data": "－"}

#: figures: the city against its peers
CITY = OKABE_ITO["vermillion"]
PEER = OKABE_ITO["blue"]
PEER_BAND = "#c6dbef"  # light blue band behind the peers' median (PEER at 25 %)
TARGET = OKABE_ITO["reddish_purple"]
BASELINE = OKABE_ITO["black"]
NOTICE = {"info": OKABE_ITO["blue"], "warning": OKABE_ITO["orange"], "error": OKABE_ITO["vermillion"]}

#: 偏差値 classes for maps, worse → better: orange–purple diverging (ColorBrewer PuOr, colour-blind
#: safe); the middle class (45–55) is near white
DEVIATION_BINS = (-float("inf"), 40.0, 45.0, 55.0, 60.0, float("inf"))
DEVIATION_COLOURS = ("#e66101", "#fdb863", "#f7f7f7", "#b2abd2", "#5e3c99")
DEVIATION_LABELS = ("40未満（下位）", "40–45", "45–55（平均的）", "55–60", "60以上（上位）")

#: WCAG 2.x AA for normal text
MIN_CONTRAST = 4.5


def _rgb(colour: str) -> tuple[float, float, float]:
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    if len(h) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(colour)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 … 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (dark text on every Okabe–Ito colour
    but blue)."""
    return "#000000" if contrast("#000000", background) >= contrast("#ffffff", background) else "#ffffff"
