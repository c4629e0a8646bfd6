"""Plot style: Japanese glyphs everywhere, no tofu boxes.

``matplotlib-fontja`` ships IPAexGothic inside the wheel, so no system font or binary is needed.
Call :func:`use_japanese_font` before drawing; plots in this package do it themselves.
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


#: status colours shared by KPI tables, the logic-model diagram and plots (colour-blind safe)
STATUS_COLOURS = {
    "achieved": "#1a9850",
    "on_track": "#91cf60",
    "behind": "#d73027",
    "no_data": "#bdbdbd",
}
STATUS_JA = {"achieved": "達成", "on_track": "順調", "behind": "遅れ", "no_data": "データなし"}
PILLAR_JA = {"social": "社会", "economic": "経済", "environmental": "環境"}
PEER_GROUP_JA = {"prefecture": "同じ都道府県の市区町村", "population_band": "人口規模が同じ市区町村",
                 "municipal_type": "同じ種別（政令市・中核市・一般市・特別区・町村）の市区町村",
                 "all": "全市区町村"}


def peer_group_ja(spec: str) -> str:
    """A peer-group spec (see ``peers.peer_group``) as reports name it."""
    if spec.startswith("list:"):
        return f"指定した市区町村（{spec[5:]}）"
    return PEER_GROUP_JA.get(spec, spec)
