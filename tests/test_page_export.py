"""A notebook's page is what nbconvert's HTML exporter makes of it: the kit's exporter skips only the
exporter's closing BeautifulSoup pass and adds what that pass adds (``tabindex`` on outputs, alt text
on images without one), so the two pages hold the same elements, attributes and text."""

from __future__ import annotations

import base64
import io

import nbformat
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from sckpi_helpers.pages import html as rh


def _png() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 3), "#0072b2").save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _notebook() -> nbformat.NotebookNode:
    """What a check notebook's outputs look like: headings, an HTML table, a figure with alt text and an
    image without, a PNG with and one without alt text, printed text, a warning on stderr, a hidden cell."""
    figure = ('<figure class="sckpi-figure"><img src="files/check4_outcome3/radar.svg" alt="レーダー 柱ごと 52.1">'
              '</figure><p>凡例 <img src="files/check4_outcome3/key.svg"></p><table class="sckpi-table"><tr><th>指標</th><td class="num">1,234</td></tr></table>')
    cells = [
        new_markdown_cell("# Check❹ アウトカム第3階層\n\n説明 **太字** と `code`。\n\n## 要約"),
        new_code_cell("show()", outputs=[
            new_output("display_data", data={"text/html": figure, "text/plain": "<IPython.core.display.HTML>"}),
            new_output("stream", name="stdout", text="注記: 値は 2022 年度\n"),
            new_output("stream", name="stderr", text="UserWarning: hidden from reviewers\n"),
        ]),
        new_code_cell("plot()", outputs=[
            new_output("display_data", data={"image/png": _png()}, metadata={"image/png": {"alt": "グラフ A"}}),
            new_output("display_data", data={"image/png": _png()}),
        ]),
        new_markdown_cell("![](data:image/png;base64," + _png() + ")"),
        new_code_cell("secret()", metadata={"tags": ["remove-cell"]},
                      outputs=[new_output("stream", name="stdout", text="never shown")]),
    ]
    return new_notebook(cells=cells, metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}})


def _elements(page: str) -> list[tuple]:
    """Every element as (name, attributes, own text), in document order (an image nbconvert found
    without alt text is described in the page's language)."""
    soup = BeautifulSoup(page, "html.parser")
    for img in soup.find_all("img", alt="No description has been provided for this image"):
        img["alt"] = rh.NO_ALT_JA
    return [(t.name, sorted((k, " ".join(v) if isinstance(v, list) else v) for k, v in t.attrs.items()),
             "".join(s for s in t.find_all(string=True, recursive=False)).strip())
            for t in soup.find_all(True)]


def test_the_kits_page_holds_what_nbconverts_html_exporter_writes():
    from nbconvert import HTMLExporter

    nb = _notebook()
    resources = {"sckpi_css": rh.CSS, "sckpi_nav": "<nav>nav</nav>", "sckpi_footer": "<footer>f</footer>",
                 "metadata": {"name": "t"}}
    stock, _ = rh.configured_exporter(HTMLExporter).from_notebook_node(nb, resources=dict(resources))
    ours, _ = rh.html_exporter().from_notebook_node(nb, resources=dict(resources))
    assert _elements(ours) == _elements(stock)
    assert "never shown" not in ours and "hidden from reviewers" not in ours


def test_every_input_and_output_area_is_focusable_and_every_image_has_alt_text():
    page, _ = rh.html_exporter().from_notebook_node(_notebook(), resources={"sckpi_css": "", "sckpi_nav": "",
                                                                             "sckpi_footer": ""})
    soup = BeautifulSoup(page, "html.parser")
    areas = soup.select("div.jp-OutputArea-output, div.jp-Cell-inputWrapper")
    assert len(areas) > 4 and all(a.get("tabindex") == "0" for a in areas)
    alts = [i.get("alt") for i in soup.find_all("img")]
    # a markdown image keeps the (empty) alt text its author gave; a PNG without one gets the template's
    assert alts == ["レーダー 柱ごと 52.1", rh.NO_ALT_JA, "グラフ A", "グラフ", ""]
