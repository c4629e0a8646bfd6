"""The logic model drawn as the guideline draws it: one column per tier, arrows for links.

Columns, left to right: インプット → 事業・取組 → アウトプット → アウトカム第1階層 → 第2階層 → 第3階層.
Each measure is a horizontal band; each box shows its wrapped Japanese label and its indicators.
With a tracking table the boxes are coloured by status (:data:`~sckpi_helpers.config.vocabulary.STATUS_COLOURS`);
a box's status is the worst of its indicators' (behind > no_data > on_track > achieved). Boxes
without indicators (inputs, activities) stay white.

Every box patch carries ``gid = "box:<measure_id>:<box_id>"`` and the figure an attribute
``sckpi_boxes`` {(measure_id, box_id): {"status", "colour"}}, so callers and tests can check colours.

Stage 8 (viz): imports stages 0–7 (… indicators, checks).
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from sckpi_helpers.checks.kpi import box_status, latest_status
from sckpi_helpers.config.periods import Period
from sckpi_helpers.config.vocabulary import MODEL_TIERS, STATUS_COLOURS, STATUS_JA, STATUS_MARKS
from sckpi_helpers.sources.logic_model import FIELD_JA, LogicModel
from sckpi_helpers.viz.style import use_japanese_font

COLUMN_JA = ["インプット", "事業・取組", "アウトプット", "アウトカム\n第1階層", "アウトカム\n第2階層",
             "アウトカム\n第3階層"]
NO_INDICATOR_COLOUR = "#ffffff"
NOT_ASSESSED_COLOUR = "#e8eef7"
_LABEL_CHARS = 14
_IND_CHARS = 16
_LINE = 0.17     # height of one text line in data units
_PAD = 0.14      # vertical padding inside a box
_GAP = 0.22      # gap between boxes of one column
_BOX_W = 0.82    # box width (column pitch = 1)


_NO_LINE_START = set("、。，．・：；？！）」』】〕）ー～ぁぃぅぇぉっゃゅょァィゥェォッャュョ%")


def _wrap(text: str, width: int) -> list[str]:
    """Wrap Japanese text by characters, keeping closing marks off the start of a line (禁則)."""
    lines = textwrap.wrap(str(text), width=width, break_long_words=True, break_on_hyphens=False) or [""]
    for i in range(1, len(lines)):
        while lines[i] and lines[i][0] in _NO_LINE_START:
            lines[i - 1] += lines[i][0]
            lines[i] = lines[i][1:]
    return [x for x in lines if x] or [""]


def _box_text(box, statuses: dict | None) -> tuple[list[str], list[str]]:
    label = _wrap(box.label, _LABEL_CHARS)[:4]
    inds = []
    for ind in box.indicators:
        name = ind.name_ja or ind.id
        st = statuses.get(ind.id) if statuses else None
        suffix = f"（{STATUS_JA[st]}）" if st else ""
        lines = _wrap("・" + name + suffix, _IND_CHARS)[:3]
        inds.extend(lines)
    return label, inds


def draw_logic_model(model: LogicModel, tracking: pd.DataFrame | None = None, measure_id: str | None = None,
                     period: str | Period | None = None, *, title: str | None = None) -> Figure:
    """Draw ``model`` (or one measure) by tier; colour boxes by status when ``tracking`` is given.

    ``tracking`` is :func:`sckpi_helpers.kpi.track`'s table; ``period`` the reporting period
    (default: the table's). Returns a matplotlib Figure (not shown, not saved).
    """
    use_japanese_font()
    measures = [model.measure(measure_id)] if measure_id else list(model.measures)
    bstat: dict[tuple[str, str], str] = {}
    istat: dict[tuple[str, str, str], str] = {}
    if tracking is not None and len(tracking):
        bstat = box_status(tracking, period)
        for r in latest_status(tracking, period).itertuples(index=False):
            istat[(r.measure_id, r.box_id, r.indicator_id)] = r.status

    # layout: per measure a band; per tier a column of boxes
    layout = []  # (measure, box, x, y_top, height, lines_label, lines_ind)
    y = 0.0
    bands = []
    for m in measures:
        y += 0.45  # room for the measure title
        band_top = y
        cols: dict[str, list] = {t: [] for t in MODEL_TIERS}
        for b in m.boxes:
            st = {i.id: istat.get((m.id, b.id, i.id)) for i in b.indicators} if istat else None
            label, inds = _box_text(b, st)
            h = _PAD * 2 + _LINE * (len(label) + len(inds)) + (0.05 if inds else 0)
            cols[b.tier].append((b, h, label, inds))
        heights = [sum(h for _, h, _, _ in c) + _GAP * max(len(c) - 1, 0) for c in cols.values()]
        band_h = max(heights + [0.6])
        for ci, t in enumerate(MODEL_TIERS):
            c = cols[t]
            total = heights[ci]
            yy = band_top + (band_h - total) / 2
            for b, h, label, inds in c:
                layout.append((m, b, ci, yy, h, label, inds))
                yy += h + _GAP
        bands.append((m, band_top, band_h))
        y = band_top + band_h + 0.35

    total_h = max(y, 1.0)
    fig_h = min(2.0 + total_h * 1.05, 60)
    fig, ax = plt.subplots(figsize=(15, fig_h))
    ax.set_xlim(-0.15, len(MODEL_TIERS) - 0.05)
    ax.set_ylim(total_h, -0.55)
    ax.axis("off")
    for ci, name in enumerate(COLUMN_JA):
        ax.text(ci + _BOX_W / 2, -0.3, name, ha="center", va="center", fontsize=10)
    for m, top, h in bands:
        ax.text(-0.1, top - 0.22, f"{m.name_ja}（{FIELD_JA.get(m.field, m.field)}）", ha="left", va="center",
                fontsize=10)
        ax.add_patch(FancyBboxPatch((-0.12, top - 0.08), len(MODEL_TIERS) - 0.1, h + 0.16,
                                    boxstyle="round,pad=0.0,rounding_size=0.05", facecolor="none",
                                    edgecolor="#cccccc", linewidth=0.6, linestyle="--", zorder=0))

    pos: dict[tuple[str, str], tuple[float, float, float]] = {}
    info: dict[tuple[str, str], dict] = {}
    for m, b, ci, top, h, label, inds in layout:
        if b.indicators:
            status = bstat.get((m.id, b.id)) if tracking is not None else None
            colour = STATUS_COLOURS[status] if status else (NOT_ASSESSED_COLOUR if tracking is None
                                                             else STATUS_COLOURS["no_data"])
            if tracking is not None and status is None:
                status = "no_data"
        else:
            status, colour = None, NO_INDICATOR_COLOUR
        patch = FancyBboxPatch((ci, top), _BOX_W, h, boxstyle="round,pad=0.0,rounding_size=0.06",
                               facecolor=colour, edgecolor="#444444", linewidth=0.9, zorder=2)
        patch.set_gid(f"box:{m.id}:{b.id}")
        ax.add_patch(patch)
        ax.text(ci + 0.04, top + _PAD, "\n".join(label), ha="left", va="top", fontsize=8.5,
                zorder=3, linespacing=1.15)
        if inds:
            ax.text(ci + 0.04, top + _PAD + _LINE * len(label) + 0.05, "\n".join(inds), ha="left", va="top",
                    fontsize=7, zorder=3, linespacing=1.2)
        if status:  # the status in words and a mark too, never by the box's colour alone
            ax.text(ci + _BOX_W - 0.04, top + h - 0.04, f"{STATUS_MARKS[status]} {STATUS_JA[status]}", ha="right",
                    va="bottom", fontsize=7.5, zorder=3)
        pos[(m.id, b.id)] = (ci, top, h)
        info[(m.id, b.id)] = {"status": status, "colour": colour}

    for m in measures:
        for b in m.boxes:
            if (m.id, b.id) not in pos:
                continue
            x0, t0, h0 = pos[(m.id, b.id)]
            for target in b.feeds:
                if (m.id, target) not in pos:
                    continue
                x1, t1, h1 = pos[(m.id, target)]
                if x1 == x0:  # same tier: from the box's edge to the other's
                    start = (x0 + _BOX_W * 0.9, t0 + (h0 if t1 > t0 else 0))
                    end = (x1 + _BOX_W * 0.9, t1 + (0 if t1 > t0 else h1))
                    style = "arc3,rad=-0.4"
                else:
                    start = (x0 + _BOX_W, t0 + h0 / 2)
                    end = (x1, t1 + h1 / 2)
                    style = "arc3,rad=0.0"
                ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10,
                                             connectionstyle=style, color="#555555", linewidth=0.9,
                                             shrinkA=1, shrinkB=1, zorder=1))

    handles = [Patch(facecolor=STATUS_COLOURS[s], edgecolor="#444444", label=f"{STATUS_MARKS[s]} {STATUS_JA[s]}")
               for s in ("achieved", "on_track", "behind", "no_data")]
    if tracking is None:
        handles = [Patch(facecolor=NOT_ASSESSED_COLOUR, edgecolor="#444444", label="評価指標あり（未評価）")]
    handles.append(Patch(facecolor=NO_INDICATOR_COLOUR, edgecolor="#444444", label="指標なし"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles),
              frameon=False, fontsize=9)
    p_label = None
    if tracking is not None:
        p_label = str(period) if period is not None else tracking.attrs.get("period")
    head = title or f"ロジックモデル — {model.city.name}（{model.plan.start}〜{model.plan.end}年度）"
    if p_label:
        head += f"　評価期間: {p_label}"
    ax.set_title(head, fontsize=12, loc="left")
    fig.tight_layout()
    fig.sckpi_boxes = info  # type: ignore[attr-defined]
    return fig
