"""The city's reviewed findings: ``data/raw/<city>/quality_reviewed.yaml``.

A finding of the data-quality gate that a person has looked at and explained passes the gate;
the page then says it was reviewed and why. The file is a list::

    reviewed:
      - area: "99201"            # 5-digit area code
        input: crimes_recognised # the input or tier-3 indicator id the finding is about
        year: 2024
        rule: yoy                # optional: only this rule (yoy, peer, scale, revision, lag)
        reason: 2024年に大規模な特殊詐欺の摘発があり実際に増えた（県警察の発表で確認）
        who: 企画課 山田
        when: 2025-04-10

Every problem names the file, the entry (row = the YAML line) and the key, in Japanese — the
file is the user's own; area codes are read as typed (:func:`~sckpi_helpers.config.codes.parse_code`).
Stage 3 (sources): imports ``errors`` and ``config``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import yaml

from sckpi_helpers.config.codes import AreaCodeError, parse_code
from sckpi_helpers.config.vocabulary import QUALITY_RULE_JA
from sckpi_helpers.errors import Problem, ValidationError

FILE_NAME = "quality_reviewed.yaml"
REVIEWED_COLUMNS = ["area_code", "subject", "year", "rule", "reason", "who", "when", "file", "row"]
_REQUIRED = ("area", "input", "year", "reason", "who", "when")
_KEYS = set(_REQUIRED) | {"rule"}


class _Lines(yaml.SafeLoader):
    """Remembers each mapping's line, for messages naming the row."""


_Lines.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                       lambda loader, node: {**loader.construct_mapping(node, deep=True),
                                             "__line__": node.start_mark.line + 1})
# dates stay text, checked below with a message naming the row (YAML's own parse would crash on 2025-13-40)
_Lines.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def empty() -> pd.DataFrame:
    return pd.DataFrame(columns=REVIEWED_COLUMNS)


def read_reviewed(path: str | Path) -> pd.DataFrame:
    """The reviewed findings (:data:`REVIEWED_COLUMNS`); empty when the file does not exist.
    Raises :class:`ValidationError` listing every bad entry (file, row, key)."""
    path = Path(path)
    if not path.is_file():
        return empty()
    file = str(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_Lines)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ValidationError([Problem(f"YAML として読めません: {getattr(exc, 'problem', exc)}", file,
                                       mark.line + 1 if mark else None)], "確認済みの指摘の一覧が不正です") from None
    entries = (doc or {}).get("reviewed") if isinstance(doc, dict) else None
    if entries is None:
        entries = [] if doc in (None, {}) or (isinstance(doc, dict) and set(doc) == {"__line__"}) else None
    if not isinstance(entries, list):
        raise ValidationError([Problem("先頭に 'reviewed:' の一覧が必要です (expected 'reviewed:' and a list)", file, 1)],
                              "確認済みの指摘の一覧が不正です")
    rows, problems = [], []
    for n, e in enumerate(entries, 1):
        line = e.get("__line__") if isinstance(e, dict) else None
        if not isinstance(e, dict):
            problems.append(Problem(f"{n} 件目が項目の組ではありません (not a mapping)", file, line))
            continue
        for key in sorted(set(e) - _KEYS - {"__line__"}):
            problems.append(Problem(f"知らない項目です（{', '.join(sorted(_KEYS))} のどれか）", file, line, key))
        for key in _REQUIRED:
            if e.get(key) in (None, ""):
                problems.append(Problem("必須の項目がありません（空欄）", file, line, key))
        area = str(e.get("area", "")).strip()
        if e.get("area") not in (None, ""):
            try:
                area = parse_code(e.get("area"), "area")  # as typed: full-width, 6-digit 団体コード
            except AreaCodeError as exc:
                problems.append(Problem(str(exc), file, line, "area"))
        try:
            year = int(e.get("year")) if e.get("year") not in (None, "") else None
        except (TypeError, ValueError):
            problems.append(Problem(f"年は4桁の数字で書いてください: {e.get('year')!r}", file, line, "year"))
            year = None
        rule = e.get("rule")
        if rule is not None and rule not in QUALITY_RULE_JA:
            problems.append(Problem(f"規則 {rule!r} はありません（{', '.join(QUALITY_RULE_JA)}）", file, line, "rule"))
        when = e.get("when")
        if isinstance(when, str):
            try:
                when = dt.date.fromisoformat(when.strip())
            except ValueError:
                problems.append(Problem(f"日付は 2025-04-10 の形で書いてください: {when!r}", file, line, "when"))
        rows.append({"area_code": area, "subject": str(e.get("input", "")).strip(), "year": year, "rule": rule,
                     "reason": str(e.get("reason", "")).strip(), "who": str(e.get("who", "")).strip(),
                     "when": str(when or ""), "file": file, "row": line})
    if problems:
        raise ValidationError(problems, f"確認済みの指摘の一覧が不正です ({file})")
    return pd.DataFrame(rows, columns=REVIEWED_COLUMNS)
