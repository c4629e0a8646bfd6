"""``sckpi catalog``: filter, table, CSV (UTF-8 with BOM) and HTML, through the real entry point."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from sckpi_helpers.cli import main
from sckpi_helpers.cli.terminal_table import display_width

FIXTURES = Path(__file__).parent / "fixtures" / "catalog"


def test_table_lists_filtered_indicators_with_japanese_names(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["catalog", "--field", "disaster_crime", "--tier", "outcome3"]) == 0
    out = capsys.readouterr().out
    assert "防犯性" in out and "災害対応度" in out and "t3.soc.crime_rate" in out
    assert "3 indicator(s)" in out and "人口増減率" not in out


def second_column_start(line: str) -> int:
    """Display column where the second cell (after the first two-space gap) starts."""
    k = line.index("  ")
    while line[k] == " ":
        k += 1
    return display_width(line[:k])


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_table_fits_the_terminal_with_names_aligned(capsys, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["catalog", "--tier", "outcome3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(display_width(line) <= columns for line in lines)
    assert len({second_column_start(line) for line in lines[:1] + lines[2:-1]}) == 1  # 指標名 aligned


def test_table_to_a_file_keeps_full_names(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    out = tmp_path / "catalog.txt"
    assert main(["catalog", "--tier", "outcome3", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "防犯性（刑法犯認知件数／補正人口）" in text and "…" not in text


def test_required_filter(capsys):
    assert main(["catalog", "--required"]) == 0
    assert "17 indicator(s)" in capsys.readouterr().out


def test_check_and_pillar_filters(capsys):
    assert main(["catalog", "--check", "2", "--pillar", "operations"]) == 0
    out = capsys.readouterr().out
    assert "3 indicator(s)" in out and "運営資金" in out


def test_csv_is_utf8_with_bom_and_has_the_frame_columns(tmp_path):
    out = tmp_path / "catalog.csv"
    assert main(["catalog", "--tier", "outcome3", "--format", "csv", "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(io.StringIO(raw.decode("utf-8-sig")))
    assert len(df) == 48 and list(df.columns[:3]) == ["id", "name_ja", "name_en"]  # 47 + 街頭犯罪 variant
    assert {"formula", "required", "availability", "cadence", "theme", "unit", "direction"} <= set(df.columns)
    assert df.loc[df.id == "t3.soc.crime_rate", "name_ja"].item().startswith("防犯性")


def test_html_escapes_a_script_in_an_extension_name(tmp_path):
    out = tmp_path / "catalog.html"
    assert main(["catalog", "--format", "html", "--extra", str(FIXTURES / "city_extension.yaml"),
                 "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;more&lt;/b&gt;" in html and "local.sample.bike_share_per_capita" in html


def test_out_writes_atomically_no_temp_left(tmp_path):
    out = tmp_path / "sub" / "c.html"
    assert main(["catalog", "--format", "html", "--out", str(out)]) == 0
    assert [p.name for p in out.parent.iterdir()] == ["c.html"]


def test_unknown_field_is_a_one_line_error(capsys):
    assert main(["catalog", "--field", "mobilty"]) == 1
    err = capsys.readouterr().err
    assert "unknown field 'mobilty'" in err and "mobility" in err


def test_broken_extension_exits_1_naming_the_file(capsys):
    assert main(["catalog", "--extra", str(FIXTURES / "broken_yaml.yaml")]) == 1
    assert "broken_yaml.yaml" in capsys.readouterr().err
