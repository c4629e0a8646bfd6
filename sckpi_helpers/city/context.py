"""The city context: everything a command or a notebook needs to know about one city, decided once.

:func:`resolve_city` is the one place that decides, for one city: its 5-digit code (as the user
typed it, :func:`sckpi_helpers.config.codes.parse_code`), the period, its settings (typed
:class:`~sckpi_helpers.config.settings.CitySettings`), the build that serves it
(:func:`sckpi_helpers.store.scopes.serving_build`) and so the source, the catalog with the city's
extensions (loaded once), its name, the 補正人口 definition (id, names and formula from the catalog,
checked here so a bad id stops the command naming the settings file), the peer group, the logic
model and the raw files the build reads (the store's planner). Every later stage reads these
fields; none looks them up again. A command calls it once; each notebook calls it once through
its parameter validation (a separate process calls the same function).

Stage 5 (city): imports errors, config, catalog, sources and store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from sckpi_helpers.catalog import Catalog, load_catalog
from sckpi_helpers.config import paths
from sckpi_helpers.config.codes import parse_code
from sckpi_helpers.config.periods import Period, parse_period
from sckpi_helpers.config.settings import SOURCES, CitySettings, find_settings
from sckpi_helpers.config.vocabulary import peer_group_ja
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.store.plan import plan_inputs, resolve_all
from sckpi_helpers.store.scopes import Build, serving_build

#: the store planner's roles → the role a run's manifest lists the file under (in this order)
INPUT_ROLES = {"csv": "estat_csv", "inputs": "input", "external": "external_statistics", "local": "local_data",
               "police": "police"}


class CityError(SckpiError):
    """What the user gave for a city cannot be used; every problem at once (one per line)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class AdjustedPopulationChoice:
    """The 補正人口 definition a city uses, as the catalog defines it, and the definitions to fall
    back on, in order, where it lacks an input (applied by the indicator engine)."""

    id: str
    name_ja: str
    name_en: str
    formula: str
    fallbacks: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What the indicator cache is keyed on (the definition and its fallbacks)."""
        return "|".join((self.id, *self.fallbacks))


@dataclass(frozen=True)
class PeerGroupChoice:
    """The peer group spec (``prefecture``, ``similar``, ``list:CODE,…``) and its Japanese name."""

    spec: str
    name_ja: str


@dataclass(frozen=True)
class InputFile:
    """One raw file the city's build reads, with its planner role."""

    role: str
    path: Path


@dataclass(frozen=True, eq=False)
class CityContext:
    """One city, resolved once by :func:`resolve_city` (frozen: stages read it, none changes it)."""

    code: str
    period: Period | None
    settings: CitySettings
    own_settings: bool
    build: Build
    source: str
    catalog: Catalog
    name_ja: str
    name_en: str | None
    adjusted_population: AdjustedPopulationChoice
    peer_group: PeerGroupChoice
    logic_model_path: Path | None
    inputs: tuple[InputFile, ...] = field(default=())

    @property
    def settings_file(self) -> Path | None:
        """The city's ``settings.yaml``; None for a city without one."""
        return Path(self.settings.base_dir) / "settings.yaml" if self.settings.base_dir is not None else None

    @property
    def extensions(self) -> list[Path]:
        """The city's catalog extension files (absolute)."""
        return resolve_all(self.settings, self.settings.catalog_extensions)

    @cached_property
    def peer_codes(self) -> list[str]:
        """The peer group's area codes in the serving build (the city first when it belongs)."""
        from sckpi_helpers.store.peer_groups import peer_group
        from sckpi_helpers.store.processed import load_areas, load_panel

        return list(peer_group(load_areas(self.build), self.code, self.peer_group.spec, load_panel(self.build)))

    def peers_in(self, areas: Any, panel: Any = None) -> list[str]:
        """The peer group's codes among ``areas`` (a build's areas table already read)."""
        from sckpi_helpers.store.peer_groups import peer_group

        return list(peer_group(areas, self.code, self.peer_group.spec, panel))

    def peers_or_self(self, areas: Any, panel: Any = None) -> tuple[list[str], str | None]:
        """:meth:`peers_in`, or the city alone with the reason when its group cannot be formed
        (the pages show the reason; the gate and the tables then compare the city with itself)."""
        try:
            return self.peers_in(areas, panel), None
        except SckpiError as exc:
            return [self.code], str(exc)


def _where(settings: CitySettings, option: str | None) -> str:
    """Where a value came from, for messages: the command-line option, or the settings file."""
    if option:
        return option
    if settings.base_dir is not None:
        return f"{Path(settings.base_dir) / 'settings.yaml'}"
    return f"{settings.city_code} の既定の設定 (defaults of a city without settings.yaml)"


def adjusted_population_choice(catalog: Catalog, settings: CitySettings, override: str | None = None,
                               option: str = "--adjusted-population") -> AdjustedPopulationChoice:
    """The city's 補正人口 definition from the catalog; an unknown id (or fallback id) is an error
    naming the settings file (or the option) and the valid ids."""
    ap = catalog.adjusted_population
    chosen = override or settings.adjusted_population or ap.default
    wanted = [("adjusted_population", chosen), *(("adjusted_population_fallbacks", f)
                                                 for f in settings.adjusted_population_fallbacks)]
    for key, ident in wanted:
        if ident not in ap.definitions:
            where = _where(settings, option if (override and key == "adjusted_population") else None)
            raise SckpiError(f"{where}: {key}: '{ident}' は補正人口の定義にありません。"
                             f"使える定義: {', '.join(ap.definitions)} "
                             f"(unknown 補正人口 definition '{ident}')")
    d = ap.definitions[chosen]
    return AdjustedPopulationChoice(chosen, d.name_ja, d.name_en, d.formula,
                                    tuple(f for f in settings.adjusted_population_fallbacks if f != chosen))


def _name(code: str, settings: CitySettings, build: Build) -> str:
    """The city's Japanese name, one way: settings, else the bundled national names, else the demo's
    ``areas.csv``, else the serving build's areas, else the code."""
    if settings.name_ja:
        return settings.name_ja
    from sckpi_helpers.sources.ssdse import municipality_names

    names = municipality_names()
    hit = names.loc[names["area_code"] == code, "area_name"]
    if len(hit):
        return str(hit.iloc[0])
    from sckpi_helpers.sources.areas import read_area_overrides

    for table in (read_area_overrides(paths.demo_dir() / "areas.csv"),):
        if table is not None and "area_name" in table.columns:
            hit = table.loc[table["area_code"] == code, "area_name"]
            if len(hit) and hit.iloc[0]:
                return str(hit.iloc[0])
    from sckpi_helpers.store.processed import load_areas, processed_paths

    if processed_paths(build)["areas"].exists():
        areas = load_areas(build)
        hit = areas.loc[areas["area_code"].astype(str) == code, "area_name"]
        if len(hit):
            return str(hit.iloc[0])
    return code


def _logic_model(settings: CitySettings, given: str | Path | None) -> Path | None:
    if given is not None and str(given).strip():
        lm = Path(str(given)).expanduser()
        if not lm.is_file():
            raise SckpiError(f"logic_model_path '{given}': ファイルがありません (file not found)")
        return lm
    if settings.logic_model is None:
        return None
    lm = Path(settings.resolve(settings.logic_model))
    if not lm.is_file():
        raise SckpiError(f"{_where(settings, None)}: logic_model: ファイルがありません (file not found): {lm}")
    return lm


def _inputs(build: Build, logic_model: Path | None) -> tuple[InputFile, ...]:
    """The raw files the build reads, from the store's planner (police and mergers included), with
    the city's logic model; each once."""
    g, s = build.given, build.settings
    try:
        plan = plan_inputs(s, build.source, g.inputs, g.external, g.local, g.police)
    except SckpiError:  # the build will say what is missing when it is made
        return ()
    out = [InputFile("settings", Path(s.base_dir) / "settings.yaml")] if s.base_dir is not None else []
    out += [InputFile("logic_model", logic_model)] if logic_model is not None else []
    out += [InputFile("catalog_extension", p) for p in resolve_all(s, s.catalog_extensions)]
    out += [InputFile(role, Path(plan[key])) for key, role in (("overrides", "areas"), ("mergers", "mergers"))
            if plan.get(key) is not None]
    out += [InputFile(role, Path(p)) for key, role in INPUT_ROLES.items() for p in plan[key]]
    if plan.get("cache") is not None and Path(plan["cache"]).is_dir():
        out += [InputFile("estat_api_json", f) for f in sorted(Path(plan["cache"]).rglob("*.json"))]
    seen: set[Path] = set()
    return tuple(f for f in out if not (f.path.resolve() in seen or seen.add(f.path.resolve())))


def _source_problem(code: str, build: Build, own_settings: bool) -> str | None:
    """The fictional demo data cannot serve a real city without settings of its own."""
    if not build.demo or own_settings:
        return None
    from sckpi_helpers.sources.areas import read_area_overrides

    table = read_area_overrides(paths.demo_dir() / "areas.csv")
    if table is not None and code in set(table["area_code"]):
        return None
    return (f"{code} は同梱のデモデータ（架空のサンプル県）にありません。source に実在の市区町村のデータ源"
            f"（ssdse | estat-api | estat-csv）を指定するか、data/raw/<フォルダ>/settings.yaml に "
            f"city_code: \"{code}\" と source を書いてください (source 'demo' cannot serve {code})")


def resolve_city(code: Any, period: str | int | Period | None = None, *, source: str | None = None,
                 peer_group: str | None = None, adjusted_population: str | None = None,
                 logic_model_path: str | Path | None = None) -> CityContext:
    """THE one place a city's code, period, settings, build, source, catalog, name, 補正人口 and peer
    group are decided (options given here override the settings). Raises :class:`SckpiError` with
    the user's words for a bad code, period, source, 補正人口 id or logic-model path."""
    problems: list[str] = []
    city = p = None
    try:
        city = parse_code(code, "city_code")
    except SckpiError as exc:
        problems.append(str(exc))
    try:
        p = parse_period(period) if period is not None and str(period).strip() else None
    except SckpiError as exc:
        problems.append(f"period: {exc}")
    if source and source not in SOURCES:
        problems.append(f"source '{source}' は使えません。{' | '.join(SOURCES)} のいずれかを指定してください "
                        f"(source must be one of {', '.join(SOURCES)})")
    if logic_model_path is not None and str(logic_model_path).strip() and \
            not Path(str(logic_model_path)).expanduser().is_file():
        problems.append(f"logic_model_path '{logic_model_path}': ファイルがありません (file not found)")
    if problems or city is None:
        raise CityError(problems)
    settings = find_settings(city)
    own = settings.base_dir is not None
    build = serving_build(settings, source or None)
    if (why := _source_problem(city, build, own)) is not None:
        raise SckpiError(why)
    catalog = load_catalog(extra=resolve_all(settings, settings.catalog_extensions))
    ap = adjusted_population_choice(catalog, settings, adjusted_population)
    spec = peer_group or settings.peer_group
    lm = _logic_model(settings, logic_model_path)
    return CityContext(
        code=city, period=p, settings=settings, own_settings=own, build=build, source=build.source,
        catalog=catalog, name_ja=_name(city, settings, build), name_en=settings.name_en,
        adjusted_population=ap, peer_group=PeerGroupChoice(spec, peer_group_ja(spec)),
        logic_model_path=lm, inputs=_inputs(build, lm))


__all__ = ["AdjustedPopulationChoice", "CityContext", "CityError", "InputFile", "PeerGroupChoice", "adjusted_population_choice",
           "resolve_city"]
