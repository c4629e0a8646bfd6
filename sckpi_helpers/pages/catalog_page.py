"""The catalog as one self-contained HTML page (inline CSS, no scripts, no external files).

Every report set includes this page, and ``sckpi catalog --html`` writes it: ``render_catalog_html(catalog,
indicators=None, title=...) -> str``. It is one template (``templates/catalog.html.j2``) extending the
kit's page chrome and its one stylesheet, so all text goes through the one escaper — extension files
come from cities and may contain anything. Tables become stacked cards on narrow screens and print
cleanly.

Stage 9 (pages): imports stages 0–9.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sckpi_helpers.catalog.model import Catalog
from sckpi_helpers.catalog.schema import Indicator
from sckpi_helpers.config.vocabulary import (
    AVAILABILITY_JA,
    CHECK_LABEL,
    DIRECTION_JA,
    KPI_TIERS,
    PILLAR_JA,
    TIER_CHECK,
    TIER_JA,
)
from sckpi_helpers.pages.html import render_page

#: the columns of an indicator table
COLUMNS = ("ID", "指標名", "区分", "式", "単位", "方向", "必須", "データ")

def _row(catalog: Catalog, ind: Indicator) -> dict[str, Any]:
    """One indicator as the template shows it (plain values; the template escapes them)."""
    pillar = PILLAR_JA.get(ind.pillar, catalog.fields[ind.pillar].name_ja
                           if ind.pillar in catalog.fields else ind.pillar)
    return {
        "id": ind.id, "name_ja": ind.name_ja, "name_en": ind.name_en, "description": ind.description,
        "group": " / ".join(x for x in (pillar, ind.group) if x), "formula": ind.formula, "unit": ind.unit,
        "direction_ja": DIRECTION_JA.get(ind.direction, ind.direction), "required": ind.required,
        "required_provisional": ind.required_provisional,
        "availability_ja": AVAILABILITY_JA.get(ind.availability, ind.availability),
        "data_source": catalog.data_source(ind.id) if ind.formula else None,
        "availability_note": ind.availability_note, "note": ind.note,
        "provisional_inputs": "、".join(catalog.inputs[n].name_ja for n in catalog.provisional_inputs(ind.id)),
    }


def render_catalog_html(catalog: Catalog, indicators: Iterable[Indicator] | None = None,
                        title: str = "スマートシティ評価指標カタログ", *,
                        nav: Sequence[tuple[str, str]] = (), footer: str = "") -> str:
    """A self-contained HTML page listing ``indicators`` (default: all) grouped by field and tier,
    with the 補正人口 definitions in their own clearly labelled section (``templates/catalog.html.j2``)."""
    items = list(catalog.indicators.values() if indicators is None else indicators)
    fields = []
    for fld in catalog.fields.values():
        in_field = [i for i in items if i.field == fld.id]
        if not in_field:
            continue
        tiers = [{"tier_ja": TIER_JA[t], "check_label": CHECK_LABEL[TIER_CHECK[t]],
                  "rows": [_row(catalog, i) for i in in_field if i.tier == t]} for t in KPI_TIERS]
        fields.append({"anchor": f"field-{fld.id}", "name_ja": fld.name_ja, "name_en": fld.name_en,
                       "count": len(in_field), "themes": "、".join(t.name_ja for t in fld.themes),
                       "tiers": [t for t in tiers if t["rows"]]})
    # cannot happen for a validated catalog; never drop an indicator silently
    others = [_row(catalog, i) for i in items if i.field not in catalog.fields]
    ap = catalog.adjusted_population
    users = "、".join(i.name_ja for i in catalog.indicators.values() if "adjusted_population" in i.inputs)
    return render_page("catalog.html.j2", title=title, nav=nav, footer=footer, columns=COLUMNS,
                       n_items=len(items), n_required=sum(i.required for i in items), fields=fields,
                       others=others, ap={"definitions": list(ap.definitions.values()), "default": ap.default,
                                          "users": users, "note": ap.note,
                                          "designated_city_rule": ap.designated_city_rule})


def write_catalog_page(folder: Path, settings, footer: str = "") -> tuple[str | None, str | None]:
    """``catalog.html`` of the catalog a run used (with the city's extensions); (file name, problem)."""
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.pages.redact import redact

    try:
        resolve = getattr(settings, "resolve", lambda p: p)
        extra = [resolve(p) for p in getattr(settings, "catalog_extensions", []) or []]
        cat = load_catalog(extra=extra) if extra else load_catalog()
        page = render_catalog_html(cat, nav=[("index.html", "この報告の目次")], footer=footer)
        (folder / "catalog.html").write_text(page, encoding="utf-8")
        return "catalog.html", None
    except Exception as exc:  # noqa: BLE001
        return None, redact(f"{type(exc).__name__}: {exc}")
