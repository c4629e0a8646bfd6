"""Pydantic models of the catalog's YAML, with the shared vocabularies of docs/DESIGN.md.

The models check what one entry can check on its own (vocabularies, names, that a formula
parses, that the tier and the PDCA check agree); cross-references between entries (fields,
inputs, duplicate ids) are checked by the loader, which sees the whole catalog.

Japanese labels of the vocabularies live in :mod:`sckpi_helpers.config.vocabulary` (stage 1);
this module imports them from there and from :mod:`.formula` only.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)

from sckpi_helpers.catalog import formula as fm
from sckpi_helpers.config.quality import QualityThresholds
from sckpi_helpers.config.vocabulary import AVAILABILITY_JA, DIRECTION_JA, KPI_TIERS, TIER_CHECK, TIER_JA  # noqa: F401 (re-export)

SERVICE_PILLARS = ("social", "economic", "environmental")
FOUNDATION_FIELDS = ("it_platform", "operations", "talent")
PILLARS = SERVICE_PILLARS + FOUNDATION_FIELDS
DIRECTIONS = ("higher", "lower", "neutral")
#: DESIGN.md's cadences plus every_2_years (医師統計) and every_10_years (census education items)
CADENCES = ("as_needed", "monthly", "quarterly", "semiannual", "yearly", "every_2_years",
            "every_5_years", "every_10_years")
AVAILABILITY = ("estat", "external", "local", "unavailable")
FILLS = ("none", "carry_forward", "interpolate")
FIELD_KINDS = ("service", "foundation", "other")
#: the pseudo-input the engine computes from the city's 補正人口 definition
PSEUDO_INPUTS = ("adjusted_population",)


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} '{value}' (valid: {', '.join(allowed)})")
    return value


class _Strict(BaseModel):
    """Unknown keys are typos: reject them rather than silently ignore them.

    Fields listed in ``_WORDS`` take one word of a fixed vocabulary (tier, cadence …); one
    validator checks them all, naming the field and the valid words.
    """

    _WORDS: ClassVar[dict[str, tuple[tuple[str, ...], str]]] = {}

    @field_validator("*")
    @classmethod
    def _known_word(cls, v: Any, info: ValidationInfo) -> Any:
        words = cls._WORDS.get(info.field_name or "")
        return _one_of(v, words[0], words[1]) if words is not None and v is not None else v

    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    """One published e-Stat item: its code and the name it is published under (the name guard
    compares the two, see :func:`sckpi_helpers.catalog.items.names_agree`)."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)


#: how the items of one source make the input: ``sum`` adds them (流入人口 = A6105 + A6106)
COMBINE = ("sum",)


class Source(_Strict):
    """Where the values of one input come from.

    An e-Stat source names one published item (``item_code`` with its published ``name``) or
    several (``items``) that ``combine: sum`` adds up, because the publisher splits the concept
    (total inflow = inflow from the prefecture + inflow from other prefectures).
    ``designated_city`` is a formula over the item codes (those of ``items`` and of
    ``designated_city_items``, read only for this rule) that replaces the combination for
    政令指定都市 (whose city totals of some items count flows between their own wards; see
    ``designated_city_note`` and docs/DESIGN.md). ``from_year`` / ``to_year`` bound the years an
    item code is valid for (a code renamed by the publisher gets two sources).
    ``dataset`` names a bundled publication read by a registered reader (``sources/bundled.py``:
    ``juki``, ``zaisei``, ``tokyo-daytime``, ``sugata-2019``); its ``item_code``/``items`` are the
    publisher's own codes or column headings as that reader writes them, ``name`` the published
    name and ``unit`` the unit as printed in the file.
    """

    kind: Literal["estat", "external", "local", "unavailable"]
    name: str | None = None
    stats_data_id: str | None = None
    dataset: str | None = None
    unit: str | None = None
    item_code: str | None = None
    items: list[Item] = Field(default_factory=list)
    combine: str | None = None
    designated_city: str | None = None
    designated_city_items: list[Item] = Field(default_factory=list)
    designated_city_note: str | None = None
    from_year: int | None = None
    to_year: int | None = None
    note: str | None = None
    confirmed: bool = True

    _WORDS: ClassVar[dict[str, tuple[tuple[str, ...], str]]] = {"combine": (COMBINE, "combine rule")}

    @model_validator(mode="after")
    def _items_consistent(self) -> Source:
        if self.item_code and self.items:
            raise ValueError("give either item_code (one item) or items (several), not both")
        if len(self.items) > 1 and self.combine is None:
            raise ValueError("several items need 'combine: sum' to say how they make the input")
        if self.items and self.kind != "estat" and not self.dataset:
            raise ValueError("items are published item codes: kind must be estat, or name the dataset")
        if self.designated_city is not None:
            fm.parse(self.designated_city)
            unknown = fm.referenced_names(self.designated_city) - set(self.item_codes)
            if unknown:
                raise ValueError(f"designated_city formula uses items not listed under items: "
                                 f"{', '.join(sorted(unknown))}")
            if not self.designated_city_note:
                raise ValueError("designated_city needs designated_city_note (reports print the rule)")
        if self.from_year and self.to_year and self.from_year > self.to_year:
            raise ValueError(f"from_year {self.from_year} is after to_year {self.to_year}")
        return self

    @property
    def summed_codes(self) -> list[str]:
        """The item codes whose values make the input (one, or several that are added)."""
        if self.item_code:
            return [self.item_code]
        return [i.code for i in self.items]

    @property
    def item_codes(self) -> list[str]:
        """Every e-Stat item code this source reads (what to fetch), designated-city rule included."""
        extra = [i.code for i in self.designated_city_items if i.code not in self.summed_codes]
        return self.summed_codes + extra

    @property
    def published_names(self) -> dict[str, str]:
        """item code → the name the publisher gives it (what the name guard expects)."""
        out = {self.item_code: self.name} if self.item_code and self.name else {}
        out.update({i.code: i.name for i in [*self.items, *self.designated_city_items]})
        return out

    def covers(self, year: int) -> bool:
        """Whether the item codes of this source are valid for ``year``."""
        return ((self.from_year is None or year >= self.from_year)
                and (self.to_year is None or year <= self.to_year))

    @property
    def label(self) -> str:
        """One line for tables and the panel's ``source`` column."""
        codes = self.summed_codes
        if self.kind == "estat" and self.stats_data_id and codes:
            years = ""
            if self.from_year or self.to_year:
                years = f" ({self.from_year or ''}–{self.to_year or ''})"
            return f"e-Stat {self.stats_data_id} {' + '.join(codes)}{years}"
        if self.dataset and codes:
            return f"{self.dataset} {' + '.join(codes)}"
        return f"{self.kind}: {self.name}" if self.name else self.kind


class Substitute(_Strict):
    """Another input whose value stands in for this one where this one has none (after its own
    carry-forward window): e.g. 住民基本台帳人口 ← 国勢調査人口 for a year no register file covers.
    The engine flags every such value 代替 and names what was used; ``note`` says why it is close."""

    input: str = Field(min_length=1)
    note: str = Field(min_length=1)


class InputVar(_Strict):
    """An input variable: one ``variable`` id of the panel.

    ``max_fill_years`` is how many years a value may be carried forward (``fill``), and
    ``fill_note`` says why that many (census items until the next census; yearly items a stated
    number of years). ``substitutes`` are tried in order where the input has no value; ``where_to_get``
    tells a user how to obtain the input (the plan of missing inputs); without it the plan derives
    the text from ``sources``.
    """

    id: str
    name_ja: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    unit: str
    cadence: str
    fill: str = "none"
    max_fill_years: int = Field(default=0, ge=0)
    fill_note: str | None = None
    substitutes: list[Substitute] = Field(default_factory=list)
    where_to_get: str | None = None
    sources: list[Source] = Field(min_length=1)
    note: str | None = None
    #: valid values [low, high] (``null`` = unbounded); default from the unit (catalog.ranges)
    range: tuple[float | None, float | None] | None = None
    #: data-quality gate thresholds for this entry over the catalog-wide ones (catalog/data/quality.yaml)
    quality: QualityThresholds | None = None

    _WORDS: ClassVar[dict[str, tuple[tuple[str, ...], str]]] = {
        "cadence": (CADENCES, "cadence"), "fill": (FILLS, "fill rule")}

    @property
    def confirmed(self) -> bool:
        """False when an e-Stat item code of this input is not confirmed by published material."""
        return all(s.confirmed for s in self.sources if s.kind == "estat" or s.dataset)

    @property
    def availability(self) -> str:
        """The best source kind available (estat > external > local > unavailable)."""
        kinds = {s.kind for s in self.sources}
        return next((k for k in AVAILABILITY if k in kinds), "unavailable")


class Theme(_Strict):
    """A policy theme (施策テーマ) of an evaluation field."""

    id: str
    name_ja: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


class EvalField(_Strict):
    """An evaluation field (評価分野) with its themes."""

    id: str
    name_ja: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    kind: str
    themes: list[Theme] = Field(default_factory=list)
    description: str | None = None

    _WORDS: ClassVar[dict[str, tuple[tuple[str, ...], str]]] = {"kind": (FIELD_KINDS, "field kind")}

    def theme(self, theme_id: str) -> Theme | None:
        return next((t for t in self.themes if t.id == theme_id), None)


class Indicator(_Strict):
    """One indicator of the logic model; tier-3 ones carry a formula over inputs."""

    id: str
    name_ja: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    field: str
    theme: str | None = None
    group: str | None = None
    tier: str
    pillar: str
    required: bool = False
    required_provisional: bool = False
    check: int | None = None
    cadence: str
    unit: str
    direction: str
    formula: str | None = None
    availability: str
    availability_note: str | None = None
    description: str | None = None
    #: a caveat the report page prints with the indicator (e.g. a stand-in age band)
    note: str | None = None
    #: valid values [low, high] (``null`` = unbounded); default from the unit (catalog.ranges)
    range: tuple[float | None, float | None] | None = None
    #: data-quality gate thresholds for this entry over the catalog-wide ones (catalog/data/quality.yaml)
    quality: QualityThresholds | None = None
    source_file: str | None = Field(default=None, exclude=True)

    _WORDS: ClassVar[dict[str, tuple[tuple[str, ...], str]]] = {
        "tier": (KPI_TIERS, "tier"), "pillar": (PILLARS, "pillar"), "direction": (DIRECTIONS, "direction"),
        "cadence": (CADENCES, "cadence"), "availability": (AVAILABILITY, "availability")}

    @field_validator("name_ja", "name_en")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v

    @field_validator("formula")
    @classmethod
    def _parses(cls, v: str | None) -> str | None:
        if v is None:
            return None
        fm.parse(v)  # FormulaError is a ValueError: pydantic reports it with the field name
        return v.strip()

    @model_validator(mode="after")
    def _check_matches_tier(self) -> Indicator:
        expected = TIER_CHECK[self.tier]
        if self.check is None:
            object.__setattr__(self, "check", expected)
        elif self.check != expected:
            raise ValueError(f"check {self.check} does not match tier '{self.tier}' "
                             f"(tier {self.tier} is watched by Check{expected})")
        if self.required_provisional and not self.required:
            raise ValueError("required_provisional is set but required is false")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def inputs(self) -> list[str]:
        """Input ids the formula reads, sorted (empty when the city supplies the value)."""
        return sorted(fm.referenced_names(self.formula)) if self.formula else []


class APDefinition(_Strict):
    """One definition of 補正人口 (adjusted population)."""

    id: str
    name_ja: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    formula: str
    description: str
    rationale: str | None = None

    @field_validator("formula")
    @classmethod
    def check_formula(cls, v: str) -> str:
        fm.parse(v)
        return v.strip()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def inputs(self) -> list[str]:
        return sorted(fm.referenced_names(self.formula))


class AdjustedPopulation(_Strict):
    """The 補正人口 setting: a default and the named definitions a city may choose from."""

    default: str
    #: definitions tried in order after the city's own when it cannot be computed (a city's settings
    #: ``adjusted_population_fallbacks`` replace this list); the same definition serves the city
    #: and all its peers in one comparison
    fallbacks: list[str] = Field(default_factory=list)
    #: 昼間人口 ÷ 常住人口 at or above which a fall-back to 常住人口 is warned about on the page
    resident_warning_ratio: float = Field(1.5, gt=1)
    fallback_note: str | None = None
    note: str | None = None
    #: the kit's rule for 政令指定都市 (flows between wards), printed by the report page
    designated_city_rule: str | None = None
    definitions: dict[str, APDefinition]

    @model_validator(mode="after")
    def _default_known(self) -> AdjustedPopulation:
        if self.default not in self.definitions:
            raise ValueError(f"default '{self.default}' is not one of the definitions "
                             f"({', '.join(self.definitions)})")
        unknown = [f for f in self.fallbacks if f not in self.definitions]
        if unknown:
            raise ValueError(f"fallbacks {', '.join(unknown)} are not definitions ({', '.join(self.definitions)})")
        return self
