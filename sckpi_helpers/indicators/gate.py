"""The data-quality gate for a city (or every area of a build): the rules of :mod:`.quality` over
the processed store, the tier-3 results, the revisions log and the city's reviewed findings.

One entry point per scope, both returning the same findings table (:data:`GATE_COLUMNS`):

- :func:`city_findings` — what one city's report for one year shows: the city's tier-3 values of
  that year and every input value (input@year) they were computed from, judged against the
  city's peers. ``sckpi check``, ``sckpi ingest``, the report runner (``quality.csv``, ``--strict``)
  and the check pages (要確認) all call it, so they agree.
- :func:`build_findings` — every area of a build for some years, each against the areas of its
  municipal type (the national measurement).

A finding listed in ``quality_reviewed.yaml`` (:mod:`sckpi_helpers.sources.quality_reviewed`)
has ``status='reviewed'`` and the note; every other is ``open``. Nothing is dropped: a finding is
a mark on a value, the value stays.

The callers own the city: its peers, settings and catalog come from its context
(:func:`sckpi_helpers.checks.quality.city_findings`).

Stage 6 (indicators): imports ``config``, ``catalog``, ``sources`` and :mod:`.quality`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


def run_rules(panel: pd.DataFrame, results: pd.DataFrame | None, catalog: Any, groups: pd.Series, *,
              areas: Iterable[str] | None = None, revisions: pd.DataFrame | None = None,
              city_quality: QualitySettings | None = None,
              cells: Callable[[pd.DataFrame], Any] | None = None) -> pd.DataFrame:
    """Every rule over the panel and tier-3 results; ``areas`` limits whom findings are about,
    ``cells`` which (subject, year) cells the peer rule judges (:func:`quality.peers`)."""
    th = partial(catalog_thresholds, catalog, city=city_quality)
    th = _cached(th)
    inputs = q.panel_values(panel)
    tier3 = q.result_values(results) if results is not None and len(results) else inputs.iloc[:0]
    values = pd.concat([inputs, tier3], ignore_index=True)
    wanted = set(areas) if areas is not None else None
    own = values[values["area_code"].isin(wanted)] if wanted is not None else values
    parts = [q.year_over_year(own, th), q.peers(values, groups, th, wanted, cells), q.revisions(revisions, inputs, th),
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
    codes = sorted(set(peer_codes) | {city})
    groups = pd.Series("peers", index=codes)
    sub = panel[panel["area_code"].isin(codes)]
    res = results[results["area_code"].isin(codes)] if results is not None else None
    used = used_inputs(results, city, year) if results is not None and len(results) else set()

    def shown(v: pd.DataFrame) -> np.ndarray:
        """The report's cells: its year's values and the input values behind them."""
        mine = (v["year"] == year).to_numpy(dtype=bool, copy=True)
        if used:  # only the rows of an input behind the values are looked up one by one
            maybe = ~mine & (v["kind"] != "indicator").to_numpy(dtype=bool) & v["subject"].isin(
                {s for s, _ in used}).to_numpy(dtype=bool)
            at = np.flatnonzero(maybe)
            mine[at] = [(s, int(y)) in used for s, y in
                        zip(v["subject"].to_numpy(dtype=object)[at], v["year"].to_numpy()[at], strict=True)]
        return mine

    found = run_rules(sub, res, catalog, groups, areas=[city], revisions=revisions, city_quality=city_quality,
                      cells=shown)
    return finish(found[shown(found)], catalog, names, reviewed)


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
