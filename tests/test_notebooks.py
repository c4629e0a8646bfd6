"""The committed notebooks: outputs stripped, the parameters cell of DESIGN.md, Japanese headings,
and identical to what scripts/build_notebooks.py writes."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
DESIGN_PARAMS = {"city_code": "99201", "period": "2024", "logic_model_path": "", "source": "demo",
                 "peer_group": "", "lang": "ja", "output_dir": ""}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_shape(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "outputs not stripped"
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse("".join(tagged[0]["source"]))
    values = {t.targets[0].id: ast.literal_eval(t.value) for t in tree.body if isinstance(t, ast.Assign)}
    assert values == DESIGN_PARAMS
    after = code[code.index(tagged[0]) + 1]
    assert "validate_parameters(city_code, period, logic_model_path, source, peer_group, lang, output_dir)" in \
        "".join(after["source"])
    headings = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("#")]
    assert headings and all(any("\u3040" <= ch <= "\u9fff" for ch in h) for h in headings), headings


def test_notebooks_match_their_build_script():
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "build_notebooks.py"), "--check"], check=False,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_expected_notebooks_exist():
    assert {p.stem for p in NOTEBOOKS} >= {"00_ingest", "check1_outputs", "check2_outcome1", "check3_outcome2",
                                          "check4_outcome3", "explorer"}
