"""HTML building blocks the notebooks display: headings, notes, figures, tables, summary boxes.

Also the package's one HTML escaper, :func:`e`: the notebook outputs, the report pages (:mod:`.html`;
its Jinja2 templates pass every ``{{ … }}`` through it) and the catalog page escape user-given text —
city names, labels, indicator names, notes — the same way.

Why here: these are presentation only; data come from :mod:`sckpi_helpers.checks.data`, wording from
:mod:`sckpi_helpers.checks.narrative`. IPython is imported lazily (inside the ``show_*`` functions),
so the HTML helpers also work in the runner. Stage 9 (pages): imports stages 0–9.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sckpi_helpers.config.formatting import format_number
from sckpi_helpers.config.palette import NOTICE, PROGRESS_COLOURS, PROGRESS_MARKS, STATUS_MARKS, text_on
from sckpi_helpers.config.vocabulary import PROGRESS_JA, STATUS_COLOURS, STATUS_JA


def e(value: Any) -> str:
    """HTML-escape a user-given value (quotes too); ``None`` → empty. Markup the kit built itself
    (an object with ``__html__``, e.g. a status badge) passes unchanged."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape("" if value is None else str(value), quote=True)


def _display_html(text: str) -> None:
    from IPython.display import HTML, display

    display(HTML(text))


def heading_html(text: str, level: int = 2) -> str:
    return f"<h{level}>{e(text)}</h{level}>"


def show_heading(text: str, level: int = 2) -> None:
    """A heading built from user-given text (e.g. the city name), escaped."""
    _display_html(heading_html(text, level))


def _box(body: str, kind: str = "info") -> None:
    """Markup the kit built (escaped already) in the boxed note of ``kind``."""
    colour = NOTICE.get(kind, NOTICE["info"])
    _display_html(f'<div style="border-left:4px solid {colour};background:#f7f7f7;padding:0.4em 0.9em;'
                  f'margin:0.5em 0">{body}</div>')


def show_notice(text: str, kind: str = "info") -> None:
    """A boxed note (``info``, ``warning`` or ``error``), escaped; newlines kept."""
    _box("<br>".join(e(line) for line in str(text).splitlines()), kind)


def show_links(text: str, links: Sequence[tuple[str, str]]) -> None:
    """A boxed note (escaped) followed by links (address, label), each escaped."""
    _box(e(text) + "<ul>" + "".join(f'<li><a href="{e(href)}">{e(label)}</a></li>' for href, label in links)
         + "</ul>")


def _slug(text: str) -> str:
    s = re.sub(r"[^0-9A-Za-z_-]+", "_", str(text)).strip("_")
    return s or "figure"


def _figure_alt(fig) -> str:
    texts = []
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        texts.append(sup.get_text())
    for ax in fig.get_axes():
        t = ax.get_title() or ax.get_title(loc="left")
        if t:
            texts.append(t)
    return " ／ ".join(dict.fromkeys(texts))[:200] or "グラフ"


#: fonts an SVG figure's text is drawn with (the reader's Japanese font; the kit's IPAexGothic last)
SVG_FONTS = ("'Hiragino Kaku Gothic ProN', 'Hiragino Sans', 'Yu Gothic', YuGothic, Meiryo, 'Noto Sans CJK JP', "
             "'Noto Sans JP', 'IPAexGothic', sans-serif")


def figure_svg(fig) -> bytes:
    """The figure as SVG: vector (prints sharp), text kept as text (searchable, read aloud, and a tenth
    of the bytes of glyph outlines or a PNG), set in the reader's Japanese font (:data:`SVG_FONTS`).

    Saved as its plot function laid it out (every one ends with ``tight_layout`` or ``subplots_adjust``;
    a test checks that its text stays on the canvas): a ``bbox_inches="tight"`` crop, or the
    placeholder engine ``tight_layout`` leaves behind, makes matplotlib lay out and measure every text
    once more before drawing — a third of a Check❹ page's time."""
    import matplotlib
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):  # it lays nothing out
        fig.set_layout_engine(None)
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "sckpi"}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, dpi=96)
    text = buf.getvalue().decode("utf-8")
    text = re.sub(r"font-family: ?'?[^;'\"]+'?", f"font-family: {SVG_FONTS}", text)
    # path coordinates to 0.1 pt (matplotlib writes six decimals) and one space between commands (it
    # writes " \n"): a map of 62 municipalities halves, nothing visible changes; text and attributes
    # other than path data are left exactly as written
    text = re.sub(r'(<path\b[^>]*?\bd=")([^"]*)"',
                  lambda m: m[1] + _PATH_DECIMALS.sub(r"\1", m[2]).replace(" \n", " ").strip() + '"', text)
    text = _palette_images(text)
    # matplotlib's RDF block names only itself (the page's footer names the kit and its versions)
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.DOTALL)
    return text.encode("utf-8")


_PATH_DECIMALS = re.compile(r"(\d\.\d)\d+")
_SVG_PNG = re.compile(r'(xlink:href="data:image/png;base64,)([A-Za-z0-9+/=\s]+)"')


def _palette_images(svg: str) -> str:
    """Images inside an SVG figure (rasterised dots) as palette PNGs: a third of the bytes."""
    import base64

    def one(m: re.Match) -> str:
        data = base64.b64decode("".join(m[2].split()))
        return m[1] + base64.b64encode(palette_png(data)).decode("ascii") + '"'

    return _SVG_PNG.sub(one, svg)


#: colours of a chart's PNG (charts have few; 64 keep anti-aliased text legible): a light set's figure
#: files and the images inside SVG figures (a strip plot's rasterised dots)
PALETTE_COLOURS = 64


def palette_png(data: bytes) -> bytes:
    """A chart PNG as a palette PNG of :data:`PALETTE_COLOURS` colours (about a third of the bytes);
    transparency is kept. Returns ``data`` unchanged when that is not smaller or not a PNG."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        im = Image.open(io.BytesIO(data))
        im.load()
    except (UnidentifiedImageError, OSError):
        return data
    opaque = im.mode != "RGBA" or im.getchannel("A").getextrema()[0] == 255
    # fast octree: ~25 ms a chart, and smaller than median cut on these images
    q = (im.convert("RGB") if opaque else im).quantize(PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE,
                                                        dither=Image.Dither.NONE)
    out = io.BytesIO()
    q.save(out, "PNG", optimize=True)
    return out.getvalue() if out.tell() < len(data) else data


def figure_html(src: str, alt: str, *, table_html: str = "", caption: str = "") -> str:
    """A figure as the page shows it: the image with its alternative text, an optional caption, and
    its data as a table (collapsed, printed open) next to it."""
    cap = f"<figcaption>{e(caption)}</figcaption>" if caption else ""
    alt_table = (f'<details class="sckpi-alt-table"><summary>図の内容を表で見る</summary>{table_html}</details>'
                 if table_html else "")
    return (f'<figure class="sckpi-figure"><img src="{e(src)}" alt="{e(alt)}">'
            f"{cap}</figure>{alt_table}")


def show_figure(fig, name: str | None = None, params: Any = None, alt: str | None = None, *,
                table=None, table_columns: Mapping[str, str] | None = None, caption: str = "") -> None:
    """Show ``fig`` with its alternative text and (``table``) its data as a table beside it; close it.

    In a report (``params.output_dir`` set) the figure is saved as ``<name>.svg`` next to the page's
    CSVs and the page links it (``<img src="files/<notebook>/<name>.svg">``), so pages stay light;
    ``table`` is saved as ``<name>.csv`` too. Without an output folder the SVG is shown inline.
    ``alt`` (default: the figure's titles) should say what the figure shows: value, rank, direction.
    """
    import os
    from pathlib import Path

    import matplotlib.pyplot as plt

    if fig is None:
        return
    alt_text = alt or _figure_alt(fig)
    data = figure_svg(fig)
    plt.close(fig)
    table_html = ""
    if table is not None and len(table):
        table_html = status_table(table, status_col=(), columns=table_columns)
    if params is not None and params.output_dir is not None and name:
        path = Path(params.output_dir) / f"{_slug(name)}.svg"
        path.write_bytes(data)
        if table is not None and len(table):
            table.to_csv(Path(params.output_dir) / f"{_slug(name)}.csv", index=False, encoding="utf-8-sig")
        src = Path(os.path.relpath(path.resolve(), Path.cwd().resolve())).as_posix()
        _display_html(figure_html(src, alt_text, table_html=table_html, caption=caption))
        return
    import base64

    src = "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
    _display_html(figure_html(src, alt_text, table_html=table_html, caption=caption))


def status_label(status: Any) -> str:
    return STATUS_JA.get(str(status), "" if status is None else str(status))


def _pill(colour: str, mark: str, label: str) -> str:
    return (f'<span style="background:{colour};color:{text_on(colour)};padding:0.05em 0.5em;border-radius:0.7em;'
            f'white-space:nowrap"><span aria-hidden="true">{e(mark)}</span> {e(label)}</span>')


def status_cell(status: Any) -> str:
    """HTML for a status label (達成/順調/遅れ/データなし): its mark and word, on its colour (never the
    colour alone; text colour chosen for contrast)."""
    s = str(status) if status is not None else "no_data"
    colour = STATUS_COLOURS.get(s)
    if colour is None:
        return progress_cell(status) if s in PROGRESS_JA else e(status)
    return _pill(colour, STATUS_MARKS[s], STATUS_JA[s])


def progress_cell(category: Any) -> str:
    """HTML for progress in words (達成/順調/要加速/停滞/悪化), mark and word on its colour."""
    c = str(category) if category is not None else "no_data"
    if c not in PROGRESS_JA:
        return e(category)
    return _pill(PROGRESS_COLOURS[c], PROGRESS_MARKS[c], PROGRESS_JA[c])


#: a text cell that reads as a number: "1,234", "-0.5", "21%", "13 / 29", "513（2022）"
_NUMERIC_TEXT = re.compile(r"[-+−]?\d[\d,]*(\.\d+)?\s*[%％]?(\s*/\s*\d+)?(（\d{4}[^）]*）)?")
#: column names (DataFrame side) that hold the unit of the number before them
UNIT_COLUMNS = ("unit", "unit_ja")
#: text up to this many characters never wraps (社会, 選択, 推計（補完）, 件/補正人口千人 …)
SHORT_TEXT = 12
#: tables with this many columns or more are printed in smaller type
WIDE_TABLE = 9
#: text longer than this gets a wide minimum width (lists of indicators, findings)
LONG_TEXT = 60


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(v)) if not isinstance(v, str) else v.strip() in ("", "—", "-")
    except (TypeError, ValueError):
        return False


def _is_number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    try:
        import numpy as np

        if isinstance(v, np.number) and not isinstance(v, np.bool_):
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(v, str) and _NUMERIC_TEXT.fullmatch(v.strip()) is not None


def column_kind(values: Iterable[Any]) -> str:
    """How a column is laid out: ``num`` (every value a number or reads as one; right-aligned, no
    wrap), ``short`` (text of at most :data:`SHORT_TEXT` characters; no wrap), ``long`` (some text
    over :data:`LONG_TEXT` characters; wraps, wide minimum) or ``text`` (wraps, readable minimum)."""
    present = [v for v in values if not _is_missing(v)]
    if present and all(_is_number(v) for v in present):
        return "num"
    longest = max((len(format_number(v)) for v in present), default=0)
    if longest <= SHORT_TEXT:
        return "short"
    return "long" if longest > LONG_TEXT else "text"


_CELL_CLASS = {"num": "num", "short": "sckpi-nowrap", "text": "sckpi-text", "long": "sckpi-long"}


def status_table(df, *, status_col: str | Iterable[str] = "status", columns: Mapping[str, str] | None = None,
                 caption: str | None = None, max_rows: int = 200) -> str:
    """HTML table of ``df``: every cell escaped, status columns coloured with Japanese labels.

    ``columns`` maps column → Japanese header (and selects/orders the columns shown). Each column
    is classed by :func:`column_kind` so the page's CSS right-aligns numbers (``num``), keeps short
    text on one line and gives long text a readable width; a unit column (:data:`UNIT_COLUMNS`) right
    after a number column is drawn beside the number.
    """
    status_cols = {status_col} if isinstance(status_col, str) else set(status_col)
    if columns:
        cols = [c for c in columns if c in df.columns]
        headers = [columns[c] for c in cols]
    else:
        cols = list(df.columns)
        headers = [str(c) for c in cols]
    shown = df.head(max_rows)
    kinds = ["short" if c in status_cols else column_kind(shown[c]) for c in cols]
    classes = [_CELL_CLASS[k] for k in kinds]
    for i, c in enumerate(cols):
        if c in UNIT_COLUMNS and i > 0 and kinds[i - 1] == "num":
            classes[i - 1] += " sckpi-before-unit"
            classes[i] = "sckpi-unit"
    unit_col = next((c for c in UNIT_COLUMNS if c in shown.columns), None)
    rows = []
    for _, row in shown.iterrows():
        tds = []
        unit = row[unit_col] if unit_col is not None and isinstance(row[unit_col], str) else None
        for c, cls in zip(cols, classes, strict=True):
            v = row[c]
            text = status_cell(v) if c in status_cols else e(format_number(v, unit))
            tds.append(f'<td class="{cls}">{text}</td>')
        rows.append("<tr>" + "".join(tds) + "</tr>")
    more = (f'<p><small>（ほか {len(df) - max_rows} 行）</small></p>' if len(df) > max_rows else "")
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    head = "".join(f'<th class="num" scope="col">{e(h)}</th>' if k == "num" else f'<th scope="col">{e(h)}</th>'
                   for h, k in zip(headers, kinds, strict=True))
    return (f'<div class="sckpi-table-wrap" style="overflow-x:auto;max-width:100%">'
            f'<table class="sckpi-table{" sckpi-wide" if len(cols) >= WIDE_TABLE else ""}">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            f"</table></div>{more}")


def show_table(df, *, status_col: str | Iterable[str] = "status", columns: Mapping[str, str] | None = None,
               caption: str | None = None, name: str | None = None, params: Any = None,
               empty: str = "該当する行はありません。", max_rows: int = 200) -> None:
    """Display :func:`status_table` and save ``df`` as CSV into ``output_dir`` when given."""
    if df is None or len(df) == 0:
        show_notice(empty)
        return
    _display_html(status_table(df, status_col=status_col, columns=columns, caption=caption, max_rows=max_rows))
    if params is not None and params.output_dir is not None and name:
        df.to_csv(params.output_dir / f"{_slug(name)}.csv", index=False, encoding="utf-8-sig")


def show_summary(title: str, lines: Sequence[str]) -> None:
    """The boxed summary at the top of a check notebook (escaped)."""
    items = "".join(f"<li>{e(x)}</li>" for x in lines)
    _display_html(f'<div style="background:#f4f8fb;border-left:4px solid #24476b;padding:0.4em 1em;'
                  f'margin:0.5em 0"><strong>{e(title)}</strong><ul style="margin:0.3em 0">{items}</ul></div>')


def show_missing_notes(df, *, name_col: str = "name", reason_col: str = "reason",
                       title: str = "データが欠けている指標") -> None:
    """List indicators without data and why (or say nothing is missing)."""
    if df is None or len(df) == 0:
        show_notice("欠損しているデータはありません。")
        return
    items = []
    for _, r in df.iterrows():
        reason = r.get(reason_col) if hasattr(r, "get") else None
        reason_txt = format_number(reason) if reason is not None else ""
        items.append(f"<li>{e(r.get(name_col, ''))}" + (f"：{e(reason_txt)}" if reason_txt and reason_txt != "—"
                                                        else "") + "</li>")
    _display_html(f"<p><strong>{e(title)}（{len(items)} 件）</strong></p><ul>{''.join(items)}</ul>")


def show_sources(df, *, columns: Mapping[str, str] | None = None, title: str = "データの出典と日付") -> None:
    """Data sources with their dates (a table, escaped)."""
    show_heading(title, 3)
    show_table(df, status_col=(), columns=columns, empty="出典の情報はありません。")


def publish_summary(params: Any, headline: str, **extra: Any) -> dict[str, Any]:
    """Write ``summary.json`` (headline + extras) into ``output_dir``; return it."""
    data = {"headline": headline, **extra}
    if params is not None and params.output_dir is not None:
        (params.output_dir / "summary.json").write_text(
            json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return data


def save_table(df, name: str, params: Any) -> None:
    """Save a table as CSV into ``output_dir`` (nothing when no output_dir)."""
    if params is not None and params.output_dir is not None and df is not None:
        df.to_csv(params.output_dir / f"{_slug(name)}.csv", index=False, encoding="utf-8-sig")


