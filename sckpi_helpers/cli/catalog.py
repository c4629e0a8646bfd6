"""``sckpi catalog``: list, filter and export the indicator catalog.

CSV is written as UTF-8 **with BOM** (``utf-8-sig``): Excel, which most municipal staff open CSV
files with, otherwise guesses Shift_JIS and garbles the Japanese names; pandas and other tools
read the BOM transparently.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata

from sckpi_helpers.atomic import atomic_write_bytes
from sckpi_helpers.reports.catalog_page import render_catalog_html
from sckpi_helpers.catalog.loader import load_catalog
from sckpi_helpers.catalog.model import Catalog
from sckpi_helpers.catalog.schema import Indicator

CSV_ENCODING = "utf-8-sig"


def _width(text: str) -> int:
    """Display width: East Asian wide/fullwidth characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` display columns (… when cut) and pad with spaces."""
    if _width(text) > width:
        out, w = [], 0
        for c in text:
            cw = _width(c)
            if w + cw > width - 1:
                break
            out.append(c)
            w += cw
        text = "".join(out) + "…"
    return text + " " * (width - _width(text))


def render_table(catalog: Catalog, items: list[Indicator]) -> str:
    """Fixed-width text with Japanese names, one indicator per line, for a terminal."""
    cols = [("id", 34), ("指標名", 44), ("分野", 16), ("階層", 8), ("区分", 12), ("必須", 6),
            ("単位", 16), ("方向", 6), ("データ", 11)]
    lines = ["  ".join(_fit(h, w) for h, w in cols).rstrip()]
    lines.append("  ".join("-" * w for _, w in cols))
    for i in items:
        fld = catalog.fields.get(i.field)
        vals = [i.id, i.name_ja, fld.name_ja if fld else i.field, i.tier, i.pillar,
                ("必須*" if i.required_provisional else "必須") if i.required else "選択",
                i.unit, i.direction, i.availability]
        lines.append("  ".join(_fit(v, w) for v, (_, w) in zip(vals, cols)).rstrip())
    lines.append(f"{len(items)} indicator(s)" + ("; 必須* = provisional (see GUIDELINE.md)"
                                                 if any(i.required_provisional for i in items) else ""))
    return "\n".join(lines) + "\n"


def render_csv(catalog: Catalog, items: list[Indicator]) -> str:
    """The :meth:`Catalog.to_frame` columns for ``items`` as CSV text (BOM added on write)."""
    ids = [i.id for i in items]
    df = catalog.to_frame().set_index("id").loc[ids].reset_index()
    return df.to_csv(index=False, lineterminator="\n")


def cli_catalog(args: argparse.Namespace) -> int:
    """Handler of ``sckpi catalog`` (options declared in :mod:`sckpi_helpers.cli`)."""
    catalog = load_catalog(getattr(args, "extra", None) or ())
    items = catalog.filter(tier=args.tier, field=args.field, pillar=args.pillar,
                           required=True if args.required else None, check=args.check)
    fmt = args.format
    if fmt == "csv":
        text, encoding = render_csv(catalog, items), CSV_ENCODING
    elif fmt == "html":
        text, encoding = render_catalog_html(catalog, items), "utf-8"
    else:
        text, encoding = render_table(catalog, items), "utf-8"
    if args.out:
        path = atomic_write_bytes(args.out, text.encode(encoding))
        print(f"wrote {len(items)} indicator(s) to {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
