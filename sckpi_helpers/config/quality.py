"""The thresholds of the data-quality gate (issue 21), as one typed model.

Why in ``config``: the same model is declared three times — catalog-wide defaults
(``catalog/data/quality.yaml``), a ``quality:`` block on an input or indicator of the catalog,
and a city's override in ``settings.yaml`` — and the catalog (stage 2) and the settings (stage 1)
must both validate it. Every field is optional; :func:`merge` lays the layers over one another
(later wins), so a block names only what it changes.

Stage 1 (config): imports pydantic only.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class QualityThresholds(BaseModel):
    """When a value is 要確認 (needs checking). ``None`` = not set at this layer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    yoy_factor: float | None = Field(None, gt=1, description=(
        "the area's own history: a year-over-year change beyond this factor (up or down) is a finding"))
    yoy_min: float | None = Field(None, ge=0, description=(
        "ignore year-over-year changes where both values are below this (small counts jump)"))
    z_threshold: float | None = Field(None, gt=0, description=(
        "peers: a robust z-score (median / 1.4826·MAD) beyond this is a finding"))
    scale_factor: float | None = Field(None, gt=1, description=(
        "scale: about this many times (or 1/this) the peers' median is a unit mix-up (人/千人, 円/千円)"))
    scale_tolerance: float | None = Field(None, gt=0, lt=1, description=(
        "how far from scale_factor still counts, in decades (0.5: 316×–3,162× for 1,000×)"))
    min_peers: int | None = Field(None, ge=3, description="peer rules need at least this many peer values")
    log: bool | None = Field(None, description="compare peers on log10 (skewed, positive values)")
    per: str | None = Field(None, description=(
        "inputs: compare peers per unit of this input (e.g. population_resident); several, comma-separated: "
        "the first each area has; '' = as published"))
    max_lag_years: int | None = Field(None, ge=0, description=(
        "tier-3: a numerator this many years newer than its denominator is still allowed"))
    revision_tolerance: float | None = Field(None, ge=0, description=(
        "a re-published figure differing by more than this relative amount is a revision"))


#: the keys of :class:`QualityThresholds`
THRESHOLD_KEYS = tuple(QualityThresholds.model_fields)


def merge(*layers: QualityThresholds | None) -> QualityThresholds:
    """The layers laid over one another, later ones winning where they set a value."""
    out: dict = {}
    for layer in layers:
        if layer is not None:
            out.update(layer.model_dump(exclude_none=True))
    return QualityThresholds(**out)


class QualitySettings(BaseModel):
    """A city's override in ``settings.yaml``::

        quality:
          inputs: {yoy_factor: 4}                 # every input
          indicators: {z_threshold: 6}            # every tier-3 indicator
          by_id: {crimes_recognised: {yoy_factor: 5}}
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    inputs: QualityThresholds | None = None
    indicators: QualityThresholds | None = None
    by_id: dict[str, QualityThresholds] = Field(default_factory=dict)
