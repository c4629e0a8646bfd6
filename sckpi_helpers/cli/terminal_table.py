"""Plain-text tables for a terminal: the one renderer behind ``sckpi catalog``, ``sckpi indicators``
and the batch table of ``sckpi report``.

Why its own module: Japanese text breaks the usual ``str.ljust``/``DataFrame.to_string`` layout —
a full-width character (全角) takes two terminal columns, a combining mark (濁点 in NFD file
names) none — and long texts such as an indicator's reason made rows hundreds of columns wide.
Here widths are *display* widths (the maintained ``wcwidth`` package, which knows East Asian
width and zero-width characters), text is left-aligned, numbers right-aligned, and when a
maximum width is given (the terminal's, :func:`terminal_width`) the widest text column is cut
with an ellipsis until every line fits.

Numbers are written by the kit's one rule (:func:`sckpi_helpers.config.formatting.format_number`).
Stage 13 (cli): imports stages 0–13 (only config of them).
"""

from __future__ import annotations

import numbers
import re
import shutil
from collections.abc import Sequence

from wcwidth import wcswidth, wcwidth

from sckpi_helpers.config.formatting import format_number

ELLIPSIS = "…"
MISSING = "-"
#: narrowest a text column is cut to (unless the caller says otherwise) before columns are dropped
MIN_TEXT_WIDTH = 6
#: what a text column may shrink to when the table cannot fit otherwise (one 全角 character + …)
LAST_RESORT_WIDTH = 3
DEFAULT_TERMINAL_WIDTH = 100

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_CODE_TEXT = re.compile(r"^0\d")  # zero-padded: an identifier such as area code 01201, not a number
_NUMBER_TEXT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?(%|/\d+)?$")


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: 全角 two, combining marks none, other characters one."""
    w = wcswidth(text)
    if w >= 0:
        return w
    return sum(max(wcwidth(c), 0) for c in text)  # control characters count as zero


def clip(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` display columns, ending in ``…`` when cut."""
    if display_width(text) <= width:
        return text
    if width <= 0:
        return ""
    out, used = [], 0
    for ch in text:
        cw = max(wcwidth(ch), 0)
        if used + cw > width - 1:
            break
        out.append(ch)
        used += cw
    return "".join(out) + ELLIPSIS


def pad(text: str, width: int, align: str = "left") -> str:
    """``text`` padded with spaces to ``width`` display columns (``align``: ``left`` or ``right``)."""
    fill = " " * max(width - display_width(text), 0)
    return fill + text if align == "right" else text + fill


def terminal_width(default: int = DEFAULT_TERMINAL_WIDTH) -> int:
    """Columns of the terminal (``$COLUMNS`` first); ``default`` when output is not a terminal."""
    return max(shutil.get_terminal_size((default, 24)).columns, 20)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def cell_text(value: object) -> str:
    """How one cell is shown: numbers via :func:`format_number`, None/NaN as ``-``, other values
    as their text on one line (newlines and tabs become spaces)."""
    if value is None or _is_number(value):
        return format_number(value, missing=MISSING)
    text = str(value)
    if text.lower() in {"nan", "none", "<na>", "nat"}:
        return MISSING
    return _CONTROL.sub(" ", text)


def looks_numeric(cells: Sequence[object]) -> bool:
    """True when every non-missing cell is a number or reads as one (``1,234``, ``12.5%``, ``3/29``);
    zero-padded codes (``01201``) are identifiers, so a column holding one is text."""
    seen = False
    for c in cells:
        if c is None:
            continue
        if _is_number(c):
            seen = True
            continue
        s = str(c).strip()
        if s in {"", MISSING, "…"}:
            continue
        if not _NUMBER_TEXT.match(s) or not any(ch.isdigit() for ch in s) or _CODE_TEXT.match(s):
            return False
        seen = True
    return seen


def _fit_widths(widths: list[int], floors: list[int | None], limit: int, sep: int) -> list[int]:
    """Narrow the widest cuttable column (``floors[i]`` not None), one at a time and never below its
    floor, until the row fits ``limit`` or nothing can be cut any more."""
    widths = list(widths)
    total = sum(widths) + sep * (len(widths) - 1)
    while total > limit:
        cut = [i for i, f in enumerate(floors) if f is not None and widths[i] > f]
        if not cut:
            break
        i = max(cut, key=lambda k: (widths[k], -k))
        runner_up = max((widths[k] for k in cut if k != i), default=0)
        target = max(runner_up, floors[i] or 0, widths[i] - (total - limit))
        if target >= widths[i]:
            target = widths[i] - 1
        total -= widths[i] - target
        widths[i] = target
    return widths


def _layout(head: list[str], body: list[list[str]], align: list[str], width: int | None,
            min_widths: Sequence[int | None], drop: Sequence[int], sep: int) -> tuple[list[int], list[int]]:
    """(kept column indices, their widths): text columns cut, then ``drop`` columns left out, in that
    order, until a line fits ``width``."""
    natural = [max([display_width(head[i])] + [display_width(r[i]) for r in body]) for i in range(len(head))]
    floors: list[int | None] = [
        None if a == "right" else min(natural[i], m if m is not None else MIN_TEXT_WIDTH)
        for i, (a, m) in enumerate(zip(align, min_widths, strict=True))]
    keep = list(range(len(head)))
    pending = [i for i in drop if i in keep]
    while True:
        widths = [natural[i] for i in keep]
        if width is None:
            return keep, widths
        widths = _fit_widths(widths, [floors[i] for i in keep], width, sep)
        if sum(widths) + sep * (len(widths) - 1) <= width:
            return keep, widths
        if not pending:  # last resort before clipping lines: text columns below their floors
            last = [None if floors[i] is None else min(floors[i], LAST_RESORT_WIDTH) for i in keep]
            return keep, _fit_widths(widths, last, width, sep)
        keep.remove(pending.pop(0))


def render(headers: Sequence[str], rows: Sequence[Sequence[object]], *, width: int | None = None,
           align: Sequence[str] | None = None, min_widths: Sequence[int | None] | None = None,
           drop: Sequence[int] = (), sep: str = "  ", rule: bool = True) -> str:
    """The table as text, one line per row, ending in a newline.

    ``align``: ``left``/``right`` per column (default: right for :func:`looks_numeric` columns).
    ``width``: no line is wider than this many display columns (``None``: no limit, for files).
    To fit, left-aligned (text) columns are cut with ``…``, the widest first, down to
    ``min_widths[i]`` (default :data:`MIN_TEXT_WIDTH`); then the columns listed in ``drop`` are
    left out, in that order; as a last resort each line is clipped. Numbers are never cut.
    ``rule``: a dashed line under the header.
    """
    ncol = len(headers)
    if any(len(r) != ncol for r in rows):
        raise ValueError(f"every row needs {ncol} cells (the headers: {list(headers)})")
    if align is None:
        align = ["right" if looks_numeric([r[i] for r in rows]) else "left" for i in range(ncol)]
    if len(align) != ncol or (min_widths is not None and len(min_widths) != ncol):
        raise ValueError(f"align and min_widths need {ncol} entries")
    head = [cell_text(h) for h in headers]
    body = [[cell_text(v) for v in r] for r in rows]
    keep, widths = _layout(head, body, list(align), width, list(min_widths or [None] * ncol), drop,
                           display_width(sep))

    def line(cells: Sequence[str]) -> str:
        out = sep.join(pad(clip(cells[i], w), w, align[i]) for i, w in zip(keep, widths, strict=True)).rstrip()
        return clip(out, width) if width is not None else out

    lines = [line(head)]
    if rule:
        lines.append(clip(sep.join("-" * w for w in widths), width if width is not None else 10**9))
    lines += [line(r) for r in body]
    return "\n".join(lines) + "\n"


def wrap(line: str, width: int, indent: str = "  ") -> list[str]:
    """``line`` broken into pieces of at most ``width`` display columns — at a space when there is
    one, else anywhere (Japanese has no spaces); continuation pieces start with ``indent``."""
    out: list[str] = []
    rest = line
    prefix = ""
    while display_width(prefix + rest) > width:
        room = width - display_width(prefix)
        if room < 1:
            return out + [clip(prefix + rest, width)]
        used, cut = 0, 0
        for k, ch in enumerate(rest):
            used += max(wcwidth(ch), 0)
            if used > room:
                break
            cut = k + 1
        space = rest.rfind(" ", 0, cut + 1)
        if space > 0 and space > cut // 2:
            cut = space
        cut = max(cut, 1)
        out.append((prefix + rest[:cut]).rstrip())
        rest = rest[cut:].lstrip(" ")
        prefix = indent
    return out + [prefix + rest]


def fit_lines(text: str, width: int | None) -> str:
    """Free text around a table with every line wrapped to ``width`` display columns."""
    if width is None:
        return text
    return "\n".join(piece for s in text.split("\n") for piece in wrap(s, width))
