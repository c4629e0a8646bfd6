"""The sections of the check notebooks: one function per section (header, summary, KPI table and
charts, logic-model diagram, diagnosis, data coverage, Check❹'s comparison, 00_ingest's overview).

Why here: a notebook cell is one call (``sections.show_kpi_table(D, 1)``), so the notebooks stay
thin and the layout is tested as code. Each function takes the :class:`~sckpi_helpers.checks.data.CheckData`
the notebook loaded once, turns it into Japanese tables and figures, and shows them with the
building blocks of :mod:`.display`. Stage 10 (notebook): imports stages 0–10.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sckpi_helpers.checks.data import (
    CHECKS,
    DIAGNOSIS_OF_CHECK,
    CheckData,
    ingest_overview,
    input_coverage,
    kpi_data_coverage,
    tier_latest,
)
from sckpi_helpers.checks.narrative import check4_summary_lines, check_summary_lines
from sckpi_helpers.config import palette
from sckpi_helpers.config.formatting import SCORE_DECIMALS, format_number, format_share, round_number
from sckpi_helpers.config.vocabulary import (
    DIAGNOSIS_JA,
    FLAG_JA,
    PILLAR_JA,
    RESULT_STATUS_JA,
    STATUS_COLOURS,
    STATUS_JA,
    TREND_JA,
    peer_group_ja,
)
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.notebook.params import LIGHT
from sckpi_helpers.pages.display import (
    publish_summary,
    show_figure,
    show_heading,
    show_missing_notes,
    show_notice,
    show_sources,
    show_summary,
    show_table,
)


def show_report_header(d: CheckData, check: int | None = None) -> None:
    """City, period, 補正人口 and peer group in one box."""
    p = d.params
    lines = [f"自治体：{d.city_name}（{p.city_code}）", f"対象期間：{p.period_ja}（{p.period_label}）"]
    if check is not None:
        label, _, tier_ja, _ = CHECKS[check]
        lines.insert(0, f"{label} {tier_ja}")
    ap = p.city.adjusted_population  # the city's, with the catalog's names (its context)
    lines.append(f"補正人口の定義：{ap.name_ja}（{ap.id}）")
    if check in (None, 4):
        lines.append(f"比較対象：{peer_group_ja(p.peer_group)}")
    lines.append(f"データソース：{p.source}")
    show_notice("\n".join(lines))
    show_quality(d)
    show_corrections()


def show_quality(d: CheckData) -> None:
    """The data-quality findings about the page's values: 要確認 with the reason (open) and
    確認済 with the review note — shown on every page, the values themselves stay."""
    from sckpi_helpers.indicators.gate import finding_line

    if d.quality_problem:
        show_notice(f"データ品質チェックを実行できませんでした：{d.quality_problem}", "error")
        return
    f = d.quality
    if f is None or len(f) == 0:
        return
    opened, reviewed = f[f["status"] == "open"], f[f["status"] == "reviewed"]
    if len(opened):
        show_notice("要確認：次の値は品質チェックで誤りの可能性が指摘されています（値はそのまま示しています）。\n"
                    + "\n".join(finding_line(r) for r in opened.itertuples(index=False)), "warning")
    if len(reviewed):
        show_notice("確認済：品質チェックの指摘を担当者が確認しました。\n"
                    + "\n".join(finding_line(r) for r in reviewed.itertuples(index=False)))


def show_corrections() -> None:
    """訂正履歴: the set's corrections.csv (written by the runner before the notebooks run, in the
    report folder the notebooks run in) — when the period was published before with other values."""
    from sckpi_helpers.pages.quality import read_corrections

    hist = read_corrections()
    if hist is None or hist.empty:
        return
    show_heading("訂正履歴")
    show_notice("この期間の報告は以前にも公開され、その後に次の値が変わりました。以前の報告は archive/ に残しています。",
                "warning")
    show_table(hist, status_col=(), caption="訂正履歴", empty="")


def show_check_summary(d: CheckData, check: int) -> list[str]:
    """Summary box at the top of a check notebook; also ``summary.json`` for the landing page."""
    label, _, tier_ja, _ = CHECKS[check]
    lines = check4_summary_lines(d) if check == 4 else check_summary_lines(d, check)
    show_summary(f"{label} {tier_ja} の要約（{d.city_name} {d.params.period_ja}）", lines)
    publish_summary(d.params, lines[0], lines=lines)
    return lines


def kpi_table(d: CheckData, tier: str):
    """The KPI table of one tier (latest status per indicator), Japanese columns."""
    import pandas as pd

    rows = tier_latest(d, tier)
    if rows is None or len(rows) == 0:
        return pd.DataFrame()
    name_col = "name_en" if d.params.lang == "en" else "name_ja"
    out = pd.DataFrame({
        "measure": [d.measure_name(m) for m in rows["measure_id"]],
        "name": rows[name_col].fillna(rows["name_ja"]).to_list(),
        "period": [period_ja(p) for p in rows["period"]],
        "actual": rows["actual"].to_list(),
        "unit": rows["unit"].to_list(),
        "baseline": [f"{format_number(v, u)}［{period_ja(p)}］" if p else format_number(v, u)
                     for v, u, p in zip(rows["baseline"], rows["unit"], rows["baseline_period"], strict=False)],
        "target": [f"{format_number(v, u)}［{period_ja(p)}］" if p else format_number(v, u)
                   for v, u, p in zip(rows["target"], rows["unit"], rows["target_period"], strict=False)],
        "progress": rows["progress"].to_list(),  # the number, for the CSV only (the page shows the word)
        "progress_class": rows["progress_class"].to_list(),
        "expected": [format_share(v, missing=None) for v in rows["expected_progress"]],
        "status": rows["status"].to_list(),
        "trend": [TREND_JA.get(t, "—") if isinstance(t, str) else "—" for t in rows["trend"]],
        "source": rows["data_source"].to_list(),
    })
    return out



KPI_COLUMNS = {"measure": "施策", "name": "指標", "period": "期間", "actual": "実績", "unit": "単位",
               "baseline": "基準値", "target": "次の目標", "progress_class": "進捗", "expected": "計画上の目安",
               "status": "状況", "trend": "傾向", "source": "出典"}


def period_ja(label: Any) -> str:
    """A period label (``2024``, ``2024Q4``) as the page writes it, with the era (``periods.year_ja``)."""
    from sckpi_helpers.config.periods import PeriodError, parse_period

    try:
        return parse_period(str(label)).label_ja
    except (PeriodError, ValueError):
        return "" if label is None else str(label)


def show_kpi_table(d: CheckData, check: int) -> None:
    """KPI table of the check's tier with coloured status."""
    label, tier, tier_ja, _ = CHECKS[check]
    if not d.has_model:
        show_notice(f"{d.model_problem} {label}のKPI表はありません。", "warning")
        return
    show_table(kpi_table(d, tier), columns=KPI_COLUMNS, name=f"kpi_{tier}", params=d.params,
               status_col=("status", "progress_class"),
               caption=f"{tier_ja}の指標（{d.params.period_ja}時点）",
               empty=f"ロジックモデルに{tier_ja}の指標がありません。")


def plot_kpi_series(d: CheckData, tier: str, *, ncols: int = 2):
    """Small multiples: each indicator's actuals by period, the planned line and the targets."""
    import math

    import matplotlib.pyplot as plt

    from sckpi_helpers.viz.style import use_japanese_font

    use_japanese_font()
    tr = d.tracking[d.tracking["tier"] == tier] if d.tracking is not None else None
    if tr is None or tr.empty:
        return None
    groups = list(tr.groupby(["measure_id", "indicator_id"], sort=False))
    n = len(groups)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.2 * nrows), squeeze=False)
    for ax, ((_, _), g) in zip(axes.flat, groups, strict=False):
        g = g.sort_values("period_end")
        x = list(range(len(g)))
        labels = list(g["period"])
        ax.plot(x, g["expected"], color=palette.TARGET, ls=(0, (4, 2)), lw=1.1, label="計画上の目安")
        ax.plot(x, g["actual"], color=palette.TEXT, lw=1.2, zorder=2)
        for xi, (v, st) in enumerate(zip(g["actual"], g["status"], strict=False)):
            if not math.isnan(v):  # status by colour and by marker shape
                ax.scatter([xi], [v], color=STATUS_COLOURS.get(st, palette.GREY), marker=palette.STATUS_MARKER_SHAPES.get(st, "o"),
                           zorder=3, s=34, edgecolor="black", linewidth=0.5)
        base_p, base_v = g["baseline_period"].iloc[0], g["baseline"].iloc[0]
        if base_p in labels:
            ax.scatter([labels.index(base_p)], [base_v], marker="s", s=45, color=palette.BASELINE, zorder=4)
        elif not math.isnan(float(base_v)):
            ax.axhline(base_v, color=palette.BASELINE, lw=0.8, ls=":")
        tgt = g.dropna(subset=["target"]).drop_duplicates("target_period")
        for tp, tv in zip(tgt["target_period"], tgt["target"], strict=False):
            if tp in labels:
                ax.scatter([labels.index(tp)], [tv], marker="*", s=110, color=palette.TARGET, edgecolor="black",
                           zorder=4)
            else:
                ax.axhline(tv, color=palette.TARGET, lw=0.9, ls="-.")
        unit = g["unit"].iloc[0] or ""
        ax.set_title(f"{d.measure_name(g['measure_id'].iloc[0])}：{g['name_ja'].iloc[0]}", fontsize=9.5)
        ax.set_ylabel(unit, fontsize=8)
        step = max(1, len(labels) // 6)
        ax.set_xticks(x[::step])
        ax.set_xticklabels(labels[::step], fontsize=7.5, rotation=0)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color=palette.TARGET, ls=(0, (4, 2)), label="計画上の目安（基準値→目標）"),
               plt.Line2D([], [], marker="s", color=palette.BASELINE, ls="", markersize=7, label="基準値（点線：図の範囲外）"),
               plt.Line2D([], [], marker="*", color=palette.TARGET, ls="", markersize=11, label="目標（一点鎖線：範囲外）")]
    handles += [plt.Line2D([], [], marker=palette.STATUS_MARKER_SHAPES[k], color=c, markeredgecolor="black", ls="",
                           label=STATUS_JA[k]) for k, c in STATUS_COLOURS.items() if k != "no_data"]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.1 if nrows == 1 else 0.06, 1, 1))
    return fig


def show_kpi_charts(d: CheckData, check: int) -> None:
    """The tier's KPI time series (or a note)."""
    _, tier, tier_ja, _ = CHECKS[check]
    if not d.has_model:
        show_notice(f"{d.model_problem} グラフはありません。", "warning")
        return
    fig = plot_kpi_series(d, tier)
    if fig is None:
        show_notice(f"{tier_ja}の指標の推移データはありません。")
        return
    rows = tier_latest(d, tier)
    from sckpi_helpers.config.vocabulary import PROGRESS_JA

    alt = (f"折れ線グラフ：{tier_ja}の指標の推移、計画上の目安（基準値から目標への直線）と目標。"
           + "。".join(f"{n}：{period_ja(p)} {format_number(v)}{u or ''}、{PROGRESS_JA.get(c, '')}"
                       f"（基準値 {format_number(b)}、目標 {format_number(t)}［{period_ja(tp)}］）"
                       for n, p, v, u, c, b, t, tp in zip(rows["name_ja"], rows["period"], rows["actual"], rows["unit"],
                                                          rows["progress_class"], rows["baseline"], rows["target"],
                                                          rows["target_period"], strict=False)) + "。")
    tr = d.tracking[d.tracking["tier"] == tier]
    table = tr.assign(period_ja=[period_ja(p) for p in tr["period"]])
    show_figure(fig, f"kpi_series_{tier}", d.params, alt=alt, table=table,
                table_columns={"name_ja": "指標", "period_ja": "期間", "actual": "実績", "expected": "計画上の目安",
                               "target": "次の目標", "status_ja": "状況"})


def show_logic_model(d: CheckData) -> None:
    """The logic model diagram, boxes coloured by status (or why there is none)."""
    if not d.has_model:
        show_notice(f"{d.model_problem} ロジックモデル図はありません。", "warning")
        return
    from sckpi_helpers.viz.diagram import draw_logic_model

    fig = draw_logic_model(d.model, d.tracking, period=d.params.period,
                           title=f"{d.city_name} ロジックモデル（{d.params.period_ja}）")
    counts: dict[str, int] = {}
    for box in getattr(fig, "sckpi_boxes", {}).values():
        if box.get("status"):
            counts[box["status"]] = counts.get(box["status"], 0) + 1
    alt = ("ロジックモデル図：施策ごとにインプットから第3階層までの箱と矢印、各箱に状況を文字と記号で表示。"
           + "、".join(f"{STATUS_JA[s]} {n}箱" for s, n in counts.items() if s in STATUS_JA) + "。")
    show_figure(fig, "logic_model", d.params, alt=alt)


DIAGNOSIS_COLUMNS_JA = {"measure_name_ja": "施策", "field_ja": "分野", "diagnosis_ja": "診断",
                        "message_ja": "内容", "action_ja": "推奨される改善（Action）", "evidence": "根拠"}


def show_diagnosis(d: CheckData, check: int | None = None) -> None:
    """Where each measure's chain breaks and the Action (all measures; the check's first)."""
    if not d.has_model:
        show_notice(f"{d.model_problem} 診断はできません。", "warning")
        return
    dg = d.diagnosis.copy()
    dg["diagnosis_ja"] = dg["diagnosis"].map(DIAGNOSIS_JA).fillna(dg["diagnosis"])
    if check is not None:
        code = DIAGNOSIS_OF_CHECK[check]
        dg = dg.assign(_o=(dg["diagnosis"] != code).astype(int)).sort_values("_o", kind="stable").drop(columns="_o")
    show_table(dg, status_col=(), columns=DIAGNOSIS_COLUMNS_JA, name="diagnosis", params=d.params,
               empty="診断する施策がありません。")


CADENCE_JA = {"as_needed": "適宜", "monthly": "毎月", "quarterly": "四半期", "semiannual": "半期",
              "yearly": "毎年", "every_2_years": "2年ごと", "every_5_years": "5年ごと", "every_10_years": "10年ごと"}


def show_data_coverage(d: CheckData, check: int) -> None:
    """Data coverage of the tier's indicators, the data sources and notes on missing data."""
    _, tier, tier_ja, _ = CHECKS[check]
    if not d.has_model:
        show_notice(f"{d.model_problem} 地域データ（アウトプット・アウトカム第1〜2階層）の収集状況は表示できません。",
                    "warning")
        return
    cov = kpi_data_coverage(d, tier)
    if len(cov):
        cov["cadence"] = cov["cadence"].map(lambda c: CADENCE_JA.get(c, c))
        cov["last"] = [period_ja(p) if p != "—" else p for p in cov["last"]]
    show_table(cov, status_col=(), caption=f"{tier_ja}の指標のデータ収集状況（計画開始から{d.params.period_ja}まで）",
               columns={"name": "指標", "cadence": "頻度", "due": "対象期間数", "with_data": "データあり",
                        "share": "充足率", "last": "最新のデータ", "source": "データ取得元",
                        "recorded_as": "記録された出典"},
               name=f"coverage_{tier}", params=d.params)
    rows = tier_latest(d, tier)
    missing = rows[rows["status"] == "no_data"] if rows is not None and len(rows) else None
    if missing is not None and len(missing):
        import pandas as pd

        missing = pd.DataFrame({
            "name": missing["name_ja"],
            "reason": [f"{p} のデータがありません（最新のデータ：{lp or 'なし'}、取得元：{src or '未記載'}）"
                       + (f"。{n}" if isinstance(n, str) and n else "")
                       for p, lp, src, n in zip(missing["period"], missing["last_period_with_data"],
                                                missing["data_source"], missing["note"], strict=False)]})
    show_missing_notes(missing)
    show_local_sources(d)


def show_local_sources(d: CheckData) -> None:
    """Where the city's local data came from: source, indicators, periods."""
    import pandas as pd

    loc = d.local
    if loc is None or len(loc) == 0:
        show_notice("地域データ（ローカルデータ）は登録されていません。")
        return
    g = loc.groupby(loc["source"].fillna("（出典未記載）"))
    df = pd.DataFrame({"source": list(g.groups),
                       "indicators": [int(x) for x in g["indicator_id"].nunique()],
                       "rows": [int(x) for x in g.size()],
                       "first": [min(map(str, v)) for _, v in g["period"]],
                       "last": [max(map(str, v)) for _, v in g["period"]]})
    show_sources(df, columns={"source": "出典", "indicators": "指標数", "rows": "行数", "first": "最初の期間",
                              "last": "最新の期間"}, title="地域データの出典と期間")


def show_system_flags(d: CheckData) -> None:
    """Flags on the evaluation system itself (評価体系の見直し)."""
    if not d.has_model:
        return
    show_table(d.flags, status_col=(), columns={"name_ja": "指標", "flag": "種類", "message_ja": "内容",
                                                "action_ja": "推奨"},
               name="system_flags", params=d.params, empty="評価体系について指摘事項はありません。")


COMPARE_COLUMNS_JA = {"name_ja": "指標", "pillar_ja": "柱", "required_ja": "必須", "value": "値", "unit": "単位",
                      "rank_txt": "順位", "deviation_score": "偏差値", "peer_median": "比較団体の中央値",
                      "trend_ja": "傾向", "status_ja": "算出", "provisional_ja": "確度", "quality_ja": "品質"}


def comparison_table(d: CheckData):
    import math


    cmp = d.comparison.copy()
    fields = getattr(d.catalog, "fields", {}) or {}
    cmp["pillar_ja"] = [PILLAR_JA.get(p) or getattr(fields.get(p), "name_ja", p) for p in cmp["pillar"]]
    cmp["required_ja"] = ["必須" if r else "選択" for r in cmp["required"]]
    cmp["rank_txt"] = [f"{int(r)} / {n}" if not math.isnan(r) else "—" for r, n in zip(cmp["rank"], cmp["n"], strict=False)]
    cmp["status_ja"] = cmp["status"].map(RESULT_STATUS_JA).fillna(cmp["status"])
    cmp["deviation_score"] = [round_number(x, decimals=SCORE_DECIMALS) for x in cmp["deviation_score"]]
    cmp["provisional_note"] = [provisional_note(d, i) for i in cmp["indicator_id"]]
    cmp["provisional_ja"] = ["暫定" if n else "" for n in cmp["provisional_note"]]
    _flag_columns(d, cmp)
    from sckpi_helpers.checks.quality import mark_text, marks_by_indicator

    marks = marks_by_indicator(d.quality, d.results, d.params.city_code, d.year)
    cmp["quality_ja"] = [mark_text(marks.get(i, [])) for i in cmp["indicator_id"]]
    return cmp


def _flag_columns(d: CheckData, cmp) -> None:
    """推計 / 代替 and what was used (the engine's reason in Japanese), and the 補正人口 definition
    actually used, for every value shown: the page's 算出 column and notice, the CSV and workbook columns."""
    from sckpi_helpers.indicators.reasons import definition_name, reason_ja

    flags = cmp["flag"] if "flag" in cmp.columns else [None] * len(cmp)
    used = cmp["adjusted_population"] if "adjusted_population" in cmp.columns else [None] * len(cmp)
    cmp["flag_ja"] = [FLAG_JA.get(f, "") if isinstance(f, str) else "" for f in flags]
    cmp["flag_detail"] = [reason_ja(r, d.catalog) if isinstance(f, str) else ""
                          for f, r in zip(flags, cmp["reason"], strict=True)]
    cmp["adjusted_ja"] = [definition_name(d.catalog, u) if isinstance(u, str) else "" for u in used]
    # the page's 算出 column says 推計 / 代替 itself (the table keeps its A4 width); CSV: flag_ja, flag_detail
    cmp["status_ja"] = [f or s for f, s in zip(cmp["flag_ja"], cmp["status_ja"], strict=True)]


def _adjusted(d: CheckData) -> str | None:
    return d.params.city.adjusted_population.id


def provisional_note(d: CheckData, indicator_id: str) -> str:
    """``暫定（未確認: 刑法犯認知件数）`` when the indicator reads an e-Stat item code that no published
    material confirms (catalog ``confirmed: false``); empty when every input is confirmed."""
    names = [getattr(d.catalog.inputs.get(n), "name_ja", n)
             for n in d.catalog.provisional_inputs(indicator_id, _adjusted(d))]
    return f"暫定（未確認: {'、'.join(names)}）" if names else ""


def designated_city_notes(d: CheckData) -> list[str]:
    """The 政令指定都市 rules of the inputs behind the page's indicators, when the city is one."""
    from sckpi_helpers.sources.areas import designated_cities

    if d.params.city_code not in designated_cities() or d.comparison is None:
        return []
    notes = {text for i in d.comparison["indicator_id"]
             for _n, text in d.catalog.designated_city_rules(i, _adjusted(d))}
    return sorted(notes)


def show_comparison(d: CheckData) -> None:
    """The peer comparison table (every tier-3 indicator)."""
    if d.peer_problem:
        show_notice(f"比較対象を決められません：{d.peer_problem}", "warning")
    from sckpi_helpers.notebook.peer_page import neighbours_table

    table = comparison_table(d)
    show_table(table, status_col=(), columns=COMPARE_COLUMNS_JA, name="peer_comparison",
               params=d.params, caption=f"第3階層指標と類似都市比較（{year_label(d.year)}、{peer_group_ja(d.params.peer_group)}）",
               empty="比較できる指標がありません。")
    near = neighbours_table(table, d)
    if len(near):
        show_table(near, status_col=(), name="rank_neighbours", params=d.params,
                   caption="順位の前後の団体（各指標で本市のすぐ上・すぐ下の団体）",
                   columns={"name_ja": "指標", "rank_txt": "本市の順位", "above": "すぐ上の団体", "below": "すぐ下の団体"})
    notes = [f"{n}：{note}" for n, note in zip(table["name_ja"], table["provisional_note"], strict=True) if note]
    if notes:
        show_notice("確度「暫定」の指標は、公表資料で項目コードを確認できていない統計を使っています"
                    "（カタログの confirmed: false）。値は参考としてください。\n" + "\n".join(notes), "warning")
    used = [f"{n}（{f}）：{x}" for n, f, x in zip(table["name_ja"], table["flag_ja"], table["flag_detail"], strict=True)
            if f]
    if used:
        show_notice("算出が「推計」の値は前回の値の繰越し・補間を、「代替」の値は代わりの統計や別の補正人口の定義を"
                    "使っています（表の CSV の flag_detail・adjusted_ja 列にも記載）：\n" + "\n".join(used), "info")
    for note in designated_city_notes(d):
        show_notice(f"政令指定都市の扱い：{note}", "info")
    warning = resident_warning(d)
    if warning:
        show_notice(warning, "warning")


def resident_warning(d: CheckData) -> str | None:
    """The warning when 補正人口 is 常住人口 for a city whose daytime population is far above its
    residents (千代田区: about 14 times): per-resident rates overstate what the guideline means."""
    from sckpi_helpers.indicators.plan import resident_fallback_warning

    if d.results is None or d.year is None:
        return None
    return resident_fallback_warning(d.results, d.panel, d.catalog, d.params.city_code, d.year, d.city_name)


def show_pillar_scores(d: CheckData) -> None:
    import pandas as pd

    from sckpi_helpers.viz.plots import plot_pillar_scores

    if d.pillars is None or len(d.pillars) == 0 or not d.pillars["deviation_score"].notna().any():
        show_notice("柱別の得点を計算できる指標がありません。")
        return
    alt = "横棒グラフ：柱別の平均偏差値（50 = 比較団体の平均）。" + "、".join(
        f"{r.pillar_ja} {format_number(r.deviation_score, decimals=SCORE_DECIMALS)}"
        f"（{'平均以上' if r.deviation_score >= 50 else '平均未満'}）"
        for r in d.pillars.itertuples() if pd.notna(r.deviation_score)) + "。数値は下の表にもあります。"
    show_figure(plot_pillar_scores(d.pillars), "pillar_scores", d.params, alt=alt)
    show_table(d.pillars.assign(deviation_score=[round_number(x, decimals=SCORE_DECIMALS)
                                                   for x in d.pillars["deviation_score"]]), status_col=(),
               columns={"pillar_ja": "柱", "deviation_score": "平均偏差値", "note": "使用した指標数",
                        "indicators": "指標"}, name="pillar_summary", params=d.params)


def show_peer_strip(d: CheckData) -> None:
    from sckpi_helpers.viz.plots import plot_peer_strip

    if len(d.peer_codes) < 2:
        show_notice("比較団体がないため、分布図はありません。")
        return
    fig = plot_peer_strip(d.results, d.catalog, d.params.city_code, d.year, d.peer_codes)
    cmp = d.comparison[d.comparison["deviation_score"].notna()] if d.comparison is not None else None
    above = int((cmp["deviation_score"] >= 50).sum()) if cmp is not None else 0
    alt = (f"箱ひげ図：指標ごとの比較団体 {len(d.peer_codes)} 団体の偏差値の分布と{d.city_name}の位置（右ほど良い）。"
           f"{len(cmp) if cmp is not None else 0} 指標のうち {above} 指標で平均以上。各指標の値・順位・偏差値は比較表にあります。")
    show_figure(fig, "peer_strip", d.params, alt=alt)


def model_targets(d: CheckData, indicator_id: str) -> tuple[tuple[int, float] | None, list[tuple[int, float]]]:
    """The logic model's baseline and targets of a tier-3 indicator as (year, value) (none without one)."""
    if not d.has_model:
        return None, []
    from sckpi_helpers.config.periods import parse_period

    def year(m) -> int:
        return parse_period(m.period).fiscal_year if m.period is not None else m.date.year

    for _m, _b, spec in d.model.iter_indicators():
        if spec.id == indicator_id or spec.catalog == indicator_id:
            return (year(spec.baseline), float(spec.baseline.value)), [(year(t), float(t.value)) for t in spec.targets]
    return None, []


def show_timeseries(d: CheckData, *, max_charts: int = 6) -> None:
    """Time series against the peer band (and the logic model's baseline and targets) for the headline
    indicators; each with alternative text (latest value, rank, direction) and its data as a table."""
    import pandas as pd

    from sckpi_helpers.notebook.peer_page import headline_indicators, standing_text
    from sckpi_helpers.viz.plots import plot_timeseries_with_peers

    cmp = d.comparison
    if cmp is None or len(cmp) == 0:
        show_notice("時系列を描ける指標がありません。")
        return
    ids = headline_indicators(d, n=max_charts)
    rows = cmp.set_index("indicator_id")
    light = d.params.layout == LIGHT  # a national run's set: the series as tables, no drawings
    if light:
        from sckpi_helpers.notebook.peer_page import show_national_links

        show_national_links(d, ids, "全国の分布と地図")
    shown = d.results[d.results["indicator_id"].isin(ids)]  # the charted indicators' rows, split once
    by_id = dict(tuple(shown.groupby("indicator_id", sort=False)))
    peers = set(map(str, d.peer_codes)) - {d.params.city_code}
    for i in ids:
        base, targets = (None, []) if light else model_targets(d, i)
        try:
            fig = None if light else plot_timeseries_with_peers(d.results, i, d.params.city_code, d.peer_codes,
                                                                d.catalog, baseline=base, targets=targets)
        except SckpiError as exc:
            show_notice(f"{i}：{exc}")
            continue
        r = by_id.get(i, shown.iloc[:0])
        others = r[r["area_code"].isin(peers)]
        mine = r[r["area_code"] == d.params.city_code].set_index("year")["value"]
        med = others.groupby("year")["value"].median()
        years = sorted(set(mine.index) | set(med.index))
        table = pd.DataFrame({"year": [year_label(y) for y in years],
                              "city": [mine.get(y) for y in years], "median": [med.get(y) for y in years]})
        trend = rows.loc[i, "trend_ja"] if i in rows.index else ""
        columns = {"year": "年", "city": d.city_name, "median": "比較団体の中央値"}
        if light:  # the figure's data, captioned with its trend
            show_table(table, status_col=(), columns=columns, caption=f"{rows.loc[i, 'name_ja']}の推移（傾向：{trend}）",
                       name=f"timeseries_{i}", params=d.params)
            continue
        alt = (f"折れ線グラフ：{rows.loc[i, 'name_ja']}の推移（{years[0]}–{years[-1]}年）と比較団体の中央値・四分位範囲。"
               f"最新：{standing_text(rows.loc[i].to_dict())}。傾向：{trend}。"
               + (f"基準値 {format_number(base[1])}（{base[0]}）、目標 " + "、".join(f"{format_number(v)}（{y}）" for y, v in targets)
                  + "。" if base else ""))
        show_figure(fig, f"timeseries_{i}", d.params, alt=alt, table=table, table_columns=columns)


def year_label(y: Any) -> str:
    """A statistics year with its era: ``2022年（令和4年）``."""
    from sckpi_helpers.config.periods import year_ja

    try:
        return year_ja(int(y), fiscal=False)
    except (TypeError, ValueError):
        return str(y)


def show_tier3_coverage(d: CheckData) -> None:
    """How many tier-3 indicators the city has, and why the others are missing."""
    from sckpi_helpers.indicators.coverage import coverage_summary

    cov = d.coverage
    if cov is None or len(cov) == 0:
        show_notice("カバレッジを計算できません。")
        return
    summ = coverage_summary(cov)
    show_table(summ, status_col=(), caption=f"第3階層指標のカバレッジ（{year_label(d.year)}）",
               columns={c: h for c, h in (("state_ja", "状態"), ("n", "指標数"), ("count", "指標数"),
                                         ("required", "うち必須"), ("n_required", "うち必須"))
                        if c in summ.columns} or None, name="coverage_summary", params=d.params)
    miss = d.missing
    if miss is None or len(miss) == 0:
        show_notice("すべての第3階層指標を算出できています。")
        return
    show_table(miss.assign(missing_inputs=miss["missing_inputs"].map("、".join)), status_col=(),
               caption=f"算出できない・推計を含む第3階層指標（{d.year}年）",
               columns={"name_ja": "指標", "state_ja": "状態", "missing_ja": "不足する入力", "since": "いつから"},
               name="missing_indicators", params=d.params)


def show_missing_plan(d: CheckData) -> None:
    """「データを追加すると算出できる指標」: the missing inputs ranked by how many indicators each
    would unlock on its own (required first), with where to get each."""
    from sckpi_helpers.indicators.plan import plan

    if d.results is None or d.year is None:
        show_notice("指標を計算できないため、追加するデータの案内はありません。")
        return
    steps = plan(d.results, d.catalog, d.params.city_code, d.year, missing=d.missing)
    show_table(steps, status_col=(), caption=f"データを追加すると算出できる指標（{d.year}年）",
               columns={"name_ja": "不足する入力", "unlocks": "算出できる指標数", "unlocks_required": "うち必須",
                        "indicators": "算出できる指標", "where_to_get": "入手先"},
               name="missing_inputs_plan", params=d.params,
               empty="不足している入力データはありません。")


def show_statistics_sources(d: CheckData, variables: Iterable[str] | None = None) -> None:
    """Government-statistics sources used for the city: variables, years, publication dates."""
    import pandas as pd

    panel = d.panel[d.panel["area_code"].astype(str) == d.params.city_code]
    if variables is not None:
        panel = panel[panel["variable"].isin(set(variables))]
    if panel.empty:
        show_notice("この自治体の政府統計データはありません。")
        return
    g = panel.groupby("source")
    df = pd.DataFrame({
        "source": list(g.groups),
        "variables": ["、".join(sorted(map(str, v.unique()))[:8]) for _, v in g["variable"]],
        "years": [f"{int(v.min())}–{int(v.max())}" for _, v in g["year"]],
        "rows": [int(x) for x in g.size()],
        "published": [max(map(str, v.dropna())) if v.notna().any() else "—" for _, v in g["published"]],
    })
    show_sources(df, columns={"source": "出典", "variables": "変数", "years": "年", "rows": "件数",
                              "published": "公表日（最新）"}, title="政府統計の出典と日付")


def show_field_balance(d: CheckData) -> None:
    """Measures per field (施策体系の分野間バランス)."""
    if not d.has_model:
        return
    from sckpi_helpers.checks.diagnosis import field_balance

    fb = field_balance(d.model, d.catalog)
    show_table(fb, status_col=(), columns={"field_ja": "分野", "n_measures": "施策数", "n_indicators": "指標数",
                                           "n_tier3_catalog": "第3階層指標", "note": "所見",
                                           "action_ja": "推奨"},
               name="field_balance", params=d.params)


def show_ingest(params: Any) -> dict[str, Any]:
    """The 00_ingest notebook's body: what was built, from which sources, how complete."""

    info = ingest_overview(params)
    man = info["manifest"]
    show_heading("取込結果", 2)
    if man:
        show_notice("\n".join([
            f"作成日時：{man.get('built_at', '—')}",
            f"対象自治体（設定）：{man.get('city_code', '—')}　データソース：{man.get('source', '—')}",
            f"年の範囲：{'–'.join(map(str, man.get('years') or [])) or '—'}",
            f"外部統計で置き換えた行：{man.get('overridden_by_external', 0)}",
            f"対応づけできなかった統計項目：{'、'.join(man.get('unmapped_items') or []) or 'なし'}",
        ]))
    rows = man.get("rows") or {}
    import pandas as pd

    show_table(pd.DataFrame({"file": list(rows), "rows": list(rows.values())}) if rows else info["files"],
               status_col=(), columns={"file": "データ", "rows": "行数"}, name="processed_files", params=params)
    panel = info["panel"]
    mine = panel[panel["area_code"].astype(str) == params.city_code]
    show_heading("自治体", 3)
    muni = info["areas"]
    show_notice(f"地域数：{len(muni)}（うち市区町村 {int((muni['level'] == 'municipality').sum())}）。"
                f"{params.city_code} の政府統計：{len(mine)} 行、"
                f"{mine['variable'].nunique()} 変数、{int(mine['year'].min()) if len(mine) else '—'}–"
                f"{int(mine['year'].max()) if len(mine) else '—'} 年。")
    catalog = params.city.catalog  # the city's, with its extensions (its context)
    cov = input_coverage(panel, catalog, params.city_code, params.fiscal_year)
    show_heading(f"入力変数のカバレッジ（{params.city_code}、{params.fiscal_year}年時点）", 3)
    show_table(cov, status_col=(), columns={"input": "変数ID", "name": "変数", "years": "年数", "latest": "最新年",
                                            "current": "当年の値", "source": "出典", "published": "公表日"},
               name="input_coverage", params=params)
    missing = cov[cov["current"] != "あり"].assign(
        reason=lambda x: [f"最新年 {v}" if v != "—" else "データなし" for v in x["latest"]])
    show_missing_notes(missing if len(missing) else None, title="当年の値がない入力変数")
    d = CheckData(params=params, catalog=catalog, panel=panel, local=info["local"][
        info["local"]["area_code"].astype(str) == params.city_code], areas=info["areas"],
        city_name=params.city_name)
    show_statistics_sources(d)
    show_local_sources(d)
    return info
