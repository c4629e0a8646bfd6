"""``sckpi template``: write the local-data workbook of a city from its logic model (or the catalog).

Stage: ``cli`` (13); the work is in :mod:`sckpi_helpers.checks.template`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sckpi_helpers.checks.template import logic_model_indicators, periods_for_cadence, write_template
from sckpi_helpers.city import CityContext, resolve_city
from sckpi_helpers.config.periods import parse_period_spec
from sckpi_helpers.errors import InputFileError, SckpiError
from sckpi_helpers.sources.local_workbook import IndicatorSpec, indicator_spec, text_of


def _fallback_indicators(catalog: Any) -> list[IndicatorSpec]:
    """Catalog indicators kept as local data, tiers output/outcome1/outcome2."""
    return [indicator_spec(ind) for ind in (getattr(catalog, "indicators", {}) or {}).values()
            if text_of(getattr(ind, "tier", "")) in ("output", "outcome1", "outcome2")
            and text_of(getattr(ind, "availability", "")) in ("local", "")]


def template_indicators(city: CityContext, logic_model_path: str | Path | None = None
                        ) -> tuple[list[IndicatorSpec], str]:
    """Indicators for a city's template and where they came from (logic model or catalog)."""
    catalog = city.catalog
    lm_path = Path(logic_model_path) if logic_model_path else city.logic_model_path
    if lm_path is not None:
        if not lm_path.exists():
            raise InputFileError("ロジックモデルがありません / logic model not found", lm_path)
        from sckpi_helpers.sources.logic_model import load_logic_model

        specs = logic_model_indicators(load_logic_model(lm_path, catalog), catalog)
        if specs:
            return specs, f"logic model {lm_path}"
    return _fallback_indicators(catalog), "catalog (local indicators, tiers output/outcome1/outcome2)"


def cli_template(args: argparse.Namespace) -> int:
    """Handler of ``sckpi template --city CODE --out FILE [--logic-model F] [--periods P]``."""
    city = resolve_city(args.city)
    specs, origin = template_indicators(city, getattr(args, "logic_model", None))
    if not specs:
        raise SckpiError("no indicators for the template (empty logic model and catalog)")
    span = parse_period_spec(getattr(args, "periods", None))
    out = write_template(args.out, city.code, specs, span, city_name=city.name_ja,
                         source=city.source if city.own_settings else None)  # defaults say nothing
    nrows = sum(len(periods_for_cadence(span, s.cadence)) for s in specs)
    first, last = min(span), max(span)
    print(f"wrote {out}: {len(specs)} indicators from {origin}, periods {first.label}"
          f"{'' if first == last else '–' + last.label}, {nrows} rows to fill")
    return 0
