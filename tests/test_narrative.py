"""The Japanese summary text of a check (checks.narrative): improved, behind, diagnosis, Action."""

from __future__ import annotations

from sckpi_helpers.checks import narrative


def test_summary_ja_lines():
    lines = narrative.summary_ja(2, improved=["延べ利用回数"], behind=["住民の温暖化理解度"], no_data=[],
                          diagnosis=["環境問題学習講座：第1階層が遅れています"],
                          counts={"achieved": 1, "on_track": 0, "behind": 1, "no_data": 0})
    text = "\n".join(lines)
    assert lines[0].startswith("Check❷（アウトカム第1階層）の指標 2 件")
    assert "改善・達成：延べ利用回数" in text and "遅れ：住民の温暖化理解度" in text
    assert "診断：環境問題学習講座" in text
    assert "事業の取組内容の軌道修正" in text
    calm = narrative.summary_ja(3, improved=[], behind=[])
    assert "遅れている指標はありません" in "\n".join(calm) and "継続" in calm[-1]
    many = narrative.summary_ja(1, behind=[f"指標{i}" for i in range(9)])
    assert "ほか3件" in "\n".join(many)

