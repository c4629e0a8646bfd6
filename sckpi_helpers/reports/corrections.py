"""The quality gate before a report, and the corrections history (訂正履歴) of a republished period.

Before the notebooks run, :func:`run_gate` judges what the set will publish
(:func:`sckpi_helpers.checks.quality.city_findings`); ``--strict`` refuses while a finding is
open (:class:`QualityGateError`, one line per finding). Into the new set :func:`record` writes

- ``quality.csv`` — every finding (要確認 / 確認済, the reason, the review note);
- ``values.csv`` — the values the set publishes: the city's tier-3 values (with the input values
  they were computed from) and its KPI values (local data, with their file);
- ``corrections.csv`` — the history: when the period was published before and a tier-3 or KPI
  value differs now, one row per value (date, indicator, old value, new value, the input that
  changed), added to the rows of the previous set's history;
- ``archive/<previous finish time>/`` — the previous set itself (and its own archive), so what
  was published stays readable under the period's folder, never silently overwritten.

Stage 8 (reports): imports stages 0–8.
"""

from __future__ import annotations

import csv
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers.config.vocabulary import CORRECTIONS_COLUMNS_JA, QUALITY_COLUMNS_JA
from sckpi_helpers.errors import SckpiError

QUALITY_FILE, VALUES_FILE, CORRECTIONS_FILE, ARCHIVE_DIR = "quality.csv", "values.csv", "corrections.csv", "archive"
VALUES_COLUMNS = ["kind", "id", "name_ja", "year", "value", "inputs"]
CORRECTION_COLUMNS = ["date", "kind", "kind_ja", "id", "indicator", "year", "old_value", "new_value", "changed_inputs"]
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
    catalog: Any = None  # the catalog the values were named with (input names in the history)

    @property
    def open(self) -> pd.DataFrame:
        f = self.findings
        return f[f["status"] == "open"] if f is not None else pd.DataFrame()


def _fmt(v: Any) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(v):
        return "—"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.6g}"


def set_values(results: pd.DataFrame, panel: pd.DataFrame, local: pd.DataFrame, catalog: Any, city: str,
               year: int) -> pd.DataFrame:
    """The city's tier-3 values up to ``year`` (with ``inputs``: input@year=value of the panel) and
    its KPI values from local data (``inputs``: the file they came from)."""
    from sckpi_helpers.indicators.quality import input_years

    res = results[(results["area_code"] == city) & (results["year"] <= year)]
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


def _differs(a: Any, b: Any) -> bool:
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return str(a) != str(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) != math.isnan(b)
    return not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def diff(old: pd.DataFrame, new: pd.DataFrame, date: str, catalog: Any = None) -> list[dict[str, Any]]:
    """One correction per tier-3 or KPI value that differs between two sets' ``values.csv``."""
    key = ["kind", "id", "year"]
    o = old.astype({"year": str}).drop_duplicates(key).set_index(key)
    n = new.astype({"year": str}).drop_duplicates(key).set_index(key)
    out = []
    for k in sorted(set(o.index) | set(n.index)):
        ov = o["value"].get(k, float("nan"))
        nv = n["value"].get(k, float("nan"))
        if not _differs(ov, nv):
            continue
        kind, ident, year = k
        row = n.loc[k] if k in n.index else o.loc[k]
        if kind == "tier3":
            a, b = _inputs_map(o["inputs"].get(k)), _inputs_map(n["inputs"].get(k))
            changed = [f"{_input_name(catalog, i)} {i.split('@')[1]}年: {_fmt(a.get(i))} → {_fmt(b.get(i))}"
                       for i in sorted(set(a) | set(b)) if _differs(a.get(i, "nan"), b.get(i, "nan"))]
            inputs = "、".join(changed) or "（入力は同じ：算出方法・設定の変更）"
        else:
            inputs = f"地域データ {n['inputs'].get(k, '') if k in n.index else o['inputs'].get(k, '')}".strip()
        out.append({"date": date, "kind": kind, "kind_ja": _KIND_JA.get(kind, kind), "id": ident,
                    "indicator": row["name_ja"], "year": year, "old_value": _fmt(ov), "new_value": _fmt(nv),
                    "changed_inputs": inputs})
    return out


def _input_name(catalog: Any, key: str) -> str:
    name = key.split("@")[0]
    entry = catalog.inputs.get(name) if catalog is not None else None
    return getattr(entry, "name_ja", name) if entry is not None else name


def run_gate(settings: Any, city: str, year: int, source: str | None) -> Gate:
    """The findings for the set and its values; a failure to judge is the gate's ``problem``."""
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.checks.data import ensure_indicators, indicator_results
    from sckpi_helpers.checks.quality import city_findings
    from sckpi_helpers.store import processed

    try:
        build = processed.serving_settings(settings, source)
        extra = [settings.resolve(p) for p in (getattr(settings, "catalog_extensions", []) or [])]
        catalog = load_catalog(extra=extra) if extra else load_catalog()
        panel, local = processed.load_panel(build), processed.load_local(build)
        ensure_indicators(build)
        results = indicator_results(build, panel, catalog, getattr(settings, "adjusted_population", None), extra)
        found = city_findings(settings, city, year, source=source, panel=panel, results=results, catalog=catalog)
        return Gate(found, set_values(results, panel, local, catalog, city, year), catalog=catalog)
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


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL)


def _read_csv(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError):
        return None


def record(folder: Path, previous: Path | None, gate: Gate, date: str, catalog: Any = None) -> Gate:
    """Write quality.csv, values.csv, corrections.csv into the new set ``folder``; archive the
    ``previous`` set under ``folder/archive/``. Returns ``gate`` with its ``corrections``."""
    found = gate.findings
    if found is not None:
        _write_csv(folder / QUALITY_FILE, found.rename(columns=QUALITY_COLUMNS_JA)[
            [c for c in QUALITY_COLUMNS_JA.values() if c in found.rename(columns=QUALITY_COLUMNS_JA)]])
    history: list[dict[str, Any]] = []
    if previous is not None and previous.is_dir():
        old_hist = _read_csv(previous / CORRECTIONS_FILE)
        if old_hist is not None:
            history = old_hist.rename(columns={v: k for k, v in CORRECTIONS_COLUMNS_JA.items()}).to_dict("records")
        old_values = _read_csv(previous / VALUES_FILE)
        if old_values is not None and gate.values is not None:
            old_values["value"] = pd.to_numeric(old_values["value"], errors="coerce")
            history = diff(old_values, gate.values, date[:10], catalog or gate.catalog) + history
        _archive(previous, folder / ARCHIVE_DIR)
    if gate.values is not None:
        _write_csv(folder / VALUES_FILE, gate.values)
    if history:
        frame = pd.DataFrame(history).reindex(columns=CORRECTION_COLUMNS)
        _write_csv(folder / CORRECTIONS_FILE, frame[list(CORRECTIONS_COLUMNS_JA)].rename(columns=CORRECTIONS_COLUMNS_JA))
    gate.corrections = history
    return gate


def _archive(previous: Path, archive: Path) -> None:
    """The previous set into ``archive/<its finish time>/``, its own archive carried along."""
    import json

    try:
        stamp = json.loads((previous / "manifest.json").read_text(encoding="utf-8")).get("finished") or ""
    except (OSError, ValueError):
        stamp = ""
    name = re.sub(r"[^0-9T]", "", stamp)[:15] or "previous"
    archive.mkdir(exist_ok=True)
    if (previous / ARCHIVE_DIR).is_dir():
        for old in (previous / ARCHIVE_DIR).iterdir():
            shutil.copytree(old, archive / old.name, dirs_exist_ok=True)
    shutil.copytree(previous, archive / name, dirs_exist_ok=True,
                    ignore=lambda d, names: [ARCHIVE_DIR] if Path(d) == previous else [])


def read_corrections(folder: Path | str = ".") -> pd.DataFrame | None:
    """A set's ``corrections.csv`` (Japanese headers) or None — what the check page shows."""
    return _read_csv(Path(folder) / CORRECTIONS_FILE)
