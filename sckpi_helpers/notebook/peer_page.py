"""Check❹'s picture of the city among its peers: the peers named (and how they were chosen), the
neighbours in rank, maps, the 偏差値 radar and a two-indicator scatter — each figure with alternative
text that says value, rank and direction, and its data as a table beside it.

Why here: these sections share one reading of the CheckData (headline indicators, peer names, every
peer's scores), and ``sections`` is already long. The notebook calls one function per section, like
``sections``. Stage 8 (reports): imports stages 0–8.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sckpi_helpers.config.formatting import format_number
from sckpi_helpers.config.periods import year_ja
from sckpi_helpers.config.vocabulary import DIRECTION_JA, FIELD_JA, PILLAR_JA, peer_group_ja
from sckpi_helpers.notebook.params import LIGHT
from sckpi_helpers.pages.display import _display_html, e, show_figure, show_links, show_notice

#: how many tier-3 indicators the page maps and draws over time
HEADLINE = 4


def headline_indicators(d: Any, n: int = HEADLINE) -> list[str]:
    """The page's headline tier-3 indicators: the logic model's own first, then required ones with the
    longest series; only those the city has a value for."""
    from sckpi_helpers.checks.data import tier_latest

    cmp = d.comparison
    if cmp is None or len(cmp) == 0:
        return []
    pick = cmp[cmp["value"].notna()].sort_values(["required", "trend_n"], ascending=[False, False])
    ids = list(pick["indicator_id"])
    if d.has_model:
        t3 = tier_latest(d, "outcome3")
        own = [i for i in (t3["indicator_id"] if t3 is not None else []) if i in set(ids)]
        ids = list(dict.fromkeys(own + ids))
    return ids[:n]


def _pref_names(d: Any) -> dict[str, str]:
    """prefecture code (2 digits) → name: the areas table's prefecture rows, else the boundaries'."""
    a = d.areas
    out = {str(c)[:2]: str(n) for c, n, lv in zip(a["area_code"], a["area_name"], a["level"], strict=False)
           if lv == "prefecture"}
    if not out:
        from contextlib import suppress

        from sckpi_helpers.errors import SckpiError
        from sckpi_helpers.sources.boundaries import load_boundaries

        with suppress(SckpiError):
            g = load_boundaries()
            out = dict(zip(g["area_code"].str[:2], g["pref_name"].astype(str), strict=False))
    return out


def area_names(d: Any) -> dict[str, str]:
    """area code → name; 都道府県 prefixed when the peers span prefectures (``北海道旭川市``)."""
    a = d.areas
    names = dict(zip(a["area_code"].astype(str), a["area_name"].astype(str), strict=False))
    if len({c[:2] for c in map(str, d.peer_codes)}) > 1:
        prefs = _pref_names(d)
        names = {c: n if n.startswith(prefs.get(c[:2], "\0")) else f"{prefs.get(c[:2], '')}{n}"
                 for c, n in names.items()}
    return names


def peer_scores(d: Any) -> pd.DataFrame:
    """Every peer's direction-aware scores in the evaluation year, with field and pillar."""
    from sckpi_helpers.indicators.peers import scores

    sc = scores(d.results, d.catalog, d.year, sorted(set(map(str, d.peer_codes)) | {d.params.city_code}))
    meta = d.comparison.set_index("indicator_id")[["field", "pillar", "name_ja", "unit", "direction"]]
    return sc.join(meta, on="indicator_id", how="inner")


# ------------------------------------------------------------------------------------ peers named
def peer_rule(d: Any) -> tuple[str, str]:
    """(the rule that chose the peers, the data and year it used), in Japanese."""
    from sckpi_helpers.store.peer_groups import PANEL_INPUTS, similar_classes

    spec = d.params.peer_group
    rule = peer_group_ja(spec)
    city = d.params.city_code
    if spec == "similar":
        with_class = similar_classes(d.areas[d.areas["level"] == "municipality"], d.panel)
        rule += f"。本市の区分：{similar_class_ja(with_class.get(city))}（総務省「類似団体別市町村財政指数表」に倣った本キットの規則）"
    if spec in PANEL_INPUTS:
        p = d.panel[(d.panel["area_code"].astype(str) == city) & d.panel["variable"].isin(PANEL_INPUTS[spec])
                    & d.panel["value"].notna()]
        years = p.groupby("variable")["year"].max()
        names = {v: getattr(d.catalog.inputs.get(v), "name_ja", v) for v in years.index}
        data = "、".join(f"{names[v]} {year_ja(int(y), fiscal=False)}" for v, y in years.items()) or "データなし"
        return rule, f"選定に使ったデータ：{data}（各団体の最新値）"
    if spec.startswith("list:"):
        return rule, "選定に使ったデータ：設定ファイル（settings.yaml の peer_group）で指定"
    return rule, "選定に使ったデータ：市区町村の区分（地域コード表）。比較は " + year_ja(int(d.year), fiscal=False) + " の値"


def similar_class_ja(cls: Any) -> str:
    """``city-II-3`` → ``一般市 II-3``; ``core_city`` → ``中核市`` (see ``store.peer_groups``)."""
    from sckpi_helpers.store.peer_groups import MUNICIPAL_GROUPS

    if not cls:
        return "不明"
    kind, _, rest = str(cls).partition("-")
    return f"{MUNICIPAL_GROUPS.get(kind, kind)} {rest}".strip() if rest else MUNICIPAL_GROUPS.get(kind, kind)


def peers_html(d: Any) -> str:
    """The peers, named, in a collapsible list with the rule and data year that chose them."""
    names = area_names(d)
    city = d.params.city_code
    others = [c for c in sorted(set(map(str, d.peer_codes))) if c != city]
    rule, data = peer_rule(d)
    items = "".join(f"<li>{e(names.get(c, c))}<span class=\"sckpi-code\">（{e(c)}）</span></li>" for c in others)
    return (f'<details class="sckpi-peers"><summary>比較団体 {len(others)} 団体の一覧（{e(peer_group_ja(d.params.peer_group))}）'
            f"</summary><p>選び方：{e(rule)}<br>{e(data)}</p><ul class=\"sckpi-peer-list\">{items}</ul></details>")


def show_peers(d: Any) -> None:
    """Name the peers (collapsible), with the rule and the data year that chose them."""
    if len(d.peer_codes) < 2:
        show_notice("比較団体がありません。")
        return
    _display_html(peers_html(d))


def rank_neighbours(d: Any, sc: pd.DataFrame | None = None) -> dict[str, str]:
    """indicator id → the city's neighbours in rank, named: ``↑ 中央区（3位）／↓ 港区（5位）``."""
    sc = peer_scores(d) if sc is None else sc
    names = area_names(d)
    city = d.params.city_code
    out = {}
    for iid, g in sc[sc["rank"].notna()].groupby("indicator_id"):
        g = g.sort_values(["rank", "area_code"]).reset_index(drop=True)
        pos = g.index[g["area_code"] == city]
        if not len(pos):
            continue
        i = int(pos[0])
        parts = []
        if i > 0:
            r = g.iloc[i - 1]
            parts.append(f"↑ {names.get(r['area_code'], r['area_code'])}（{int(r['rank'])}位）")
        if i + 1 < len(g):
            r = g.iloc[i + 1]
            parts.append(f"↓ {names.get(r['area_code'], r['area_code'])}（{int(r['rank'])}位）")
        out[iid] = "／".join(parts)
    return out


# ------------------------------------------------------------------------------------ alt text
def standing_text(row: Any) -> str:
    """``防犯性 3.2 件/千人、62団体中5位（偏差値 58.1、低いほど良い）`` for one comparison row."""
    if row is None or not isinstance(row.get("value"), float) or math.isnan(row.get("value")):
        return f"{row.get('name_ja')}：値なし"
    rank = f"{int(row['rank'])}位／{int(row['n'])}団体" if not math.isnan(row["rank"]) else "順位なし"
    dev = f"偏差値 {row['deviation_score']:.1f}" if not math.isnan(row["deviation_score"]) else "偏差値なし"
    return (f"{row['name_ja']} {format_number(row['value'])} {row.get('unit') or ''}、{rank}"
            f"（{dev}、{DIRECTION_JA.get(row.get('direction'), '')}）")


# ------------------------------------------------------------------------------------ map
def show_maps(d: Any) -> None:
    """Maps of the headline indicators' 偏差値 over the peers, the city outlined; or why there is none."""
    from sckpi_helpers.errors import SckpiError
    from sckpi_helpers.sources.boundaries import CREDIT, has_geometry, load_boundaries
    from sckpi_helpers.viz.maps import plot_deviation_maps

    ids = headline_indicators(d)
    if not ids or len(d.peer_codes) < 2:
        show_notice("地図に描ける指標・比較団体がありません。")
        return
    if d.params.layout == LIGHT:
        show_national_links(d, ids, "地図")
        return
    try:
        geo = load_boundaries()
    except SckpiError as exc:
        show_notice(f"境界データを読めないため地図はありません：{exc}", "warning")
        return
    codes = sorted(set(map(str, d.peer_codes)) | {d.params.city_code})
    drawable = has_geometry(codes, geo)
    if d.params.city_code not in drawable:
        show_notice(f"{d.city_name}（{d.params.city_code}）の境界データがないため、地図は表示しません"
                    "（架空のデモ県など、国土数値情報の行政区域にない団体です）。値は下の表と図で確認できます。")
        return
    sc = peer_scores(d)
    cmp = d.comparison.set_index("indicator_id")
    panels = [(str(cmp.loc[i, "name_ja"]), sc[sc["indicator_id"] == i]) for i in ids]
    fig = plot_deviation_maps(geo, panels, d.params.city_code, d.peer_codes,
                              title=f"比較団体の中での偏差値 — {year_ja(int(d.year), fiscal=False)}")
    alt = (f"地図：{d.city_name}と比較団体{len(codes) - 1}団体の偏差値（5段階の色、データなしは斜線、本市は太線）。"
           + "。".join(standing_text(cmp.loc[i].to_dict() | {"name_ja": cmp.loc[i, "name_ja"]}) for i in ids))
    names = area_names(d)
    table = sc[sc["indicator_id"].isin(ids)].pivot_table(index="area_code", columns="name_ja",
                                                          values="deviation_score", aggfunc="first")
    table = table.round(1).reset_index()
    table.insert(0, "団体", [names.get(c, c) + ("（本市）" if c == d.params.city_code else "") for c in table["area_code"]])
    table = table.drop(columns="area_code")
    missing = len(codes) - len(drawable)
    caption = f"出典：{CREDIT}（行政区域 2021年1月1日現在）" + (f"。境界データのない団体 {missing} 件は地図に描いていません" if missing else "")
    show_figure(fig, "map_deviation", d.params, alt=alt, table=table, caption=caption)


def show_national_links(d: Any, ids: list[str], what: str) -> None:
    """A light set's (``layout="light"``, a national run) pointer to the national pages, where each
    headline indicator's map and distribution over every municipality are drawn once for all."""
    from sckpi_helpers.pages.national import indicator_href_from_set

    cmp = d.comparison.set_index("indicator_id")
    show_links(f"全国一括作成の報告のため、{what}は指標ごとの全国ページにあります（全市区町村の地図・分布・順位）。",
               [(indicator_href_from_set(i, d.params.fiscal_year), str(cmp.loc[i, "name_ja"])) for i in ids])


# ------------------------------------------------------------------------------------ radar
def profile_frames(d: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per pillar, per field): ``label, city, peer_median`` of the mean 偏差値."""
    from sckpi_helpers.viz.radar import field_profile

    sc = peer_scores(d)
    cmp = d.comparison
    fields = getattr(d.catalog, "fields", {}) or {}
    pillar_labels = dict(PILLAR_JA) | {p: FIELD_JA.get(p, getattr(fields.get(p), "name_ja", p))
                                       for p in pd.unique(cmp["pillar"].dropna()) if p not in PILLAR_JA}
    return (field_profile(cmp, sc, "pillar", pillar_labels, d.params.city_code),
            field_profile(cmp, sc, "field", dict(FIELD_JA), d.params.city_code))


def show_radar(d: Any) -> None:
    """A radar of the mean 偏差値 per pillar and per field, the peers' median as a ring."""
    from sckpi_helpers.viz.radar import plot_radar

    if d.comparison is None or not d.comparison["deviation_score"].notna().any():
        show_notice("偏差値を計算できる指標がないため、レーダーチャートはありません。")
        return
    pillars, fields = profile_frames(d)
    pillars = pillars[pillars["city"].notna()]
    fields = fields[fields["city"].notna()]
    fig = plot_radar(pillars, fields)
    best = fields.sort_values("city", ascending=False)
    alt = ("レーダーチャート：柱・分野ごとの平均偏差値（点線の円 = 偏差値50・比較団体の平均、破線 = 比較団体の中央値、外側ほど良い）。"
           + "、".join(f"{r.label} {r.city:.1f}" for r in pillars.itertuples()) + "。"
           + (f"最も高い分野は{best.iloc[0]['label']}（{best.iloc[0]['city']:.1f}）、最も低い分野は"
              f"{best.iloc[-1]['label']}（{best.iloc[-1]['city']:.1f}）。" if len(best) else ""))
    table = pd.concat([pillars.assign(kind="柱"), fields.assign(kind="分野")])
    table = table.assign(city=table["city"].round(1), peer_median=table["peer_median"].round(1))
    show_figure(fig, "radar_deviation", d.params, alt=alt, table=table,
                table_columns={"kind": "区分", "label": "柱・分野", "city": "本市の平均偏差値",
                               "peer_median": "比較団体の中央値"})


# ------------------------------------------------------------------------------------ scatter
def pair_frame(results: pd.DataFrame, year: int, codes: list[str], x_id: str, y_id: str,
               names: dict[str, str]) -> pd.DataFrame:
    """``area_code, name, x, y``: two indicators' values of ``codes`` in ``year`` (the page's scatter and
    the explorer's)."""
    r = results[(results["year"] == int(year)) & results["indicator_id"].isin([x_id, y_id])
                & results["area_code"].isin(set(map(str, codes)))]
    wide = r.pivot_table(index="area_code", columns="indicator_id", values="value", aggfunc="first")
    wide = wide.reindex(columns=[x_id, y_id]).reset_index()
    codes_ = wide["area_code"].astype(str)
    return pd.DataFrame({"area_code": codes_, "name": [names.get(c, c) for c in codes_],
                         "x": wide[x_id].astype(float), "y": wide[y_id].astype(float)})


def scatter_points(d: Any, x_id: str, y_id: str) -> pd.DataFrame:
    """:func:`pair_frame` of the page's city and peers."""
    return pair_frame(d.results, d.year, sorted(set(map(str, d.peer_codes)) | {d.params.city_code}), x_id, y_id,
                      area_names(d))


def default_pair(d: Any) -> tuple[str, str] | None:
    """The page's pair: the first two headline indicators with values for most peers."""
    ids = headline_indicators(d, n=8)
    cmp = d.comparison.set_index("indicator_id")
    ids = sorted(ids, key=lambda i: -int(cmp.loc[i, "n"]))
    return (ids[0], ids[1]) if len(ids) >= 2 else None


def axis_label(row: Any) -> str:
    """``雇用率（%）``: the name with its unit, unless the name already says it."""
    name, unit = str(row["name_ja"]), str(row.get("unit") or "")
    return name if not unit or f"（{unit}）" in name else f"{name}（{unit}）"


def show_pair_scatter(d: Any, pair: tuple[str, str] | None = None) -> None:
    """Two indicators of the city among its peers (the explorer lets a reader choose others)."""
    from sckpi_helpers.viz.radar import plot_pair_scatter

    pair = pair or default_pair(d)
    if pair is None or len(d.peer_codes) < 2:
        show_notice("散布図に使える2指標がありません。")
        return
    x_id, y_id = pair
    cmp = d.comparison.set_index("indicator_id")
    pts = scatter_points(d, x_id, y_id)
    xl, yl = axis_label(cmp.loc[x_id]), axis_label(cmp.loc[y_id])
    fig = plot_pair_scatter(pts, d.params.city_code, xl, yl, x_better=cmp.loc[x_id, "direction"],
                            y_better=cmp.loc[y_id, "direction"],
                            title=f"{cmp.loc[x_id, 'name_ja']} と {cmp.loc[y_id, 'name_ja']} — {year_ja(int(d.year), fiscal=False)}")
    alt = (f"散布図：横軸 {xl}、縦軸 {yl}、比較団体 {int(pts['x'].notna().sum()) - 1} 団体と{d.city_name}。"
           + standing_text(cmp.loc[x_id].to_dict()) + "。" + standing_text(cmp.loc[y_id].to_dict()) + "。")
    table = pts.dropna(subset=["x", "y"], how="all").sort_values("x")
    table = table.assign(name=[n + ("（本市）" if c == d.params.city_code else "")
                               for n, c in zip(table["name"], table["area_code"], strict=True)])
    show_figure(fig, "scatter_pair", d.params, alt=alt, table=table,
                table_columns={"name": "団体", "x": str(cmp.loc[x_id, "name_ja"]), "y": str(cmp.loc[y_id, "name_ja"])})


def neighbours_table(table: pd.DataFrame, d: Any) -> pd.DataFrame:
    """Per indicator of the comparison table: the city's rank and the peers just above and below it,
    named (a table of its own, so the wide comparison table keeps its print width)."""
    if table is None or len(table) == 0 or len(d.peer_codes) < 2:
        return pd.DataFrame()
    nb = rank_neighbours(d)
    rows = table[table["indicator_id"].isin(set(nb))]
    parts = [nb[i].split("／") for i in rows["indicator_id"]]
    return pd.DataFrame({
        "name_ja": rows["name_ja"].to_list(), "rank_txt": rows["rank_txt"].to_list(),
        "above": [next((p[2:] for p in ps if p.startswith("↑")), "—") for ps in parts],
        "below": [next((p[2:] for p in ps if p.startswith("↓")), "—") for ps in parts]})


__all__ = [
    "headline_indicators",
    "neighbours_table",
    "peers_html",
    "rank_neighbours",
    "show_maps",
    "show_pair_scatter",
    "show_peers",
    "show_radar",
]
