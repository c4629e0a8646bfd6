"""Read the catalog's YAML files (bundled and a city's extensions) and validate them as a whole.

Every problem is collected with its file, line and entry id, and all are raised together in one
:class:`CatalogError`, so a city fixing its extension sees everything that is wrong in one pass.

Stage 2 (catalog): imports ``errors``, ``atomic`` and ``config``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pydantic
import yaml

from sckpi_helpers.catalog import formula as fm
from sckpi_helpers.catalog.model import Catalog, CatalogError
from sckpi_helpers.catalog.schema import (
    FOUNDATION_FIELDS,
    PSEUDO_INPUTS,
    SERVICE_PILLARS,
    AdjustedPopulation,
    EvalField,
    Indicator,
    InputVar,
)
from sckpi_helpers.errors import Problem

DATA_DIR = Path(__file__).parent / "data"
#: bundled files in guideline order: fields, inputs, 補正人口, then indicators as the guideline
#: presents them (tier-2 examples, tier-3 composites, foundation fields)
BUNDLED_FILES = ("fields.yaml", "inputs.yaml", "adjusted_population.yaml",
                 "indicators_outcome2.yaml", "indicators_outcome3.yaml",
                 "indicators_foundation.yaml")
_BUNDLED_KEYS = {"fields", "inputs", "adjusted_population", "indicators"}
_EXTENSION_KEYS = {"inputs", "indicators"}
_LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of each mapping, for messages users can act on."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[_LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_lines(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_lines(v) for k, v in obj.items() if k != _LINE}
    if isinstance(obj, list):
        return [_strip_lines(v) for v in obj]
    return obj


def _pydantic_problems(exc: pydantic.ValidationError, what: str, file: str,
                       line: int | None) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "is missing"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known key (typo?)"
        out.append(Problem(f"{what}: {loc + ' ' if loc else ''}{msg}".replace(": : ", ": "), file, line))
    return out


class _Builder:
    """Accumulates entries from several files and the problems found on the way."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.fields: dict[str, EvalField] = {}
        self.inputs: dict[str, InputVar] = {}
        self.indicators: dict[str, Indicator] = {}
        self.ap: AdjustedPopulation | None = None
        self.origin: dict[tuple[str, str], str] = {}  # (kind, id) → "file line n"
        self.lines: dict[str, int | None] = {}  # indicator id → line, for cross-check messages
        self.files: list[str] = []

    # -------------------------------------------------------------- reading
    def read(self, path: Path, allowed: set[str]) -> None:
        file = str(path)
        self.files.append(file)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            self.problems.append(Problem(f"cannot read: {exc.strerror or exc}", file))
            return
        try:
            doc = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass: no arbitrary objects
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            self.problems.append(Problem(f"not valid YAML: {getattr(exc, 'problem', exc)}", file,
                                         mark.line + 1 if mark else None))
            return
        if doc is None:
            return
        if not isinstance(doc, dict):
            self.problems.append(Problem("expected a mapping with keys "
                                         f"{', '.join(sorted(allowed))}", file))
            return
        for key in doc:
            if key != _LINE and key not in allowed:
                self.problems.append(Problem(f"unknown top-level key '{key}' (allowed: "
                                             f"{', '.join(sorted(allowed))})", file, doc[_LINE]))
        self._entries(doc.get("fields"), file, "field", EvalField, self.fields)
        self._entries(doc.get("inputs"), file, "input", InputVar, self.inputs)
        if "adjusted_population" in doc:
            self._adjusted_population(doc["adjusted_population"], file)
        self._indicators(doc.get("indicators"), file, {})

    def _entries(self, items: Any, file: str, kind: str, model: type[pydantic.BaseModel],
                 target: dict[str, Any]) -> None:
        if items is None:
            return
        if not isinstance(items, list):
            self.problems.append(Problem(f"'{kind}s' must be a list", file))
            return
        for raw in items:
            self._one(raw, file, kind, model, target)

    def _one(self, raw: Any, file: str, kind: str, model: type[pydantic.BaseModel],
             target: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
        if not isinstance(raw, dict):
            self.problems.append(Problem(f"{kind} entry must be a mapping, got {raw!r}", file))
            return
        line = raw.get(_LINE)
        data = _strip_lines({**(extra or {}), **raw})
        ident = data.get("id")
        if not isinstance(ident, str) or not ident.strip():
            self.problems.append(Problem(f"{kind} without an 'id'"
                                         f"{' (' + str(data.get('name_ja')) + ')' if data.get('name_ja') else ''}",
                                         file, line))
            return
        where = f"{file} line {line}" if line else file
        key = (kind, ident)
        if key in self.origin:
            self.problems.append(Problem(f"{kind} '{ident}': duplicate id (first defined in "
                                         f"{self.origin[key]})", file, line))
            return
        self.origin[key] = where
        if kind == "indicator":
            data["source_file"] = file
            self.lines[ident] = line
        try:
            target[ident] = model.model_validate(data)
        except pydantic.ValidationError as exc:
            self.problems.extend(_pydantic_problems(exc, f"{kind} '{ident}'", file, line))
            target.pop(ident, None)

    def _indicators(self, items: Any, file: str, defaults: dict[str, Any]) -> None:
        """Indicator lists may nest groups ``{defaults: {...}, indicators: [...]}`` to share keys."""
        if items is None:
            return
        if not isinstance(items, list):
            self.problems.append(Problem("'indicators' must be a list", file))
            return
        for raw in items:
            if isinstance(raw, dict) and "indicators" in raw and "id" not in raw:
                extra = raw.get("defaults") or {}
                unknown = set(raw) - {"defaults", "indicators", _LINE}
                if unknown or not isinstance(extra, dict):
                    self.problems.append(Problem(f"indicator group: only 'defaults' and 'indicators' "
                                                 f"are allowed (got {', '.join(sorted(unknown))})",
                                                 file, raw.get(_LINE)))
                    continue
                self._indicators(raw["indicators"], file, {**defaults, **_strip_lines(extra)})
            else:
                self._one(raw, file, "indicator", Indicator, self.indicators, defaults)

    def _adjusted_population(self, raw: Any, file: str) -> None:
        if not isinstance(raw, dict):
            self.problems.append(Problem("'adjusted_population' must be a mapping", file))
            return
        data = _strip_lines(raw)
        defs = data.get("definitions")
        if isinstance(defs, list):  # a list of {id: …} reads better in YAML; key it by id
            data["definitions"] = {d.get("id"): d for d in defs if isinstance(d, dict)}
        try:
            self.ap = AdjustedPopulation.model_validate(data)
        except pydantic.ValidationError as exc:
            self.problems.extend(_pydantic_problems(exc, "adjusted_population", file, raw.get(_LINE)))

    # -------------------------------------------------------------- cross-checks
    def cross_check(self) -> None:
        known_inputs = set(self.inputs) | set(PSEUDO_INPUTS)
        for ind in self.indicators.values():
            file, what = ind.source_file, f"indicator '{ind.id}'"
            line = self.lines.get(ind.id)
            fld = self.fields.get(ind.field)
            if fld is None:
                self.problems.append(Problem(f"{what}: unknown field '{ind.field}' "
                                             f"(valid: {', '.join(self.fields)})", file, line))
            else:
                if ind.theme is not None and fld.theme(ind.theme) is None:
                    self.problems.append(Problem(
                        f"{what}: unknown theme '{ind.theme}' for field '{fld.id}' (valid: "
                        f"{', '.join(t.id for t in fld.themes) or 'none'})", file, line))
                if fld.kind == "foundation" and ind.pillar != fld.id:
                    self.problems.append(Problem(f"{what}: a foundation-field indicator's pillar is its "
                                                 f"field '{fld.id}', not '{ind.pillar}'", file, line))
                if fld.kind != "foundation" and ind.pillar not in SERVICE_PILLARS:
                    self.problems.append(Problem(f"{what}: pillar '{ind.pillar}' is for foundation "
                                                 f"fields; use one of {', '.join(SERVICE_PILLARS)}", file, line))
            if ind.formula:
                unknown = sorted(fm.referenced_names(ind.formula) - known_inputs)
                if unknown:
                    self.problems.append(Problem(f"{what}: formula uses unknown input(s) "
                                                 f"{', '.join(unknown)} (declare them under 'inputs')",
                                                 file, line))
            elif ind.availability != "local":
                self.problems.append(Problem(f"{what}: formula is empty, which means the city supplies "
                                             "the value; set availability: local or give a formula", file, line))
        for var in self.inputs.values():
            for sub in var.substitutes:
                if sub.input not in self.inputs or sub.input == var.id:
                    self.problems.append(Problem(f"input '{var.id}': substitute '{sub.input}' is not another "
                                                 "declared input"))
        if self.ap is None:
            self.problems.append(Problem("adjusted_population (補正人口) is not defined"))
        else:
            for d in self.ap.definitions.values():
                unknown = sorted(set(d.inputs) - set(self.inputs))
                if unknown:
                    self.problems.append(Problem(f"adjusted_population definition '{d.id}': unknown "
                                                 f"input(s) {', '.join(unknown)}"))
        unknown_fields = [f for f in FOUNDATION_FIELDS if f not in self.fields]
        if self.fields and unknown_fields:
            self.problems.append(Problem(f"foundation field(s) missing: {', '.join(unknown_fields)}"))

    def build(self) -> Catalog:
        self.cross_check()
        if self.problems:
            raise CatalogError(self.problems)
        assert self.ap is not None
        return Catalog(fields=self.fields, inputs=self.inputs, indicators=self.indicators,
                       adjusted_population=self.ap, files=self.files)


def build_catalog(paths: Iterable[Path], extra: Iterable[str | Path] = ()) -> Catalog:
    """Validate ``paths`` (full catalog files) plus ``extra`` (extensions: inputs, indicators)."""
    b = _Builder()
    for p in paths:
        b.read(Path(p), _BUNDLED_KEYS)
    for p in extra:
        b.read(Path(p), _EXTENSION_KEYS)
    return b.build()


@lru_cache(maxsize=1)
def _bundled() -> Catalog:
    return build_catalog(DATA_DIR / name for name in BUNDLED_FILES if (DATA_DIR / name).exists())


def load_catalog(extra: Iterable[str | Path] = ()) -> Catalog:
    """The bundled catalog (cached, shared: do not mutate) plus a city's extension files.

    Extension files may declare ``inputs`` and ``indicators``; they are validated like the bundled
    files and against them (an id already in the catalog is a duplicate).
    """
    extra = [Path(p) for p in extra]
    if not extra:
        return _bundled()
    return build_catalog([DATA_DIR / n for n in BUNDLED_FILES if (DATA_DIR / n).exists()], extra)
