"""Build scopes: which ``data/processed/<scope>/`` build a city's data go to and which one serves it.

Three kinds of build, never replacing each other:

- the **national** build (``ssdse``): every municipality, from the bundled files only
  (:func:`sckpi_helpers.store.plan.national_files`); it serves every real city without settings;
- a **city's own** build: a city with ``data/raw/<folder>/settings.yaml`` builds into ``<folder>``;
  a city without one gets a build of its own under its code when the user names it with their own
  files (``sckpi ingest --source ssdse --city 01100 --input SSDSE-A-2026.csv``, ``--police`` …).
  Those files are recorded in the build's manifest and a later rebuild reads the same files again;
- the **demo** build (``demo``): the bundled fictional prefecture サンプル県.

Which build serves a city is one rule, :func:`serving_build` — never "any build whose areas
include it". Why here: the store owns the builds; the city context
(:func:`sckpi_helpers.city.resolve_city`) asks this module once per command.

Stage: ``store`` — imports ``errors``, ``config`` and :mod:`.plan`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sckpi_helpers.config import paths
from sckpi_helpers.config.settings import DEMO_PREFECTURE, CitySettings, demo_settings, national_settings
from sckpi_helpers.store.plan import NATIONAL_SCOPE

DEMO_SCOPE = "demo"
#: the build manifest's file name (written by :mod:`.build`, read by :mod:`.processed`)
MANIFEST = "ingest.json"


@dataclass(frozen=True)
class Given:
    """The user's own files and choices named on ``sckpi ingest`` for a city's own build (recorded in
    its manifest so a rebuild reads exactly them again)."""

    inputs: tuple[str, ...] = ()
    external: tuple[str, ...] = ()
    local: tuple[str, ...] = ()
    police: tuple[str, ...] = ()
    police_year: int | None = None
    areas: str | None = None
    years: str | None = None

    def __bool__(self) -> bool:
        return bool(self.inputs or self.external or self.local or self.police)

    def to_json(self) -> dict[str, Any]:
        return {"inputs": list(self.inputs), "external": list(self.external), "local": list(self.local),
                "police": list(self.police), "police_year": self.police_year, "areas": self.areas,
                "years": self.years}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Given:
        data = data or {}
        return cls(**{k: tuple(str(p) for p in data.get(k) or ()) for k in ("inputs", "external", "local", "police")},
                   police_year=data.get("police_year"), areas=data.get("areas"), years=data.get("years"))

    @classmethod
    def of(cls, inputs=(), external=(), local=(), police=(), police_year: int | None = None,
           areas: Any = None, years: Any = None) -> Given:
        """From ``ingest`` arguments (paths made absolute, so a rebuild finds them from anywhere)."""
        def files(xs) -> tuple[str, ...]:
            return tuple(str(Path(x).expanduser().resolve()) for x in xs or ())

        def text(v) -> str | None:
            return None if v is None else (v if isinstance(v, str) else ",".join(str(x) for x in v))

        return cls(files(inputs), files(external), files(local), files(police), police_year, text(areas), text(years))


@dataclass(frozen=True)
class Build:
    """One build under ``data/processed/<scope>/``: the settings that own it (source, years, files),
    the user's own files for a city's own build, and why it serves the city asked about."""

    scope: str
    settings: CitySettings
    why: str = ""
    given: Given = field(default_factory=Given)

    @property
    def national(self) -> bool:
        return self.scope == NATIONAL_SCOPE

    @property
    def demo(self) -> bool:
        return self.scope == DEMO_SCOPE

    @property
    def source(self) -> str:
        return self.settings.source

    @property
    def folder(self) -> Path:
        return paths.processed_dir(self.scope)


def _with_source(settings: CitySettings, source: str | None) -> CitySettings:
    return settings if source in (None, settings.source) else settings.model_copy(update={"source": source})


def settings_build(settings: CitySettings, source: str | None = None) -> Build:
    """The build of a city with its own ``settings.yaml``: its settings folder's name."""
    assert settings.base_dir is not None
    scope = Path(settings.base_dir).name
    return Build(scope, _with_source(settings, source),
                 f"{Path(settings.base_dir).name}/settings.yaml のビルド (the city's own settings)")


def national_build() -> Build:
    """The national build of every municipality from the bundled files."""
    return Build(NATIONAL_SCOPE, national_settings(),
                 "設定のない実在の市区町村は同梱データの全国ビルド (national build of the bundled files)")


def demo_build() -> Build:
    """The demo's build (the fictional サンプル県)."""
    return Build(DEMO_SCOPE, demo_settings(), "デモ県（サンプル県）のビルド (the demo build)")


def own_build(code: str) -> Build | None:
    """The build the user made for ``code`` without a settings file (``sckpi ingest --city CODE``
    with their own files or a source of their own), from its manifest; None when there is none."""
    folder = paths.processed_dir(code)
    try:
        meta = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a build put there by hand (e.g. from downloads): still the city's own
        meta = {"city_code": code, "source": "estat-csv"} if (folder / "panel.parquet").is_file() else {}
    if meta.get("city_code") != code or not meta.get("source"):
        return None
    return Build(code, CitySettings(city_code=code, source=meta["source"]),
                 f"sckpi ingest --city {code} で作ったこの自治体のビルド (the city's own build)",
                 Given.from_json(meta.get("given")))


def serving_build(settings: CitySettings, source: str | None = None) -> Build:
    """THE rule for which build serves a city.

    1. a city with its own ``settings.yaml``: its settings folder's build;
    2. else the build the user made for this code (:func:`own_build`), when ``source`` allows;
    3. else by source (default: demo for the demo prefecture ``99…``, else the bundled national
       data): ``demo`` → the demo build, ``ssdse`` → the national build, another source (e-Stat API,
       downloads) → a build of the city's own under its code.
    """
    if settings.base_dir is not None:
        return settings_build(settings, source)
    code = settings.city_code
    own = own_build(code)
    if own is not None and source in (None, own.source):
        return own
    src = source or ("demo" if code[:2] == DEMO_PREFECTURE else settings.source)
    if src == "demo":
        return demo_build()
    if src == "ssdse":
        return national_build()
    return Build(code, _with_source(settings, src), f"{src} からこの自治体のビルド (the city's own {src} build)")


def ingest_target(settings: CitySettings, source: str, given: Given = Given()) -> Build:
    """The build ``sckpi ingest`` writes: a city with settings → its folder; a city without settings
    that names its own files (or a source other than the bundled national data) → its own build
    under its code, recording the files; otherwise the national or the demo build."""
    if settings.base_dir is not None:
        b = settings_build(settings, source)
        return Build(b.scope, b.settings, b.why, given)
    if settings.city_code == national_settings().city_code and not given:
        return national_build() if source == "ssdse" else demo_build()
    if given or source not in ("ssdse", "demo"):
        code = settings.city_code
        return Build(code, _with_source(settings, source),
                     f"sckpi ingest --city {code} で指定したファイルのビルド (the city's own build)", given)
    return national_build() if source == "ssdse" else demo_build()


def build_target(target: CitySettings | Build, source: str | None, given: Given) -> Build:
    """The build an ``ingest`` call writes: a given build (re-reading its recorded files when the
    call names none), or :func:`ingest_target` of the settings."""
    if isinstance(target, Build):
        return Build(target.scope, target.settings, target.why, given if given else target.given)
    return ingest_target(target, source or target.source, given)


__all__ = ["DEMO_SCOPE", "MANIFEST", "Build", "Given", "build_target", "demo_build", "ingest_target", "national_build",
           "own_build", "serving_build", "settings_build"]
