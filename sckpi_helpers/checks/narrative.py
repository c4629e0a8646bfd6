"""The Japanese summary text of the checks: what improved, what is behind, the diagnosis, the Action.

:func:`summary_ja` words one check from lists of names; :func:`check_summary_lines` (Check❶–❸) and
:func:`check4_summary_lines` (Check❹) read a :class:`~sckpi_helpers.checks.data.CheckData`.
Why here: the wording is the guideline's (Action per check) and is tested as plain strings,
apart from any HTML. Stage 7 (checks): imports stages 0–7; the status and peer-group labels
still come from ``viz.style`` until they move to ``config.vocabulary``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sckpi_helpers.checks.data import CHECKS, DIAGNOSIS_OF_CHECK, CheckData, tier_latest
from sckpi_helpers.config.formatting import SCORE_DECIMALS, format_number
from sckpi_helpers.config.vocabulary import STATUS_JA, peer_group_ja

STATUS_ORDER = ("achieved", "on_track", "behind", "no_data")


def status_counts(statuses: Iterable[Any]) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for s in statuses:
        key = str(s) if str(s) in counts else "no_data"
        counts[key] += 1
    return counts


def counts_ja(counts: Mapping[str, int]) -> str:
    return "、".join(f"{STATUS_JA[k]} {counts.get(k, 0)}" for k in STATUS_ORDER)


def summary_ja(check: int, *, improved: Sequence[str] = (), behind: Sequence[str] = (),
               no_data: Sequence[str] = (), diagnosis: Sequence[str] = (), counts: Mapping[str, int] | None = None,
               action: str | None = None, limit: int = 6) -> list[str]:
    """The Japanese summary lines of a check: improved, behind, diagnosis, Action."""
    label, _, tier_ja, default_action = CHECKS[check]

    def _names(items: Sequence[str]) -> str:
        items = [str(x) for x in items]
        head = "、".join(items[:limit])
        return head + (f" ほか{len(items) - limit}件" if len(items) > limit else "")

    lines = []
    if counts is not None:
        lines.append(f"{label}（{tier_ja}）の指標 {sum(counts.values())} 件：{counts_ja(counts)}。")
    lines.append(f"改善・達成：{_names(improved)}。" if improved else "改善・達成した指標はありません。")
    lines.append(f"遅れ：{_names(behind)}。" if behind else "遅れている指標はありません。")
    if no_data:
        lines.append(f"データなし：{_names(no_data)}（データの収集・入力を確認してください）。")
    for d in diagnosis:
        lines.append(f"診断：{d}")
    if behind:
        lines.append(f"推奨される改善（Action）：{action or default_action}。")
    else:
        lines.append("推奨される改善（Action）：現在の取組を継続し、次回のチェックで推移を確認する。")
    return lines


def _names(df, col: str = "name_ja") -> list[str]:
    return [str(x) for x in df[col]] if df is not None and len(df) else []


def action_of(check: int) -> str:
    """The Action of a failed check (the vocabulary's one wording, :data:`CHECKS`)."""
    return CHECKS[check][3]


def check_summary_lines(d: CheckData, check: int) -> list[str]:
    """The Japanese summary of Check❶–❸ (what improved, what is behind, diagnosis, Action)."""
    label, tier, tier_ja, _ = CHECKS[check]
    if not d.has_model:
        return [f"{d.model_problem} {label}（{tier_ja}）は評価できません。",
                "Check❹（政府統計による第3階層の評価）は、ロジックモデルがなくても実施できます。"]
    rows = tier_latest(d, tier)
    if rows is None or len(rows) == 0:
        return [f"ロジックモデルに{tier_ja}の評価指標がありません。評価体系の見直し（指標の設定）を検討してください。"]
    counts = status_counts(rows["status"])
    improved = rows[(rows["status"] == "achieved") | ((rows["status"] == "on_track") & (rows["trend"] == "better"))]
    behind = rows[rows["status"] == "behind"]
    nodata = rows[rows["status"] == "no_data"]
    code = DIAGNOSIS_OF_CHECK[check]
    diag = []
    if d.diagnosis is not None and len(d.diagnosis):
        hit = d.diagnosis[d.diagnosis["diagnosis"] == code]
        diag = [f"{r.measure_name_ja}：{r.message_ja}" for r in hit.itertuples(index=False)]
        nod = d.diagnosis[(d.diagnosis["diagnosis"] == "no_data") & (d.diagnosis["break_to"] == tier)]
        diag += [f"{r.measure_name_ja}：{r.message_ja}" for r in nod.itertuples(index=False)]
    if not diag:
        diag = [f"{tier_ja}で因果の連鎖が途切れている施策はありません。"]
    return summary_ja(check, improved=_names(improved), behind=_names(behind), no_data=_names(nodata),
                      diagnosis=diag, counts=counts, action=action_of(check))


def check4_summary_lines(d: CheckData) -> list[str]:
    """Check❹ summary: standing among peers, trends, weakest pillar, Action."""
    import math

    cmp = d.comparison
    lines = []
    if d.year_note:
        lines.append(d.year_note)
    if cmp is None or len(cmp) == 0:
        return lines + ["第3階層の複合指標を算出できませんでした。データの取込状況を確認してください。"]
    scored = cmp[cmp["deviation_score"].notna()]
    lines.append(f"{d.year}年の第3階層指標 {len(cmp)} 件のうち {len(scored)} 件を"
                 f"{peer_group_ja(d.params.peer_group)}（{len(d.peer_codes)}団体）と比較しました。")
    better = cmp[cmp["trend"] == "better"]
    worse = cmp[cmp["trend"] == "worse"]
    low = scored[scored["deviation_score"] < 45].sort_values("deviation_score")
    lines.append("改善傾向：" + ("、".join(better["name_ja"].astype(str).head(6))
                               + (f" ほか{len(better) - 6}件" if len(better) > 6 else "") if len(better)
                               else "なし") + "。")
    lines.append("悪化傾向：" + ("、".join(worse["name_ja"].astype(str).head(6))
                               + (f" ほか{len(worse) - 6}件" if len(worse) > 6 else "") if len(worse)
                               else "なし") + "。")
    if len(low):
        lines.append("比較団体より遅れている指標（偏差値45未満）：" + "、".join(
            f"{n}（{format_number(s, decimals=0)}）" for n, s in zip(low["name_ja"].head(6), low["deviation_score"].head(6), strict=False))
            + "。")
    ps = d.pillars
    if ps is not None and len(ps) and ps["deviation_score"].notna().any():
        w = ps.loc[ps["deviation_score"].idxmin()]
        lines.append("柱別の平均偏差値：" + "、".join(
            f"{r.pillar_ja} {format_number(r.deviation_score, decimals=SCORE_DECIMALS)}" for r in ps.itertuples(index=False)
            if not math.isnan(r.deviation_score)) + f"。最も弱いのは「{w['pillar_ja']}」です。")
    if d.has_model:
        t3 = tier_latest(d, "outcome3")
        if t3 is not None and len(t3):
            lines.append(f"ロジックモデルの第3階層KPI：{counts_ja(status_counts(t3['status']))}。")
    lines.append(f"推奨される改善（Action）：{action_of(4)}。2〜3年ごとに評価体系（指標の妥当性・代替指標）も見直す。")
    return lines
