"""The data-quality gate (issue 21): one test per rule, reviewed findings, the corrections history
(訂正履歴) and ``--strict``. Most run on a copy of the demo (``demo_home``) with one input changed
the way the issue describes: サンプル市's 2024 刑法犯認知件数 multiplied by ten."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest

from sckpi_helpers import cli
from sckpi_helpers.catalog import CatalogError, load_catalog
from sckpi_helpers.checks.quality import city_findings, marks_by_indicator
from sckpi_helpers.city import resolve_city
from sckpi_helpers.config.quality import QualitySettings, QualityThresholds
from sckpi_helpers.config.settings import demo_settings
from sckpi_helpers.errors import ValidationError
from sckpi_helpers.indicators import gate
from sckpi_helpers.sources.quality_reviewed import read_reviewed
from sckpi_helpers.store import revisions
from sckpi_helpers.store.build import ingest
from sckpi_helpers.store.scopes import demo_build

CITY = "99201"
FIXTURE_NOTEBOOKS = Path(__file__).resolve().parent / "fixtures" / "notebooks"


def _edit_crimes(home: Path, year: int, value: int | None = None, factor: float | None = None) -> None:
    """Change サンプル市's 刑法犯認知件数 of ``year`` in the copy's external statistics."""
    f = home / "data" / "raw" / "demo" / "external_statistics.csv"
    text = f.read_text(encoding="utf-8-sig")
    pat = re.compile(rf"^({CITY},{year},crimes_recognised,)(\d+)(,.*)$", re.MULTILINE)
    assert pat.search(text), "the demo's external statistics changed layout"
    text = pat.sub(lambda m: f"{m[1]}{value if value is not None else round(int(m[2]) * factor)}{m[3]}", text)
    f.write_text(text, encoding="utf-8-sig")


def _findings(year: int = 2024, settings=None) -> pd.DataFrame:
    """The gate for サンプル市's report of ``year`` (its context; ``settings`` replace the city's)."""
    city = resolve_city(CITY, year)
    return city_findings(dataclasses.replace(city, settings=settings) if settings is not None else city, year)


def _reviewed(home: Path, text: str) -> Path:
    f = home / "data" / "raw" / "demo" / "quality_reviewed.yaml"
    f.write_text(text, encoding="utf-8")
    return f


REVIEW = """reviewed:
  - area: "99201"
    input: crimes_recognised
    year: 2024
    reason: 県警察の公表資料で確認した実際の件数（特殊詐欺の一斉摘発）
    who: 企画課 山田
    when: 2025-04-10
  - area: "99201"
    input: t3.soc.crime_rate
    year: 2024
    reason: 刑法犯認知件数の増加による（上の確認のとおり）
    who: 企画課 山田
    when: 2025-04-10
"""


def test_the_demo_has_no_open_finding(demo_home):
    ingest(demo_settings())
    found = _findings()
    assert found[found["status"] == "open"].empty, found[["subject", "year", "rule", "reason"]].to_string()


def test_a_tenfold_jump_is_flagged_on_the_input_and_on_the_indicator(demo_home):
    _edit_crimes(demo_home, 2024, factor=10)
    ingest(demo_settings())
    found = _findings()
    jump = found[(found["subject"] == "crimes_recognised") & (found["rule"] == "yoy")]
    assert len(jump) == 1 and jump.iloc[0]["status"] == "open" and jump.iloc[0]["year"] == 2024
    assert "倍" in jump.iloc[0]["reason"] and "外部統計" not in jump.iloc[0]["reason"]
    assert jump.iloc[0]["source"].startswith("data/raw/demo/external_statistics.csv（external:")  # file and table
    assert {"yoy"} <= set(found.loc[found["subject"] == "t3.soc.crime_rate", "rule"])
    # the page marks the indicator computed from the flagged input: 要確認, the value is kept
    from sckpi_helpers.indicators.cache import indicator_results

    results = indicator_results(resolve_city(CITY, 2024))
    marks = marks_by_indicator(found, results, CITY, 2024)
    assert "t3.soc.crime_rate" in marks and all(h.status == "open" for h in marks["t3.soc.crime_rate"])


def test_a_unit_mix_up_is_flagged_as_scale(demo_home):
    """One municipality publishing its population in 千人 is about 1/1,000 of its peers per resident."""
    ingest(demo_settings())
    from sckpi_helpers.store.processed import load_panel

    panel = load_panel(demo_settings())
    bad = (panel["area_code"] == "99202") & (panel["variable"] == "population_census") & (panel["year"] == 2020)
    assert bad.sum() == 1
    panel.loc[bad, "value"] = panel.loc[bad, "value"] / 1000
    codes = sorted(panel["area_code"].unique())
    found = gate.run_rules(panel, None, load_catalog(), pd.Series("peers", index=codes), areas=["99202"])
    scale = found[(found["rule"] == "scale") & (found["subject"] == "population_census")]
    assert len(scale) == 1 and scale.iloc[0]["year"] == 2020
    assert "千人" in scale.iloc[0]["reason"]


def test_a_peer_outlier_is_flagged_by_its_robust_z_score():
    values = pd.DataFrame({"area_code": [f"9920{i}" for i in range(8)], "year": 2024, "subject": "x",
                           "kind": "indicator", "value": [10, 11, 9, 10.5, 9.5, 10.2, 9.8, 60.0], "source": ""})
    from sckpi_helpers.indicators.quality import peers

    th = QualityThresholds(z_threshold=5, min_peers=5, log=True, scale_factor=1000, scale_tolerance=0.5)
    found = peers(values, pd.Series("g", index=values["area_code"]), lambda s, k: th)
    assert list(found["area_code"]) == ["99207"] and list(found["rule"]) == ["peer"]


def test_a_cell_is_judged_by_its_own_values_whatever_other_years_hold():
    """The peer rule decides per (subject, year) cell — log scale or not, median, spread — so a year's
    verdict is the same whether the other years are judged with it or not (a city's page and the
    national run agree). Only the denominators of earlier years are needed (2024 divides by 2023)."""
    from sckpi_helpers.indicators.quality import peers

    areas = [f"9920{i}" for i in range(8)]
    rows = []
    for year, out in ((2023, 3), (2024, 7)):
        for i, a in enumerate(areas):
            pop = 10_000.0 + 1_000 * i
            rows += [{"area_code": a, "year": year, "subject": "pop", "kind": "input", "value": pop},
                     {"area_code": a, "year": year, "subject": "crimes", "kind": "input",
                      "value": pop * (0.05 if i == out else 0.005)},
                     {"area_code": a, "year": year, "subject": "x", "kind": "indicator",
                      "value": 60.0 if i == out else (10.0 if year == 2024 else -5.0) + 0.2 * i}]
    values = pd.DataFrame(rows).assign(source="")
    values = values[~((values["subject"] == "pop") & (values["year"] == 2024))]  # 2024 divides by 2023
    ths = {"crimes": QualityThresholds(z_threshold=5, min_peers=5, log=True, per="pop"),
           "x": QualityThresholds(z_threshold=5, min_peers=5, log=True)}
    th = lambda s, k: ths.get(s, QualityThresholds())
    groups = pd.Series("g", index=areas)
    everything = peers(values, groups, th)
    assert ("99207", 2024) in set(zip(everything["area_code"], everything["year"], strict=True))
    only_2024 = peers(values[(values["year"] == 2024) | (values["subject"] == "pop")], groups, th)
    pd.testing.assert_frame_equal(only_2024.reset_index(drop=True),
                                  everything[everything["year"] == 2024].reset_index(drop=True))


def _peer_group_gate(panel, year=2024):
    """(findings about each demo municipality judged against all of them, each judged on its own)."""
    catalog = load_catalog()
    codes = sorted(panel.loc[panel["area_code"].str.len() == 5, "area_code"].unique())
    return codes, {c: gate.city_findings(panel, None, catalog, c, year, codes) for c in codes}


def test_a_citys_findings_are_the_same_whether_its_peer_group_was_judged_for_it_or_for_a_neighbour(demo_home):
    """The gate judges a peer group once per process (a national run: one prefecture's cities share
    it); each city gets exactly what judging it first would have given."""
    _edit_crimes(demo_home, 2024, factor=10)
    ingest(demo_settings())
    from sckpi_helpers.store.processed import load_panel

    panel = load_panel(demo_settings())
    gate._GROUPS.clear()
    codes, together = _peer_group_gate(panel)
    assert len(gate._GROUPS) == 1  # one group judged for every member
    assert not together[CITY].empty
    for c in codes:
        gate._GROUPS.clear()
        pd.testing.assert_frame_equal(gate.city_findings(panel, None, load_catalog(), c, 2024, codes), together[c])


def test_a_changed_value_is_judged_again_not_answered_from_memory(demo_home):
    ingest(demo_settings())
    from sckpi_helpers.store.processed import load_panel

    panel = load_panel(demo_settings())
    _, before = _peer_group_gate(panel)
    assert before[CITY].empty
    hit = (panel["area_code"] == CITY) & (panel["variable"] == "crimes_recognised") & (panel["year"] == 2024)
    panel.loc[hit, "value"] = panel.loc[hit, "value"] * 10
    _, after = _peer_group_gate(panel)
    assert "crimes_recognised" in set(after[CITY]["subject"])


def test_a_numerator_much_newer_than_its_denominator_is_flagged():
    from sckpi_helpers.indicators.quality import lag

    values = pd.DataFrame({"area_code": ["99201", "99201"], "year": [2024, 2024], "subject": ["a", "b"],
                           "kind": "indicator", "value": [1.0, 1.0],
                           "source": ["crimes_recognised@2024; population_census@2020",
                                      "crimes_recognised@2024; population_census@2015"]})
    found = lag(values, lambda s, k: QualityThresholds(max_lag_years=5))
    assert list(found["subject"]) == ["b"] and "9 年新しい" in found.iloc[0]["reason"]


def test_a_real_revision_is_flagged_as_such(demo_home):
    ingest(demo_settings())
    assert revisions.load(demo_build()).empty
    _edit_crimes(demo_home, 2023, value=1802)  # 1,784 → 1,802: a small revision no other rule notices
    ingest(demo_settings())
    log = revisions.load(demo_build())
    assert len(log) == 1 and log.iloc[0]["old_value"] == 1784 and log.iloc[0]["new_value"] == 1802
    found = _findings(2023)
    rev = found[found["rule"] == "revision"]
    assert len(rev) == 1 and rev.iloc[0]["subject"] == "crimes_recognised" and rev.iloc[0]["status"] == "open"
    assert "1,784" in rev.iloc[0]["reason"] and "1,802" in rev.iloc[0]["reason"] and "改訂" in rev.iloc[0]["reason"]
    ingest(demo_settings())  # the same figures again: nothing new is logged
    assert len(revisions.load(demo_build())) == 1


def test_a_reviewed_finding_passes_with_its_note(demo_home):
    _edit_crimes(demo_home, 2024, factor=10)
    ingest(demo_settings())
    _reviewed(demo_home, REVIEW)
    found = _findings()
    about = found[found["subject"].isin(["crimes_recognised", "t3.soc.crime_rate"])]
    assert len(about) and (about["status"] == "reviewed").all()
    assert about["review_note"].str.contains("特殊詐欺").any()
    assert about["review_note"].str.contains("企画課 山田").all()


def test_settings_override_the_catalog_thresholds(demo_home):
    _edit_crimes(demo_home, 2024, factor=10)
    ingest(demo_settings())
    loose = demo_settings().model_copy(update={"quality": QualitySettings(
        by_id={"crimes_recognised": QualityThresholds(yoy_factor=20), "t3.soc.crime_rate": QualityThresholds(yoy_factor=20)})})
    found = _findings(settings=loose)
    assert found[(found["rule"] == "yoy") & found["subject"].isin(["crimes_recognised", "t3.soc.crime_rate"])].empty


def test_a_bad_reviewed_file_names_the_file_row_and_key(tmp_path):
    f = tmp_path / "quality_reviewed.yaml"
    f.write_text('reviewed:\n  - area: "9920"\n    input: crimes_recognised\n    year: 2024\n    reason: x\n'
                 "    who: y\n    when: 2025-13-40\n  - area: \"99201\"\n    input: z\n    year: 2024\n"
                 "    who: y\n    when: 2025-01-01\n", encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        read_reviewed(f)
    text = str(exc.value)
    assert str(f) in text and "row 2" in text and "'area'" in text and "5桁" in text
    assert "row 8" in text and "'reason'" in text and "必須" in text


def test_a_quality_block_with_an_unknown_key_is_refused(tmp_path):
    ext = tmp_path / "ext.yaml"
    ext.write_text("inputs:\n  - id: my_input\n    name_ja: 独自\n    name_en: Mine\n    unit: 件\n"
                   "    cadence: yearly\n    quality: {yoy_factr: 2}\n    sources: [{kind: local}]\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="quality"):
        load_catalog(extra=[ext])


def test_strict_refuses_to_publish_while_findings_are_open(demo_home, monkeypatch, capsys):
    monkeypatch.setenv("SCKPI_NOTEBOOKS_DIR", str(FIXTURE_NOTEBOOKS))
    _edit_crimes(demo_home, 2024, factor=10)
    ingest(demo_settings())
    rc = cli.main(["report", "--city", CITY, "--period", "2024", "--strict", "--only", "check4_outcome3"])
    err = capsys.readouterr().err
    assert rc == 1 and "--strict" in err
    lines = [line for line in err.splitlines() if line.startswith("要確認")]
    assert len(lines) == len(_findings().query("status == 'open'")) >= 2
    assert not (demo_home / "reports" / CITY / "2024").exists()
    _reviewed(demo_home, REVIEW)  # reviewed, the same run publishes
    assert _findings().query("status == 'open'").empty
    assert cli.main(["report", "--city", CITY, "--period", "2024", "--strict", "--only", "check4_outcome3"]) == 0


def test_the_corrections_history_after_a_fix(demo_home, monkeypatch):
    from sckpi_helpers.reports import runner

    monkeypatch.setenv("SCKPI_NOTEBOOKS_DIR", str(FIXTURE_NOTEBOOKS))
    _edit_crimes(demo_home, 2024, factor=10)
    ingest(demo_settings())
    first = runner.run_report(CITY, "2024", only="check4_outcome3")
    folder = first.folder
    quality = pd.read_csv(folder / "quality.csv", encoding="utf-8-sig")
    assert (quality["状態"] == "要確認").any() and "要確認" in (folder / "index.html").read_text(encoding="utf-8")
    assert not (folder / "corrections.csv").exists()

    _edit_crimes(demo_home, 2024, value=1919)  # the fix: the published count
    ingest(demo_settings())
    runner.run_report(CITY, "2024", only="check4_outcome3", force=True)
    hist = pd.read_csv(folder / "corrections.csv", encoding="utf-8-sig", dtype=str)
    row = hist[(hist["指標"] == load_catalog().get("t3.soc.crime_rate").name_ja) & (hist["年・期間"] == "2024")]
    assert len(row) == 1 and row.iloc[0]["旧値"] != row.iloc[0]["新値"]
    assert "刑法犯認知件数" in row.iloc[0]["変わった入力"] and "19,190 → 1,919" in row.iloc[0]["変わった入力"]
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "訂正履歴" in index and "19,190 → 1,919" in index
    archived = [p for p in (folder / "archive").iterdir() if p.is_dir()]
    assert len(archived) == 1 and (archived[0] / "index.html").is_file()
    assert "crimes_recognised@2024=19190.0" in (archived[0] / "values.csv").read_text(encoding="utf-8-sig")
    # after the fix only the change itself is left to confirm: it is logged as a revision of the input
    left = pd.read_csv(folder / "quality.csv", encoding="utf-8-sig")
    assert list(left["規則"]) == ["公表値の改訂"] and "19,190" in left.iloc[0]["理由"]


def test_ingest_and_check_list_the_findings_in_japanese(demo_home, capsys):
    _edit_crimes(demo_home, 2024, factor=10)
    assert cli.main(["ingest", "--city", CITY]) == 0
    out = capsys.readouterr().out
    assert re.search(r"データ品質チェック 99201 2024年: 要確認 \d+ 件", out)
    assert "刑法犯認知件数 (crimes_recognised) = 19,190" in out and "前年比の急変" in out
    out_file = demo_home / "findings.csv"
    assert cli.main(["check", "--city", CITY, "--period", "2024", "--out", str(out_file)]) == 1
    lines = [x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("要確認")]
    assert lines and all("2024年" in x and "想定" in x for x in lines if "yoy" not in x)
    table = pd.read_csv(out_file, encoding="utf-8-sig")
    assert {"地域", "年", "値", "想定範囲", "理由", "出典（ファイル）"} <= set(table.columns) and len(table) == len(lines)


def test_a_year_without_a_value_has_no_row_and_a_value_that_appears_is_a_correction():
    """values.csv lists what a set published; diff reads an absent row as missing."""
    from sckpi_helpers.reports.corrections import diff, set_values

    results = pd.DataFrame({"area_code": ["13101"] * 3, "year": [2020, 2021, 2022],
                            "indicator_id": ["t3.soc.crime_rate"] * 3, "value": [1.5, float("nan"), 2.0],
                            "provenance": ["", "", ""]})
    empty = pd.DataFrame(columns=["area_code", "variable", "year", "value"])
    cat = load_catalog()
    values = set_values(results, empty, None, cat, "13101", 2022)
    assert values["year"].tolist() == ["2020", "2022"]
    later = set_values(results.assign(value=[1.5, 1.7, 2.0]), empty, None, cat, "13101", 2022)
    changes = diff(values, later, "2026-12-02", cat)
    assert [(c["year"], c["old_value"], c["new_value"]) for c in changes] == [("2021", "—", "1.7")]
