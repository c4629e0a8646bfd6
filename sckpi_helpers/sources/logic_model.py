"""Logic models (ロジックモデル): the YAML a city writes for each smart-city measure, and its checks.

A logic model file describes one city's plan: its measures (施策), each in one evaluation field, and
for each measure the boxes of the guideline's chain — インプット → 事業・取組 → アウトプット →
アウトカム第1階層 → 第2階層 → 第3階層 (docs/GUIDELINE.md, "The logic model"). Boxes point *upwards* to the
boxes they feed; a box may feed several. Boxes from the output tier up carry the indicators whose
values become KPIs: either an id from the catalog (``catalog: t3.soc.crime_rate``) or a local
indicator defined inline. Every indicator has a baseline, one or more target milestones and a source.

Example (the seminar's environment course)::

    city: {code: "99201", name: サンプル市}
    plan: {start: 2023, end: 2027}
    measures:
      - id: env_course
        name_ja: 環境問題学習講座
        field: environment_energy
        boxes:
          - {id: course, tier: activity, label: 講座の開発・開催, feeds: [attend]}
          - id: attend
            tier: output
            label: 市民の講座への参加
            feeds: [understand]
            indicators:
              - id: env.course_participants
                name_ja: 講座参加者数
                unit: 人
                direction: higher
                cadence: quarterly
                baseline: {value: 0, period: 2022Q4}
                targets: [{value: 120, period: 2024Q4}]
                source: 環境政策課 受講者名簿
          ...

:func:`load_logic_model` reads such a file against the catalog and reports *every* problem at once
(:class:`~sckpi_helpers.errors.ValidationError`), each naming the file, the line, the measure and the
box: YAML that does not parse, schema errors, an unknown catalog id, a unit or tier that contradicts
the catalog, a link to a missing box, a link going downwards, a cycle, an outcome of tier 1 or 2 with
no path to tier 3, a target on the wrong side of its baseline.

Why a source: ``logic_model.yaml`` is one of the files a city keeps under ``data/raw/<city>/``, read
and validated like its other inputs (the store needs its local indicator definitions to check the
local-data workbook); the checks stage tracks and diagnoses it.

Stage 3 (sources): imports ``errors``, ``atomic``, ``config`` and ``catalog``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from sckpi_helpers.config.periods import CADENCE_KIND, fiscal_year, parse_period, read_period
from sckpi_helpers.config.vocabulary import FIELD_JA, KPI_TIERS, MODEL_TIERS, TIER_CHECK, TIER_EN, TIER_JA  # noqa: F401 (re-exported)  # noqa: F401 (re-exported)
from sckpi_helpers.errors import InputFileError, Problem, ValidationError
from sckpi_helpers.sources.numbers import parse_number

Tier = Literal["input", "activity", "output", "outcome1", "outcome2", "outcome3"]
Direction = Literal["higher", "lower", "neutral"]
Cadence = Literal["as_needed", "monthly", "quarterly", "semiannual", "yearly", "every_2_years", "every_5_years",
                  "every_10_years"]
FieldId = Literal["mobility", "environment_energy", "disaster_crime", "infrastructure", "health_medical",
                  "industry_economy", "community", "education_culture", "administration", "it_platform",
                  "operations", "talent", "cross_field"]

#: rank of each tier (MODEL_TIERS, bottom-up); links must not go down it
TIER_RANK = {t: i for i, t in enumerate(MODEL_TIERS)}
#: cadences reported in fiscal years but not every year: periods without a value are not gaps
SPARSE_YEARS = {"every_2_years": 2, "every_5_years": 5, "every_10_years": 10}
CADENCES = (*CADENCE_KIND, *SPARSE_YEARS)
FIELD_GROUP = {**{f: "service" for f in ("mobility", "environment_energy", "disaster_crime", "infrastructure",
                                         "health_medical", "industry_economy", "community",
                                         "education_culture", "administration")},
               "it_platform": "foundation", "operations": "foundation", "talent": "foundation",
               "cross_field": "cross_field"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Milestone(_Strict):
    """A value at a point in time: a baseline or a target. Give either ``period`` or ``date``."""

    value: float
    period: str | None = Field(None, description="period label (2022, 2024Q4, 2025H1, 2025-03)")
    date: dt.date | None = Field(None, description="ISO date, e.g. 2023-03-31")

    @field_validator("value", mode="before")
    @classmethod
    def _number(cls, v: Any) -> Any:
        # the kit's one number parser: １２０, 1,200, ▲5 as in the local-data workbook
        x = parse_number(v)  # ValueError → a schema error naming the field
        if x is None:
            raise ValueError("value is empty")
        return x

    @field_validator("period", mode="before")
    @classmethod
    def _period_text(cls, v: Any) -> Any:
        if v is None:
            return v
        # the kit's one period reader: 2024Q4, 2025年度, 令和7年度 … (PeriodError is a ValueError)
        return read_period(v).label

    @model_validator(mode="after")
    def _one_of(self) -> Milestone:
        if (self.period is None) == (self.date is None):
            raise ValueError("give exactly one of 'period' or 'date'")
        return self

    @property
    def when(self) -> dt.date:
        """The date the value refers to: the date given, or the last day of the period."""
        return self.date if self.date is not None else parse_period(self.period).end

    @property
    def label(self) -> str:
        """The period label, or the ISO date."""
        return self.period if self.period is not None else self.date.isoformat()


class IndicatorSpec(_Strict):
    """One indicator on a box: a catalog id, or a local indicator defined here.

    After :func:`load_logic_model` every field is filled in: a catalog indicator takes ``id``,
    names, unit, direction and cadence from the catalog.
    """

    catalog: str | None = Field(None, description="catalog indicator id, e.g. t3.soc.crime_rate")
    id: str | None = Field(None, description="local indicator id (the local data's indicator_id)")
    name_ja: str | None = None
    name_en: str | None = None
    unit: str | None = None
    direction: Direction | None = None
    cadence: Cadence | None = None
    baseline: Milestone
    targets: list[Milestone] = Field(min_length=1)
    source: str | None = Field(None, description="where the values come from (課, survey, system)")
    note: str | None = None

    @field_validator("catalog", "id", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return str(v).strip() if v is not None else v

    @model_validator(mode="after")
    def _local_complete(self) -> IndicatorSpec:
        if self.catalog is None:
            missing = [k for k in ("id", "name_ja", "unit", "direction", "cadence") if getattr(self, k) is None]
            if missing:
                raise ValueError("a local indicator (no 'catalog:') needs " + ", ".join(missing))
        elif self.id is not None and self.id != self.catalog:
            raise ValueError(f"'id' ({self.id}) differs from 'catalog' ({self.catalog}); give only 'catalog'")
        return self

    @property
    def is_catalog(self) -> bool:
        """True when the indicator comes from the catalog."""
        return self.catalog is not None

    @property
    def final_target(self) -> Milestone:
        """The last milestone in time."""
        return max(self.targets, key=lambda m: m.when)

    def sorted_targets(self) -> list[Milestone]:
        """Targets in time order."""
        return sorted(self.targets, key=lambda m: m.when)


class Box(_Strict):
    """A box of the logic model."""

    id: str
    tier: Tier
    label: str = Field(validation_alias=AliasChoices("label", "name_ja"), description="Japanese label")
    label_en: str | None = None
    feeds: list[str] = Field(default_factory=list, description="ids of the boxes this one feeds (upwards)")
    indicators: list[IndicatorSpec] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, v: Any) -> Any:
        return str(v).strip() if v is not None else v

    @field_validator("feeds", mode="before")
    @classmethod
    def _feeds_list(cls, v: Any) -> Any:
        if v is None:
            return []
        if isinstance(v, str):
            return [v]
        return [str(x).strip() for x in v]


class Measure(_Strict):
    """A measure (施策) in one evaluation field, with its boxes."""

    id: str
    name_ja: str
    name_en: str | None = None
    field: FieldId
    description: str | None = None
    boxes: list[Box] = Field(min_length=1)

    def box(self, box_id: str) -> Box:
        """The box with ``box_id`` (KeyError when absent)."""
        for b in self.boxes:
            if b.id == box_id:
                return b
        raise KeyError(f"measure '{self.id}' has no box '{box_id}'")

    def boxes_of(self, tier: str) -> list[Box]:
        """The boxes at ``tier``."""
        return [b for b in self.boxes if b.tier == tier]

    def reaches(self, box_id: str, tier: str) -> bool:
        """True when a chain of links leads from ``box_id`` up to a box at ``tier``."""
        by_id = {b.id: b for b in self.boxes}
        seen: set[str] = set()
        stack = list(by_id[box_id].feeds) if box_id in by_id else []
        while stack:
            bid = stack.pop()
            if bid in seen or bid not in by_id:
                continue
            seen.add(bid)
            if by_id[bid].tier == tier:
                return True
            stack.extend(by_id[bid].feeds)
        return False


class City(_Strict):
    code: str = Field(description="5-digit 標準地域コード")
    name: str

    @field_validator("code", mode="before")
    @classmethod
    def _five(cls, v: Any) -> str:
        s = str(v).strip()
        if not (len(s) == 5 and s.isdigit()):
            raise ValueError(f"city code '{s}' must be a 5-digit 標準地域コード")
        return s


class Plan(_Strict):
    """The plan period in fiscal years (inclusive)."""

    start: int
    end: int
    name: str | None = None

    @model_validator(mode="after")
    def _order(self) -> Plan:
        if self.end < self.start:
            raise ValueError(f"plan ends ({self.end}) before it starts ({self.start})")
        return self

    @property
    def start_date(self) -> dt.date:
        return fiscal_year(self.start).start

    @property
    def end_date(self) -> dt.date:
        return fiscal_year(self.end).end


class LogicModel(_Strict):
    """A city's logic model: city, plan period and measures."""

    city: City
    plan: Plan
    measures: list[Measure] = Field(min_length=1)
    source_path: str | None = Field(None, exclude=True, description="the file it was read from")

    def measure(self, measure_id: str) -> Measure:
        """The measure with ``measure_id`` (KeyError when absent)."""
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(f"logic model has no measure '{measure_id}'")

    def iter_indicators(self) -> Iterator[tuple[Measure, Box, IndicatorSpec]]:
        """Every (measure, box, indicator) in file order."""
        for m in self.measures:
            for b in m.boxes:
                for i in b.indicators:
                    yield m, b, i

    def unique_indicators(self) -> dict[str, IndicatorSpec]:
        """indicator id → its (first) spec, for templates and data checks."""
        out: dict[str, IndicatorSpec] = {}
        for _, _, i in self.iter_indicators():
            out.setdefault(i.id, i)
        return out

    def local_indicators(self) -> dict[str, IndicatorSpec]:
        """The indicators whose values the city supplies as local data (all but tier-3 catalog ones)."""
        out: dict[str, IndicatorSpec] = {}
        for _, b, i in self.iter_indicators():
            if not (i.is_catalog and b.tier == "outcome3"):
                out.setdefault(i.id, i)
        return out


# ---------------------------------------------------------------------------------------------
# loading and validation


def _line_index(node: yaml.Node | None, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map each YAML path (keys and list positions) to its 1-based line."""
    out = {} if out is None else out
    if node is None:
        return out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            out[path + (k.value,)] = k.start_mark.line + 1  # the key's line, not its value's
            _line_index(v, path + (k.value,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _line_index(v, path + (i,), out)
    return out


def _get(data: Any, loc: tuple) -> Any:
    cur = data
    for k in loc:
        try:
            cur = cur[k]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _where(data: Any, loc: tuple) -> str:
    """'measure 'x', box 'y', indicator 'z'' for a location in the raw data."""
    parts = []
    if len(loc) >= 2 and loc[0] == "measures" and isinstance(loc[1], int):
        m = _get(data, loc[:2])
        parts.append(f"measure '{m.get('id', '#' + str(loc[1] + 1)) if isinstance(m, dict) else loc[1] + 1}'")
        if len(loc) >= 4 and loc[2] == "boxes" and isinstance(loc[3], int):
            b = _get(data, loc[:4])
            parts.append(f"box '{b.get('id', '#' + str(loc[3] + 1)) if isinstance(b, dict) else loc[3] + 1}'")
            if len(loc) >= 6 and loc[4] == "indicators" and isinstance(loc[5], int):
                i = _get(data, loc[:6])
                name = (i.get("catalog") or i.get("id")) if isinstance(i, dict) else None
                parts.append(f"indicator '{name or '#' + str(loc[5] + 1)}'")
    return ", ".join(parts)


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _catalog_indicators(catalog: Any) -> dict[str, Any]:
    if catalog is None:
        return {}
    inds = getattr(catalog, "indicators", catalog)
    return dict(inds) if isinstance(inds, dict) else {}


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def load_logic_model(path: str | Path, catalog: Any) -> LogicModel:
    """Read and check a logic-model YAML file against ``catalog``.

    Returns the :class:`LogicModel` with catalog indicators filled in (names, unit, direction,
    cadence). Raises :class:`InputFileError` when the file cannot be read and
    :class:`ValidationError` listing every problem (file, line, measure, box, what is wrong).
    """
    path = Path(path)
    fname = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"cannot read logic model: {exc.strerror or exc}", path) from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        msg = f"YAML does not parse: {getattr(exc, 'problem', None) or exc}"
        raise ValidationError([Problem(msg, fname, row)], title="logic model invalid") from None
    if not isinstance(data, dict):
        raise ValidationError([Problem("logic model must be a YAML mapping with city, plan, measures", fname, 1)],
                              title="logic model invalid")
    lines = _line_index(node)

    try:
        model = LogicModel.model_validate(data)
    except Exception as exc:  # pydantic.ValidationError
        errs = getattr(exc, "errors", None)
        if errs is None:
            raise
        problems = []
        for e in errs():
            loc = tuple(e["loc"])
            where = _where(data, loc)
            field = ".".join(str(x) for x in loc)
            msg = e["msg"].removeprefix("Value error, ")
            problems.append(Problem(f"{where + ': ' if where else ''}{field}: {msg}", fname,
                                    _line_for(lines, loc)))
        raise ValidationError(problems, title="logic model invalid") from None
    model.source_path = fname

    problems = check_model(model, catalog, file=fname, lines=lines)
    if problems:
        raise ValidationError(problems, title="logic model invalid")
    return model


def _find_cycles(boxes: list[Box]) -> list[list[str]]:
    """Cycles among the links of ``boxes`` (each once), as box-id paths ending where they start."""
    by_id = {b.id: b for b in boxes}
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    found: list[list[str]] = []
    seen: set[frozenset] = set()

    def visit(bid: str, stack: list[str]) -> None:
        state[bid] = 1
        stack.append(bid)
        for nxt in by_id[bid].feeds:
            if nxt not in by_id:
                continue
            if state.get(nxt) == 1:
                cyc = stack[stack.index(nxt):] + [nxt]
                if frozenset(cyc) not in seen:
                    seen.add(frozenset(cyc))
                    found.append(cyc)
            elif state.get(nxt) is None:
                visit(nxt, stack)
        stack.pop()
        state[bid] = 2

    for b in boxes:
        if state.get(b.id) is None:
            visit(b.id, [])
    return found


def check_model(model: LogicModel, catalog: Any, file: str | None = None,
                lines: dict[tuple, int] | None = None) -> list[Problem]:
    """The semantic checks of a parsed model; fills catalog indicators in place; returns problems."""
    lines = lines or {}
    cat = _catalog_indicators(catalog)
    problems: list[Problem] = []

    def add(msg: str, loc: tuple, m: Measure | None = None, b: Box | None = None) -> None:
        where = []
        if m is not None:
            where.append(f"measure '{m.id}'")
        if b is not None:
            where.append(f"box '{b.id}'")
        problems.append(Problem(f"{', '.join(where)}: {msg}" if where else msg, file, _line_for(lines, loc)))

    seen_measures: set[str] = set()
    local_defs: dict[str, tuple[IndicatorSpec, str]] = {}
    for mi, m in enumerate(model.measures):
        mloc = ("measures", mi)
        if m.id in seen_measures:
            add(f"measure id '{m.id}' is used twice", mloc + ("id",), m)
        seen_measures.add(m.id)
        by_id: dict[str, Box] = {}
        for bi, b in enumerate(m.boxes):
            if b.id in by_id:
                add(f"box id '{b.id}' is used twice in this measure", mloc + ("boxes", bi, "id"), m, b)
            by_id.setdefault(b.id, b)

        for bi, b in enumerate(m.boxes):
            bloc = mloc + ("boxes", bi)
            # links: exist, go upwards
            for fi, target in enumerate(b.feeds):
                floc = bloc + ("feeds", fi)
                if target not in by_id:
                    add(f"feeds '{target}', but there is no such box in this measure", floc, m, b)
                elif TIER_RANK[by_id[target].tier] < TIER_RANK[b.tier]:
                    add(f"link goes downwards: {b.tier} '{b.id}' feeds {by_id[target].tier} '{target}' "
                        f"(links must point up the chain {' → '.join(MODEL_TIERS)})", floc, m, b)
            # indicators
            for ii, ind in enumerate(b.indicators):
                iloc = bloc + ("indicators", ii)
                label = ind.catalog or ind.id
                if b.tier in ("input", "activity"):
                    add(f"indicator '{label}' sits on a {b.tier} box; KPIs start at the output tier",
                        iloc, m, b)
                if ind.is_catalog:
                    ci = cat.get(ind.catalog)
                    if ci is None:
                        add(f"unknown catalog id '{ind.catalog}' (see 'sckpi catalog')", iloc + ("catalog",), m, b)
                        continue
                    c_unit = _attr(ci, "unit")
                    if ind.unit is not None and c_unit is not None and ind.unit != c_unit:
                        add(f"indicator '{label}': unit '{ind.unit}' contradicts the catalog's '{c_unit}'",
                            iloc + ("unit",), m, b)
                    c_dir = _attr(ci, "direction")
                    if ind.direction is not None and c_dir is not None and ind.direction != c_dir:
                        add(f"indicator '{label}': direction '{ind.direction}' contradicts the catalog's "
                            f"'{c_dir}'", iloc + ("direction",), m, b)
                    c_tier = _attr(ci, "tier")
                    if c_tier in KPI_TIERS and c_tier != b.tier:
                        add(f"indicator '{label}' is a {c_tier} ({TIER_JA[c_tier]}) indicator in the catalog "
                            f"but sits in a {b.tier} box", iloc + ("catalog",), m, b)
                    ind.id = ind.catalog
                    ind.name_ja = ind.name_ja or _attr(ci, "name_ja")
                    ind.name_en = ind.name_en or _attr(ci, "name_en")
                    ind.unit = ind.unit or c_unit or ""
                    ind.direction = ind.direction or c_dir or "neutral"
                    ind.cadence = ind.cadence or _attr(ci, "cadence") or "yearly"
                else:
                    if ind.id in cat:
                        add(f"local indicator id '{ind.id}' is a catalog id; write 'catalog: {ind.id}' instead",
                            iloc + ("id",), m, b)
                    prev = local_defs.get(ind.id)
                    sig = (ind.name_ja, ind.unit, ind.direction, ind.cadence)
                    if prev is not None and (prev[0].name_ja, prev[0].unit, prev[0].direction,
                                             prev[0].cadence) != sig:
                        add(f"local indicator '{ind.id}' is defined differently in {prev[1]} "
                            "(one id must mean one thing in the local data)", iloc + ("id",), m, b)
                    local_defs.setdefault(ind.id, (ind, f"measure '{m.id}', box '{b.id}'"))
                if ind.cadence is not None and ind.cadence not in CADENCES:
                    add(f"indicator '{label}': unknown cadence '{ind.cadence}'", iloc + ("cadence",), m, b)
                # targets on the right side of the baseline, milestones not going backwards
                base = ind.baseline
                prev_value, prev_label = base.value, f"baseline {base.value:g} ({base.label})"
                for t in ind.sorted_targets():
                    tloc = iloc + ("targets", ind.targets.index(t))
                    if t.when <= base.when:
                        add(f"indicator '{label}': target {t.value:g} ({t.label}) is not after the baseline "
                            f"({base.label})", tloc, m, b)
                    if ind.direction == "higher" and t.value < prev_value:
                        add(f"indicator '{label}': target {t.value:g} ({t.label}) is below {prev_label}, but "
                            "higher is better", tloc, m, b)
                    elif ind.direction == "lower" and t.value > prev_value:
                        add(f"indicator '{label}': target {t.value:g} ({t.label}) is above {prev_label}, but "
                            "lower is better", tloc, m, b)
                    prev_value, prev_label = t.value, f"the earlier target {t.value:g} ({t.label})"

        # cycles (only among existing boxes)
        for cyc in _find_cycles(m.boxes):
            bi = next(i for i, x in enumerate(m.boxes) if x.id == cyc[0])
            add("links form a cycle: " + " → ".join(cyc), mloc + ("boxes", bi, "feeds"), m, m.boxes[bi])

        # every tier-1/2 outcome must lead to tier 3
        for bi, b in enumerate(m.boxes):
            if b.tier in ("outcome1", "outcome2") and not m.reaches(b.id, "outcome3"):
                add(f"{TIER_JA[b.tier]} box has no path to アウトカム第3階層 (outcome3); link it upwards "
                    "with 'feeds'", mloc + ("boxes", bi, "feeds" if b.feeds else "id"), m, b)
    return problems
