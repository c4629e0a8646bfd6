"""Each vocabulary has one home (config.vocabulary): no other module writes its own table of the
tiers, the checks, the KPI status, the trends or the Actions — a label changed in one copy and not in
another would make two pages of one report disagree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sckpi_helpers.config import vocabulary as v

PKG = Path(__file__).resolve().parents[1] / "sckpi_helpers"
HOME = PKG / "config" / "vocabulary.py"
#: the vocabularies whose keys (or, for tier lists, members) must not be written again elsewhere
TABLES = {"TIER_JA": v.TIER_JA, "TIER_CHECK": v.TIER_CHECK, "CHECK_TIER": v.CHECK_TIER,
          "CHECK_LABEL": v.CHECK_LABEL, "STATUS_JA": v.STATUS_JA, "TREND_JA": v.TREND_JA, "ACTIONS": v.ACTIONS,
          "DIAGNOSIS_OF_CHECK": v.DIAGNOSIS_OF_CHECK, "DIAGNOSIS_JA": v.DIAGNOSIS_JA,
          "RUN_STATUS_JA": v.RUN_STATUS_JA, "RESULT_STATUS_JA": v.RESULT_STATUS_JA, "COVERAGE_JA": v.COVERAGE_JA}
NAMES = {*TABLES, "TIERS", "KPI_TIERS", "MODEL_TIERS", "TIER_OF_CHECK", "BREAK_ACTION_JA"}
#: config/palette.py is the one home of the colours and marks keyed by the same statuses (not labels)
PALETTE = PKG / "config" / "palette.py"
MODULES = sorted(p for p in PKG.rglob("*.py") if p not in (HOME, PALETTE))


def _literal(node: ast.AST):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _copies(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if names & NAMES:
                found.append(f"line {node.lineno}: defines {sorted(names & NAMES)}")
                continue
            value = _literal(node.value) if node.value is not None else None
            if isinstance(value, dict):
                for name, table in TABLES.items():
                    # a table keyed by check number is a copy only when its values are the vocabulary's too
                    same_values = not all(isinstance(k, int) for k in table) or len(
                        {repr(x) for x in value.values()} & {repr(x) for x in table.values()}) >= 2
                    if len({k for k in value if isinstance(k, str | int)} & set(table)) >= 2 and same_values:
                        found.append(f"line {node.lineno}: a table keyed like {name}")
            elif isinstance(value, tuple | list) and len({x for x in value if isinstance(x, str)} & set(v.MODEL_TIERS)) >= 3:
                found.append(f"line {node.lineno}: a list of tiers")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_no_module_writes_its_own_copy_of_a_vocabulary(path):
    assert not _copies(path), f"{path.relative_to(PKG)}: {_copies(path)}"


def test_the_check_tables_agree():
    assert v.KPI_TIERS == tuple(t for t in v.MODEL_TIERS if t in v.TIER_CHECK)
    assert {v.TIER_CHECK[t]: t for t in v.KPI_TIERS} == v.CHECK_TIER
    assert sorted(v.DIAGNOSIS_OF_CHECK) == sorted(v.CHECK_LABEL) == [1, 2, 3, 4]
    assert set(v.TIER_SHORT_JA) == set(v.KPI_TIERS)


def test_a_failed_check_has_one_action_wording():
    from sckpi_helpers.checks.data import CHECKS
    from sckpi_helpers.checks.narrative import action_of

    for check in (1, 2, 3, 4):
        assert action_of(check) == CHECKS[check][3] == v.ACTIONS[v.DIAGNOSIS_OF_CHECK[check]][0]


def test_the_finder_finds_a_copy(tmp_path):
    """The rule above can fail: a module with its own trend table is caught."""
    f = tmp_path / "m.py"
    f.write_text('T = {"better": "改善", "worse": "悪化"}\nX = ("input", "activity", "output")\n', encoding="utf-8")
    assert len(_copies(f)) == 2
