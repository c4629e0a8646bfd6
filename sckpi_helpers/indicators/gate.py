"""The data-quality gate for a city (or every area of a build): the rules of :mod:`.quality` over
the processed store, the tier-3 results, the revisions log and the city's reviewed findings.

One entry point per scope, both returning the same findings table (:data:`GATE_COLUMNS`):

- :func:`city_findings` — what one city's report for one year shows: the city's tier-3 values of
  that year and every input value (input@year) they were computed from, judged against the
  city's peers. ``sckpi check``, ``sckpi ingest``, the report runner (``quality.csv``, ``--strict``)
  and the check pages (要確認) all call it, so they agree. The city's peer group is judged as a
  whole (:func:`group_findings`, kept per process by what it judged), and the city's part taken.
- :func:`build_findings` — every area of a build for some years, each against the areas of its
  municipal type (the national measurement).

A finding listed in ``quality_reviewed.yaml`` (:mod:`sckpi_helpers.sources.quality_reviewed`)
has ``status='reviewed'`` and the note; every other is ``open``. Nothing is dropped: a finding is
a mark on a value, the value stays.

The callers own the city: its peers, settings and catalog come from its context
(:func:`sckpi_helpers.checks.quality.city_findings`).

Stage 6 (indicators): imports ``config``, ``catalog``, ``sources``, ``store`` and :mod:`.quality`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.catalog.quality import thresholds as catalog_thresholds
from sckpi_helpers.config import paths
from sckpi_helpers.config.formatting import format_number
from sckpi_helpers.config.quality import QualitySettings
from sckpi_helpers.config.vocabulary import QUALITY_KIND_JA, QUALITY_RULE_JA, QUALITY_STATUS_JA
from sckpi_helpers.indicators import quality as q
from sckpi_helpers.sources.quality_reviewed import FILE_NAME
from sckpi_helpers.store.digest import frame_digest

GATE_COLUMNS = ["status", "status_ja", "area_code", "area_name", "kind", "kind_ja", "subject", "name_ja", "year",
                "value", "expected_low", "expected_high", "expected", "rule", "rule_ja", "reason", "source",
                "review_note"]


def reviewed_file(settings: Any, city: str) -> Path:
    """``data/raw/<city>/quality_reviewed.yaml`` — next to the city's settings when it has them."""
    base = getattr(settings, "base_dir", None)
    return Path(base) / FILE_NAME if base is not None else paths.raw_dir() / city / FILE_NAME


def _name(catalog: Any, subject: str, kind: str) -> str:
    entry = (catalog.inputs if kind == "input" else catalog.indicators).get(subject)
    return getattr(entry, "name_ja", subject) if entry is not None else subject


def _expected(lo: float, hi: float) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    return f"{format_number(lo)}" if lo == hi else f"{format_number(lo)}～{format_number(hi)}"


def mark_reviewed(found: pd.DataFrame, reviewed: pd.DataFrame | None) -> pd.DataFrame:
    """``status`` and ``review_note`` from the reviewed findings (area, input, year[, rule])."""
    found = found.assign(status="open", review_note="")
    if reviewed is None or reviewed.empty or found.empty:
        return found
    for r in reviewed.itertuples(index=False):
        hit = ((found["area_code"] == r.area_code) & (found["subject"] == r.subject)
               & (found["year"] == int(r.year)))
        if r.rule:
            hit &= found["rule"] == r.rule
        found.loc[hit, "status"] = "reviewed"
        found.loc[hit, "review_note"] = f"{r.reason}（{r.who}、{r.when}）"
    return found


def finish(found: pd.DataFrame, catalog: Any, names: pd.Series | None,
           reviewed: pd.DataFrame | None) -> pd.DataFrame:
    """Findings with names, Japanese labels, the expected range as text and the review state."""
    found = mark_reviewed(found.reset_index(drop=True), reviewed)
    if found.empty:
        return pd.DataFrame(columns=GATE_COLUMNS)
    found["area_name"] = found["area_code"].map(names) if names is not None else ""
    found["name_ja"] = [_name(catalog, s, k) for s, k in zip(found["subject"], found["kind"], strict=True)]
    found["status_ja"] = found["status"].map(QUALITY_STATUS_JA)
    found["kind_ja"] = found["kind"].map(QUALITY_KIND_JA)
    found["rule_ja"] = found["rule"].map(QUALITY_RULE_JA)
    found["expected"] = [_expected(lo, hi) for lo, hi in zip(found["expected_low"], found["expected_high"], strict=True)]
    found = found.sort_values(["status", "area_code", "kind", "subject", "year", "rule"],
                              key=lambda s: s.map({"open": 0, "reviewed": 1}) if s.name == "status" else s)
    return found[GATE_COLUMNS].reset_index(drop=True)


def value_frames(panel: pd.DataFrame, results: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the panel's inputs, inputs and tier-3 values together) as value frames: what the rules judge."""
    inputs = q.panel_values(panel)
    tier3 = q.result_values(results) if results is not None and len(results) else inputs.iloc[:0]
    return inputs, pd.concat([inputs, tier3], ignore_index=True)


def run_rules(panel: pd.DataFrame, results: pd.DataFrame | None, catalog: Any, groups: pd.Series, *,
              areas: Iterable[str] | None = None, revisions: pd.DataFrame | None = None,
              city_quality: QualitySettings | None = None) -> pd.DataFrame:
    """Every rule over the panel and tier-3 results; ``areas`` limits whom findings are about."""
    return _judge(*value_frames(panel, results), catalog, groups, areas=areas, revisions=revisions,
                  city_quality=city_quality)


def _judge(inputs: pd.DataFrame, values: pd.DataFrame, catalog: Any, groups: pd.Series, *,
           areas: Iterable[str] | None, revisions: pd.DataFrame | None,
           city_quality: QualitySettings | None) -> pd.DataFrame:
    th = _cached(partial(catalog_thresholds, catalog, city=city_quality))
    wanted = set(areas) if areas is not None else None
    own = values[values["area_code"].isin(wanted)] if wanted is not None else values
    parts = [q.year_over_year(own, th), q.peers(values, groups, th, wanted), q.revisions(revisions, inputs, th),
             q.lag(own, th)]
    parts = [p for p in parts if not p.empty]
    found = pd.concat(parts, ignore_index=True) if parts else q.empty_findings()
    return found[found["area_code"].isin(wanted)] if wanted is not None else found


def _cached(f):
    cache: dict = {}

    def get(subject: str, kind: str):
        if (subject, kind) not in cache:
            cache[subject, kind] = f(subject, kind)
        return cache[subject, kind]
    return get


#: peer groups judged in this process, at most this many kept (:func:`group_findings`)
GROUPS_KEPT = 16
_GROUPS: OrderedDict[tuple, tuple[Any, pd.DataFrame]] = OrderedDict()
_GROUPS_LOCK = threading.Lock()


def group_findings(panel: pd.DataFrame, results: pd.DataFrame | None, catalog: Any, codes: Sequence[str], *,
                   revisions: pd.DataFrame | None = None,
                   city_quality: QualitySettings | None = None) -> pd.DataFrame:
    """Every rule's findings about every member of a peer group (``codes``, each judged against all).

    Why kept: the cities of one prefecture share their peer group, so a national run would judge the
    same group for each of them, in the worker and again in the page's kernel. The group is judged
    once per process and remembered by what was judged — the values' content, the revisions, the
    thresholds (catalog and the city's overrides) and the members — so a changed value is never
    answered from memory, and each city's findings are the ones judging it alone would give."""
    codes = sorted(set(map(str, codes)))
    sub = panel[panel["area_code"].isin(codes)]
    res = results[results["area_code"].isin(codes)] if results is not None else None
    inputs, values = value_frames(sub, res)
    key = (frame_digest(values), frame_digest(revisions) if revisions is not None else "", tuple(codes), id(catalog),
           city_quality.model_dump_json() if city_quality is not None else "")
    with _GROUPS_LOCK:
        kept = _GROUPS.get(key)
        if kept is not None and kept[0] is catalog:  # the very catalog (an id is reused only once it is gone)
            _GROUPS.move_to_end(key)
            return kept[1]
    found = _judge(inputs, values, catalog, pd.Series("peers", index=codes), areas=codes, revisions=revisions,
                   city_quality=city_quality).reset_index(drop=True)
    with _GROUPS_LOCK:
        _GROUPS[key] = (catalog, found)
        while len(_GROUPS) > GROUPS_KEPT:
            _GROUPS.popitem(last=False)
    return found


def used_inputs(results: pd.DataFrame, city: str, year: int) -> set[tuple[str, int]]:
    """(input, year) pairs the city's tier-3 values of ``year`` were computed from."""
    mine = results[(results["area_code"] == city) & (results["year"] == year) & results["value"].notna()]
    return {(k, y) for p in mine.get("provenance", []) for k, y in q.input_years(p).items()}


def city_findings(panel: pd.DataFrame, results: pd.DataFrame | None, catalog: Any, city: str, year: int,
                  peer_codes: Iterable[str], *, revisions: pd.DataFrame | None = None,
                  reviewed: pd.DataFrame | None = None, city_quality: QualitySettings | None = None,
                  names: pd.Series | None = None) -> pd.DataFrame:
    """The findings about what ``city``'s report for ``year`` shows (its tier-3 values of that year
    and the input values behind them, plus that year's inputs), against ``peer_codes``."""
    found = group_findings(panel, results, catalog, [*peer_codes, city], revisions=revisions,
                           city_quality=city_quality)
    found = found[(found["area_code"] == city).to_numpy(dtype=bool)]
    used = used_inputs(results, city, year) if results is not None and len(results) else set()
    shown = [y == year or (kind != "indicator" and (s, int(y)) in used)
             for s, y, kind in zip(found["subject"], found["year"], found["kind"], strict=True)]
    return finish(found[np.asarray(shown, dtype=bool)], catalog, names, reviewed)


def build_findings(panel: pd.DataFrame, results: pd.DataFrame | None, catalog: Any, areas: pd.DataFrame,
                   years: Iterable[int], *, revisions: pd.DataFrame | None = None,
                   reviewed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every municipality of a build for ``years`` — as their reports of those years would be
    judged (tier-3 values of the years, the input values behind them, the years' inputs) — each
    against the municipalities of its type (政令市, 中核市, 特別区, 市, 町, 村)."""
    munis = areas[~areas["level"].isin(["country", "prefecture"])]
    groups = munis.set_index("area_code")["municipal_type"].astype(str)
    found = run_rules(panel, results, catalog, groups, areas=list(groups.index), revisions=revisions)
    years = set(years)
    used: set[tuple[str, str, int]] = set()
    if results is not None and len(results):
        mine = results[results["year"].isin(years) & results["value"].notna()]
        used = {(a, k, y) for a, p in zip(mine["area_code"], mine["provenance"], strict=True)
                for k, y in q.input_years(p).items()}
    keep = [y in years if kind == "indicator" else (y in years or (a, s, y) in used)
            for a, s, y, kind in zip(found["area_code"], found["subject"], found["year"], found["kind"], strict=True)]
    found = found[np.asarray(keep, dtype=bool)]
    return finish(found, catalog, areas.set_index("area_code")["area_name"], reviewed)


def open_findings(found: pd.DataFrame) -> pd.DataFrame:
    return found[found["status"] == "open"]


def finding_line(r: Any) -> str:
    """One finding on one line (console, ``--strict``)."""
    where = f"{r.area_code} {r.area_name}".strip() if r.area_name else r.area_code
    exp = f"（想定 {r.expected}）" if r.expected else ""
    note = f" — 確認済: {r.review_note}" if r.status == "reviewed" else ""
    return (f"{r.status_ja} {where} {r.year}年 {r.name_ja} ({r.subject}) = {format_number(r.value)}{exp}: "
            f"{r.rule_ja} — {r.reason} [{r.source}]{note}")
