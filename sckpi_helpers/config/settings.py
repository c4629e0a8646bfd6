"""Per-city settings: which data, which logic model, which 補正人口 definition, which peers.

A city keeps a ``settings.yaml`` in its folder under ``data/raw/`` (the demo's is
``data/raw/demo/settings.yaml``). Paths inside it are relative to that file. Everything has a
default, so a city with no file still gets a Check❹ evaluation from government statistics.

Every file a settings file names must exist: :func:`load_settings` lists all missing ones in one
error naming the settings file and key (a typo must not silently drop a logic model). One broken
settings file in another city's folder does not stop commands about other cities:
:func:`find_settings` reads only the file that names the city asked for. Area codes are read by
:mod:`.codes` (a YAML number instead of a quoted code gets one message saying to quote it).

Stage: ``config`` — imports ``errors``, ``config.paths`` and ``config.codes``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from sckpi_helpers.config import paths
from sckpi_helpers.config.codes import names_code, parse_code
from sckpi_helpers.config.quality import QualitySettings
from sckpi_helpers.errors import InputFileError, Problem, ValidationError

#: settings keys that name files (one path or a list of paths)
PATH_KEYS = ("logic_model", "local_data", "external_statistics", "estat_csv", "catalog_extensions",
             "mergers", "police")

Source = Literal["demo", "estat-api", "estat-csv", "ssdse", "estat-json"]
#: every statistics source the kit reads, in the order the CLI lists them
SOURCES: tuple[str, ...] = get_args(Source)


class CitySettings(BaseModel):
    """What the kit needs to know about one city beyond the statistics."""

    model_config = ConfigDict(extra="forbid")

    city_code: str = Field(description="5-digit 標準地域コード, e.g. 13101")
    name_ja: str | None = None
    name_en: str | None = None
    source: Source = "demo"
    adjusted_population: str | None = Field(
        None,
        description="補正人口 definition id from the catalog (resident, resident_plus_inflow, daytime, "
                    "mean_day_night, resident_plus_visitors); None: the catalog's default")
    adjusted_population_fallbacks: list[str] = Field(
        default_factory=list,
        description="補正人口 definitions tried in order where adjusted_population cannot be computed for "
                    "the city (the same one then serves every peer); empty: the catalog's fallbacks")
    peer_group: str = Field("prefecture", description="peer group spec, see sckpi_helpers.peers")
    years: str = "2010-2024"
    logic_model: Path | None = None
    local_data: list[Path] = Field(default_factory=list)
    external_statistics: list[Path] = Field(default_factory=list)
    estat_csv: list[Path] = Field(default_factory=list)
    catalog_extensions: list[Path] = Field(default_factory=list)
    mergers: Path | None = Field(None, description="municipal mergers CSV (old_code,new_code,effective_date,note)")
    police: list[Path] = Field(default_factory=list,
                               description="police crime files (犯罪オープンデータ 手口 CSVs, 警視庁 認知件数)")
    police_year: int | None = Field(None, description="the year of police files whose name carries none")
    quality: QualitySettings = Field(default_factory=QualitySettings,
                                     description="data-quality gate thresholds over the catalog's (issue 21)")
    base_dir: Path | None = Field(None, exclude=True, description="folder of the settings file")

    @field_validator("city_code", mode="before")
    @classmethod
    def _code(cls, v: object) -> str:
        return parse_code(v, "city_code")  # full-width, 6-digit with its check digit; a number → quote it

    def resolve(self, p: Path | None) -> Path | None:
        """A settings path made absolute against the settings file's folder."""
        if p is None:
            return None
        p = Path(p)
        return p if p.is_absolute() or self.base_dir is None else (self.base_dir / p)

    def missing_files(self) -> list[tuple[str, Path]]:
        """(key, path as written) for every file the settings name that does not exist."""
        out = []
        for key in PATH_KEYS:
            value = getattr(self, key)
            for p in value if isinstance(value, list) else [value]:
                resolved = self.resolve(p)
                if resolved is not None and not Path(resolved).exists():
                    out.append((key, Path(p)))
        return out


def load_settings(path: str | Path, check_files: bool = True) -> CitySettings:
    """Read one ``settings.yaml``; errors name the file and the bad key.

    With ``check_files`` every file it names must exist; all missing ones are listed in one
    :class:`ValidationError` naming the settings file and each key.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputFileError(f"cannot read settings: {exc}", path) from None
    try:
        s = CitySettings(**data)
    except PydanticValidationError as exc:  # one readable clause per bad key
        msg = "; ".join(_clause(e) for e in exc.errors()) or str(exc)
        raise InputFileError(msg, path) from None
    s.base_dir = path.parent
    if check_files and (missing := s.missing_files()):
        raise ValidationError(
            [Problem(f"ファイルがありません (file not found): {p} → {s.resolve(p)}", str(path), column=key)
             for key, p in missing],
            title=f"{path}: 設定が存在しないファイルを指しています (settings name missing files)")
    return s


def _clause(error: dict) -> str:
    """One readable clause of a pydantic error; a code's own message already names its key."""
    msg = str(error["msg"]).removeprefix("Value error, ")
    key = ".".join(map(str, error["loc"]))
    return msg if msg.startswith(f"{key}") else f"{key}: {msg}"


def find_settings(city_code: str) -> CitySettings:
    """The settings of ``city_code`` found under ``data/raw/*/settings.yaml``, or defaults.

    Only the file that names ``city_code`` is loaded: if it is broken its own error is raised (it is
    the one asked for); broken files of other cities are not read. Call it through
    :func:`sckpi_helpers.city.resolve_city`, the one place a command decides a city's settings.
    """
    for f in sorted(paths.raw_dir().glob("*/settings.yaml")):
        if _names_city(f, city_code):
            return load_settings(f)  # the one asked for: its own error, if any, is the message
    return CitySettings(city_code=city_code, source=default_source(city_code), base_dir=None)


#: the demo's fictional prefecture (code 99 is unused in Japan)
DEMO_PREFECTURE = "99"


def default_source(city_code: str) -> Source:
    """The source of a city without a settings file: ``demo`` for the demo's fictional
    prefecture, else ``ssdse`` (the bundled SSDSE-A: real statistics of every municipality,
    no download, no appId)."""
    return "demo" if str(city_code)[:2] == DEMO_PREFECTURE else "ssdse"


def national_settings() -> CitySettings:
    """The settings of the national build (every municipality, from the bundled SSDSE-A); its
    code is e-Stat's 全国 ``00000``."""
    return CitySettings(city_code="00000", source="ssdse", base_dir=None)


def _names_city(path: Path, city_code: str) -> bool:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and names_code(data.get("city_code"), city_code)


def demo_settings() -> CitySettings:
    """The bundled demo city's settings."""
    return load_settings(paths.demo_dir() / "settings.yaml")
