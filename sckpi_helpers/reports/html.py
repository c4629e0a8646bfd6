"""HTML for reviewers: notebook export without code, report-set landing pages and indexes.

Every page is self-contained (inline CSS, figures embedded as data URIs, no script or font fetched
from the network), readable on a phone (viewport meta, fluid layout, tables scroll sideways) and
printable (print CSS). Everything that comes from a user — city names, labels, indicator names,
error text — goes through :func:`html.escape` here or in :mod:`sckpi_helpers.notebook_support`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sckpi_helpers.config.vocabulary import STATUS_COLOURS, peer_group_ja

#: notebook stem → (check label, Japanese title, what the check asks)
NOTEBOOK_TITLES: dict[str, tuple[str, str, str]] = {
    "00_ingest": ("データ", "データ取込", "統計・ローカルデータの取込状況"),
    "check1_outputs": ("Check❶", "アウトプット", "事業・取組が実施されたか"),
    "check2_outcome1": ("Check❷", "アウトカム第1階層", "成果が出始めたか（事業の取組内容の軌道修正）"),
    "check3_outcome2": ("Check❸", "アウトカム第2階層", "期待した効果が出たか（施策そのものの見直し）"),
    "check4_outcome3": ("Check❹", "アウトカム第3階層",
                        "都市全体の総合評価と類似都市比較（施策体系の分野間バランスの見直し）"),
    "explorer": ("探索", "指標エクスプローラ", "都市・指標・年を選んで比較"),
}

#: run status → (Japanese label, colour)
RUN_STATUS: dict[str, tuple[str, str]] = {
    "ok": ("完了", STATUS_COLOURS["achieved"]),
    "failed": ("失敗", STATUS_COLOURS["behind"]),
    "partial": ("一部失敗", "#fc8d59"),
    "skipped": ("未実行", STATUS_COLOURS["no_data"]),
    "exists": ("既存のため未実行", STATUS_COLOURS["no_data"]),
}

#: 補正人口 definitions as DESIGN.md lists them (used when the catalog is not available)
ADJUSTED_POPULATION_JA: dict[str, tuple[str, str]] = {
    "resident": ("常住（夜間）人口", "population_resident"),
    "resident_plus_inflow": ("常住人口＋流入人口（昼間人口＋流出人口）",
                             "population_resident * (1 + inflow_population / population_census)"),
    "daytime": ("昼間人口", "population_resident * day_night_ratio / 100"),
    "mean_day_night": ("（昼間人口＋常住人口）÷ 2", "population_resident * (1 + day_night_ratio / 100) / 2"),
    "resident_plus_visitors": ("常住人口＋観光入込客数 ÷ 365", "population_resident + visitors_annual / 365"),
}

FONT_STACK = ('"Hiragino Kaku Gothic ProN", "Hiragino Sans", "Noto Sans JP", "Noto Sans CJK JP", '
              '"Yu Gothic", YuGothic, "Meiryo", "IPAexGothic", sans-serif')

#: CSS added to every page (the exported notebooks and the index pages)
CSS = f"""
:root {{ --sckpi-font: {FONT_STACK}; }}
html {{ -webkit-text-size-adjust: 100%; }}
body, body.jp-Notebook {{ font-family: var(--sckpi-font); line-height: 1.6; margin: 0; color: #222; }}
body.jp-Notebook {{ --jp-ui-font-family: var(--sckpi-font); --jp-content-font-family: var(--sckpi-font); }}
main, .sckpi-page {{ max-width: 1100px; margin: 0 auto; padding: 0.5rem 1rem 2rem; box-sizing: border-box; }}
body.jp-Notebook main {{ padding: 0 0.5rem 2rem; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.3rem; }} h3 {{ font-size: 1.1rem; }}
img, svg {{ max-width: 100%; height: auto; }}
.jp-OutputArea-output img {{ max-width: 100% !important; height: auto !important; }}
.jp-RenderedHTMLCommon table, .sckpi-table-wrap, .sckpi-page table {{
  display: block; max-width: 100%; overflow-x: auto; -webkit-overflow-scrolling: touch; }}
.sckpi-page table {{ border-collapse: collapse; margin: 0.5rem 0 1rem; }}
.sckpi-page th, .sckpi-page td {{ border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left;
  vertical-align: top; }}
.sckpi-page th {{ background: #f3f3f3; white-space: nowrap; }}
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th {{ white-space: nowrap; }}
.jp-OutputArea-output pre {{ white-space: pre-wrap; word-break: break-word; }}
.sckpi-nav {{ background: #24476b; color: #fff; padding: 0.4rem 1rem; font-size: 0.9rem; }}
.sckpi-nav a {{ color: #fff; margin-right: 1rem; }}
.sckpi-footer {{ color: #666; font-size: 0.8rem; border-top: 1px solid #ddd; margin-top: 2rem;
  padding: 0.5rem 1rem; max-width: 1100px; margin-left: auto; margin-right: auto; }}
.sckpi-badge {{ display: inline-block; padding: 0.05rem 0.55rem; border-radius: 0.8rem; color: #fff;
  font-size: 0.85rem; white-space: nowrap; }}
.sckpi-badge.light {{ color: #222; }}
.sckpi-cards {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 0.8rem; }}
.sckpi-card {{ border: 1px solid #ccd; border-radius: 6px; padding: 0.6rem 0.8rem; background: #fafbfd; }}
.sckpi-card h3 {{ margin: 0.1rem 0 0.3rem; }}
.sckpi-error {{ background: #fff3f0; border-left: 4px solid {STATUS_COLOURS["behind"]}; padding: 0.5rem 1rem; }}
.sckpi-error pre {{ white-space: pre-wrap; word-break: break-word; font-size: 0.85rem; }}
.sckpi-summary {{ background: #f4f8fb; border-left: 4px solid #24476b; padding: 0.4rem 1rem; }}
dl.sckpi-meta {{ display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }}
dl.sckpi-meta dt {{ font-weight: bold; }} dl.sckpi-meta dd {{ margin: 0; }}
@media (max-width: 600px) {{
  h1 {{ font-size: 1.3rem; }}
  dl.sckpi-meta {{ grid-template-columns: 1fr; }}
  body.jp-Notebook main {{ padding: 0 0.25rem 1rem; }}
}}
@page {{ size: A4; margin: 14mm 12mm; }}
@media print {{
  .sckpi-nav {{ display: none; }}
  body, body.jp-Notebook {{ font-size: 10.5pt; }}
  main, .sckpi-page {{ max-width: none; padding: 0; }}
  .jp-RenderedHTMLCommon table, .sckpi-page table {{ display: table; overflow: visible; }}
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th {{ white-space: normal; }}
  img, svg, table, .sckpi-card, .jp-OutputArea-output {{ break-inside: avoid; page-break-inside: avoid; }}
  h1, h2, h3 {{ break-after: avoid; page-break-after: avoid; }}
  a {{ color: inherit; text-decoration: none; }}
}}
"""

_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style type="text/css">{{ resources.sckpi_css }}</style>{%- endblock extra_css -%}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}" alt="{{ ((output | get_metadata('alt', 'image/png')) or 'グラフ') | escape_html }}">
</div>
{%- endblock data_png %}
{%- block body_header -%}
<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
{{ resources.sckpi_nav }}
<main>
{%- endblock body_header -%}
{% block body_footer %}
</main>
{{ resources.sckpi_footer }}
</body>
{% endblock body_footer %}
"""

_EXPORTER = None


def e(value: Any) -> str:
    """HTML-escape anything user-given (quotes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def html_exporter():
    """The nbconvert exporter: lab template, code cells and prompts hidden, no network scripts.

    The ``--no-input`` of ``jupyter nbconvert``: ``exclude_input`` plus both prompts. Cells tagged
    ``remove-cell`` vanish, ``remove-output`` keep no output; stderr streams (warnings) are left in
    the executed notebook but not shown to reviewers. Cached per process.
    """
    global _EXPORTER
    if _EXPORTER is None:
        import jinja2
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor
        from traitlets.config import Config

        cfg = Config()
        cfg.TagRemovePreprocessor.enabled = True
        cfg.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
        cfg.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
        cfg.TagRemovePreprocessor.remove_input_tags = {"remove-input", "remove_input"}
        exporter = HTMLExporter(
            config=cfg,
            template_name="lab",
            extra_loaders=[jinja2.DictLoader({"sckpi_lab.html.j2": _TEMPLATE})],
            template_file="sckpi_lab.html.j2",
        )
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        exporter.embed_images = True
        exporter.language_code = "ja"
        exporter.register_preprocessor(TagRemovePreprocessor(config=cfg), enabled=True)
        exporter.register_preprocessor(_drop_stderr, enabled=True)
        _EXPORTER = exporter
    return _EXPORTER


def _drop_stderr(nb, resources):
    """Preprocessor: drop stderr streams (warnings, progress bars) from the reviewer's view."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return nb, resources


def nav_html(links: Iterable[tuple[str, str]]) -> str:
    """The top bar: (href, label) pairs, escaped."""
    items = "".join(f'<a href="{e(href)}">{e(label)}</a>' for href, label in links)
    return f'<nav class="sckpi-nav">{items}</nav>'


def footer_html(text: str) -> str:
    return f'<footer class="sckpi-footer">{e(text)}</footer>'


def notebook_to_html(nb, *, title: str, nav: str = "", footer: str = "") -> str:
    """Render an executed notebook (NotebookNode) to a self-contained HTML page without code."""
    import copy

    nb = copy.deepcopy(nb)
    nb.metadata["title"] = title
    resources = {"sckpi_css": CSS, "sckpi_nav": nav, "sckpi_footer": footer,
                 "metadata": {"name": title}}
    body, _ = html_exporter().from_notebook_node(nb, resources=resources)
    return body


def badge(status: str, label: str | None = None) -> str:
    """A coloured status pill (run status or KPI status)."""
    from sckpi_helpers.config.vocabulary import STATUS_JA

    if status in RUN_STATUS:
        text, colour = RUN_STATUS[status]
    else:
        text, colour = STATUS_JA.get(status, status), STATUS_COLOURS.get(status, "#999")
    light = " light" if colour in (STATUS_COLOURS["on_track"], STATUS_COLOURS["no_data"]) else ""
    return f'<span class="sckpi-badge{light}" style="background:{colour}">{e(label or text)}</span>'


def page(title: str, body: str, *, nav: str = "", footer: str = "") -> str:
    """A standalone page in the kit's style."""
    return (
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{nav}\n"
        f"<div class=\"sckpi-page\">\n{body}\n</div>\n{footer}\n</body>\n</html>\n"
    )


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
                    version: str, catalog: str | None) -> str:
    """The landing ``index.html`` of ``reports/<city>/<period>/``."""
    title = f"{city_name} {period_ja} スマートシティKPI評価報告"
    cards = []
    for nb in notebooks:
        label, ja, what = nb_heading(nb.name)
        links = []
        if nb.html:
            links.append(f'<a href="{e(nb.html)}">報告を開く</a>')
        if nb.partial_html:
            links.append(f'<a href="{e(nb.partial_html)}">途中までの実行結果</a>')
        if nb.ipynb:
            links.append(f'<a href="{e(nb.ipynb)}">ノートブック (.ipynb)</a>')
        secs = f"（{nb.seconds:.1f}秒）" if nb.seconds is not None else ""
        summary = f'<p class="sckpi-summary">{e(nb.summary)}</p>' if nb.summary else ""
        err = (f'<div class="sckpi-error"><pre>{e(_short(nb.error))}</pre></div>' if nb.error else "")
        cards.append(
            f'<div class="sckpi-card"><h3>{e(label)} {e(ja)}</h3><p>{e(what)}</p>'
            f'<p>{badge(nb.status)} {e(secs)}</p>{summary}{err}<p>{" ／ ".join(links)}</p></div>')
    ap = e(adjusted_population_ja or adjusted_population or "（設定なし）")
    if adjusted_population:
        ap += f" <code>{e(adjusted_population)}</code>"
    if adjusted_population_formula:
        ap += f"<br><small>= <code>{e(adjusted_population_formula)}</code></small>"
    extra = f'<li><a href="{e(catalog)}">指標カタログ</a></li>' if catalog else ""
    body = f"""
<h1>{e(title)}</h1>
<p>{badge(status)}</p>
<dl class="sckpi-meta">
<dt>自治体</dt><dd>{e(city_name)}（{e(city_code)}）</dd>
<dt>対象期間</dt><dd>{e(period_ja)}（{e(period)}）</dd>
<dt>補正人口の定義</dt><dd>{ap}</dd>
<dt>比較対象（類似都市）</dt><dd>{e(peer_group_ja(peer_group) if peer_group else "（都市の設定による）")}</dd>
<dt>データソース</dt><dd>{e(source or "（都市の設定による）")}</dd>
<dt>実行</dt><dd>{e(human_time(started))} 〜 {e(human_time(finished))}</dd>
</dl>
<h2>チェック</h2>
<div class="sckpi-cards">{"".join(cards) or "<p>実行したノートブックはありません。</p>"}</div>
<h2>資料</h2>
<ul>{extra}<li><a href="manifest.json">実行記録 (manifest.json)</a>：パラメータ、入力ファイルと SHA-256、所要時間</li></ul>
<p><small>補正人口は内閣府「スマートシティ施策のKPI設定指針」で定義されていないため、本キットでは都市ごとの設定として
上記の定義を用いています。防犯性・交通安全性・医療サービス充実度の値はこの定義に依存します。</small></p>
"""
    nav = nav_html([("../../index.html", "全自治体"), ("../index.html", f"{city_name} の報告一覧")])
    return page(title, body, nav=nav, footer=footer_html(f"sckpi {version} ／ {human_time(finished)}"))


def city_index_page(*, city_code: str, city_name: str, rows: list[Mapping[str, Any]], version: str,
                    generated: str) -> str:
    """``reports/<city>/index.html``: one row per period (newest first)."""
    trs = []
    for r in rows:
        nbs = " ".join(
            f'<a href="{e(r["period"])}/{e(n["html"])}">{e(nb_heading(n["name"])[0])}</a>{_mark(n["status"])}'
            for n in r.get("notebooks", []) if n.get("html"))
        trs.append(
            f'<tr><td><a href="{e(r["period"])}/index.html">{e(r.get("period_ja") or r["period"])}</a></td>'
            f'<td>{badge(r.get("status", "failed"))}</td><td>{nbs}</td>'
            f'<td>{e(human_time(r.get("finished", "")))}</td></tr>')
    table = ("<table><thead><tr><th>期間</th><th>状態</th><th>チェック</th><th>作成日時</th></tr></thead>"
             f"<tbody>{''.join(trs)}</tbody></table>") if trs else "<p>報告はまだありません。</p>"
    title = f"{city_name}（{city_code}）の評価報告一覧"
    body = f"<h1>{e(title)}</h1>\n{table}"
    return page(title, body, nav=nav_html([("../index.html", "全自治体")]),
                footer=footer_html(f"sckpi {version} ／ {human_time(generated)}"))


def root_index_page(*, rows: list[Mapping[str, Any]], version: str, generated: str) -> str:
    """``reports/index.html``: one row per city."""
    trs = []
    for r in rows:
        latest = r.get("latest")
        latest_cell = (f'<a href="{e(r["city_code"])}/{e(latest["period"])}/index.html">'
                       f'{e(latest.get("period_ja") or latest["period"])}</a> {badge(latest.get("status", "failed"))}'
                       if latest else "—")
        trs.append(
            f'<tr><td>{e(r["city_code"])}</td><td><a href="{e(r["city_code"])}/index.html">{e(r["city_name"])}</a></td>'
            f'<td>{latest_cell}</td><td>{e(r.get("count", 0))}</td></tr>')
    table = ("<table><thead><tr><th>コード</th><th>自治体</th><th>最新の報告</th><th>報告数</th></tr></thead>"
             f"<tbody>{''.join(trs)}</tbody></table>") if trs else "<p>報告はまだありません。</p>"
    title = "スマートシティKPI評価報告 — 自治体一覧"
    return page(title, f"<h1>{e(title)}</h1>\n{table}", footer=footer_html(f"sckpi {version} ／ {human_time(generated)}"))


def error_page(*, name: str, city_name: str, period_ja: str, error: str, partial_html: str | None,
               version: str, finished: str) -> str:
    """The page standing in for a notebook that failed."""
    label, ja, _ = nb_heading(name)
    title = f"{city_name} {period_ja} {label} {ja}（実行失敗）"
    partial = (f'<p><a href="{e(partial_html)}">途中までの実行結果を見る</a></p>' if partial_html
               else "<p>途中までの実行結果は保存されませんでした。</p>")
    body = f"""
<h1>{e(title)}</h1>
<p>{badge("failed")} このチェックのノートブックは実行中にエラーで停止したため、報告は作成されていません。
エラーの内容を確認し、入力データや設定を直してから <code>sckpi report --force</code> で再実行してください。</p>
<div class="sckpi-error"><pre>{e(error)}</pre></div>
{partial}
"""
    nav = nav_html([("index.html", "この報告の目次"), ("../index.html", f"{city_name} の報告一覧")])
    return page(title, body, nav=nav, footer=footer_html(f"sckpi {version} ／ {finished}"))


def human_time(ts: str | None) -> str:
    """``2025-06-01T06:00:03+09:00`` → ``2025-06-01 06:00``."""
    if not ts:
        return ""
    t = str(ts)
    return t[:16].replace("T", " ") if len(t) >= 16 and t[10:11] == "T" else t


def _mark(status: str) -> str:
    return "" if status == "ok" else f" {badge(status)}"


def _short(text: str | None, limit: int = 600) -> str:
    """The head of an error: up to the first blank line (the traceback is on the error page)."""
    t = (text or "").strip().split("\n\n", 1)[0]
    return t if len(t) <= limit else t[:limit] + " …"


def write_text(path: Path, text: str) -> None:
    from sckpi_helpers.atomic import atomic_write_text

    atomic_write_text(path, text)
