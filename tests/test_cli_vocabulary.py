"""One option vocabulary for every command: ``--period`` for periods, ``--cities`` for lists of area
codes. Earlier spellings keep working (cron lines) but are hidden and warn."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from sckpi_helpers.cli import build_parser, main
from sckpi_helpers.config.periods import parse_period

ROOT = Path(__file__).resolve().parents[1]
SUBCOMMANDS = ["demo", "catalog", "ingest", "indicators", "template", "report"]
DEPRECATED = {"--year", "--years", "--periods", "--areas"}


def subparser(name: str) -> argparse.ArgumentParser:
    return build_parser()._subparsers._group_actions[0].choices[name]


def documented(name: str) -> set[str]:
    return {o for a in subparser(name)._actions if a.help != argparse.SUPPRESS for o in a.option_strings}


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_help_documents_only_the_new_spellings(sub, capsys):
    with pytest.raises(SystemExit):
        main([sub, "--help"])
    out = capsys.readouterr().out
    for old in DEPRECATED:
        assert not re.search(rf"{old}\b", out), f"sckpi {sub} --help mentions {old}"
    assert not DEPRECATED & documented(sub)


def test_periods_are_always_called_period_and_lists_cities():
    for sub in ["ingest", "indicators", "template", "report"]:
        assert "--period" in documented(sub), sub
    for sub in ["ingest", "report"]:
        assert "--cities" in documented(sub), sub


@pytest.mark.parametrize(("argv", "dest", "value"), [
    (["ingest", "--source", "demo", "--period", "2015-2024"], "years", "2015-2024"),
    (["ingest", "--source", "demo", "--cities", "13101,13102"], "areas", "13101,13102"),
    (["indicators", "--city", "13101", "--period", "2022"], "year", 2022),
    (["indicators", "--city", "13101", "--period", "FY2022"], "year", 2022),
    (["template", "--city", "13101", "--out", "x.xlsx", "--period", "2025Q1-2026Q4"], "periods", "2025Q1-2026Q4"),
    (["report", "--cities", "13101,13102", "--period", "2025"], "cities", "13101,13102"),
    (["report", "--city", "13101", "--period", "2025Q3"], "period", parse_period("2025Q3")),  # parsed once by the option
])
def test_new_spellings_fill_the_dest_the_handlers_read(argv, dest, value):
    assert getattr(build_parser().parse_args(argv), dest) == value


@pytest.mark.parametrize(("old", "new"), [
    (["ingest", "--source", "demo", "--years", "2015-2024"], ["ingest", "--source", "demo", "--period", "2015-2024"]),
    (["ingest", "--source", "demo", "--areas", "13101"], ["ingest", "--source", "demo", "--cities", "13101"]),
    (["indicators", "--city", "13101", "--year", "2022"], ["indicators", "--city", "13101", "--period", "2022"]),
    (["template", "--city", "13101", "--out", "x.csv", "--periods", "2025"],
     ["template", "--city", "13101", "--out", "x.csv", "--period", "2025"]),
])
def test_deprecated_spellings_still_work_and_warn(old, new, capsys):
    assert vars(build_parser().parse_args(old)) == vars(build_parser().parse_args(new))
    err = capsys.readouterr().err
    assert "deprecated" in err and new[-2] in err and len(err.strip().splitlines()) == 1


def test_missing_period_names_the_documented_flag(capsys):
    with pytest.raises(SystemExit):
        main(["indicators", "--city", "13101"])
    err = capsys.readouterr().err
    assert "--period" in err and "--year" not in err


def _readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    cmds = []
    for span in re.findall(r"`([^`]*)`", text) + re.findall(r"```(?:sh|cron)?\n(.*?)```", text, re.DOTALL):
        for m in re.finditer(r"sckpi ((?:demo|catalog|ingest|indicators|template|report)\b[^`&\n|]*)", span):
            cmds.append(m.group(1).split())
    return cmds


def test_readme_uses_only_documented_options():
    cmds = _readme_commands()
    assert len(cmds) >= 8
    for words in cmds:
        flags = {w.split("=")[0] for w in words if w.startswith("--")}
        assert flags <= documented(words[0]) | {"--help"}, words
