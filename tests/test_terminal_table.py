"""The terminal table renderer: display width (全角 = 2 columns), lines that fit the terminal,
text left- and numbers right-aligned."""

from __future__ import annotations

import pytest

from sckpi_helpers.cli.terminal_table import (
    clip,
    display_width,
    fit_lines,
    looks_numeric,
    render,
    terminal_width,
)

NAMES = ["防犯性（刑法犯認知件数／補正人口）", "人口増減率", "crime rate", "ｶﾀｶﾅ半角", "過密状態（居住者1人あたりの部屋数）"]
ROWS = [[f"t3.x{i}", n, v, "件/補正人口千人", "a fairly long English reason text " * (i + 1)]
        for i, (n, v) in enumerate(zip(NAMES, [4.193, -0.049, 12345.678, 0.0, None], strict=True))]
HEADERS = ["id", "指標", "値", "単位", "理由"]


def starts(line: str, cell: str) -> int:
    """Display column at which ``cell`` starts in ``line``."""
    return display_width(line[: line.index(cell)])


def test_fullwidth_characters_take_two_columns_halfwidth_and_combining_marks_less():
    assert display_width("防犯性") == 6
    assert display_width("ｶﾀｶﾅ") == 4          # 半角カナ: one column each
    assert display_width("\u30ab\u3099") == 2  # カ + combining 濁点 (NFD file names) = ガ, two columns
    assert display_width("abc") == 3


def test_clip_cuts_to_display_width_with_an_ellipsis():
    assert clip("人口増減率", 10) == "人口増減率"
    cut = clip("防犯性（刑法犯認知件数）", 9)
    assert cut.endswith("…") and display_width(cut) <= 9 and cut.startswith("防犯性")
    assert clip("abc", 0) == ""


@pytest.mark.parametrize("width", [40, 60, 80, 100, 200])
def test_every_line_fits_the_given_width(width):
    text = render(HEADERS, ROWS, width=width)
    assert all(display_width(line) <= width for line in text.splitlines())


def test_no_limit_keeps_every_cell_whole():
    text = render(HEADERS, ROWS)
    assert "…" not in text and ROWS[4][4].strip() in text


def test_text_columns_align_left_in_display_width():
    lines = render(HEADERS, ROWS).splitlines()
    body = lines[2:]
    assert len({starts(line, row[1]) for line, row in zip(body, ROWS, strict=True)}) == 1  # 指標 column
    assert len({starts(line, row[3]) for line, row in zip(body, ROWS, strict=True)}) == 1  # 単位 column
    assert starts(lines[0], "単位") == starts(body[0], "件/補正人口千人")


def test_numbers_align_right_in_display_width():
    lines = render(HEADERS, ROWS).splitlines()
    cells = ["4.193", "-0.049", "12,346", "0", "-"]
    ends = {starts(line, c) + display_width(c) for line, c in zip(lines[2:], cells, strict=True)}
    assert len(ends) == 1
    assert starts(lines[0], "値") + display_width("値") in ends  # the header too


def test_cut_table_keeps_columns_aligned():
    lines = render(HEADERS, ROWS, width=70).splitlines()
    assert any("…" in line for line in lines)
    col = {starts(line, line.split("  ")[1].strip()[:2]) for line in lines[2:]}
    assert len(col) == 1


def test_widest_text_column_is_cut_first_and_numbers_never():
    text = render(HEADERS, ROWS, width=90)
    assert "12,346" in text and "4.193" in text
    reason = text.splitlines()[2].split("  ")[-1]
    assert reason.endswith("…")


def test_columns_are_dropped_in_order_when_cutting_is_not_enough():
    layout = {"min_widths": [6, 12, None, 8, 12], "drop": [4, 0]}
    head = render(HEADERS, ROWS, width=40, **layout).splitlines()[0]
    assert "理由" not in head and "id" in head            # only as many as needed, in order
    text = render(HEADERS, ROWS, width=36, **layout)
    head = text.splitlines()[0]
    assert "理由" not in head and "id" not in head and "指標" in head
    assert all(display_width(line) <= 36 for line in text.splitlines())


def test_numeric_column_detection():
    assert looks_numeric([1, 2.5, None, "-"])
    assert looks_numeric(["1,234", "12.5%", "3/29", "-"])
    assert not looks_numeric(["1", "abc"])
    assert not looks_numeric(["-", None])
    assert not looks_numeric(["13101", "01201"])  # area codes are identifiers


def test_a_missing_number_is_a_dash_in_the_terminal():
    from sckpi_helpers.cli.terminal_table import cell_text

    assert cell_text(float("nan")) == "-" and cell_text(None) == "-" and cell_text(1.23456) == "1.235"


def test_control_characters_do_not_break_rows():
    text = render(["a", "b"], [["line1\nline2", "x\ty"]])
    assert len(text.splitlines()) == 3


def test_rows_must_match_the_headers():
    with pytest.raises(ValueError):
        render(["a", "b"], [["only one"]])


def test_free_text_wraps_within_the_width():
    line = "補正人口 (adjusted_population): resident_plus_inflow = population_resident * (1 + inflow_population)"
    out = fit_lines(line, 40).splitlines()
    assert len(out) > 1 and all(display_width(s) <= 40 for s in out)
    assert "".join(s.strip() for s in out).replace(" ", "") == line.replace(" ", "")


def test_terminal_width_follows_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "77")
    assert terminal_width() == 77
