"""The data-quality gate's thresholds for one input or indicator: catalog-wide defaults
(``data/quality.yaml``) ← the entry's own ``quality:`` block ← the city's ``settings.yaml``.

Why in the catalog: how far a value may move before it is 要確認 is part of what the value is
(a yearly count, a census share), declared next to it like its valid range (:mod:`.ranges`).

Stage 2 (catalog): imports ``config`` and the catalog's own modules.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from sckpi_helpers.catalog.ranges import range_of
from sckpi_helpers.config.quality import QualitySettings, QualityThresholds, merge
from sckpi_helpers.errors import InputFileError

DEFAULTS_FILE = Path(__file__).parent / "data" / "quality.yaml"
#: units that are already rates or shares: compared with peers as published, never per resident
_RATE_MARKS = ("%", "率", "比", "/", "当たり", "あたり", "割合", "倍", "歳", "年", "分", "係数", "pt")


class _Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    inputs: QualityThresholds
    indicators: QualityThresholds


@lru_cache(maxsize=4)
def load_defaults(path: Path = DEFAULTS_FILE) -> _Defaults:
    """The catalog-wide thresholds (validated; a bad key names the file)."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return _Defaults(**(doc.get("quality") or {}))
    except (OSError, yaml.YAMLError, ValidationError, TypeError) as exc:
        raise InputFileError(f"品質チェックの既定値を読めません (quality thresholds invalid): {exc}", path) from None


def is_rate_unit(entry: Any) -> bool:
    """True when an input's unit is already a rate or share (or bounded above, like a %)."""
    unit = str(getattr(entry, "unit", "") or "")
    return any(m in unit for m in _RATE_MARKS) or range_of(entry)[1] is not None


def thresholds(catalog: Any, subject: str, kind: str, city: QualitySettings | None = None) -> QualityThresholds:
    """The thresholds of one input (``kind='input'``) or indicator (``'indicator'``)."""
    d = load_defaults()
    entry = (catalog.inputs.get(subject) if kind == "input" else catalog.indicators.get(subject))
    base = d.inputs if kind == "input" else d.indicators
    unit_rule = QualityThresholds(per="") if kind == "input" and entry is not None and is_rate_unit(entry) else None
    city = city or QualitySettings()
    return merge(base, unit_rule, getattr(entry, "quality", None),
                 city.inputs if kind == "input" else city.indicators, city.by_id.get(subject))
