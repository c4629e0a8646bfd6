"""The package layout is the data flow: each stage imports only itself and the stages before it.

raw files → sources → processed store → city context → indicators → checks → figures → pages →
notebook helpers → report runs → explorer → CLI
(docs/DESIGN.md, "Package map"). A module that needs a later stage lives in the wrong room.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "sckpi_helpers"
STAGES = {"": 0, "errors": 0, "atomic": 0, "config": 1, "catalog": 2, "sources": 3, "store": 4,
          "city": 5, "indicators": 6, "checks": 7, "viz": 8, "pages": 9, "notebook": 10, "reports": 11,
          "explore": 12, "cli": 13}
#: modules allowed past ~400 lines because each is one cohesive thing (and why)
COHESIVE = {
    "indicators/engine.py": "one vectorised evaluation of every formula over the whole grid",
    "sources/logic_model.py": "one schema: the logic-model YAML, its models and its validation",
    "sources/estat_json.py": "one format: the getStatsData response and its three decoding paths",
    "sources/ssds_csv.py": "one format: both SSDS CSV download layouts",
    "notebook/sections.py": "one function per section of the check pages",
}
MODULES = sorted(p for p in PKG.rglob("*.py"))


def _stage_of(module: str) -> int:
    parts = module.split(".")
    return STAGES[parts[1] if len(parts) > 1 else ""]


def _module(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every package import of a file, module level and inside functions alike."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import on line {node.lineno}; write it absolute")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sckpi_helpers"):
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("sckpi_helpers")]
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_a_module_imports_only_its_own_stage_and_earlier_ones(path):
    me = _stage_of(_module(path))
    upward = [f"line {n}: {m}" for n, m in _imports(path) if _stage_of(m) > me]
    assert not upward, f"{path.relative_to(PKG)} (stage {me}) imports a later stage: {upward}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_a_module_opens_with_a_docstring_naming_its_stage(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert doc.strip(), f"{path.relative_to(PKG)} has no docstring"
    assert "Stage" in doc or "stage" in doc, f"{path.relative_to(PKG)}: the docstring does not say its stage"


def test_modules_stay_small_unless_cohesive():
    long = {str(p.relative_to(PKG)): n for p in MODULES
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 420}
    assert set(long) <= set(COHESIVE), f"modules over ~400 lines: {long}"


def test_every_stage_is_a_folder_of_the_package():
    folders = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    single_modules = {"", "errors", "atomic", "explore"}
    assert folders == set(STAGES) - single_modules
