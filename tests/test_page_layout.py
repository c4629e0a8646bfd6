"""The reviewer's page in a real browser: tables readable at desktop and phone widths, text left and
numbers right, every link of the set's index resolving to a file, and an A4 print layout with one
section per page.

The demo report set is rendered once (``sckpi report`` on a tmp copy of the demo data, as the
end-to-end test in test_report.py does) and opened in headless Chromium through playwright. Chromium
gets the Japanese font the kit already ships for its figures (matplotlib-fontja's IPAexGothic) via a
fontconfig file, so the glyph widths are those of a real Japanese font, not of tofu boxes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
#: a cell of at most this many characters must fit on one line (社会, 選択, 偏差値 …)
SHORT = 3
#: longer text may wrap, but every line but the last holds at least this many characters
MIN_CHARS_PER_LINE = 3
#: viewport widths: desktop, a tablet, a phone
WIDTHS = (1280, 820, 390)
#: A4 width less the @page side margins (210 mm − 2 × 10 mm) in CSS pixels
A4_CONTENT_PX = round((210 - 20) / 25.4 * 96)

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")


def _fontconfig(tmp: Path) -> Path:
    """A fontconfig file adding the kit's bundled Japanese font to the system fonts."""
    import matplotlib_fontja

    fonts = Path(matplotlib_fontja.__file__).parent / "fonts"
    conf = tmp / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{fonts}</dir>
  <cachedir>{tmp / "fontcache"}</cachedir>
</fontconfig>
""", encoding="utf-8")
    return conf


@pytest.fixture(scope="module")
def report_set(tmp_path_factory) -> Path:
    """``reports/99201/2024/`` of the demo, rendered once with the real notebooks."""
    tmp = tmp_path_factory.mktemp("layout")
    home = tmp / "home"
    for part in ("demo", "boundaries"):  # what ships
        shutil.copytree(REPO / "data" / "raw" / part, home / "data" / "raw" / part)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCKPI_")}
    env |= {"SCKPI_HOME": str(home), "MPLBACKEND": "Agg", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "sckpi_helpers.cli", "report", "--city", "99201",
                           "--period", "2024", "--jobs", "2"],
                          env=env, capture_output=True, text=True, timeout=900, cwd=tmp, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return home / "reports" / "99201" / "2024"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chromium")
    env = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig(tmp))}
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=env)
        yield b
        b.close()


def _open(browser, path: Path, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(path.as_uri())
    return page


#: per table cell: its text, character count, and how many lines the browser laid it out on
_CELL_LINES_JS = """
(selector) => [...document.querySelectorAll(selector)].map(cell => {
  const text = cell.innerText.replace(/\\s+/g, ' ').trim();
  const tops = [];
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let node;
  while ((node = walker.nextNode())) {
    for (let i = 0; i < node.length; i++) {
      if (!node.data[i].trim()) continue;
      range.setStart(node, i); range.setEnd(node, i + 1);
      const r = range.getBoundingClientRect();
      if (r.height > 0) tops.push(r.top + r.height / 2);
    }
  }
  tops.sort((a, b) => a - b);
  const size = parseFloat(getComputedStyle(cell).fontSize);
  const perLine = tops.length ? [1] : [];
  for (let i = 1; i < tops.length; i++) {
    if (tops[i] - tops[i - 1] > size * 0.6) perLine.push(1); else perLine[perLine.length - 1]++;
  }
  return {text, n: [...text].length, lines: perLine.length, perLine, tag: cell.tagName};
})
"""


def _wrap_problems(page) -> list[str]:
    problems = []
    for c in page.evaluate(_CELL_LINES_JS, "table th, table td"):
        if c["n"] < 2:
            continue
        if c["n"] <= SHORT and c["lines"] > 1:
            problems.append(f"{c['tag']} {c['text']!r} ({c['n']} characters) wraps to {c['lines']} lines")
        elif min(c["perLine"][:-1], default=MIN_CHARS_PER_LINE) < MIN_CHARS_PER_LINE:
            problems.append(f"{c['tag']} {c['text'][:30]!r} is laid out {c['perLine']} characters a line")
    return problems


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page_name", ["check4_outcome3.html", "index.html"])
def test_no_table_cell_wraps_one_character_per_line(report_set, browser, page_name, width):
    page = _open(browser, report_set / page_name, width)
    try:
        if page_name.startswith("check4"):
            assert page.locator("table.sckpi-table").count() >= 5
            assert page.get_by_text("社会", exact=True).count() > 0 and page.get_by_text("選択", exact=True).count() > 0
        assert _wrap_problems(page) == []
    finally:
        page.close()


def test_wide_tables_scroll_inside_their_box_instead_of_widening_the_page(report_set, browser):
    page = _open(browser, report_set / "check4_outcome3.html", 390)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        wraps = page.evaluate("""[...document.querySelectorAll('.sckpi-table-wrap')].map(w => ({
            overflow: getComputedStyle(w).overflowX, wide: w.scrollWidth > w.clientWidth + 1}))""")
        assert any(w["wide"] for w in wraps)  # the comparison table is wider than a phone …
        assert all(w["overflow"] == "auto" for w in wraps)  # … and scrolls sideways in its box
    finally:
        page.close()


_NUMBER = re.compile(r"[-+−]?\d[\d,]*(\.\d+)?\s*[%％]?(\s*/\s*\d+)?(（\d{4}[^）]*）)?")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_text_cells_are_left_aligned_and_numbers_right_aligned(report_set, browser):
    page = _open(browser, report_set / "check4_outcome3.html")
    try:
        cells = page.evaluate("""[...document.querySelectorAll('table.sckpi-table td')].map(td => ({
            text: td.innerText.trim(), align: getComputedStyle(td).textAlign}))""")
        numbers = [c for c in cells if _NUMBER.fullmatch(c["text"])]
        texts = [c for c in cells if _JAPANESE.search(c["text"]) and not _NUMBER.fullmatch(c["text"])]
        assert len(numbers) > 100 and len(texts) > 100
        assert {c["align"] for c in numbers} == {"right"}, [c for c in numbers if c["align"] != "right"][:5]
        assert {c["align"] for c in texts} <= {"left", "start"}, [c for c in texts if c["align"] not in
                                                                ("left", "start")][:5]
        heads = page.evaluate("""[...document.querySelectorAll('table.sckpi-table th')].map(th => ({
            text: th.innerText.trim(), align: getComputedStyle(th).textAlign}))""")
        by_text = {h["text"]: h["align"] for h in heads}
        assert by_text["指標"] in ("left", "start") and by_text["偏差値"] == "right"
    finally:
        page.close()


def test_units_stand_beside_their_numbers(report_set, browser):
    page = _open(browser, report_set / "check4_outcome3.html")
    try:
        gaps = page.evaluate("""[...document.querySelectorAll('td.sckpi-unit')].map(u => {
            const num = u.previousElementSibling, range = document.createRange();
            range.selectNodeContents(num);
            const a = range.getBoundingClientRect();
            range.selectNodeContents(u);
            return range.getBoundingClientRect().left - a.right; })""")
        assert gaps and max(gaps) < 16  # "1.826 室/人", not a number and a unit a column apart
    finally:
        page.close()


def test_every_link_on_the_index_resolves_to_a_file_and_every_download_is_linked(report_set, browser):
    page = _open(browser, report_set / "index.html")
    try:
        hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
    finally:
        page.close()
    targets = set()
    for href in hrefs:
        url = urlparse(href)
        assert url.scheme == "file", href
        target = Path(unquote(url.path))
        assert target.is_file(), f"{href} does not resolve to a file"
        targets.add(target.resolve())
    downloads = {f.resolve() for f in (report_set / "files").rglob("*") if f.suffix in (".csv", ".svg")}
    assert len(downloads) >= 25 and downloads <= targets, sorted(str(d) for d in downloads - targets)
    assert (report_set / "tables.xlsx").resolve() in targets
    inputs = {f.name for f in (report_set / "inputs").iterdir()}
    assert {"settings.yaml", "logic_model.yaml", "local_data.xlsx"} <= inputs
    assert {(report_set / "inputs" / n).resolve() for n in inputs} <= targets


def test_download_labels_are_japanese_and_grouped_by_check(report_set):
    page = (report_set / "index.html").read_text(encoding="utf-8")
    section = page[page.index('id="downloads"'):]
    for heading in ("Check❶ アウトプット", "Check❷ アウトカム第1階層", "Check❸ アウトカム第2階層",
                    "Check❹ アウトカム第3階層", "この報告に使った入力ファイル"):
        assert heading in section
    assert "第3階層指標と類似都市比較" in section and "推移：防犯性" in section
    shown = re.sub(r'href="[^"]*"', "", section)  # what the reviewer reads, without the link targets
    assert "peer_comparison" not in shown and "timeseries_" not in shown


def _page_rules(page) -> list[str]:
    return page.evaluate("""[...document.styleSheets].flatMap(s => [...s.cssRules])
        .filter(r => r.type === CSSRule.PAGE_RULE).map(r => r.style.getPropertyValue('size'))""")


def test_print_layout_is_a4_with_one_section_per_page(report_set, browser, tmp_path):
    page = _open(browser, report_set / "check4_outcome3.html")
    try:
        page.emulate_media(media="print")
        assert "a4" in [s.lower() for s in _page_rules(page)]
        breaks = page.evaluate("[...document.querySelectorAll('main h2')].map(h => getComputedStyle(h).breakBefore)")
        assert len(breaks) >= 5
        assert breaks[0] != "page" and set(breaks[1:]) == {"page"}  # the summary stays under the title
        assert page.evaluate("getComputedStyle(document.querySelector('.sckpi-nav')).display") == "none"
        avoid = page.evaluate("""['table.sckpi-table', 'figure.sckpi-figure']
            .map(s => getComputedStyle(document.querySelector(s)).breakInside)""")
        assert avoid == ["avoid", "avoid"]
        pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    finally:
        page.close()
    assert pdf.startswith(b"%PDF")
    sizes = {tuple(round(float(x)) for x in m) for m in
             re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)}
    assert sizes == {(595, 842)} or sizes == {(596, 842)} or sizes == {(596, 843)}, sizes  # A4 in points
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 8  # one page per section at least


@pytest.mark.parametrize("page_name", ["check1_outputs.html", "check2_outcome1.html", "check3_outcome2.html",
                                       "check4_outcome3.html"])
def test_printed_tables_fit_the_a4_width_without_one_character_lines(report_set, browser, page_name):
    page = _open(browser, report_set / page_name, A4_CONTENT_PX)  # the printed line length
    try:
        page.emulate_media(media="print")
        widths = page.evaluate("""[...document.querySelectorAll('table')].map(t =>
            [t.getBoundingClientRect().width, t.parentElement.getBoundingClientRect().width])""")
        assert widths and all(w <= box + 1 for w, box in widths), widths  # no table cut at the page edge
        assert _wrap_problems(page) == []
    finally:
        page.close()


def test_print_layout_of_the_index_keeps_sections_together(report_set, browser):
    page = _open(browser, report_set / "index.html")
    try:
        page.emulate_media(media="print")
        assert "a4" in [s.lower() for s in _page_rules(page)]
        breaks = set(page.evaluate("[...document.querySelectorAll('h2')].map(h => getComputedStyle(h).breakBefore)"))
        assert breaks == {"auto"}
        assert page.pdf(format="A4").startswith(b"%PDF")
    finally:
        page.close()


# ---------------------------------------------------------------------------------- a real city's Check❹
#: the weight of a Check❹ page with every figure, and of a whole report set (issue 19)
PAGE_BUDGET = 500_000
SET_BUDGET = 2_000_000
PHONE = 375


@pytest.fixture(scope="module")
def real_check4(tmp_path_factory) -> Path:
    """千代田区's Check❹ for 2022 from what ships (bundled SSDSE-A and boundaries), rendered once."""
    tmp = tmp_path_factory.mktemp("real")
    home = tmp / "home"
    for part in ("ssdse", "boundaries"):
        shutil.copytree(REPO / "data" / "raw" / part, home / "data" / "raw" / part)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCKPI_")}
    env |= {"SCKPI_HOME": str(home), "MPLBACKEND": "Agg", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "sckpi_helpers.cli", "report", "--city", "13101",
                           "--period", "2022", "--only", "check4"],
                          env=env, capture_output=True, text=True, timeout=900, cwd=tmp, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return home / "reports" / "13101" / "2022" / "check4_outcome3.html"


def _page_weight(html: Path) -> int:
    """The page and every local file it loads (figures)."""
    text = html.read_text(encoding="utf-8")
    srcs = set(re.findall(r'<img[^>]+src="([^"#?]+)"', text)) | set(re.findall(r'<link[^>]+href="([^"#?]+)"', text))
    local = [html.parent / unquote(s) for s in srcs if not s.startswith(("data:", "http:", "https:"))]
    assert all(p.is_file() for p in local), [str(p) for p in local if not p.is_file()]
    return html.stat().st_size + sum(p.stat().st_size for p in local)


def test_a_real_citys_check4_shows_a_map_and_a_radar(real_check4, browser):
    page = _open(browser, real_check4)
    try:
        page.wait_for_load_state("load")
        figures = page.evaluate("""[...document.querySelectorAll('figure.sckpi-figure img')].map(i => ({
            src: i.getAttribute('src'), alt: i.alt, w: i.naturalWidth}))""")
        by_name = {Path(f["src"]).stem: f for f in figures}
        for name in ("map_deviation", "radar_deviation", "scatter_pair"):
            assert by_name[name]["w"] > 300, name  # the file loaded and drew
        assert "千代田区" in by_name["map_deviation"]["alt"] and "位／" in by_name["map_deviation"]["alt"]
        assert all(len(f["alt"]) >= 30 for f in figures)  # value, rank, direction — not just a title
        assert page.locator("details.sckpi-alt-table").count() >= len(figures) - 2  # a table beside them
        assert "国土数値情報" in page.locator("figure.sckpi-figure figcaption").first.inner_text()
    finally:
        page.close()


def test_a_real_citys_peers_are_named_with_how_they_were_chosen(real_check4, browser):
    page = _open(browser, real_check4)
    try:
        peers = page.locator("details.sckpi-peers")
        assert "比較団体 61 団体の一覧" in peers.locator("summary").inner_text()
        peers.locator("summary").click()
        names = page.locator("ul.sckpi-peer-list li").all_inner_texts()
        assert len(names) == 61 and any(n.startswith("中央区") for n in names)
        assert not any(n.startswith("千代田区") for n in names)
        assert "選び方" in peers.inner_text() and "令和4年" in peers.inner_text()
        near = page.locator("table", has=page.locator("caption", has_text="順位の前後の団体"))
        cells = near.locator("td").all_inner_texts()
        assert any(re.fullmatch(r".+区（\d+位）", t) for t in cells), cells[:8]
    finally:
        page.close()


def test_the_heading_gives_the_fiscal_year_with_its_era(real_check4, browser):
    page = _open(browser, real_check4)
    try:
        assert "千代田区 2022年度（令和4年度）" in page.locator("h1").first.inner_text()
        assert "令和4年度" in page.title()
    finally:
        page.close()


def test_check4_with_every_figure_weighs_at_most_500_kb(real_check4, report_set):
    for html in (real_check4, report_set / "check4_outcome3.html"):
        text = html.read_text(encoding="utf-8")
        assert "data:image/png;base64" not in text  # figures are files, not inlined PNG
        assert _page_weight(html) <= PAGE_BUDGET, (html, _page_weight(html))


def test_a_whole_report_set_weighs_at_most_2_mb(report_set):
    total = sum(f.stat().st_size for f in report_set.rglob("*") if f.is_file())
    assert total <= SET_BUDGET, total


def test_nothing_overflows_a_375_px_phone(real_check4, report_set, browser):
    for html in (real_check4, report_set / "check4_outcome3.html", report_set / "check2_outcome1.html"):
        page = _open(browser, html, PHONE)
        try:
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE + 1, html.name
            wide = page.evaluate("""[...document.querySelectorAll('figure.sckpi-figure img')]
                .filter(i => i.getBoundingClientRect().right > window.innerWidth + 1).length""")
            assert wide == 0
        finally:
            page.close()


def test_figures_print_within_the_a4_width(real_check4, browser):
    page = _open(browser, real_check4, A4_CONTENT_PX)
    try:
        page.emulate_media(media="print")
        page.wait_for_load_state("load")
        widths = page.evaluate("""[...document.querySelectorAll('figure.sckpi-figure img')].map(i =>
            [i.getBoundingClientRect().width, i.naturalWidth])""")
        assert widths and all(0 < w <= A4_CONTENT_PX + 1 for w, _ in widths), widths
        assert page.evaluate("getComputedStyle(document.querySelector('details.sckpi-alt-table')).display") == "none"
        assert page.evaluate("getComputedStyle(document.querySelector('figure.sckpi-figure')).breakInside") == "avoid"
        pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    finally:
        page.close()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 6


def test_the_demo_says_it_has_no_map_instead_of_drawing_one(report_set):
    text = (report_set / "check4_outcome3.html").read_text(encoding="utf-8")
    assert "境界データがないため、地図は表示しません" in text and "map_deviation" not in text
    assert "radar_deviation.svg" in text and "scatter_pair.svg" in text
