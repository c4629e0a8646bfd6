"""The committed notebooks: each ``notebooks/X.ipynb`` is paired with ``notebooks/X.py`` (jupytext
percent format) and in sync with it, stored without outputs, kernel ``python3``, one ``parameters``
cell whose defaults come from the city's settings (DESIGN.md), Japanese headings."""

from __future__ import annotations

import ast
import json
import tomllib
from pathlib import Path

import jupytext
import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NB_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
DESIGN_PARAMS = {"city_code": "99201", "period": "2024", "logic_model_path": "", "source": "",
                 "peer_group": "", "lang": "ja", "output_dir": "", "layout": "full"}


def _cells(nb) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source.strip(), list(c.metadata.get("tags", []))) for c in nb.cells]


def test_notebooks_are_paired_with_percent_scripts():
    config = tomllib.loads((NB_DIR / "jupytext.toml").read_text(encoding="utf-8"))
    assert config["formats"] == "ipynb,py:percent"
    assert {p.stem for p in NOTEBOOKS} == {p.stem for p in NB_DIR.glob("*.py")}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_pair_in_sync(path):
    """What jupytext makes of the .py is what the .ipynb holds (cells, sources, tags, kernel)."""
    text = jupytext.read(path.with_suffix(".py"), fmt="py:percent")
    stored = nbformat.read(path, as_version=4)
    assert _cells(text) == _cells(stored), f"run `jupytext --sync {path.relative_to(REPO)}`"
    assert text.metadata["kernelspec"]["name"] == stored.metadata["kernelspec"]["name"]


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
    assert "validate_parameters(city_code, period, logic_model_path, source, peer_group, lang, output_dir, layout)" in \
        "".join(after["source"])
    headings = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("#")]
    assert headings and all(any("\u3040" <= ch <= "\u9fff" for ch in h) for h in headings), headings


def test_expected_notebooks_exist():
    assert {p.stem for p in NOTEBOOKS} >= {"00_ingest", "check1_outputs", "check2_outcome1", "check3_outcome2",
                                          "check4_outcome3", "explorer"}


def test_a_single_report_reports_each_notebook_as_it_finishes(demo_home, monkeypatch, capsys):
    """``sckpi report --city X --period P`` prints ``  name  ok  1.2s`` per notebook (via run_report's
    ``on_notebook`` callback, called as each notebook finishes)."""
    from sckpi_helpers.cli.report import print_notebook
    from sckpi_helpers.reports import runner

    monkeypatch.setenv("SCKPI_NOTEBOOKS_DIR", str(REPO / "tests" / "fixtures" / "notebooks"))
    for var in ("SCKPI_FIXTURE_FAIL", "SCKPI_FIXTURE_LEAK", "ESTAT_APP_ID"):
        monkeypatch.delenv(var, raising=False)
    seen = []

    def progress(n):
        seen.append(n.name)
        print_notebook(n)

    r = runner.run_report("99201", "2024", only="check4_outcome3,00_ingest", prepare=False, on_notebook=progress,
                          update_indexes=False)
    assert sorted(seen) == sorted(n.name for n in r.notebooks) and len(seen) == 2
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split() == ["check4_outcome3", "ok", line.split()[-1]] and line.endswith("s") for line in lines)
