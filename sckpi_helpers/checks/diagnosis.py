"""Where the logic model's chain breaks, and which Action the guideline prescribes (Check❶–❹).

The seminar's example: attendance at the environment course (output) is fine, but residents'
understanding of global warming (outcome tier 1) does not rise — so the cause lies between the
activity and tier 1, and the course content must be revised (事業の取組内容の軌道修正).
:func:`diagnose` generalises this: per measure it walks the tiers from the outputs upwards and
stops at the **lowest tier whose indicators are behind while every tier below is on track or
achieved**. The tier that fails decides the Action (docs/GUIDELINE.md, PDCA table):

=============  ==========================================  ==========================================
behind tier    Action (ja)                                  Action (en)
=============  ==========================================  ==========================================
output         事業の実施状況の改善                          improve how the activity is carried out
outcome1       事業の取組内容の軌道修正 (Check❷)             correct the activity's content
outcome2       施策自体の見直し・改善 (Check❸)               revisit the measure: goal, resources, go on?
outcome3       施策体系の見直し (Check❹)                     rebalance the policy system across fields
(none)         継続                                          continue
=============  ==========================================  ==========================================

A tier whose indicators have no data stops the walk: nothing above it can be diagnosed. A tier
with no indicators at all is skipped (and said so). In a month/quarter/half-year report only
Check❶❷ are due (:func:`~sckpi_helpers.periods.due_checks`), so the walk ends at tier 1.

:func:`field_balance` looks across measures (fields with no or weak measures → 施策体系の見直し) and
:func:`system_flags` at the evaluation system itself (評価体系の見直し): indicators without data for
two or more cadences, targets reached early, boxes without indicators, no link to tier 3.

Stage 7 (checks): imports stages 0–6 (… city, indicators); never IPython.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sckpi_helpers.checks.kpi import latest_status
from sckpi_helpers.config.formatting import MISSING_MARK, format_number, format_share
from sckpi_helpers.config.periods import Period, due_checks, parse_period
from sckpi_helpers.config.vocabulary import (
    ACTIONS,
    DIAGNOSIS_OF_CHECK,
    FIELD_JA,
    KPI_TIERS,
    STATUS_JA,
    TIER_CHECK,
    TIER_EN,
    TIER_JA,
    TREND_JA,
)
from sckpi_helpers.sources.logic_model import FIELD_GROUP, LogicModel

#: the tier where the chain breaks → the diagnosis code (its check's failure)
BREAK_ACTION = {t: DIAGNOSIS_OF_CHECK[c] for t, c in TIER_CHECK.items()}
SYSTEM_REVIEW_JA = "評価体系の見直し（指標の妥当性、代替指標検討等）"
SYSTEM_REVIEW_EN = "Review the evaluation system (indicator validity, substitute indicators)"
_BELOW_OUTPUT = "activity"

DIAGNOSIS_COLUMNS = [
    "measure_id", "measure_name_ja", "field", "field_ja", "period", "diagnosis", "check",
    "break_from", "break_to", "break_from_ja", "break_to_ja", "action_ja", "action_en",
    "message_ja", "message_en", "output_status", "outcome1_status", "outcome2_status", "outcome3_status",
    "tiers_diagnosed", "evidence", "evidence_indicators",
]
FLAG_COLUMNS = ["flag", "measure_id", "box_id", "indicator_id", "name_ja", "period", "message_ja", "message_en",
                "action_ja", "action_en"]
BALANCE_COLUMNS = ["field", "field_ja", "group", "n_measures", "n_indicators", "n_outcome_indicators",
                   "n_tier3_catalog", "pillars", "status", "action_ja", "action_en", "note"]


def _fmt(v: Any, unit: str | None = None) -> str:
    """A number with its unit in the diagnosis text (the kit's one number rule)."""
    s = format_number(v, unit)
    return s if s == MISSING_MARK else f"{s}{unit or ''}"


def tier_state(rows: pd.DataFrame) -> str:
    """State of a tier from its indicators' latest rows.

    ``none`` (no indicators), ``behind`` (any indicator with data behind), ``no_data`` (no indicator
    has data), ``achieved`` (all with data achieved), else ``on_track``.
    """
    if rows.empty:
        return "none"
    st = list(rows["status"])
    if "behind" in st:
        return "behind"
    with_data = [s for s in st if s != "no_data"]
    if not with_data:
        return "no_data"
    return "achieved" if all(s == "achieved" for s in with_data) else "on_track"


def _evidence_rows(rows: pd.DataFrame) -> list[dict[str, Any]]:
    keep = ["tier", "box_id", "indicator_id", "name_ja", "unit", "period", "actual", "baseline",
            "baseline_period", "target", "target_period", "expected", "progress", "status", "trend"]
    out = []
    for r in rows.to_dict("records"):
        out.append({k: r.get(k) for k in keep})
    return out


def _evidence_text(rows: pd.DataFrame) -> str:
    parts = []
    for r in rows.to_dict("records"):
        unit = r.get("unit") or ""
        s = (f"{TIER_JA[r['tier']]}「{r['name_ja']}」({r['period']}): 実績 {_fmt(r['actual'], unit)}, "
             f"基準 {_fmt(r['baseline'], unit)} ({r['baseline_period']}), "
             f"目標 {_fmt(r['target'], unit)} ({r['target_period']})")
        if isinstance(r.get("progress"), float) and not math.isnan(r["progress"]):
            s += f", 進捗 {format_share(r['progress'])} (線形の目安 {format_share(r['expected_progress'])})"
        s += f" → {STATUS_JA.get(r['status'], r['status'])}"
        if isinstance(r.get("trend"), str):
            s += f"・{TREND_JA.get(r['trend'], r['trend'])}"
        parts.append(s)
    return "; ".join(parts)


def _report_period(tracking: pd.DataFrame, period: str | Period | None) -> Period:
    if period is not None:
        return parse_period(period)
    label = tracking.attrs.get("period")
    if label:
        return parse_period(label)
    if tracking.empty:
        raise ValueError("empty tracking table and no period given")
    return parse_period(max(tracking["period"], key=lambda s: parse_period(s).end))


def diagnose(model: LogicModel, tracking: pd.DataFrame, period: str | Period | None = None) -> pd.DataFrame:
    """One row per measure: where its chain breaks in ``period`` and the Action that follows.

    ``tracking`` is :func:`sckpi_helpers.kpi.track`'s table; ``period`` defaults to its reporting
    period. Columns: :data:`DIAGNOSIS_COLUMNS` — ``diagnosis`` is one of execution, activity, policy,
    system, continue, no_data, not_measured; ``break_from``/``break_to`` are tiers (break_from is
    ``activity`` when the outputs fail); ``<tier>_status`` the state of each tier (achieved,
    on_track, behind, no_data, none); ``evidence`` the indicators behind the finding as text and
    ``evidence_indicators`` the same as a list of dicts (indicator, period, actual, baseline,
    target, target_period, progress, status, trend).
    """
    report = _report_period(tracking, period)
    latest = latest_status(tracking, report)
    due = due_checks(report)
    rows = []
    for m in model.measures:
        lm = latest[latest["measure_id"] == m.id] if len(latest) else latest
        states = {t: tier_state(lm[lm["tier"] == t]) for t in KPI_TIERS}
        walk = [t for t in KPI_TIERS if TIER_CHECK[t] in due]
        prev_ok = _BELOW_OUTPUT
        skipped: list[str] = []
        code = "continue"
        brk_from = brk_to = None
        for t in walk:
            st = states[t]
            if st == "none":
                skipped.append(t)
                continue
            if st in ("behind", "no_data"):
                code = BREAK_ACTION[t] if st == "behind" else "no_data"
                brk_from, brk_to = prev_ok, t
                break
            prev_ok = t
        if all(states[t] == "none" for t in walk):
            code = "not_measured"
        diagnosed = [t for t in walk if states[t] != "none"]
        if brk_to is not None:
            diagnosed = diagnosed[:diagnosed.index(brk_to) + 1]
        action_ja, action_en, check = ACTIONS[code]
        if code == "no_data":
            check = TIER_CHECK[brk_to]
        # evidence: the failing tier and the tier below it; all diagnosed tiers when the chain holds
        ev_tiers = [t for t in (brk_from, brk_to) if t in KPI_TIERS] if brk_to else diagnosed
        ev = lm[lm["tier"].isin(ev_tiers)] if len(lm) else lm
        ev = ev.assign(_o=ev["tier"].map(KPI_TIERS.index)).sort_values("_o", kind="stable").drop(columns="_o") \
            if len(ev) else ev
        msg_ja, msg_en = _messages(code, brk_from, brk_to, skipped, due, states)
        rows.append({
            "measure_id": m.id, "measure_name_ja": m.name_ja, "field": m.field,
            "field_ja": FIELD_JA.get(m.field, m.field), "period": report.label, "diagnosis": code,
            "check": check, "break_from": brk_from, "break_to": brk_to,
            "break_from_ja": TIER_JA.get(brk_from) if brk_from else None,
            "break_to_ja": TIER_JA.get(brk_to) if brk_to else None,
            "action_ja": action_ja, "action_en": action_en, "message_ja": msg_ja, "message_en": msg_en,
            **{f"{t}_status": states[t] for t in KPI_TIERS},
            "tiers_diagnosed": ",".join(diagnosed), "evidence": _evidence_text(ev),
            "evidence_indicators": _evidence_rows(ev),
        })
    out = pd.DataFrame(rows, columns=DIAGNOSIS_COLUMNS)
    out.attrs["period"] = report.label
    return out


def _messages(code: str, brk_from: str | None, brk_to: str | None, skipped: list[str], due: list[int],
              states: dict[str, str]) -> tuple[str, str]:
    f_ja = TIER_JA.get(brk_from or "", "")
    t_ja = TIER_JA.get(brk_to or "", "")
    f_en = TIER_EN.get(brk_from or "", "")
    t_en = TIER_EN.get(brk_to or "", "")
    if code == "execution":
        ja = "アウトプットが目標に届いていません。事業が計画どおり実施されているか（実施状況）を改善してください。"
        en = "Outputs are behind target: the activity is not carried out as planned; fix its execution."
    elif code in ("activity", "policy", "system"):
        ja = (f"{f_ja}は順調ですが{t_ja}が遅れています。{f_ja}→{t_ja}のつながりに原因があります："
              f"{ACTIONS[code][0]}。")
        en = (f"{f_en} is on track but {t_en} is behind: the link {f_en} → {t_en} fails. "
              f"{ACTIONS[code][1]}.")
    elif code == "no_data":
        ja = f"{t_ja}のデータがないため、{t_ja}から上の階層は診断できません。"
        en = f"{t_en} has no data: the chain cannot be diagnosed from {t_en} upwards."
    elif code == "not_measured":
        ja = "診断対象の階層に評価指標がありません。"
        en = "No diagnosed tier has an indicator."
    else:
        ja = "診断した階層はすべて順調または達成です。施策を継続してください。"
        en = "Every diagnosed tier is on track or achieved: continue."
    if skipped:
        ja += " 指標のない階層: " + "、".join(TIER_JA[t] for t in skipped) + "。"
        en += " Tiers without indicators: " + ", ".join(TIER_EN[t] for t in skipped) + "."
    not_due = [t for t in KPI_TIERS if TIER_CHECK[t] not in due and states[t] != "none"]
    if not_due and code == "continue":
        ja += " " + "・".join(TIER_JA[t] for t in not_due) + "は年度の評価（Check❸❹）で診断します。"
        en += " " + ", ".join(TIER_EN[t] for t in not_due) + " are diagnosed in the fiscal-year review."
    return ja, en


def field_balance(model: LogicModel, catalog: Any = None) -> pd.DataFrame:
    """Per evaluation field: how many measures and indicators the plan has; weak fields flagged.

    ``status``: ``none`` (no measure), ``weak`` (measures, but no outcome indicator or no tier-3
    catalog indicator to judge the field city-wide), ``ok``. None/weak → 施策体系の見直し（分野間の偏り
    の是正）. Columns: :data:`BALANCE_COLUMNS`.
    """
    cat_inds = getattr(catalog, "indicators", {}) if catalog is not None else {}
    cat_fields = getattr(catalog, "fields", None)
    fields = list(FIELD_JA)
    rows = []
    for f in fields:
        ms = [m for m in model.measures if m.field == f]
        inds = [(b, i) for m in ms for b in m.boxes for i in b.indicators]
        outcome = [1 for b, _ in inds if b.tier.startswith("outcome")]
        t3 = [i for b, i in inds if b.tier == "outcome3" and i.is_catalog]
        pillars = sorted({getattr(cat_inds.get(i.id), "pillar", None) for i in t3} - {None})
        name = FIELD_JA[f]
        if isinstance(cat_fields, dict) and f in cat_fields:
            name = getattr(cat_fields[f], "name_ja", name)
        if not ms:
            status, note = "none", "この分野の施策がありません"
        elif not outcome:
            status, note = "weak", "アウトカム指標がありません"
        elif not t3:
            status, note = "weak", "第3階層（カタログ指標）につながっていません"
        else:
            status, note = "ok", None
        ja, en = ACTIONS["system"][:2] if status != "ok" else (MISSING_MARK, MISSING_MARK)
        rows.append({"field": f, "field_ja": name, "group": FIELD_GROUP[f], "n_measures": len(ms),
                     "n_indicators": len(inds), "n_outcome_indicators": len(outcome),
                     "n_tier3_catalog": len(t3), "pillars": ",".join(pillars), "status": status,
                     "action_ja": ja, "action_en": en, "note": note})
    return pd.DataFrame(rows, columns=BALANCE_COLUMNS)


def system_flags(model: LogicModel, tracking: pd.DataFrame, period: str | Period | None = None, *,
                 missing_cadences: int = 2) -> pd.DataFrame:
    """Problems of the evaluation system itself (→ 評価体系の見直し). Columns: :data:`FLAG_COLUMNS`.

    ``flag`` is one of: ``no_data`` (the last ``missing_cadences`` or more due periods have no value,
    or there was never one), ``achieved_early`` (a milestone reached before its date: raise the
    target), ``target_expired`` (the last milestone's date has passed: set new targets),
    ``no_indicator`` (an output/outcome box without indicators), ``no_tier3_link`` (a measure whose
    outputs lead to no tier-3 box, or a tier-3 box without a catalog indicator), ``no_source``
    (a local indicator without a data source).
    """
    report = _report_period(tracking, period)
    flags: list[dict[str, Any]] = []

    def add(flag: str, m: str, b: str | None, i: str | None, name: str | None, ja: str, en: str,
            action_ja: str = SYSTEM_REVIEW_JA, action_en: str = SYSTEM_REVIEW_EN, p: str | None = None) -> None:
        flags.append({"flag": flag, "measure_id": m, "box_id": b, "indicator_id": i, "name_ja": name,
                      "period": p or report.label, "message_ja": ja, "message_en": en,
                      "action_ja": action_ja, "action_en": action_en})

    tr = tracking[[e <= report.end for e in tracking["period_end"]]] if len(tracking) else tracking
    groups = {k: g.sort_values("period_end", kind="stable")
              for k, g in tr.groupby(["measure_id", "box_id", "indicator_id"], sort=False)} if len(tr) else {}
    for m in model.measures:
        for b in m.boxes:
            if b.tier in KPI_TIERS and not b.indicators:
                add("no_indicator", m.id, b.id, None, None,
                    f"{TIER_JA[b.tier]}「{b.label}」に評価指標がありません。",
                    f"{TIER_EN[b.tier]} box '{b.label}' has no indicator.")
            for spec in b.indicators:
                if not spec.is_catalog and not spec.source:
                    add("no_source", m.id, b.id, spec.id, spec.name_ja,
                        f"「{spec.name_ja}」のデータ取得元が書かれていません。",
                        f"'{spec.name_en or spec.id}' names no data source.")
                g = groups.get((m.id, b.id, spec.id))
                if g is None or g.empty:
                    continue
                st = list(g["status"])
                run = 0
                for s in reversed(st):
                    if s != "no_data":
                        break
                    run += 1
                if spec.cadence == "as_needed" or spec.cadence.startswith("every_"):
                    never = all(s == "no_data" for s in st)
                    if never:
                        add("no_data", m.id, b.id, spec.id, spec.name_ja,
                            f"「{spec.name_ja}」にデータがありません。",
                            f"'{spec.name_en or spec.id}' has no data.")
                elif run >= missing_cadences:
                    last = g[g["status"] != "no_data"]
                    since = f"（最後のデータ: {last['period'].iloc[-1]}）" if len(last) else "（データなし）"
                    add("no_data", m.id, b.id, spec.id, spec.name_ja,
                        f"「{spec.name_ja}」は直近{run}期（{spec.cadence}）データがありません{since}。"
                        "指標の妥当性・代替指標を検討してください。",
                        f"'{spec.name_en or spec.id}' has had no data for the last {run} {spec.cadence} periods.")
                last = g.iloc[-1]
                final = spec.final_target
                if last["status"] == "achieved":
                    ms_date = next((t.when for t in spec.sorted_targets() if t.label == last["target_period"]),
                                   final.when)
                    if last["period_end"] < ms_date:
                        add("achieved_early", m.id, b.id, spec.id, spec.name_ja,
                            f"「{spec.name_ja}」は{last['period']}に目標{_fmt(last['target'], spec.unit)}"
                            f"（{last['target_period']}）を前倒しで達成しました。目標を引き上げてください。",
                            f"'{spec.name_en or spec.id}' reached its target {_fmt(last['target'])} "
                            f"({last['target_period']}) early, in {last['period']}: raise the target.",
                            "目標の引き上げ", "Raise the target", p=last["period"])
                if final.when < report.end:
                    add("target_expired", m.id, b.id, spec.id, spec.name_ja,
                        f"「{spec.name_ja}」の最終目標（{final.label}）の期日が過ぎています。新しい目標を設定してください。",
                        f"'{spec.name_en or spec.id}': its last target ({final.label}) is past; set new targets.",
                        "目標の再設定", "Set new targets")
        # link to tier 3
        kpi_boxes = [b for b in m.boxes if b.tier in ("output", "outcome1", "outcome2")]
        t3 = m.boxes_of("outcome3")
        if not t3:
            add("no_tier3_link", m.id, None, None, None,
                f"施策「{m.name_ja}」にアウトカム第3階層がありません（第3階層へのつながりが欠けています）。",
                f"Measure '{m.name_en or m.id}' has no outcome tier-3 box (the link to tier 3 is missing).")
        else:
            for b in kpi_boxes:
                if b.tier == "output" and not m.reaches(b.id, "outcome3"):
                    add("no_tier3_link", m.id, b.id, None, None,
                        f"アウトプット「{b.label}」からアウトカム第3階層への経路がありません。",
                        f"Output '{b.label}' has no path to outcome tier 3.")
            for b in t3:
                if b.indicators and not any(i.is_catalog for i in b.indicators):
                    add("no_tier3_link", m.id, b.id, None, None,
                        f"第3階層「{b.label}」にカタログ指標がありません（他都市と比較できません）。",
                        f"Tier-3 box '{b.label}' has no catalog indicator (no comparison with other cities).")
    out = pd.DataFrame(flags, columns=FLAG_COLUMNS)
    out.attrs["period"] = report.label
    return out
