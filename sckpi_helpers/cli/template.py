"""``sckpi template``: write the local-data workbook of a city from its logic model (or the catalog).

Stage: ``cli`` (10); the work is in :mod:`sckpi_helpers.checks.template`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sckpi_helpers.checks.template import logic_model_indicators, periods_for_cadence, write_template
from sckpi_helpers.config.periods import parse_period_spec
from sckpi_helpers.errors import InputFileError, SckpiError
from sckpi_helpers.sources.local_workbook import IndicatorSpec, indicator_spec, text_of


def _fallback_indicators(catalog: Any) -> list[IndicatorSpec]:
    """Catalog indicators kept as local data, tiers output/outcome1/outcome2."""
    return [indicator_spec(ind) for ind in (getattr(catalog, "indicators", {}) or {}).values()
            if text_of(getattr(ind, "tier", "")) in ("output", "outcome1", "outcome2")
            and text_of(getattr(ind, "availability", "")) in ("local", "")]


def template_indicators(settings: Any, catalog: Any, logic_model_path: str | Path | None = None
                        ) -> tuple[list[IndicatorSpec], str]:
    """Indicators for a city's template and where they came from (logic model or catalog)."""
    lm_path = Path(logic_model_path) if logic_model_path else settings.resolve(settings.logic_model)
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
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.config.settings import find_settings

    settings = find_settings(args.city)
    catalog = load_catalog(extra=[settings.resolve(p) for p in settings.catalog_extensions])
    specs, origin = template_indicators(settings, catalog, getattr(args, "logic_model", None))
    if not specs:
        raise SckpiError("no indicators for the template (empty logic model and catalog)")
    span = parse_period_spec(getattr(args, "periods", None))
    known = settings.base_dir is not None  # a settings.yaml exists (else the defaults say nothing)
    out = write_template(args.out, args.city, specs, span, city_name=settings.name_ja or "",
                         source=settings.source if known else None)
    nrows = sum(len(periods_for_cadence(span, s.cadence)) for s in specs)
    first, last = min(span), max(span)
    print(f"wrote {out}: {len(specs)} indicators from {origin}, periods {first.label}"
          f"{'' if first == last else '–' + last.label}, {nrows} rows to fill")
    return 0
