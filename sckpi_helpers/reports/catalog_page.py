"""The catalog as one self-contained HTML page (inline CSS, no scripts, no external files).

Every report set includes this page, so its signature stays stable: ``render_catalog_html(catalog,
indicators=None, title=...) -> str``. All text is escaped — extension files come from cities and
may contain anything. Tables become stacked cards on narrow screens and print cleanly.

Stage 8 (reports): imports stages 0–7 (… checks, viz).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sckpi_helpers.catalog.model import Catalog
from sckpi_helpers.catalog.schema import TIERS, Indicator
from sckpi_helpers.config.vocabulary import AVAILABILITY_JA, DIRECTION_JA, TIER_JA
from sckpi_helpers.config.vocabulary import PILLAR_JA as _PILLAR_JA
from sckpi_helpers.reports.display import e as _e

_CSS = """
:root{--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa;--req:#b42318;--opt:#1f5fad}
*{box-sizing:border-box}
body{font-family:"Hiragino Sans","Hiragino Kaku Gothic ProN","Noto Sans JP","Yu Gothic",Meiryo,sans-serif;
color:var(--fg);margin:0 auto;padding:1rem;max-width:72rem;line-height:1.55;font-size:15px}
h1{font-size:1.5rem;margin:.2rem 0 .6rem}h2{font-size:1.25rem;margin:2rem 0 .5rem;
border-bottom:2px solid var(--fg);padding-bottom:.2rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
p.meta,.note{color:var(--muted);font-size:.9rem}
nav ul{display:flex;flex-wrap:wrap;gap:.3rem .8rem;padding:0;list-style:none;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem;font-size:.9rem}
th,td{border:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;
word-break:break-word;background:var(--bg);padding:0 .2em;border-radius:3px}
.badge{display:inline-block;font-size:.75rem;border-radius:3px;padding:0 .35rem;white-space:nowrap;
border:1px solid currentColor}
.req{color:var(--req)}.opt{color:var(--opt)}.na{color:var(--muted)}
.en{color:var(--muted);font-size:.85em;display:block}
.box{border:2px solid var(--fg);border-radius:6px;padding:.6rem 1rem;margin:1rem 0;background:#fff}
@media (max-width:700px){
 table.ind thead{display:none}
 table.ind,table.ind tbody,table.ind tr,table.ind td{display:block;width:100%}
 table.ind tr{border:1px solid var(--line);border-radius:6px;margin:0 0 .7rem;padding:.3rem}
 table.ind td{border:none;padding:.15rem .3rem}
 table.ind td::before{content:attr(data-label)"：";font-weight:600;color:var(--muted)}
}
@media print{body{max-width:none;font-size:10pt}nav{display:none}
 h2{break-after:avoid}tr{break-inside:avoid}a{color:inherit;text-decoration:none}}
"""

_COLUMNS = ("ID", "指標名", "区分", "式", "単位", "方向", "必須", "データ")


def _required_badge(ind: Indicator) -> str:
    if ind.required:
        extra = "（暫定）" if ind.required_provisional else ""
        return f'<span class="badge req">必須{extra}</span>'
    return '<span class="badge opt">選択</span>'


def _row(catalog: Catalog, ind: Indicator) -> str:
    formula = f"<code>{_e(ind.formula)}</code>" if ind.formula else '<span class="na">自治体が値を記入</span>'
    pillar = _PILLAR_JA.get(ind.pillar, catalog.fields[ind.pillar].name_ja
                            if ind.pillar in catalog.fields else ind.pillar)
    group = " / ".join(_e(x) for x in (pillar, ind.group) if x)
    avail = AVAILABILITY_JA.get(ind.availability, ind.availability)
    data = f"<strong>{_e(avail)}</strong>"
    if ind.formula:
        data += f'<span class="en">{_e(catalog.data_source(ind.id))}</span>'
    if ind.availability_note:
        data += f'<span class="en">{_e(ind.availability_note)}</span>'
    if ind.note:
        data += f'<span class="note">注：{_e(ind.note)}</span>'
    if provisional := catalog.provisional_inputs(ind.id):
        names = "、".join(_e(catalog.inputs[n].name_ja) for n in provisional)
        data += f'<span class="note">暫定：{names}の統計コードは公表資料で未確認</span>'
    name = f"{_e(ind.name_ja)}<span class=\"en\">{_e(ind.name_en)}</span>"
    if ind.description:
        name += f'<span class="en">{_e(ind.description)}</span>'
    cells = (f"<code>{_e(ind.id)}</code>", name, group, formula, _e(ind.unit),
             _e(DIRECTION_JA.get(ind.direction, ind.direction)), _required_badge(ind), data)
    return "<tr>" + "".join(f'<td data-label="{c}">{v}</td>' for c, v in zip(_COLUMNS, cells)) + "</tr>"


def _table(catalog: Catalog, items: list[Indicator]) -> str:
    head = "".join(f"<th>{c}</th>" for c in _COLUMNS)
    body = "\n".join(_row(catalog, i) for i in items)
    return f'<table class="ind"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def _adjusted_population_section(catalog: Catalog) -> str:
    ap = catalog.adjusted_population
    rows = []
    for d in ap.definitions.values():
        why = f'<span class="en">{_e(d.rationale)}</span>' if d.rationale else ""
        mark = ' <span class="badge req">既定</span>' if d.id == ap.default else ""
        rows.append(f'<tr><td data-label="ID"><code>{_e(d.id)}</code>{mark}</td>'
                    f'<td data-label="定義">{_e(d.name_ja)}<span class="en">{_e(d.name_en)}</span></td>'
                    f'<td data-label="式"><code>{_e(d.formula)}</code></td>'
                    f'<td data-label="説明">{_e(d.description)}{why}</td></tr>')
    users = [i for i in catalog.indicators.values() if "adjusted_population" in i.inputs]
    used = "、".join(_e(i.name_ja) for i in users) or "なし"
    return (f'<section class="box" id="adjusted-population"><h2>補正人口（adjusted population）の定義</h2>'
            f'<p>補正人口を分母に使う指標：{used}。</p>'
            f'<p class="note">{_e(ap.note)}</p>'
            + (f'<p class="note">政令指定都市：{_e(ap.designated_city_rule)}</p>' if ap.designated_city_rule else "")
            + f'<p>既定の定義：<code>{_e(ap.default)}</code>。市ごとに設定（settings.yaml）で選べ、'
            f'各レポートに使用した定義を表示する。国勢調査の値は調査の間の年に据え置き、推計値として示す。</p>'
            f'<table class="ind"><thead><tr><th>ID</th><th>定義</th><th>式</th><th>説明・根拠</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></section>')


def render_catalog_html(catalog: Catalog, indicators: Iterable[Indicator] | None = None,
                        title: str = "スマートシティ評価指標カタログ") -> str:
    """A self-contained HTML page listing ``indicators`` (default: all) grouped by field and tier,
    with the 補正人口 definitions in their own clearly labelled section."""
    items = list(catalog.indicators.values() if indicators is None else indicators)
    n_req = sum(i.required for i in items)
    parts = [f"<h1>{_e(title)}</h1>",
             (f'<p class="meta">内閣府「スマートシティ施策のKPI設定指針」(2022) に基づく指標 {len(items)} 件'
             f"（うち必須 {n_req} 件）。<span class=\"badge req\">必須（暫定）</span> は原資料の赤字が"
             "確認できないため、市区町村別に公表される統計があり日本語の算式が示された指標を暫定的に必須と"
             "している（カタログの1か所で修正できる）。</p>")]
    nav, sections = [], []
    for fld in catalog.fields.values():
        in_field = [i for i in items if i.field == fld.id]
        if not in_field:
            continue
        anchor = f"field-{fld.id}"
        nav.append(f'<li><a href="#{_e(anchor)}">{_e(fld.name_ja)}（{len(in_field)}）</a></li>')
        block = [f'<section id="{_e(anchor)}"><h2>{_e(fld.name_ja)} <span class="en">{_e(fld.name_en)}</span></h2>']
        if fld.themes:
            block.append(f'<p class="note">施策テーマ：{"、".join(_e(t.name_ja) for t in fld.themes)}</p>')
        for tier in TIERS:
            in_tier = [i for i in in_field if i.tier == tier]
            if in_tier:
                block.append(f"<h3>{_e(TIER_JA[tier])}（Check{in_tier[0].check}）</h3>")
                block.append(_table(catalog, in_tier))
        block.append("</section>")
        sections.append("\n".join(block))
    others = [i for i in items if i.field not in catalog.fields]
    if others:  # cannot happen for a validated catalog; never drop an indicator silently
        sections.append("<section><h2>その他</h2>" + _table(catalog, others) + "</section>")
    nav.append('<li><a href="#adjusted-population">補正人口の定義</a></li>')
    parts.append(f'<nav><ul>{"".join(nav)}</ul></nav>')
    parts.extend(sections)
    parts.append(_adjusted_population_section(catalog))
    body = "\n".join(parts)
    return ("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def write_catalog_page(folder: Path, cat: Catalog) -> tuple[str | None, str | None]:
    """``catalog.html`` of the catalog a run used (the city context's, with its extensions);
    (file name, problem)."""
    from sckpi_helpers.reports.redact import redact

    try:
        (folder / "catalog.html").write_text(render_catalog_html(cat), encoding="utf-8")
        return "catalog.html", None
    except Exception as exc:  # noqa: BLE001
        return None, redact(f"{type(exc).__name__}: {exc}")
