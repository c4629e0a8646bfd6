"""The quality gate before a report, and the corrections history (訂正履歴) of a republished period.

Before the notebooks run, :func:`run_gate` judges what the set will publish
(:func:`sckpi_helpers.checks.quality.city_findings`, for the city's context); ``--strict`` refuses
while a finding is open (:class:`QualityGateError`, one line per finding). Into the new set
:func:`record` writes (files: :mod:`sckpi_helpers.pages.quality`)

- ``quality.csv`` — every finding (要確認 / 確認済, the reason, the review note);
- ``values.csv`` — the values the set publishes: the city's tier-3 values (with the input values
  they were computed from) and its KPI values (local data, with their file);
- ``corrections.csv`` — the history: when the period was published before and a tier-3 or KPI
  value differs now, one row per value (date, indicator, old value, new value, the input that
  changed), added to the rows of the previous set's history;
- ``archive/<previous finish time>/`` — the previous set itself (and its own archive), so what
  was published stays readable under the period's folder, never silently overwritten.

The runner calls :func:`record` on every render of a period whose folder exists — forced,
incremental (inputs, settings or the kit changed) or the re-run of an unfinished set alike.

Stage 11 (reports): imports stages 0–11.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.city import CityContext
from sckpi_helpers.config.formatting import format_number
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.pages import quality as files

VALUES_COLUMNS = ["kind", "id", "name_ja", "year", "value", "inputs"]
_KIND_JA = {"tier3": "第3階層指標", "kpi": "KPI（地域データ）"}


class QualityGateError(SckpiError):
    """``--strict``: findings are open; the message holds one line per finding."""


@dataclass
class Gate:
    """What the gate found for one city and period, and the values the set will publish."""

    findings: pd.DataFrame | None = None
    values: pd.DataFrame | None = None
    problem: str | None = None  # the gate could not run (shown on the index, refused by --strict)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    catalog: Any = None  # the catalog the values were named with (input names and units in the history)

    @property
    def open(self) -> pd.DataFrame:
        f = self.findings
        return f[f["status"] == "open"] if f is not None else pd.DataFrame()

    def page(self) -> dict[str, Any]:
        """What the landing page shows (:func:`sckpi_helpers.pages.html.report_set_page`)."""
        found = self.findings.to_dict("records") if self.findings is not None else None
        return {"quality": found, "quality_problem": self.problem, "corrections": self.corrections}

    def summary(self) -> dict[str, Any]:
        """The manifest's ``quality`` entry."""
        return {"open": len(self.open), "findings": 0 if self.findings is None else len(self.findings),
                "problem": self.problem, "corrections": len(self.corrections)}


def set_values(results: pd.DataFrame, panel: pd.DataFrame, local: pd.DataFrame, catalog: Any, city: str,
               year: int) -> pd.DataFrame:
    """The city's tier-3 values up to ``year`` (with ``inputs``: input@year=value of the panel) and
    its KPI values from local data (``inputs``: the file they came from). A year without a value has
    no row: :func:`diff` reads an absent row as missing, so a value that appears or goes is still a
    correction, and the file lists what the set published (not the ~500 empty years of a real city)."""
    from sckpi_helpers.indicators.quality import input_years

    res = results[(results["area_code"] == city) & (results["year"] <= year) & results["value"].notna()]
    cell = panel[panel["area_code"] == city].set_index(["variable", "year"])["value"]
    cell = cell[~cell.index.duplicated()]
    rows = []
    for r in res.itertuples(index=False):
        used = input_years(getattr(r, "provenance", ""))
        inputs = "; ".join(f"{k}@{y}={float(cell.get((k, y), float('nan')))!r}" for k, y in sorted(used.items()))
        entry = catalog.indicators.get(r.indicator_id)
        rows.append({"kind": "tier3", "id": r.indicator_id, "name_ja": getattr(entry, "name_ja", r.indicator_id),
                     "year": str(int(r.year)), "value": r.value, "inputs": inputs})
    loc = local[local["area_code"].astype(str) == city] if local is not None and len(local) else local
    for r in (loc.itertuples(index=False) if loc is not None and len(loc) else ()):
        entry = catalog.indicators.get(r.indicator_id)
        rows.append({"kind": "kpi", "id": r.indicator_id, "name_ja": getattr(entry, "name_ja", r.indicator_id),
                     "year": str(r.period), "value": r.value, "inputs": str(getattr(r, "source", "") or "")})
    return pd.DataFrame(rows, columns=VALUES_COLUMNS)


def _inputs_map(text: Any) -> dict[str, str]:
    return dict(re.findall(r"([\w.]+@\d{4})=([^;]*)", str(text or "")))


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _differs(a: Any, b: Any) -> bool:
    x, y = _num(a), _num(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) != math.isnan(y)
    return not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def _pair(old: Any, new: Any, unit: str | None = None) -> tuple[str, str]:
    """Old and new value in the one number format, with more decimals only where the rule's digits
    would show two different values alike."""
    a, b = format_number(_num(old), unit), format_number(_num(new), unit)
    decimals = 1
    while a == b and decimals <= 12 and _differs(old, new):
        a, b = (format_number(_num(v), unit, decimals=decimals) for v in (old, new))
        decimals += 1
    return a, b


def _entry(catalog: Any, kind: str, ident: str) -> Any:
    table = getattr(catalog, "inputs" if kind == "input" else "indicators", {}) if catalog is not None else {}
    return table.get(ident)


def diff(old: pd.DataFrame, new: pd.DataFrame, date: str, catalog: Any = None) -> list[dict[str, Any]]:
    """One correction per tier-3 or KPI value that differs between two sets' ``values.csv``."""
    key = ["kind", "id", "year"]
    o = old.astype({"year": str}).drop_duplicates(key).set_index(key)
    n = new.astype({"year": str}).drop_duplicates(key).set_index(key)
    out = []
    for k in sorted(set(o.index) | set(n.index)):
        ov, nv = o["value"].get(k, math.nan), n["value"].get(k, math.nan)
        if not _differs(ov, nv):
            continue
        kind, ident, year = k
        row = n.loc[k] if k in n.index else o.loc[k]
        if kind == "tier3":
            a, b = _inputs_map(o["inputs"].get(k)), _inputs_map(n["inputs"].get(k))
            changed = []
            for i in sorted(set(a) | set(b)):
                if _differs(a.get(i, "nan"), b.get(i, "nan")):
                    name, at = i.split("@")
                    entry = _entry(catalog, "input", name)
                    before, after = _pair(a.get(i), b.get(i), getattr(entry, "unit", None))
                    changed.append(f"{getattr(entry, 'name_ja', name)} {at}年: {before} → {after}")
            inputs = "、".join(changed) or "（入力は同じ：算出方法・設定の変更）"
        else:
            inputs = f"地域データ {n['inputs'].get(k, '') if k in n.index else o['inputs'].get(k, '')}".strip()
        before, after = _pair(ov, nv, getattr(_entry(catalog, "indicator", ident), "unit", None))
        out.append({"date": date, "kind": kind, "kind_ja": _KIND_JA.get(kind, kind), "id": ident,
                    "indicator": row["name_ja"], "year": year, "old_value": before, "new_value": after,
                    "changed_inputs": inputs})
    return out


def run_gate(city: CityContext) -> Gate:
    """The findings for the set of the city's period and the values it publishes; a failure to
    judge is the gate's ``problem`` (shown on the index, refused by ``--strict``)."""
    from sckpi_helpers.checks.quality import city_findings, report_year
    from sckpi_helpers.indicators.cache import ensure_indicators, indicator_results
    from sckpi_helpers.store import processed

    try:
        panel, local = processed.load_panel(city.build), processed.load_local(city.build)
        areas = processed.load_areas(city.build)
        ensure_indicators(city)
        codes = city.peers_or_self(areas, panel)[0]
        results = indicator_results(city, panel, areas=codes)
        year = report_year(city, results)
        found = city_findings(city, year, panel=panel, results=results, areas=areas, peer_codes=codes)
        return Gate(found, set_values(results, panel, local, city.catalog, city.code, year), catalog=city.catalog)
    except Exception as exc:  # noqa: BLE001 - the set says the gate could not run; --strict refuses
        return Gate(problem=f"{type(exc).__name__}: {exc}")


def refuse_open(gate: Gate, city: str, period: str) -> None:
    """``--strict``: raise with one line per open finding (or the gate's problem)."""
    from sckpi_helpers.indicators.gate import finding_line

    if gate.problem:
        raise QualityGateError(f"{city} {period}: データ品質チェックを実行できません（--strict のため公開しません）: "
                               f"{gate.problem}")
    lines = [finding_line(r) for r in gate.open.itertuples(index=False)]
    if lines:
        raise QualityGateError(f"{city} {period}: 未確認の指摘が {len(lines)} 件あるため公開しません (--strict)。"
                               "値を直すか、確認して quality_reviewed.yaml に理由を書いてください:\n"
                               + "\n".join(lines))


def record(folder: Path, previous: Path | None, gate: Gate, date: str) -> Gate:
    """Write quality.csv and values.csv into the new set ``folder``; when the period was rendered
    before (``previous``: its folder), compare the values, add the 訂正履歴 to the previous set's and
    archive that set under ``folder/archive/``. Returns ``gate`` with its ``corrections``."""
    if gate.findings is not None:
        files.write_findings(folder, gate.findings)
    history: list[dict[str, Any]] = []
    if previous is not None and previous.is_dir():
        history = files.read_history(previous)
        old_values = files.read_csv(previous / files.VALUES_FILE)
        if old_values is not None and gate.values is not None:
            history = diff(old_values, gate.values, date[:10], gate.catalog) + history
        _archive(previous, folder / files.ARCHIVE_DIR)
    if gate.values is not None:
        files.write_csv(folder / files.VALUES_FILE, gate.values)
    if history:
        files.write_corrections(folder, history)
    gate.corrections = history
    return gate


def _archive(previous: Path, archive: Path) -> None:
    """The previous set into ``archive/<its finish time>/``, its own archive carried along."""
    try:
        stamp = json.loads((previous / "manifest.json").read_text(encoding="utf-8")).get("finished") or ""
    except (OSError, ValueError):
        stamp = ""
    name = re.sub(r"[^0-9T]", "", stamp)[:15] or "previous"
    archive.mkdir(exist_ok=True)
    if (previous / files.ARCHIVE_DIR).is_dir():
        for old in (previous / files.ARCHIVE_DIR).iterdir():
            shutil.copytree(old, archive / old.name, dirs_exist_ok=True)
    shutil.copytree(previous, archive / name, dirs_exist_ok=True,
                    ignore=lambda d, names: [files.ARCHIVE_DIR] if Path(d) == previous else [])
