"""`sckpi indicators` and compute_and_store, on a synthetic processed folder under $SCKPI_HOME."""

from __future__ import annotations

import io
import re
import shlex

import pandas as pd
import pytest
from synthetic import real_catalog, synthetic_areas, synthetic_panel

from sckpi_helpers.atomic import atomic_write_parquet
from sckpi_helpers.cli import build_parser, main
from sckpi_helpers.cli.terminal_table import display_width
from sckpi_helpers.config.settings import CitySettings
from sckpi_helpers.indicators import engine
from sckpi_helpers.indicators.service import compute_and_store


@pytest.fixture()
def home(tmp_path, monkeypatch):
    cat = real_catalog()
    if cat is None:
        pytest.skip("real catalog not available")
    monkeypatch.setenv("SCKPI_HOME", str(tmp_path))
    (tmp_path / "data" / "raw").mkdir(parents=True)
    panel = synthetic_panel(cat, 10, range(2016, 2025), seed=5)
    build = tmp_path / "data" / "processed" / "01201"  # the build of a city with no settings file
    atomic_write_parquet(panel, build / "panel.parquet")
    atomic_write_parquet(synthetic_areas(sorted(panel["area_code"].unique())), build / "areas.parquet")
    return tmp_path, cat, panel


def test_csv_to_file(home, capsys):
    tmp, cat, _ = home
    out = tmp / "out.csv"
    assert main(["indicators", "--city", "01201", "--period", "2024", "--peer-group", "all",
                 "--format", "csv", "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel shows the Japanese names
    df = pd.read_csv(io.StringIO(raw.decode("utf-8-sig")), dtype={"area_code": str})
    for col in ["area_code", "year", "indicator_id", "value", "unit", "status", "reason", "name_ja", "rank",
                "percentile", "deviation_score"]:
        assert col in df.columns
    assert (df["area_code"] == "01201").all() and (df["year"] == 2024).all()
    assert len(df) == len(engine.tier3_indicators(cat, with_formula=True))
    assert "補正人口" in capsys.readouterr().err


def test_table_names_adjusted_population(home, capsys):
    assert main(["indicators", "--city", "01201", "--period", "2024", "--adjusted-population", "daytime"]) == 0
    out = capsys.readouterr().out
    assert "補正人口 (adjusted_population): daytime" in out
    assert "偏差値" in out and "coverage:" in out


def test_errors_exit_1(home, capsys):
    assert main(["indicators", "--city", "09999", "--period", "2024"]) == 1
    assert "not in the processed data" in capsys.readouterr().err
    assert main(["indicators", "--city", "01201", "--period", "2024", "--adjusted-population", "x"]) == 1
    assert main(["indicators", "--city", "01201", "--period", "2024", "--peer-group", "nope"]) == 1
    assert main(["indicators", "--city", "01201", "--period", "1990"]) == 1


def test_compute_and_store(home):
    tmp, cat, panel = home
    path = compute_and_store(panel, cat, CitySettings(city_code="01201"))
    assert path == tmp / "data" / "processed" / "01201" / "indicators.parquet"
    back = pd.read_parquet(path)
    assert list(back.columns) == engine.RESULT_COLUMNS
    assert set(back["status"]) <= {"ok", "estimated", "missing"}


def test_csv_values_are_rounded_by_unit_and_ranks_are_integers(home):
    tmp, _, _ = home
    out = tmp / "out.csv"
    assert main(["indicators", "--city", "01201", "--period", "2024", "--peer-group", "all",
                 "--format", "csv", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert df["rank"].str.fullmatch(r"\d*").all() and df["n"].str.fullmatch(r"\d+").all()  # no "13.0"
    assert (df["rank"] != "").any()
    for value, unit in zip(df["value"], df["unit"], strict=True):
        if not value:
            continue
        decimals = len(value.split(".")[1]) if "." in value else 0
        if unit.startswith("%"):
            assert decimals <= 2, (value, unit)
        else:
            digits = value.lstrip("-").replace(".", "").lstrip("0")
            assert len(digits) <= 4 or decimals == 0, (value, unit)
    for col in ("percentile", "deviation_score"):
        assert all(len(v.split(".")[1]) <= 1 for v in df[col] if "." in v)


def table_block(lines: list[str]) -> tuple[str, list[str]]:
    """The rule line under the indicator table's header and the body lines after it."""
    i = next(k for k, line in enumerate(lines) if re.fullmatch(r"[- ]+", line) and "--" in line)
    end = lines.index("", i)
    return lines[i], lines[i + 1:end]


def cells_by_column(line: str) -> list[str]:
    """``line`` as one entry per display column (a 全角 character fills two)."""
    out: list[str] = []
    for ch in line:
        out += [ch] + [""] * (display_width(ch) - 1)
    return out


@pytest.mark.parametrize("columns", [80, 100, 140])
def test_table_fits_the_terminal_and_aligns_japanese_in_display_width(home, capsys, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["indicators", "--city", "01201", "--period", "2024"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(display_width(line) <= columns for line in lines)
    rule, body = table_block(lines)
    gaps = [k for k, ch in enumerate(rule) if ch == " "]
    assert len(body) > 20 and gaps
    for line in body:
        cols = cells_by_column(line)
        assert all(k >= len(cols) or cols[k] == " " for k in gaps), line  # every column starts in place
    value_end = rule.index("  ", rule.index("  ", rule.index("  ") + 2) + 2) - 1  # id, 指標, then 値
    if columns >= 100:
        assert all(cells_by_column(line)[value_end] != " " for line in body)  # numbers end flush right


def test_table_to_a_file_is_not_cut(home, monkeypatch):
    tmp, _, _ = home
    monkeypatch.setenv("COLUMNS", "60")
    out = tmp / "table.txt"
    assert main(["indicators", "--city", "01201", "--period", "2024", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "…" not in text and max(display_width(line) for line in text.splitlines()) > 60


def test_missing_city_hint_is_a_command_that_parses(home, capsys):
    assert main(["indicators", "--city", "09999", "--period", "2024"]) == 1
    err = capsys.readouterr().err
    hints = re.findall(r"'(sckpi [^']+)'", err)
    assert hints and all("--source" in h for h in hints)
    for hint in hints:
        words = [w for w in shlex.split(hint)[1:] if w != "FOLDER"] + (["x"] if "--input" in hint else [])
        build_parser().parse_args(words)  # would exit 2 on a wrong option


def test_hint_before_ingest_works_on_the_demo(demo_home, capsys):
    assert main(["indicators", "--city", "99201", "--period", "2024"]) == 1
    hint = re.search(r"'(sckpi [^']+)'", capsys.readouterr().err).group(1)
    assert main(shlex.split(hint)[1:]) == 0
    assert main(["indicators", "--city", "99201", "--period", "2024"]) == 0
    assert "サンプル市" in capsys.readouterr().out


def test_the_csv_rounds_values_by_the_one_number_rule():
    from sckpi_helpers.cli.indicators import csv_frame
    from sckpi_helpers.config.formatting import round_number

    table = pd.DataFrame({"value": [12.34567, 4.19333, 208115.4], "peer_median": [None, 4.0, 1.5],
                          "unit": ["%", "件/補正人口千人", "人"], "percentile": [12.345, None, 50.0],
                          "deviation_score": [51.234, None, 49.0], "rank": [1, 2, None], "n": [3, 3, 3],
                          "year": [2020, 2020, 2020]})
    out = csv_frame(table)
    assert list(out["value"]) == [round_number(v, u) for v, u in zip(table["value"], table["unit"], strict=True)]
    assert list(out["value"]) == [12.35, 4.193, 208115] and out["deviation_score"].iloc[0] == 51.2
