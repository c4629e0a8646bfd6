"""The kit's spine: CLI contract, atomic writes, settings, Japanese glyphs in plots."""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from sckpi_helpers import atomic
from sckpi_helpers.cli import build_parser, main
from sckpi_helpers.config.settings import load_settings
from sckpi_helpers.errors import InputFileError

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- CLI
@pytest.mark.parametrize("sub", ["demo", "catalog", "ingest", "indicators", "template", "report"])
def test_every_subcommand_documents_its_options(sub, capsys):
    with pytest.raises(SystemExit) as exc:
        main([sub, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for action in build_parser()._subparsers._group_actions[0].choices[sub]._actions:
        if action.option_strings and action.help:
            assert action.option_strings[-1] in out


@pytest.mark.parametrize("argv", [
    ["indicators", "--city", "1310", "--period", "2020"],    # not a 5-digit code
    ["indicators", "--city", "13101", "--period", "20x0"],
    ["indicators", "--city", "13101"],                        # no period at all
    ["indicators", "--city", "13101", "--period", "2022Q3"],  # a quarter is not a year to compare
    ["ingest", "--source", "demo", "--period", "2024-2015"],  # ends before it starts
    ["ingest", "--source", "demo", "--cities", "1310"],       # not a 5-digit code
    ["report", "--cities", "13101,abc", "--period", "2025"],
    ["report", "--city", "13101"],                            # --period missing
    ["report", "--city", "13101", "--period", "2024", "--jobs", "0"],
    ["catalog", "--tier", "outcome9"],
    ["nonsense"],
])
def test_bad_options_give_one_line_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "error:" in err


def test_console_script_is_installed():
    out = subprocess.run([str(Path(sys.executable).parent / "sckpi"), "--help"],
                         capture_output=True, text=True, check=True).stdout
    for sub in ["demo", "catalog", "ingest", "indicators", "template", "report"]:
        assert sub in out


# ---------------------------------------------------------------- atomic writes
def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    atomic.atomic_write_text(target, "old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError):
        atomic.atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temp file left behind


def test_atomic_directory_moves_in_only_on_success(tmp_path):
    target = tmp_path / "reports" / "2024"
    with pytest.raises(RuntimeError), atomic.atomic_directory(target) as tmp:
        (tmp / "a.html").write_text("x")
        raise RuntimeError("notebook crashed")
    assert not target.exists() and list(target.parent.iterdir()) == []
    with atomic.atomic_directory(target) as tmp:
        (tmp / "a.html").write_text("x")
    assert (target / "a.html").read_text() == "x"
    with pytest.raises(FileExistsError), atomic.atomic_directory(target):
        pass
    with atomic.atomic_directory(target, overwrite=True) as tmp:
        (tmp / "b.html").write_text("y")
    assert sorted(p.name for p in target.iterdir()) == ["b.html"]


# ---------------------------------------------------------------- settings
def test_demo_settings_load():
    s = load_settings(ROOT / "data" / "raw" / "demo" / "settings.yaml")
    assert s.city_code == "99201" and s.adjusted_population == "resident_plus_inflow"
    assert s.resolve(s.logic_model) == ROOT / "data" / "raw" / "demo" / "logic_model.yaml"


def test_bad_settings_name_the_file_and_key(tmp_path):
    f = tmp_path / "settings.yaml"
    f.write_text("city_code: '1310'\nunknown_key: 1\n", encoding="utf-8")
    with pytest.raises(InputFileError) as exc:
        load_settings(f)
    msg = str(exc.value)
    assert str(f) in msg and "city_code" in msg and "unknown_key" in msg


# ---------------------------------------------------------------- Japanese glyphs
def test_plots_render_japanese_without_tofu(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from sckpi_helpers.viz.style import use_japanese_font

    family = use_japanese_font()
    font_path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_path)
    label = "防犯性（刑法犯認知件数／補正人口）"
    assert all(font.get_char_index(ord(ch)) != 0 for ch in label)  # every glyph exists in the font
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font" would raise
        fig, ax = plt.subplots()
        ax.set_title(label)
        ax.plot([1, 2], [3, -1])
        fig.savefig(tmp_path / "ja.png")
        plt.close(fig)
    assert (tmp_path / "ja.png").stat().st_size > 1000


def test_notebooks_are_stripped_and_use_python3():
    nbs = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for nb_path in nbs:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == "python3", nb_path.name
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and not c.get("execution_count") for c in code), nb_path.name
        tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{nb_path.name}: exactly one cell tagged 'parameters'"


def test_ci_runs_make_test_only():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
