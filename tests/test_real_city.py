"""The README's "Your own city" walk for a real city, 千代田区 (13101), on the bundled real data only.

Issue #11, "Done when": a clerk with a fresh clone runs the README's commands for their own city —
``sckpi init`` → ``sckpi ingest`` (the bundled SSDSE-A, no demo data, no download, no appId) →
``sckpi indicators`` → ``sckpi report`` — and gets real numbers and an HTML report set. The
commands are read from README.md's fenced block, so the README cannot drift from what is tested.

SCKPI_HOME is a tmp folder holding only the project's bundled real data (``data/raw/ssdse/``).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sckpi_helpers.cli import main

REPO = Path(__file__).resolve().parents[1]
CITY = "13101"


def readme_commands() -> list[list[str]]:
    """The ``sckpi …`` lines of the first fenced block under README.md's "## Your own city"."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your own city", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", section, re.DOTALL)
    assert block, "README.md 'Your own city' has no fenced command block"
    return [shlex.split(line)[1:] for line in block.group(1).splitlines() if line.startswith("sckpi ")]


@pytest.fixture()
def real_home(tmp_path, monkeypatch):
    """A project root with only the bundled real data (no demo)."""
    home = tmp_path / "home"
    shutil.copytree(REPO / "data" / "raw" / "ssdse", home / "data" / "raw" / "ssdse")
    monkeypatch.setenv("SCKPI_HOME", str(home))
    monkeypatch.setenv("SCKPI_NOTEBOOKS_DIR", str(REPO / "notebooks"))
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)
    return home


def test_the_readme_block_is_the_walk_for_chiyoda():
    cmds = readme_commands()
    assert [c[0] for c in cmds] == ["init", "ingest", "indicators", "report"]
    assert all(c[c.index("--city") + 1] == CITY for c in cmds)


def test_the_readme_walk_for_a_real_city(real_home, capsys):
    init, ingest, indicators, report = readme_commands()

    assert main(init) == 0
    out = capsys.readouterr().out
    settings = (real_home / "data" / "raw" / CITY / "settings.yaml").read_text(encoding="utf-8")
    assert "千代田区" in settings and "source: ssdse" in settings
    assert f"sckpi {shlex.join(ingest)}" in out, "init must print the README's next command"

    assert main(ingest) == 0
    out = capsys.readouterr().out
    # 1,741 municipalities and the 175 wards of designated cities (すがた and 住民基本台帳 list them)
    assert "SSDSE-A-2025.csv" in out and "1916 areas" in out and "2203ssjin.xlsx" in out
    assert not (real_home / "data" / "raw" / "demo").exists()
    panel = pd.read_parquet(real_home / "data" / "processed" / CITY / "panel.parquet")
    raw = pd.read_csv(real_home / "data" / "raw" / "ssdse" / "SSDSE-A-2025.csv", encoding="cp932",
                      skiprows=[0, 1], dtype=str)
    chiyoda = raw[raw["地域コード"] == "R13101"].iloc[0]
    got = panel.query("area_code == @CITY and variable == 'population_census' and year == 2020")["value"].iloc[0]
    assert got == float(chiyoda["総人口"])  # the published 2020 census count, unchanged

    assert main(indicators) == 0
    out = capsys.readouterr().out
    assert "千代田区" in out and "t3.eco.empl" in out
    employed, unemployed, inactive = (float(chiyoda[c]) for c in ("就業者数", "完全失業者数", "非労働力人口"))
    rate = employed / (employed + unemployed + inactive) * 100
    assert f"{rate:.2f}" in out  # 雇用率, by hand from the SSDSE-A row
    assert re.search(r"\d+/\d+", out), "the city's rank among its peers"

    code = main(report)
    err = capsys.readouterr().err
    failures = notebook_errors(real_home / "reports" / CITY)
    assert code == 0, err + "\n".join(failures)
    assert list((real_home / "reports" / CITY).glob("*/index.html")), "no HTML report set"
    assert list((real_home / "reports" / CITY).glob("*/check4_outcome3.html"))


def notebook_errors(folder: Path) -> list[str]:
    """The error messages of the executed notebooks under ``folder``."""
    out = []
    for nb in folder.rglob("*.ipynb"):
        for c in json.loads(nb.read_text(encoding="utf-8")).get("cells", []):
            out += [f"{nb.name}: {o.get('evalue', '')}" for o in c.get("outputs", [])
                    if o.get("output_type") == "error"]
    return out
