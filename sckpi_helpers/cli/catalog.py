"""``sckpi catalog``: list, filter and export the indicator catalog.

CSV is written as UTF-8 **with BOM** (``utf-8-sig``): Excel, which most municipal staff open CSV
files with, otherwise guesses Shift_JIS and garbles the Japanese names; pandas and other tools
read the BOM transparently.

Stage 13 (cli): may import every stage; nothing imports it.
"""

from __future__ import annotations

import argparse
import sys

from sckpi_helpers.atomic import atomic_write_bytes
from sckpi_helpers.catalog.loader import load_catalog
from sckpi_helpers.catalog.model import Catalog
from sckpi_helpers.catalog.schema import Indicator
from sckpi_helpers.cli.terminal_table import fit_lines, render, terminal_width
from sckpi_helpers.pages.catalog_page import render_catalog_html

CSV_ENCODING = "utf-8-sig"


def render_table(catalog: Catalog, items: list[Indicator], width: int | None = None) -> str:
    """One indicator per line with Japanese names, no line wider than ``width`` display columns."""
    headers = ["id", "指標名", "分野", "階層", "区分", "必須", "単位", "方向", "データ"]
    rows = []
    for i in items:
        fld = catalog.fields.get(i.field)
        rows.append([i.id, i.name_ja, fld.name_ja if fld else i.field, i.tier, i.pillar,
                     ("必須*" if i.required_provisional else "必須") if i.required else "選択",
                     i.unit, i.direction, i.availability])
    foot = f"{len(items)} indicator(s)" + ("; 必須* = provisional (see docs/GUIDELINE.md)"
                                           if any(i.required_provisional for i in items) else "")
    table = render(headers, rows, width=width, align=["left"] * len(headers),
                   min_widths=[16, 16, 10, 8, 6, 4, 8, 6, 8], drop=[8, 4, 7])  # data, pillar, direction
    return table + fit_lines(foot, width) + "\n"


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
        width = None if args.out else terminal_width()
        text, encoding = render_table(catalog, items, width), "utf-8"
    if args.out:
        path = atomic_write_bytes(args.out, text.encode(encoding))
        print(f"wrote {len(items)} indicator(s) to {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
