"""The guideline as data: evaluation fields, input variables, indicators and 補正人口.

``load_catalog()`` returns the bundled catalog (YAML under ``data/``, validated by the pydantic
models in :mod:`.schema`) plus any city extension files; every other module reads indicator
definitions, formulas and input ids from here, never from its own copy.

Stage 2 (catalog): imports ``errors``, ``atomic`` and ``config``.
"""

from __future__ import annotations

from sckpi_helpers.catalog.loader import BUNDLED_FILES, DATA_DIR, build_catalog, load_catalog
from sckpi_helpers.catalog.model import FRAME_COLUMNS, Catalog, CatalogError, UnknownIdError
from sckpi_helpers.catalog.schema import (
    AVAILABILITY,
    CADENCES,
    DIRECTIONS,
    KPI_TIERS,
    PILLARS,
    PSEUDO_INPUTS,
    TIER_CHECK,
    AdjustedPopulation,
    APDefinition,
    EvalField,
    Indicator,
    InputVar,
    Source,
    Theme,
)

#: the name the brief uses for an evaluation field
Field = EvalField


__all__ = [
    "AVAILABILITY", "BUNDLED_FILES", "CADENCES", "DATA_DIR", "DIRECTIONS", "FRAME_COLUMNS", "KPI_TIERS", "PILLARS",
    "PSEUDO_INPUTS", "TIER_CHECK", "APDefinition", "AdjustedPopulation", "Catalog",
    "CatalogError", "EvalField", "Field", "Indicator", "InputVar", "Source", "Theme",
    "UnknownIdError", "build_catalog", "load_catalog",
]
