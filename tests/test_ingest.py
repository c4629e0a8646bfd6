"""Ingest: demo → data/processed/*.parquet, external overrides, mergers, atomicity, freshness, CLI."""

import hashlib
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from sckpi_helpers import atomic
from sckpi_helpers.cli import main
from sckpi_helpers.config import paths
from sckpi_helpers.config.settings import demo_settings
from sckpi_helpers.errors import InputFileError, ValidationError
from sckpi_helpers.store import build as ingest
from sckpi_helpers.store import items
from sckpi_helpers.store import processed as store

ROOT = Path(__file__).resolve().parents[1]



@pytest.fixture
def built(demo_home):
    written = ingest.ingest(demo_settings(), source="demo")
    return written


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_panel_columns_and_dtypes(built):
    assert set(built) == {"panel", "areas", "local", "items"}
    panel = store.load_panel()
    assert list(panel.columns) == [*ingest.PANEL_COLUMNS, "derivation"]
    assert str(panel["year"].dtype) == "int64" and str(panel["value"].dtype) == "float64"
    for c in ("area_code", "variable", "unit", "source"):
        assert panel[c].map(type).eq(str).all()
    assert not panel.duplicated(["area_code", "year", "variable"]).any()
    assert panel["area_code"].str.fullmatch(r"99\d{3}").all()
    assert panel["year"].between(2010, 2024).all()
    assert panel["area_code"].nunique() == 29
    core = {"population_census", "population_resident", "population_65plus", "population_0_5",
            "inflow_population", "day_night_ratio", "households", "hospitals", "doctors", "nurseries",
            "crimes_recognised", "traffic_accidents", "turnout", "life_expectancy", "co2_industry",
            "waste_total", "waste_recycled", "cars_registered", "local_tax_revenue", "area_total"}
    assert core <= set(panel["variable"])
    assert (panel.loc[panel["area_code"] == "99201", "area_name"] == "サンプル市").all()
    # census inputs only in census years (so carry-forward shows)
    assert set(panel.loc[panel["variable"] == "population_census", "year"]) == {2010, 2015, 2020}
    # SSDS item codes became catalog ids; sources name the table and item
    pop = panel[(panel["variable"] == "population_resident")]
    assert pop["source"].eq("e-Stat 0000020201 A2301").all()
    assert len(pop) == 29 * 15  # both API pages were read (NEXT_KEY)
    # marks declared in the API's NOTE and in the CSV are kept as annotations, value NaN
    marks = panel[panel["annotation"].isin(["X", "-", "***"])]
    assert len(marks) >= 4 and marks["value"].isna().all()


def test_plausible_magnitudes(built):
    panel = store.load_panel()
    wide = panel[panel["year"] == 2020].pivot_table(index="area_code", columns="variable", values="value")
    pop = wide["population_resident"]
    assert 350_000 < pop["99201"] < 450_000 and pop.min() > 1_000
    per1000 = lambda v: (wide[v] / pop * 1000).median()
    assert 2 < per1000("crimes_recognised") < 10
    assert 1.5 < per1000("traffic_accidents") < 6
    assert 0.8 < per1000("doctors") < 4


def test_external_overrides_estat_and_says_so(built):
    panel = store.load_panel()
    row = panel[(panel["area_code"] == "99201") & (panel["year"] == 2010)
                & (panel["variable"] == "crimes_recognised")].iloc[0]
    assert row["source"].startswith("external: サンプル県警察")
    assert "overrides e-Stat 0000020211 K4201" in row["source"]
    assert row["published"] == "2011-03-10"
    later = panel[(panel["variable"] == "crimes_recognised") & (panel["year"] == 2020)]
    assert later["source"].str.startswith("external: ").all()
    assert not later["source"].str.contains("overrides").any()


def test_mergers_are_applied(built):
    panel = store.load_panel()
    assert "99366" not in set(panel["area_code"])  # 旧小滝村 → 本郷町 (99305)
    ext = pd.read_csv(paths.demo_dir() / "external_statistics.csv", dtype=str)
    part = ext[(ext["variable"] == "crimes_recognised") & (ext["year"] == "2012")
               & ext["area_code"].isin(["99305", "99366"])]["value"].astype(float).sum()
    got = panel[(panel["area_code"] == "99305") & (panel["year"] == 2012)
                & (panel["variable"] == "crimes_recognised")]["value"].item()
    assert got == part


def test_areas_and_local(built):
    areas = store.load_areas()
    assert list(areas.columns)[:7] == ingest.AREAS_COLUMNS
    a = areas.set_index("area_code")
    assert a.loc["99201", "municipal_type"] == "core_city"
    assert a.loc["99000", "level"] == "prefecture"
    assert a.loc["99201", "lg_code"] == "992011"
    local = store.load_local()
    assert list(local.columns) == ingest.LOCAL_COLUMNS
    assert len(local) > 10 and set(local["area_code"]) == {"99201"}


def test_raw_files_never_modified(demo_home):
    before = _hashes(demo_home / "data" / "raw")
    ingest.ingest(demo_settings(), source="demo")
    ingest.ensure_processed()
    assert _hashes(demo_home / "data" / "raw") == before


def test_failure_leaves_previous_outputs_and_no_partial_file(built, monkeypatch):
    processed = paths.processed_dir("demo")
    before = _hashes(processed)
    calls = {"n": 0}
    real_replace = os.replace

    def flaky_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:  # the second output file fails to move into place
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", flaky_replace)
    with pytest.raises(OSError):
        ingest.ingest(demo_settings(), source="demo")
    leftovers = [p.name for p in processed.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    # each file is either the old one or a complete new one: all still readable Parquet
    for name in store.OUTPUT_FILES.values():
        pd.read_parquet(processed / name)
    assert set(_hashes(processed)) == set(before)


def test_serialisation_failure_writes_nothing(demo_home, monkeypatch):
    real = pd.DataFrame.to_parquet

    def boom(self, *a, **k):
        if "indicator_id" in self.columns:
            raise RuntimeError("injected")
        return real(self, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(RuntimeError):
        ingest.ingest(demo_settings(), source="demo")
    assert not paths.processed_dir("demo").exists() or list(paths.processed_dir("demo").iterdir()) == []


def test_invalid_external_file_stops_before_writing(demo_home):
    bad = ROOT / "tests" / "fixtures" / "external" / "bad_external.csv"
    with pytest.raises(ValidationError) as ei:
        ingest.ingest(demo_settings(), source="demo", external=[bad])
    assert len(ei.value.problems) == 7
    assert not (paths.processed_dir("demo") / "panel.parquet").exists()


def test_ensure_processed_is_idempotent(demo_home):
    first = ingest.ensure_processed()
    mtimes = {k: p.stat().st_mtime_ns for k, p in first.items()}
    second = ingest.ensure_processed()
    assert {k: p.stat().st_mtime_ns for k, p in second.items()} == mtimes  # not rebuilt
    # a raw input changes → rebuilt
    ext = demo_home / "data" / "raw" / "demo" / "external_statistics.csv"
    os.utime(ext, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    third = ingest.ensure_processed()
    assert third["panel"].stat().st_mtime_ns != mtimes["panel"]


def test_load_without_ingest_tells_what_to_run(demo_home):
    with pytest.raises(InputFileError, match="sckpi ingest"):
        store.load_panel()


def test_estat_csv_source(demo_home, tmp_path):
    csv = demo_home / "data" / "raw" / "demo" / "ssds_municipal.csv"
    written = ingest.ingest(demo_settings(), source="estat-csv", inputs=[csv], years="2015-2020",
                            areas="99201,99202")
    panel = pd.read_parquet(written["panel"])
    assert set(panel["area_code"]) == {"99201", "99202"}
    assert panel["year"].between(2015, 2020).all()
    assert "labour_force" in set(panel["variable"]) and "crimes_recognised" in set(panel["variable"])


def test_cli_ingest_demo(demo_home, capsys):
    assert main(["ingest", "--source", "demo"]) == 0
    out = capsys.readouterr().out
    assert "panel:" in out and "29 areas" in out and "2010–2024" in out and "panel.parquet" in out
    assert (demo_home / "data" / "processed" / "demo" / "panel.parquet").exists()


def test_cli_template(demo_home, tmp_path):
    out = tmp_path / "x.xlsx"
    assert main(["template", "--city", "99201", "--out", str(out)]) == 0
    assert out.exists() and out.stat().st_size > 1000


def test_each_settings_folder_gets_its_own_build(demo_home):
    """Cities with settings of their own never overwrite each other's processed data."""
    other = demo_home / "data" / "raw" / "other"
    other.mkdir()
    text = (demo_home / "data" / "raw" / "demo" / "settings.yaml").read_text(encoding="utf-8")
    text = text.replace('city_code: "99201"', 'city_code: "99202"')
    for name in ("logic_model.yaml", "local_data.xlsx", "external_statistics.csv", "ssds_municipal.csv"):
        text = text.replace(f"  - {name}", f"  - ../demo/{name}").replace(f"logic_model: {name}",
                                                                           f"logic_model: ../demo/{name}")
    (other / "settings.yaml").write_text(text, encoding="utf-8")
    from sckpi_helpers.config.settings import load_settings

    demo, mine = demo_settings(), load_settings(other / "settings.yaml")
    first = ingest.ensure_processed(demo)
    before = _hashes(first["panel"].parent)
    second = ingest.ensure_processed(mine)
    assert first["panel"].parent.name == "demo" and second["panel"].parent.name == "other"
    assert _hashes(first["panel"].parent) == before  # the demo's build is untouched
    assert store.is_fresh(demo) and store.is_fresh(mine)


def test_before_any_build_the_demo_source_is_served_by_the_demo_build(demo_home):
    from sckpi_helpers.config.settings import CitySettings
    from sckpi_helpers.store.scopes import serving_build

    build = serving_build(CitySettings(city_code="99202"), "demo")
    assert build.scope == "demo" and build.settings.city_code == "99201"


def test_a_city_with_settings_is_served_by_its_own_build_with_the_source_asked_for(demo_home):
    from sckpi_helpers.store.scopes import serving_build

    demo = demo_settings()
    assert serving_build(demo, "demo").settings is demo
    assert serving_build(demo, "estat-csv").source == "estat-csv"


def test_a_demo_prefecture_city_without_settings_is_served_by_the_demo_build(built):
    from sckpi_helpers.config.settings import CitySettings
    from sckpi_helpers.store.scopes import serving_build

    served = serving_build(CitySettings(city_code="99203"))
    assert served.settings.city_code == "99201" and served.scope == "demo"
    stranger = serving_build(CitySettings(city_code="13101", source="estat-api"))
    assert stranger.settings.city_code == "13101" and stranger.scope == "13101"


def test_an_item_whose_published_name_disagrees_with_the_catalog_is_not_used():
    """A wrong item code must show as a missing input, never as another statistic's numbers."""
    from sckpi_helpers.catalog import load_catalog

    cat = load_catalog()
    tidy = pd.DataFrame({
        "stats_data_id": ["0000020201"] * 2, "area_code": ["99201"] * 2, "area_name": ["サンプル市"] * 2,
        "time_code": ["2020100000"] * 2, "year": [2020, 2020], "item_code": ["A1101", "A7101"],
        "item_name": ["総人口", "事業所数"], "unit": ["人", "所"], "value": [400000.0, 18000.0],
        "annotation": [None, None]})
    panel, unused = items.tidy_to_panel(tidy, cat)
    assert list(panel["variable"]) == ["population_census"]
    assert [(u.column, "「事業所数」" in u.reason) for u in unused] == [("A7101", True)]


def test_two_external_files_giving_the_same_cell_are_refused(demo_home, tmp_path):
    text = ("area_code,year,variable,value,unit,source,published\n"
            "99201,2030,crimes_recognised,3000,件,サンプル県警察,2031-03-10\n")
    a, b = tmp_path / "police_a.csv", tmp_path / "police_b.csv"
    a.write_text(text, encoding="utf-8")
    b.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match="99201 2030 crimes_recognised is given by more than one"):
        ingest.ingest(demo_settings(), source="demo", external=[a, b])


def test_two_local_files_giving_the_same_period_are_refused(demo_home, tmp_path):
    text = ("indicator_id,period,value,unit,source,note\n"
            "env.course_participants,2030Q1,100,人,受講者名簿,\n")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(text, encoding="utf-8")
    b.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match="2030Q1 is given by more than one local-data file"):
        ingest.ingest(demo_settings(), source="demo", local=[a, b])


def test_the_kits_catalog_counts_by_its_contents_not_by_where_the_kit_is_installed(tmp_path, monkeypatch):
    """A kernel that imports the kit from another checkout sees the same build as fresh; a changed
    catalog file (or a raw file) still makes it stale."""
    import shutil

    from sckpi_helpers.store import plan

    raw = tmp_path / "raw.csv"
    raw.write_text("a,b\n1,2\n", encoding="utf-8")
    here = plan.fingerprint([*plan._catalog_files(), raw])
    other = tmp_path / "other_checkout" / "sckpi_helpers"
    shutil.copytree(paths.PACKAGE_DIR / "catalog" / "data", other / "catalog" / "data")  # new paths, new mtimes
    monkeypatch.setattr(paths, "PACKAGE_DIR", other)
    assert plan.fingerprint([*plan._catalog_files(), raw]) == here
    (other / "catalog" / "data" / "fields.yaml").write_text("changed\n", encoding="utf-8")
    assert plan.fingerprint([*plan._catalog_files(), raw]) != here
    monkeypatch.undo()
    os.utime(raw, ns=(1, 1))
    assert plan.fingerprint([*plan._catalog_files(), raw]) != here
