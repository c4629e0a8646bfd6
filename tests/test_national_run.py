"""Incremental and resumed batches (issue 20): a set is rendered again only when its inputs, settings or
the kit changed, the manifest says why, and an interrupted batch renders only what it did not finish.
Light sets (national runs) store what every set repeats once. The fast tests run the fixture notebooks
on the demo data (as test_report.py does); the last one runs ``run_national`` for real municipalities."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from sckpi_helpers.reports import executors, lighten
from sckpi_helpers.reports.executors import SerialExecutor

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "notebooks"


@pytest.fixture
def home(demo_home, monkeypatch):
    """The demo's raw data in tmp, the fixture notebooks, and the demo build's areas (all a fixture
    notebook's run reads of a build)."""
    import pandas as pd

    from sckpi_helpers.config.settings import demo_settings
    from sckpi_helpers.store.processed import processed_paths

    monkeypatch.setenv("SCKPI_NOTEBOOKS_DIR", str(FIXTURES))
    for var in ("SCKPI_FIXTURE_FAIL", "SCKPI_FIXTURE_LEAK", "ESTAT_APP_ID"):
        monkeypatch.delenv(var, raising=False)
    f = processed_paths(demo_settings())["areas"]
    f.parent.mkdir(parents=True, exist_ok=True)
    pd.read_csv(demo_home / "data" / "raw" / "demo" / "areas.csv", dtype=str).to_parquet(f)
    return demo_home


def _batch(cities=("99201", "99202"), **kw):
    return executors.run_batch(list(cities), "2024Q4", executor=SerialExecutor(), prepare=False, only="check1",
                               progress=False, **kw)


def _manifest(home: Path, city: str) -> dict:
    return json.loads((home / "reports" / city / "2024Q4" / "manifest.json").read_text(encoding="utf-8"))


def test_a_first_run_records_fingerprints_and_why(home):
    r = _batch(["99201"])[0]
    assert r.ok and "初回" in r.rerun_reason
    m = _manifest(home, "99201")
    assert set(m["fingerprints"]) == {"inputs", "settings", "kit"} and "初回" in m["rerun_reason"]


def test_an_unchanged_city_is_skipped_and_a_changed_input_reruns_only_its_city(home):
    assert all(r.ok for r in _batch())
    before = {c: (home / "reports" / c / "2024Q4" / "manifest.json").stat().st_mtime_ns for c in ("99201", "99202")}
    with (home / "data" / "raw" / "demo" / "logic_model.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\n# 目標値の見直し（2025年5月）\n")  # only 99201 reads the logic model
    again = {r.city_code: r for r in _batch()}
    assert again["99201"].ok and again["99201"].rerun_reason == "入力ファイルが変わりました"
    assert _manifest(home, "99201")["rerun_reason"] == "入力ファイルが変わりました"
    assert again["99202"].status == "exists" and "up to date" in again["99202"].message
    assert (home / "reports" / "99202" / "2024Q4" / "manifest.json").stat().st_mtime_ns == before["99202"]


def test_force_still_rerenders_an_up_to_date_set(home):
    _batch(["99202"])
    r = _batch(["99202"], force=True)[0]
    assert r.ok and "--force" in r.rerun_reason


def test_an_interrupted_batch_resumes_with_the_unfinished_city_only(home):
    assert all(r.ok for r in _batch())
    # the run stopped while 99202 was rendering: its folder never moved into place, a temporary one remains
    shutil.rmtree(home / "reports" / "99202" / "2024Q4")
    (home / "reports" / "99202" / ".2024Q4.tmp-interrupted").mkdir()
    again = {r.city_code: r for r in _batch()}
    assert again["99201"].status == "exists"
    assert again["99202"].ok and "初回" in again["99202"].rerun_reason
    assert _manifest(home, "99202")["status"] == "ok"


def test_an_unfinished_set_is_rerun_with_the_reason(home):
    _batch(["99202"])
    m = home / "reports" / "99202" / "2024Q4" / "manifest.json"
    data = json.loads(m.read_text(encoding="utf-8"))
    m.write_text(json.dumps({**data, "status": "partial"}), encoding="utf-8")
    r = _batch(["99202"])[0]
    assert r.ok and "完了していません" in r.rerun_reason


def test_a_light_set_links_the_shared_catalog_and_stylesheet(home):
    r = _batch(["99201"], layout="light")[0]
    assert r.ok
    folder = home / "reports" / "99201" / "2024Q4"
    assert not (folder / "catalog.html").exists()
    shared = sorted(p.name for p in (home / "reports" / lighten.SHARED_DIR).iterdir())
    assert any(n.startswith("catalog-") for n in shared)
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert f'href="../../{lighten.SHARED_DIR}/catalog-' in index
    assert _manifest(home, "99201")["layout"] == "light"
    # a full run of the same set is a different layout: rendered again, not skipped
    assert "形式" in (_batch(["99201"])[0].rerun_reason or "")


def _png(colour=(200, 30, 30)) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2, 3], [1, 3, 2], color=[c / 255 for c in colour])
    ax.set_title("trend")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def test_a_saved_figure_is_referenced_by_path_not_repeated(tmp_path):
    data = _png()
    folder = tmp_path / "set"
    (folder / "files" / "nb").mkdir(parents=True)
    (folder / "files" / "nb" / "trend.png").write_bytes(data)
    other = _png((20, 20, 200))
    b64, b64_other = base64.b64encode(data).decode(), base64.b64encode(other).decode()
    css = "/* Copyright (c) Jupyter Development Team */" + "x" * 20_000
    (folder / "nb.html").write_text(f'<style type="text/css">{css}</style><img src="data:image/png;base64,{b64}" '
                                    f'alt="推移"><img src="data:image/png;base64,{b64_other}">', encoding="utf-8")
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "data": {"image/png": b64, "text/plain": "<Figure>"}, "metadata": {"alt": "推移"}},
        {"output_type": "display_data", "data": {"image/png": b64_other}, "metadata": {}}]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "nb.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    lighten.lighten_set(folder, tmp_path, ["nb"])
    page = (folder / "nb.html").read_text(encoding="utf-8")
    assert 'src="files/nb/trend.png"' in page
    assert b64_other in page  # a figure that is not in files/ stays inline
    assert "Jupyter Development Team" not in page and f'href="../../{lighten.SHARED_DIR}/notebook-' in page
    outs = json.loads((folder / "nb.ipynb").read_text(encoding="utf-8"))["cells"][0]["outputs"]
    assert "image/png" not in outs[0]["data"] and 'src="files/nb/trend.png"' in outs[0]["data"]["text/html"]
    assert outs[1]["data"]["image/png"] == b64_other
    assert len((folder / "files" / "nb" / "trend.png").read_bytes()) < len(data)  # palette PNG


def test_fiscal_years_carry_their_japanese_era():
    from sckpi_helpers.config.periods import year_ja as fiscal_year_ja

    assert fiscal_year_ja(2022) == "2022年度（令和4年度）"
    assert fiscal_year_ja(2019) == "2019年度（平成31年度／令和元年度）"
    assert fiscal_year_ja(1989) == "1989年度（平成元年度）"


# ------------------------------------------------------------------------------------------------
# the national run with the real notebooks, for a few real municipalities
# ------------------------------------------------------------------------------------------------

NATIONAL_SAMPLE = ["13101", "20448"]


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """``run_national`` for two real municipalities on a copy of the bundled data (real notebooks)."""
    import os

    from sckpi_helpers import cli
    from sckpi_helpers.reports import national_run
    from sckpi_helpers.reports.national_run import run_national

    home = tmp_path_factory.mktemp("national")
    for folder in ("ssdse", "boundaries"):  # the national maps are drawn from the bundled boundaries
        shutil.copytree(REPO / "data" / "raw" / folder, home / "data" / "raw" / folder)
    old = os.environ.get("SCKPI_HOME")
    os.environ["SCKPI_HOME"] = str(home)
    try:
        first = run_national("2022", NATIONAL_SAMPLE, jobs=1, progress=False)
        # the second run as a user types it, `sckpi report --all`, over the same municipalities
        every = national_run.national_codes
        national_run.national_codes = lambda: list(NATIONAL_SAMPLE)
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                rc = cli.main(["report", "--all", "--period", "2022", "--quiet"])
        finally:
            national_run.national_codes = every
    finally:
        if old is None:
            os.environ.pop("SCKPI_HOME", None)
        else:
            os.environ["SCKPI_HOME"] = old
    return home, first, (rc, out.getvalue())


def test_a_national_run_writes_every_city_and_the_national_pages(national):
    home, first, _ = national
    assert first.complete and [r.status for r in first.results] == ["ok", "ok"]
    index = (home / "reports" / "national" / "2022" / "index.html").read_text(encoding="utf-8")
    assert index.count('<tr data-pref="') == 1741
    assert 'href="../../13101/2022/check4_outcome3.html"' in index
    assert 'href="../../01100/2022/' not in index  # no set, no link
    assert "令和4年度" in index
    top = (home / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="national/2022/index.html"' in top


def test_sckpi_report_all_again_renders_nothing_and_keeps_the_pages(national):
    _, _, (rc, out) = national
    assert rc == 0, out
    assert "2 cities: 0 rendered, 2 up to date" in out
    assert "national/2022/index.html (変更なし（最新）)" in out


def test_a_fallen_back_adjusted_population_is_flagged_substitute_in_the_bulk_table(national):
    import pandas as pd

    home, _, _ = national
    t = pd.read_parquet(home / "reports" / "national" / "2022" / "indicators.parquet")
    assert set(t["flags"].unique()) <= {"", "推計", "代替"}
    page = next((home / "reports" / "national" / "2022" / "indicators").glob("*.html")).parent
    texts = [p.read_text(encoding="utf-8") for p in page.glob("*.html")]
    assert any("代替" in x and "補正人口" in x for x in texts)


def test_a_national_set_links_the_national_maps_instead_of_drawing_its_own(national):
    """Light sets draw no per-city map or time-series chart: those sections link the indicators'
    national pages (drawn once for every municipality) and show the series as tables."""
    home, _, _ = national
    folder = home / "reports" / "13101" / "2022"
    files = {p.name for p in (folder / "files" / "check4_outcome3").iterdir()}
    assert not any(n.endswith(".svg") and n.startswith(("map_", "timeseries_")) for n in files)
    assert any(n.startswith("timeseries_") and n.endswith(".csv") for n in files)
    page = (folder / "check4_outcome3.html").read_text(encoding="utf-8")
    links = re.findall(r'href="(\.\./\.\./national/2022/indicators/[^"]+\.html)"', page)
    assert links and all((folder / href).resolve().is_file() for href in links)
    assert not (folder / "tables.xlsx").exists()
    assert "indicators.csv" in (folder / "index.html").read_text(encoding="utf-8")


def test_a_national_set_keeps_its_executed_notebook_gzip_compressed(national):
    import gzip

    import nbformat

    home, _, _ = national
    folder = home / "reports" / "13101" / "2022"
    assert not (folder / "check4_outcome3.ipynb").exists()
    nb = nbformat.reads(gzip.decompress((folder / "check4_outcome3.ipynb.gz").read_bytes()).decode("utf-8"),
                        as_version=4)
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert 'href="check4_outcome3.ipynb.gz"' in (folder / "index.html").read_text(encoding="utf-8")


def test_each_national_indicator_page_shows_its_national_map(national):
    home, _, _ = national
    folder = home / "reports" / "national" / "2022" / "indicators"
    pages = sorted(folder.glob("*.html"))
    assert pages and len(list(folder.glob("*-map.svg"))) == len(pages)
    text = pages[0].read_text(encoding="utf-8")
    assert f'src="{pages[0].stem}-map.svg"' in text and "地図：" in text and "斜線" in text


def test_a_national_citys_index_and_manifest_stay_small(national):
    """What 1,741 cities repeat is not stored 1,741 times: a city's index links the kit's stylesheet
    in reports/_shared/, and a light set's manifest is compact JSON."""
    home, _, _ = national
    page = (home / "reports" / "13101" / "index.html").read_text(encoding="utf-8")
    css = re.findall(r'<link rel="stylesheet" href="\.\./(_shared/notebook-[0-9a-f]+\.css)">', page)
    assert css and (home / "reports" / css[0]).is_file()
    text = (home / "reports" / "13101" / "2022" / "manifest.json").read_text(encoding="utf-8")
    assert "\n " not in text and json.loads(text)["layout"] == "light"
