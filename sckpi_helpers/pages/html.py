"""HTML for reviewers: notebook export without code, report-set landing pages and indexes.

Every report set is self-contained (inline CSS, figures as SVG files beside the pages under
``files/<notebook>/``, no script or font fetched from the network) and light: of JupyterLab's 240 KB
stylesheet a page carries only the rules it uses (:func:`used_lab_css`). Pages are readable on a phone (viewport meta, fluid layout, tables scroll sideways) and
printable (print CSS). Everything that comes from a user — city names, labels, indicator names,
error text — is escaped by the package's one escaper (:func:`sckpi_helpers.pages.display.e`, which
the Jinja2 environment applies to every ``{{ … }}``). The landing page, the indexes and the
error page, the catalog page and the notebook export (nbconvert's lab template with a small override,
``notebook.html.j2``) are Jinja2 templates in ``templates/`` sharing one nav, one footer and one
stylesheet — no page is put together from strings. Stage 9 (pages): imports stages 0–9.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources as importlib_resources
from typing import Any

from markupsafe import Markup

from sckpi_helpers.config.formatting import format_number
from sckpi_helpers.config.vocabulary import (
    CHECK_LABEL,
    CHECK_TIER,
    CORRECTIONS_COLUMNS_JA,
    QUALITY_COLUMNS_JA,
    RUN_STATUS_JA,
    STATUS_COLOURS,
    TIER_JA,
    peer_group_ja,
)
from sckpi_helpers.pages.display import e

#: notebook stem → (check label, Japanese title, what the check asks)
NOTEBOOK_TITLES: dict[str, tuple[str, str, str]] = {
    "00_ingest": ("データ", "データ取込", "統計・ローカルデータの取込状況"),
    "check1_outputs": (CHECK_LABEL[1], TIER_JA[CHECK_TIER[1]], "事業・取組が実施されたか"),
    "check2_outcome1": (CHECK_LABEL[2], TIER_JA[CHECK_TIER[2]], "成果が出始めたか（事業の取組内容の軌道修正）"),
    "check3_outcome2": (CHECK_LABEL[3], TIER_JA[CHECK_TIER[3]], "期待した効果が出たか（施策そのものの見直し）"),
    "check4_outcome3": (CHECK_LABEL[4], TIER_JA[CHECK_TIER[4]],
                        "都市全体の総合評価と類似都市比較（施策体系の分野間バランスの見直し）"),
    "explorer": ("探索", "指標エクスプローラ", "都市・指標・年を選んで比較"),
}

#: run status → (Japanese label, colour)
RUN_STATUS: dict[str, tuple[str, str]] = {s: (RUN_STATUS_JA[s], c) for s, c in {
    "ok": STATUS_COLOURS["achieved"], "failed": STATUS_COLOURS["behind"], "partial": "#e69f00",
    "skipped": STATUS_COLOURS["no_data"], "exists": STATUS_COLOURS["no_data"]}.items()}

FONT_STACK = ('"Hiragino Kaku Gothic ProN", "Hiragino Sans", "Noto Sans JP", "Noto Sans CJK JP", '
              '"Yu Gothic", YuGothic, "Meiryo", "IPAexGothic", sans-serif')

#: CSS added to every page (the exported notebooks and the index pages): ``templates/sckpi.css`` after
#: the custom properties it uses (font stack, status colours)
CSS = (f":root {{ --sckpi-font: {FONT_STACK}; --sckpi-behind: {STATUS_COLOURS['behind']}; }}\n"
       + importlib_resources.files("sckpi_helpers.pages").joinpath("templates", "sckpi.css").read_text(encoding="utf-8"))

_EXPORTER = None


def html_exporter():
    """The nbconvert exporter: lab template, code cells and prompts hidden, no network scripts.

    The ``--no-input`` of ``jupyter nbconvert``: ``exclude_input`` plus both prompts. Cells tagged
    ``remove-cell`` vanish, ``remove-output`` keep no output; stderr streams (warnings) are left in
    the executed notebook but not shown to reviewers. Cached per process.
    """
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter

        _EXPORTER = configured_exporter(_without_soup(HTMLExporter))
    return _EXPORTER


def configured_exporter(cls: type):
    """An exporter of class ``cls`` (an nbconvert ``HTMLExporter``) set up as :func:`html_exporter`'s."""
    import jinja2
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    cfg = Config()
    cfg.TagRemovePreprocessor.enabled = True
    cfg.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    cfg.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    cfg.TagRemovePreprocessor.remove_input_tags = {"remove-input", "remove_input"}
    exporter = cls(config=cfg, template_name="lab", template_file="notebook.html.j2",
                   extra_loaders=[jinja2.PackageLoader("sckpi_helpers.pages", "templates")])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    exporter.optimistic_validation = True  # validated once after the preprocessors, not after each of 14
    exporter.language_code = "ja"
    exporter.register_preprocessor(TagRemovePreprocessor(config=cfg), enabled=True)
    exporter.register_preprocessor(_drop_stderr, enabled=True)
    return exporter


#: the opening tag of a cell's input area or an output area (nbconvert's lab template), and of an image
#: written without alt text
_FOCUSABLE_TAG = re.compile(r'(<div class="(?:[^"]*\s)?(?:jp-Cell-inputWrapper|jp-OutputArea-output)(?:\s[^"]*)?")')
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)")
#: what nbconvert says of an image without alt text, in the page's language
NO_ALT_JA = "説明のない画像"


def _without_soup(base: type) -> type:
    """``base`` (nbconvert's ``HTMLExporter``) without the BeautifulSoup pass that ends its export.

    Why: HTMLExporter parses the page it has just written (~2,700 tags on a Check❹ page) only to add
    ``tabindex="0"`` to input and output areas and alt text to images that lack it — half of a page's export
    time, 1,741 times in a national run. Both are added here to the tags the template wrote; every
    other step is HTMLExporter's own (its filters, then the template). ``tests/test_page_export.py``
    compares the result with HTMLExporter's, element by element."""
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(base):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            page = _FOCUSABLE_TAG.sub(r'\1 tabindex="0"', page)
            return _IMG_WITHOUT_ALT.sub(f'<img alt="{NO_ALT_JA}"', page), resources

    return PageExporter


def _drop_stderr(nb, resources):
    """Preprocessor: drop stderr streams (warnings, progress bars) from the reviewer's view."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return nb, resources


def nav_html(links: Iterable[tuple[str, str]]) -> str:
    """The top bar of every page: (href, label) pairs (``templates/nav.html.j2``)."""
    return templates().get_template("nav.html.j2").render(nav=list(links))


def footer_html(text: str) -> str:
    """The footer of every page (``templates/footer.html.j2``)."""
    return templates().get_template("footer.html.j2").render(footer=text)


def notebook_to_html(nb, *, title: str, nav: str = "", footer: str = "", subtitle: str = "") -> str:
    """Render an executed notebook (NotebookNode) to an HTML page without code; its figures are the
    SVG files the notebook saved beside it. ``subtitle`` (city and period with its era) is added to
    the page's first heading."""
    import copy

    nb = copy.deepcopy(nb)
    nb.metadata["title"] = title
    resources = {"sckpi_css": CSS, "sckpi_nav": nav, "sckpi_footer": footer,
                 "metadata": {"name": title}}
    body, _ = html_exporter().from_notebook_node(nb, resources=resources)
    if subtitle:
        import re

        body = re.sub(r"(<h1\b[^>]*>.*?)(<a class=\"anchor-link\"|</h1>)",
                      lambda m: f'{m[1]}<span class="sckpi-subtitle">{e(subtitle)}</span>{m[2]}', body, count=1,
                      flags=re.DOTALL)
    return body.replace("/*SCKPI-LAB-CSS*/", used_lab_css(body), 1)


_LAB_CSS: str | None = None


def _lab_index_css() -> str:
    """JupyterLab's ``index.css`` and light theme as nbconvert's lab template ships them (256 KB)."""
    global _LAB_CSS
    if _LAB_CSS is None:
        from pathlib import Path

        from jupyter_core.paths import jupyter_path

        for d in jupyter_path("nbconvert", "templates", "lab", "static"):
            if (Path(d) / "index.css").is_file():
                _LAB_CSS = "\n".join((Path(d) / f).read_text(encoding="utf-8")
                                     for f in ("index.css", "theme-light.css") if (Path(d) / f).is_file())
                break
        else:
            _LAB_CSS = ""
    return _LAB_CSS


def used_lab_css(page: str) -> str:
    """The rules of JupyterLab's stylesheet that can apply to ``page``: a rule stays when one of its
    selectors names only classes the page uses, and a ``--jp-*`` custom property stays when something
    kept (or the page) refers to it. The page looks the same and weighs ~240 KB less (the lab template
    inlines the whole stylesheet, icon data URIs included, into every page). ``@font-face`` and
    ``@keyframes`` go (the page uses the system's fonts and no animation)."""
    used = frozenset(c for m in re.findall(r'class="([^"]*)"', page) for c in m.split())
    return _lab_css_for(used, frozenset(_VAR_REF.findall(page)))


_VAR_REF = re.compile(r"var\(\s*(--[\w-]+)")


@functools.lru_cache(maxsize=64)
def _lab_css_for(used: frozenset[str], page_refs: frozenset[str]) -> str:
    """:func:`used_lab_css` for a page's classes and custom-property references (pages of one kind
    share both: a national run parses the 256 KB stylesheet once, not once per city)."""
    import tinycss2

    def keep_selector(prelude: str) -> bool:
        return any(set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", sel)) <= used for sel in prelude.split(","))

    def collect(rules) -> list:
        """(wrapper prelude or None, selector, declarations) of the kept rules, in order."""
        out = []
        for r in rules:
            if r.type == "qualified-rule":
                sel = tinycss2.serialize(r.prelude)
                if keep_selector(sel):
                    decls = [x for x in tinycss2.parse_declaration_list(r.content, skip_comments=True,
                                                                        skip_whitespace=True)
                             if x.type == "declaration"]
                    out.append((None, sel, decls))
            elif r.type == "at-rule" and r.lower_at_keyword in ("media", "supports") and r.content is not None:
                inner = collect(tinycss2.parse_rule_list(r.content, skip_comments=True, skip_whitespace=True))
                out += [(f"@{r.at_keyword}{tinycss2.serialize(r.prelude)}", sel, decls) for _, sel, decls in inner]
        return out

    kept = collect(tinycss2.parse_stylesheet(_lab_index_css(), skip_comments=True, skip_whitespace=True))
    defined: dict[str, str] = {}
    refs = set(page_refs)
    for _, _, decls in kept:
        for dcl in decls:
            value = tinycss2.serialize(dcl.value)
            if dcl.name.startswith("--"):
                defined[dcl.name] = defined.get(dcl.name, "") + value
            else:
                refs |= set(_VAR_REF.findall(value))
    wanted: set[str] = set()
    while refs:
        name = refs.pop()
        if name not in wanted:
            wanted.add(name)
            refs |= set(_VAR_REF.findall(defined.get(name, "")))
    lines = []
    for wrapper, sel, decls in kept:
        body = ";".join(f"{dcl.name}:{tinycss2.serialize(dcl.value).strip()}" + (" !important" if dcl.important else "")
                        for dcl in decls if not dcl.name.startswith("--") or dcl.name in wanted)
        if body:
            lines.append(f"{wrapper}{{{sel}{{{body}}}}}" if wrapper else f"{sel}{{{body}}}")
    return "\n".join(lines)


def badge(status: str, label: str | None = None) -> Markup:
    """A coloured status pill (run status or KPI status)."""
    from sckpi_helpers.config.vocabulary import STATUS_JA

    if status in RUN_STATUS:
        text, colour = RUN_STATUS[status]
    else:
        text, colour = STATUS_JA.get(status, status), STATUS_COLOURS.get(status, "#999")
    from sckpi_helpers.config.palette import text_on

    light = " light" if text_on(colour) != "#ffffff" else ""
    return Markup(f'<span class="sckpi-badge{light}" style="background:{colour};color:{text_on(colour)}">'
                  f'{e(label or text)}</span>')


_ENV = None


def templates():
    """The Jinja2 environment of ``templates/``; every ``{{ … }}`` goes through :func:`e` (the package's
    one escaper, instead of Jinja2's own autoescape); cached per process."""
    global _ENV
    if _ENV is None:
        import jinja2

        env = jinja2.Environment(loader=jinja2.PackageLoader("sckpi_helpers.pages", "templates"),
                                 autoescape=False, finalize=e, trim_blocks=True, lstrip_blocks=True,
                                 undefined=jinja2.ChainableUndefined)
        env.filters.update(human_time=human_time, short=_short, number=format_number)
        env.globals.update(badge=badge, nb_heading=nb_heading, peer_group_ja=peer_group_ja, css=Markup(CSS))
        _ENV = env
    return _ENV


def render_page(template: str, *, title: str, nav: Iterable[tuple[str, str]] = (), footer: str = "",
                **context: Any) -> str:
    """One of the kit's standalone pages (``templates/<template>``) in the kit's style."""
    return templates().get_template(template).render(title=title, nav=list(nav), footer=footer, **context)


@dataclass
class NotebookEntry:
    """One notebook of a report set as the landing page lists it."""

    name: str
    status: str
    html: str | None
    ipynb: str | None
    partial_html: str | None = None
    error: str | None = None
    seconds: float | None = None
    summary: str | None = None


def nb_heading(name: str) -> tuple[str, str, str]:
    return NOTEBOOK_TITLES.get(name, (name, name, ""))


def report_set_page(*, city_code: str, city_name: str, period: str, period_ja: str,
                    adjusted_population: str | None, adjusted_population_ja: str | None,
                    adjusted_population_formula: str | None, peer_group: str | None, source: str | None,
                    notebooks: list[NotebookEntry], status: str, started: str, finished: str,
                    version: str, catalog: str | None, quality: list[Mapping[str, Any]] | None = None,
                    quality_problem: str | None = None,
                    corrections: list[Mapping[str, Any]] | None = None) -> str:
    """The landing ``index.html`` of ``reports/<city>/<period>/``; ``quality``: the data-quality
    findings (要確認 / 確認済), ``corrections``: the 訂正履歴 of a republished period."""
    return render_page(
        "report_set.html.j2", title=f"{city_name} {period_ja} スマートシティKPI評価報告",
        nav=[("../../index.html", "全自治体"), ("../index.html", f"{city_name} の報告一覧")],
        footer=f"sckpi {version} ／ {human_time(finished)}",
        city_code=city_code, city_name=city_name, period=period, period_ja=period_ja,
        adjusted_population=adjusted_population, adjusted_population_ja=adjusted_population_ja,
        adjusted_population_formula=adjusted_population_formula, peer_group=peer_group, source=source,
        notebooks=notebooks, status=status, started=started, finished=finished, catalog=catalog,
        quality=quality, quality_problem=quality_problem, corrections=corrections or [],
        quality_ja=QUALITY_COLUMNS_JA, corrections_ja=CORRECTIONS_COLUMNS_JA)


def city_index_page(*, city_code: str, city_name: str, rows: list[Mapping[str, Any]], version: str,
                    generated: str) -> str:
    """``reports/<city>/index.html``: one row per period (newest first)."""
    return render_page("city_index.html.j2", title=f"{city_name}（{city_code}）の評価報告一覧",
                       nav=[("../index.html", "全自治体")], footer=f"sckpi {version} ／ {human_time(generated)}",
                       rows=rows)


def root_index_page(*, rows: list[Mapping[str, Any]], version: str, generated: str,
                    national: Sequence[tuple[str, str]] = ()) -> str:
    """``reports/index.html``: one row per city; first the national pages ((href, 年度) each)."""
    return render_page("root_index.html.j2", title="スマートシティKPI評価報告 — 自治体一覧",
                       footer=f"sckpi {version} ／ {human_time(generated)}", rows=rows, national=national)


def error_page(*, name: str, city_name: str, period_ja: str, error: str, partial_html: str | None,
               version: str, finished: str) -> str:
    """The page standing in for a notebook that failed."""
    label, ja, _ = nb_heading(name)
    return render_page("error.html.j2", title=f"{city_name} {period_ja} {label} {ja}（実行失敗）",
                       nav=[("index.html", "この報告の目次"), ("../index.html", f"{city_name} の報告一覧")],
                       footer=f"sckpi {version} ／ {finished}", error=error, partial_html=partial_html)


def human_time(ts: str | None) -> str:
    """``2025-06-01T06:00:03+09:00`` → ``2025-06-01 06:00``."""
    if not ts:
        return ""
    t = str(ts)
    return t[:16].replace("T", " ") if len(t) >= 16 and t[10:11] == "T" else t


def _short(text: str | None, limit: int = 600) -> str:
    """The head of an error: up to the first blank line (the traceback is on the error page)."""
    t = (text or "").strip().split("\n\n", 1)[0]
    return t if len(t) <= limit else t[:limit] + " …"
