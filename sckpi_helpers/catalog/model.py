"""The loaded catalog: look-ups, filters and a table view that the other modules call.

Stage 2 (catalog): imports ``errors``, ``atomic`` and ``config``.
"""

from __future__ import annotations

import difflib

import pandas as pd
from pydantic import BaseModel, ConfigDict

from sckpi_helpers.catalog import formula as fm
from sckpi_helpers.catalog.schema import (
    PILLARS,
    PSEUDO_INPUTS,
    AdjustedPopulation,
    EvalField,
    Indicator,
    InputVar,
    Source,
)
from sckpi_helpers.config.vocabulary import KPI_TIERS
from sckpi_helpers.errors import SckpiError, ValidationError

#: columns of :meth:`Catalog.to_frame` and of ``sckpi catalog --format csv``, in order
FRAME_COLUMNS = ["id", "name_ja", "name_en", "field", "theme", "group", "tier", "check", "pillar",
                 "required", "required_provisional", "cadence", "unit", "direction", "formula",
                 "inputs", "availability", "availability_note", "data_source"]


class CatalogError(ValidationError):
    """The catalog (or a city's extension) is invalid; every problem names its file and entry."""

    def __init__(self, problems, title: str = "indicator catalog is invalid") -> None:
        super().__init__(problems, title)


class UnknownIdError(SckpiError, KeyError):
    """An id that is not in the catalog; the message lists close matches."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


def _unknown(kind: str, wanted: str, known: list[str]) -> UnknownIdError:
    close = difflib.get_close_matches(wanted, known, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return UnknownIdError(f"unknown {kind} '{wanted}'{hint} ({len(known)} {kind}s in the catalog; "
                          f"see 'sckpi catalog')")


class Catalog(BaseModel):
    """The guideline as data. ``indicators`` keeps the guideline's order. Treat it as read-only:
    :func:`load_catalog` hands every caller the same cached object."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    fields: dict[str, EvalField]
    inputs: dict[str, InputVar]
    indicators: dict[str, Indicator]
    adjusted_population: AdjustedPopulation
    files: list[str] = []

    # ------------------------------------------------------------------ look-ups
    def get(self, indicator_id: str) -> Indicator:
        """The indicator with this id; :class:`UnknownIdError` (a ``KeyError``) suggests close ids."""
        try:
            return self.indicators[indicator_id]
        except KeyError:
            raise _unknown("indicator", indicator_id, list(self.indicators)) from None

    def get_input(self, input_id: str) -> InputVar:
        """The input variable with this id (``KeyError`` with close matches otherwise)."""
        try:
            return self.inputs[input_id]
        except KeyError:
            raise _unknown("input", input_id, list(self.inputs)) from None

    def filter(self, tier: str | None = None, field: str | None = None, pillar: str | None = None,
               required: bool | None = None, check: int | None = None) -> list[Indicator]:
        """Indicators matching every given criterion, in catalog order; unknown values are errors
        (a typo must not look like "no indicators")."""
        if tier is not None and tier not in KPI_TIERS:
            raise SckpiError(f"unknown tier '{tier}' (valid: {', '.join(KPI_TIERS)})")
        if field is not None and field not in self.fields:
            raise SckpiError(f"unknown field '{field}' (valid: {', '.join(self.fields)})")
        if pillar is not None and pillar not in PILLARS:
            raise SckpiError(f"unknown pillar '{pillar}' (valid: {', '.join(PILLARS)})")
        if check is not None and check not in (1, 2, 3, 4):
            raise SckpiError(f"unknown check {check} (valid: 1, 2, 3, 4)")
        return [i for i in self.indicators.values()
                if (tier is None or i.tier == tier) and (field is None or i.field == field)
                and (pillar is None or i.pillar == pillar)
                and (required is None or i.required == required)
                and (check is None or i.check == check)]

    # ------------------------------------------------------------------ 補正人口
    def adjusted_population_formula(self, definition: str | None = None) -> str:
        """The formula of a 補正人口 definition (the catalog default when ``None``)."""
        ap = self.adjusted_population
        key = definition or ap.default
        if key not in ap.definitions:
            raise SckpiError(f"unknown 補正人口 (adjusted_population) definition '{key}' "
                             f"(valid: {', '.join(ap.definitions)})")
        return ap.definitions[key].formula

    def inputs_of(self, indicator_id: str, adjusted_population: str | None = None) -> list[str]:
        """Panel inputs an indicator needs, with ``adjusted_population`` expanded into the inputs
        of the chosen definition (default: the catalog default), sorted."""
        names = set(self.get(indicator_id).inputs)
        if "adjusted_population" in names:
            names.discard("adjusted_population")
            names |= fm.referenced_names(self.adjusted_population_formula(adjusted_population))
        return sorted(names)

    def sources_of(self, indicator_id: str) -> list[tuple[str, Source]]:
        """(input id, source) pairs behind an indicator, for reports that show where data come from."""
        out = []
        for name in self.inputs_of(indicator_id):
            if name in self.inputs:
                out.extend((name, s) for s in self.inputs[name].sources)
        return out

    def provisional_inputs(self, indicator_id: str, adjusted_population: str | None = None) -> list[str]:
        """Inputs of the indicator whose e-Stat item code is not confirmed by published material
        (``confirmed: false``), sorted; non-empty means the indicator is provisional (暫定)."""
        return [n for n in self.inputs_of(indicator_id, adjusted_population)
                if n in self.inputs and not self.inputs[n].confirmed]

    def is_provisional(self, indicator_id: str, adjusted_population: str | None = None) -> bool:
        """True when the indicator reads an unconfirmed input (see :meth:`provisional_inputs`)."""
        return bool(self.provisional_inputs(indicator_id, adjusted_population))

    def designated_city_rules(self, indicator_id: str, adjusted_population: str | None = None
                              ) -> list[tuple[str, str]]:
        """(input id, rule text) for each input of the indicator with a 政令指定都市 rule, for the
        report page to print where the city is one."""
        out = []
        for n in self.inputs_of(indicator_id, adjusted_population):
            for s in getattr(self.inputs.get(n), "sources", []):
                if s.designated_city and s.designated_city_note:
                    out.append((n, s.designated_city_note))
        return out

    def data_source(self, indicator_id: str) -> str:
        """A one-line summary of the data source (for tables, CSV and HTML)."""
        ind = self.get(indicator_id)
        if not ind.formula:
            return "ローカルデータ（自治体が値を記入）"
        parts = []
        for name in self.get(indicator_id).inputs:
            if name in PSEUDO_INPUTS:
                parts.append("補正人口")
                continue
            var = self.inputs.get(name)
            if var is None:
                continue
            labels = "; ".join(dict.fromkeys(
                s.label + ("" if s.confirmed else "（コード未確認）") for s in var.sources))
            parts.append(f"{var.name_ja}: {labels}")
        return " / ".join(parts)

    # ------------------------------------------------------------------ views
    def to_frame(self) -> pd.DataFrame:
        """One row per indicator, columns :data:`FRAME_COLUMNS` (``inputs`` space-separated)."""
        rows = []
        for ind in self.indicators.values():
            d = ind.model_dump()
            d["inputs"] = " ".join(ind.inputs)
            d["data_source"] = self.data_source(ind.id)
            rows.append({c: d.get(c) for c in FRAME_COLUMNS})
        df = pd.DataFrame(rows, columns=FRAME_COLUMNS)
        return df.astype({"check": "int64", "required": "bool", "required_provisional": "bool"})

    def __str__(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return (f"Catalog({len(self.indicators)} indicators, {len(self.inputs)} inputs, "
                f"{len(self.fields)} fields)")
