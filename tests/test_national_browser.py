"""The national pages in a real browser (issue 20): the index of all 1,741 municipalities opens from
disk without a server, filtering by prefecture and searching by name or code work and stay quick
(measured inside the page with ``performance.now()``, asserted under a generous bound), and an
indicator page shows the national distribution and the ranking. Headless Chromium through
playwright, as tests/test_page_layout.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
#: a filter over 1,741 rows must finish within this many milliseconds in the page (generous: a
#: shared, loaded 2-core machine; typical is a few ms)
FILTER_MS = 1500

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """``reports/national/2022/`` written from the national build of the bundled files."""
    from sckpi_helpers.config.periods import parse_period
    from sckpi_helpers.reports.national_run import _anchor, national_codes, write_national

    home = tmp_path_factory.mktemp("national-site")
    shutil.copytree(REPO / "data" / "raw" / "ssdse", home / "data" / "raw" / "ssdse")
    old = os.environ.get("SCKPI_HOME")
    os.environ["SCKPI_HOME"] = str(home)
    try:
        p = parse_period("2022")
        codes = national_codes()
        index, rewritten, _ = write_national(home / "reports", p, _anchor(codes[:50], p), rendered=False)
    finally:
        if old is None:
            os.environ.pop("SCKPI_HOME", None)
        else:
            os.environ["SCKPI_HOME"] = old
    assert rewritten and len(codes) == 1741
    return index.parent


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def index(site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((site / "index.html").as_uri())
    yield page
    page.close()


def _visible(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('#areas tbody tr')]
        .filter(r => !r.hidden).map(r => r.cells[0].textContent.trim())""")


def test_the_index_opens_from_disk_with_every_municipality(index):
    assert len(_visible(index)) == 1741
    assert index.locator("#count").inner_text() == "1741 団体"
    assert "2022年度（令和4年度）" in index.title()


def test_filtering_by_prefecture_shows_its_municipalities_quickly(index, site):
    table = pd.read_parquet(site / "indicators.parquet", columns=["area_code", "pref_code"]).drop_duplicates()
    tokyo = sorted(table.loc[table["pref_code"] == "13", "area_code"])
    ms = index.evaluate("""() => {
        const sel = document.getElementById('pref');
        sel.value = '13';
        const t0 = performance.now();
        sel.dispatchEvent(new Event('change'));
        return performance.now() - t0;
    }""")
    assert sorted(_visible(index)) == tokyo and len(tokyo) == 62
    assert ms < FILTER_MS, f"filtering 1,741 rows took {ms:.0f} ms in the page"
    assert index.locator("#count").inner_text() == "62 団体"


def test_search_finds_a_municipality_by_name_or_code(index):
    index.fill("#q", "千代田区")
    index.wait_for_function("document.getElementById('count').textContent === '1 団体'")
    assert _visible(index) == ["13101"]
    index.fill("#q", "")
    index.wait_for_function("document.getElementById('count').textContent === '1741 団体'")
    index.fill("#q", "０１１００")  # full-width digits, as typed with a Japanese IME
    index.wait_for_function("document.getElementById('count').textContent === '1 団体'")
    assert _visible(index) == ["01100"]
    index.fill("#q", "市")
    index.wait_for_function("document.getElementById('count').textContent !== '1 団体'")
    shown = _visible(index)
    assert 700 < len(shown) < 1741 and index.locator("#count").inner_text() == f"{len(shown)} 団体"


def test_an_indicator_page_shows_the_distribution_and_the_ranking(index, site, browser):
    href = index.evaluate("""() => [...document.querySelectorAll("a[href^='indicators/']")]
        .find(a => !a.closest('tr').cells[2].textContent.trim().startsWith('0 ')).getAttribute('href')""")
    link = index.locator(f"a[href='{href}']")
    name = link.inner_text()
    link.click()
    page = index
    assert name in page.title() and "令和4年度" in page.title()
    figure = page.locator("figure.sckpi-figure svg")
    assert figure.count() == 1 and figure.bounding_box()["width"] > 200
    ranks = page.evaluate("""() => [...document.querySelectorAll('table')].at(-1).tBodies[0].rows.length""")
    assert ranks == 1741
    first = page.evaluate("""() => [...document.querySelectorAll('table')].at(-1).tBodies[0].rows[0].cells[0].textContent""")
    assert first.startswith("1 / ")
