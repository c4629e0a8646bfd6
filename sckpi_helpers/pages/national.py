"""The national site's pages and bulk files: ``reports/national/<year>/``.

Why: what the デジタル庁 地域幸福度 dashboard offers (every municipality, compared with similar ones)
with what it lacked (every number traceable to its publisher's file). Written from the one bulk
table (:func:`sckpi_helpers.indicators.national.national_table`), so the index, the per-indicator
pages, ``indicators.csv`` and ``indicators.parquet`` cannot disagree::

    index.html                      every municipality: search, filter by 都道府県 / 種別 / 類似団体
    indicators/<indicator>.html     one tier-3 indicator: distribution, map, why values are missing, ranking
    indicators/<indicator>-map.svg  its national map (偏差値 classes; no value: hatched)
    indicators.csv / .parquet       every area × indicator (value, status, flags, rank, 偏差値, …)

Pages open from disk without a server (plain HTML, one small inline script for the filter). Every
file is written atomically.

Stage 9 (pages): imports config, atomic, indicators, viz and the page chrome.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sckpi_helpers import __version__
from sckpi_helpers.atomic import atomic_write_bytes, atomic_write_parquet, atomic_write_text
from sckpi_helpers.config.formatting import SCORE_DECIMALS, format_number
from sckpi_helpers.config.periods import year_ja as fiscal_year_ja
from sckpi_helpers.config.vocabulary import DIRECTION_JA, MUNICIPAL_TYPE_JA, PREFECTURE_JA
from sckpi_helpers.indicators.national import indicator_summary
from sckpi_helpers.indicators.reasons import reason_ja
from sckpi_helpers.pages import html as rh
from sckpi_helpers.pages.display import figure_html, figure_svg
from sckpi_helpers.viz.distribution import histogram_svg
from sckpi_helpers.viz.maps import national_shapes, plot_national_map

NATIONAL_DIR = "national"


def national_dir(root: str | Path, year: int) -> Path:
    """``reports/national/<year>/``."""
    return Path(root) / NATIONAL_DIR / str(int(year))


def indicator_file(indicator_id: str) -> str:
    """The page file of an indicator (``t3.soc.crime_rate`` → ``t3.soc.crime_rate.html``)."""
    return f"{indicator_id}.html"


def indicator_href_from_set(indicator_id: str, year: int) -> str:
    """An indicator's national page as linked from a report set ``reports/<city>/<period>/``."""
    return f"../../{NATIONAL_DIR}/{int(year)}/indicators/{indicator_file(indicator_id)}"


def _rank_text(rank: Any, n: Any) -> str:
    if rank is None or (isinstance(rank, float) and math.isnan(rank)):
        return "—"
    return f"{int(rank)} / {int(n)}"


def write_bulk_table(folder: Path, table: pd.DataFrame) -> list[Path]:
    """``indicators.parquet`` and ``indicators.csv`` (UTF-8 with BOM, so Excel reads the Japanese)."""
    csv = table.to_csv(index=False, float_format="%.6g").encode("utf-8-sig")
    return [atomic_write_parquet(table, folder / "indicators.parquet"),
            atomic_write_bytes(folder / "indicators.csv", csv)]


def index_rows(table: pd.DataFrame, city_href: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """One row per municipality for the national index (coverage = indicators with a value)."""
    g = table.groupby("area_code", sort=True)
    first = g.first()
    n_value = g["value"].count()
    n_total = g.size()
    rows = []
    for code, r in first.iterrows():
        rows.append({
            "area_code": code, "area_name": r["area_name"], "pref_code": r["pref_code"],
            "pref_name": r["pref_name"], "municipal_type": r["municipal_type"],
            "type_ja": MUNICIPAL_TYPE_JA.get(str(r["municipal_type"]), r["municipal_type"]),
            "similar_class": r["similar_class"] if isinstance(r["similar_class"], str) else "",
            "similar_class_ja": r["similar_class_ja"] if isinstance(r["similar_class_ja"], str) else "—",
            "n_value": int(n_value[code]), "n_total": int(n_total[code]), "href": city_href(code),
        })
    return rows


def write_national_site(root: str | Path, year: int, table: pd.DataFrame, catalog: Any, *,
                        sources: str, generated: str, city_href: Callable[[str], str | None] | None = None,
                        geo: Any = None) -> list[Path]:
    """Write ``reports/national/<year>/`` from the bulk table; return the files written.

    ``city_href(code)`` gives a city's Check❹ page relative to the national folder (None: no link);
    ``geo`` (:func:`sckpi_helpers.sources.boundaries.load_boundaries`) adds each indicator's national
    map (``indicators/<indicator>-map.svg``, the city maps' 偏差値 classes); without it the pages say
    there is no map.
    """
    folder = national_dir(root, year)
    href = city_href or (lambda code: None)
    year_ja = fiscal_year_ja(int(year))
    footer = f"sckpi {__version__} ／ 全国 ／ {year_ja} ／ 作成 {rh.human_time(generated)}"
    written = write_bulk_table(folder, table)
    summary = indicator_summary(table)
    rows = index_rows(table, lambda c: (f"../../{h}" if (h := href(c)) else None))
    prefs = sorted({(r["pref_code"], r["pref_name"]) for r in rows if r["pref_code"]})
    types = [(k, MUNICIPAL_TYPE_JA[k]) for k in MUNICIPAL_TYPE_JA if any(r["municipal_type"] == k for r in rows)]
    classes = sorted({(r["similar_class"], r["similar_class_ja"]) for r in rows if r["similar_class"]})
    ind_rows = [{**s, "file": indicator_file(s["indicator_id"]),
                 "median_text": format_number(s["median"], s["unit"]) if pd.notna(s["median"]) else "—"}
                for s in summary.to_dict("records")]
    index = rh.render_page("national_index.html.j2", title=f"全国の市区町村 第3階層指標 {year_ja}",
                           nav=[("../../index.html", "報告一覧")], footer=footer, rows=rows,
                           prefectures=prefs, types=types, classes=classes, indicators=ind_rows,
                           year_ja=year_ja, sources=sources)
    written.append(atomic_write_text(folder / "index.html", index))
    shapes = national_shapes(geo) if geo is not None else None
    for s in ind_rows:
        map_html = ""
        if shapes is not None:
            svg, map_html = _national_map(table, s, shapes, year_ja)
            written.append(atomic_write_bytes(folder / "indicators" / map_file(s["indicator_id"]), svg))
        written.append(_write_indicator_page(folder, table, catalog, s, year_ja=year_ja, footer=footer,
                                             href=href, map_html=map_html))
    return written


def map_file(indicator_id: str) -> str:
    """The national map of an indicator, beside its page."""
    return f"{indicator_id}-map.svg"


def _national_map(table: pd.DataFrame, s: dict[str, Any], shapes: Any, year_ja: str) -> tuple[bytes, str]:
    """(the map's SVG, its figure HTML with the alternative text) for one indicator."""
    import matplotlib.pyplot as plt

    sub = table[table["indicator_id"] == s["indicator_id"]]
    scores = dict(zip(sub["area_code"].astype(str), sub["deviation_score"].astype(float), strict=True))
    fig = plot_national_map(shapes, scores, title=f"{s['name_ja']}（{year_ja}）")
    try:
        svg = figure_svg(fig)
    finally:
        plt.close(fig)
    have = sum(1 for v in scores.values() if math.isfinite(v))
    drawn = set(shapes[0])
    no_shape = sorted(set(scores) - drawn)
    alt = (f"地図：{s['name_ja']}の全国の偏差値を5段階で色分け（色覚の違いに配慮した配色、各段階は凡例に記載）。"
           f"値のある {have} 団体、データのない {len(scores) - have} 団体は斜線。")
    caption = alt + (f"境界データのない {len(no_shape)} 団体（{'、'.join(no_shape[:10])}"
                     f"{' ほか' if len(no_shape) > 10 else ''}）は地図になく、順位表にあります。" if no_shape else "")
    return svg, figure_html(map_file(s["indicator_id"]), alt, caption=caption)


def _write_indicator_page(folder: Path, table: pd.DataFrame, catalog: Any, s: dict[str, Any], *,
                          year_ja: str, footer: str, href: Callable[[str], str | None], map_html: str) -> Path:
    iid = s["indicator_id"]
    ind = catalog.get(iid)
    sub = table[table["indicator_id"] == iid].sort_values(["rank", "area_code"], na_position="last")
    inputs = []
    for name in getattr(ind, "inputs", []) or []:
        var = catalog.inputs.get(name)
        if var is not None:
            labels = "; ".join(dict.fromkeys(src.label for src in var.sources)) or "—"
            inputs.append({"name_ja": var.name_ja, "source": labels})
        else:
            inputs.append({"name_ja": "補正人口" if name == "adjusted_population" else name, "source": "—"})
    missing = [(reason_ja(k, catalog), n) for k, n in s["top_reasons"]]
    ap = catalog.adjusted_population
    chain_ja = " → ".join(ap.definitions[d].name_ja for d in [ap.default, *ap.fallbacks] if d in ap.definitions)
    values = sub["value"].to_numpy(dtype=float)
    svg = histogram_svg(values)
    med = s["median_text"]
    alt = (f"{s['name_ja']}の全国分布（{s['n_value']}団体、中央値 {med} {s['unit'] or ''}）。"
           "棒は団体数、破線は中央値。値は下の順位表にあります。")
    ranking = [{
        "rank_text": _rank_text(r.rank, r.n), "area_code": r.area_code, "area_name": r.area_name,
        "href": (f"../../../{h}" if (h := href(r.area_code)) else None), "pref_name": r.pref_name,
        "value_text": format_number(r.value, r.unit), "status_ja": r.status_ja + (f"（{r.flags}）" if r.flags and r.flags != r.status_ja else ""),
        "dev_text": format_number(r.deviation_score, decimals=SCORE_DECIMALS), "similar_class_ja": r.similar_class_ja if isinstance(r.similar_class_ja, str) else "—",
        "similar_text": _rank_text(r.similar_rank, r.similar_n),
    } for r in sub.itertuples(index=False)]
    page = rh.render_page("national_indicator.html.j2", title=f"{s['name_ja']} — 全国 {year_ja}",
                          nav=[("../index.html", "全国の一覧"), ("../../../index.html", "報告一覧")],
                          footer=footer, ind=ind, s=s, inputs=inputs, year_ja=year_ja, chain_ja=chain_ja,
                          direction_ja=DIRECTION_JA.get(str(getattr(ind, "direction", "")), ""),
                          median_text=f"{med} {s['unit'] or ''}".strip(), missing_reasons=missing,
                          histogram=rh.Markup(svg) if svg else "", histogram_alt=alt,
                          map_html=rh.Markup(map_html) if map_html else "", ranking=ranking)
    return atomic_write_text(folder / "indicators" / indicator_file(iid), page)


__all__ = [
    "NATIONAL_DIR",
    "PREFECTURE_JA",
    "index_rows",
    "indicator_file",
    "indicator_href_from_set",
    "map_file",
    "national_dir",
    "write_bulk_table",
    "write_national_site",
]
