"""A build's values checked against the catalog before they enter the panel: units and ranges.

Why: a value in 千人 read as 人, a negative count or a share of 142.3 % must never become a number
in the panel (issue #10, #13). Units are compared after the one normalisation
(:func:`sckpi_helpers.catalog.items.normalize_unit`); ranges are the catalog's
(:func:`sckpi_helpers.catalog.ranges.check`). A problem in the user's own file is an error naming
file, row and column; a published statistic the user cannot correct becomes a flagged missing
value with the reason. Pure functions over frames carrying ``_file`` (and ``_row``).

Stage: ``store`` — imports ``errors``, ``catalog``, ``sources`` and :mod:`.combine`.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from sckpi_helpers.errors import Problem, ValidationError
from sckpi_helpers.store.combine import count_drops
from sckpi_helpers.store.inputs import FileReport


def refuse_other_units(rows: pd.DataFrame, catalog: Any) -> None:
    """A published unit (normalised once: :func:`sckpi_helpers.catalog.items.normalize_unit`) that
    still differs from the catalog input's unit is an error naming the file and the column — a
    value in 千人 read as 人 would be a silent wrong number. Rows without a unit are not checked."""
    from sckpi_helpers.catalog.items import normalize_unit

    if rows.empty or "unit" not in rows.columns:
        return
    want = {k: normalize_unit(getattr(v, "unit", "")) for k, v in (catalog.inputs or {}).items()}
    got = rows["unit"].map(normalize_unit)
    expected = rows["variable"].map(want).fillna("")
    bad = rows[(got != "") & (expected != "") & (got != expected)]
    if bad.empty:
        return
    problems = []
    for (var, unit), g in bad.groupby(["variable", "unit"], sort=True):
        first = g.iloc[0]
        file = str(first.get("_file") or first.get("source") or "")
        problems.append(Problem(
            f"入力 '{var}' の単位「{unit}」がカタログの単位「{want[var]}」と異なります (unit differs from the "
            f"catalog's; {len(g)} 行, {first.get('source')}) — 単位を揃えたファイルにしてください",
            file or None, column=_column_of(first)))
    raise ValidationError(problems, title="単位が違います (units differ from the catalog)")


def _column_of(row: pd.Series) -> str:
    """The published column a panel row came from: its item codes from the source label."""
    source = str(row.get("source") or "")
    codes = re.findall(r"\b[A-Z]\d{4,8}\b", source)
    return "+".join(dict.fromkeys(codes)) or str(row.get("variable"))


def refuse_out_of_range(panel: pd.DataFrame, catalog: Any, reports: dict[str, FileReport]) -> pd.DataFrame:
    """Every value outside its input's valid range (:func:`sckpi_helpers.catalog.ranges.check`:
    negative counts, a share above 100 %) is an error naming the file, row and column — never a
    number in the panel. A published statistic (e-Stat, SSDSE) cannot be corrected by the user:
    its value becomes a flagged missing value with the reason, and the file's report says so."""
    from sckpi_helpers.catalog.ranges import check

    bad = check(panel, catalog)
    if bad.empty:
        return panel
    published = bad["source"].astype(str).str.match(r"^(e-Stat|SSDSE)")
    user = bad[~published]
    if len(user):
        raise ValidationError([Problem(
            f"'{r['variable']}' の値 {r['value']:g} は有効範囲 {r['rule']} の外です (value outside "
            f"the valid range; 地域 {r['area_code']} {r['year']}年)", str(r.get("_file") or r["source"]),
            row=_int_or_none(r.get("_row")), column=str(r["variable"])) for _, r in user.head(50).iterrows()],
            title="値が有効範囲の外です (values outside their valid range)")
    panel = panel.copy()
    flagged = bad.index
    panel.loc[flagged, "annotation"] = [f"範囲外のため欠測扱い: {v:g} は {rule} の外 (out of range)"
                                        for v, rule in zip(bad["value"], bad["rule"], strict=True)]
    panel.loc[flagged, "value"] = np.nan
    count_drops(reports, bad, "有効範囲の外の公表値は欠測扱い (published value outside the valid range: flagged missing)")
    return panel


def _int_or_none(x: Any) -> int | None:
    try:
        return None if x is None or pd.isna(x) else int(x)
    except (TypeError, ValueError):
        return None


__all__ = ["refuse_other_units", "refuse_out_of_range"]
