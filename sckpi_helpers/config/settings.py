"""Per-city settings: which data, which logic model, which 補正人口 definition, which peers.

A city keeps a ``settings.yaml`` in its folder under ``data/raw/`` (the demo's is
``data/raw/demo/settings.yaml``). Paths inside it are relative to that file. Everything has a
default, so a city with no file still gets a Check❹ evaluation from government statistics.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from sckpi_helpers.config import paths
from sckpi_helpers.errors import InputFileError

Source = Literal["demo", "estat-api", "estat-csv", "ssdse"]
log = logging.getLogger(__name__)


class CitySettings(BaseModel):
    """What the kit needs to know about one city beyond the statistics."""

    model_config = ConfigDict(extra="forbid")

    city_code: str = Field(description="5-digit 標準地域コード, e.g. 13101")
    name_ja: str | None = None
    name_en: str | None = None
    source: Source = "demo"
    adjusted_population: str = Field(
        "resident_plus_inflow",
        description="補正人口 definition id from the catalog (resident, resident_plus_inflow, daytime, "
                    "mean_day_night, resident_plus_visitors)")
    peer_group: str = Field("prefecture", description="peer group spec, see sckpi_helpers.peers")
    years: str = "2010-2024"
    logic_model: Path | None = None
    local_data: list[Path] = Field(default_factory=list)
    external_statistics: list[Path] = Field(default_factory=list)
    estat_csv: list[Path] = Field(default_factory=list)
    catalog_extensions: list[Path] = Field(default_factory=list)
    mergers: Path | None = Field(None, description="municipal mergers CSV (old_code,new_code,effective_date,note)")
    base_dir: Path | None = Field(None, exclude=True, description="folder of the settings file")

    @field_validator("city_code")
    @classmethod
    def _five_digits(cls, v: str) -> str:
        v = str(v).strip()
        if not (len(v) == 5 and v.isdigit()):
            raise ValueError(f"city_code '{v}' must be a 5-digit 標準地域コード")
        return v

    def resolve(self, p: Path | None) -> Path | None:
        """A settings path made absolute against the settings file's folder."""
        if p is None:
            return None
        p = Path(p)
        return p if p.is_absolute() or self.base_dir is None else (self.base_dir / p)


def load_settings(path: str | Path) -> CitySettings:
    """Read one ``settings.yaml``; errors name the file and the bad key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputFileError(f"cannot read settings: {exc}", path) from None
    try:
        s = CitySettings(**data)
    except PydanticValidationError as exc:  # one readable clause per bad key
        msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()) or str(exc)
        raise InputFileError(msg, path) from None
    s.base_dir = path.parent
    return s


def find_settings(city_code: str) -> CitySettings:
    """The settings of ``city_code`` found under ``data/raw/*/settings.yaml``, or defaults.

    A settings file that cannot be read is skipped with a warning naming it (another city's broken
    file must not stop this one), unless it sits in a folder named after ``city_code``.
    """
    root = paths.raw_dir()
    for f in sorted(root.glob("*/settings.yaml")):
        try:
            s = load_settings(f)
        except InputFileError as exc:
            if f.parent.name == city_code:
                raise
            log.warning("skipping unreadable settings file: %s", exc)
            continue
        if s.city_code == city_code:
            return s
    return CitySettings(city_code=city_code, base_dir=None)


def demo_settings() -> CitySettings:
    """The bundled demo city's settings."""
    return load_settings(paths.demo_dir() / "settings.yaml")
