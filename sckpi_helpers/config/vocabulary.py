"""Japanese labels of the kit's fixed vocabularies: one home for every word a report prints.

Why here: the same labels (KPI status, pillar, tier, field, peer group …) were copied into
``viz.style``, ``catalog.schema``, ``sources.logic_model`` and the report modules; a label changed
in one copy and not in the others would make two pages of one report disagree. This module holds
plain data only (stage 1, config): it imports only the palette of its own stage, so every stage may
read it.
"""

from __future__ import annotations

#: KPI status colours (Check❶–❹ tracking) live with every other colour in ``config.palette``
#: (Okabe–Ito, colour-blind safe); re-exported here for the modules that import them with the labels
from sckpi_helpers.config.palette import STATUS_COLOURS, STATUS_MARKS  # noqa: F401

STATUS_JA = {"achieved": "達成", "on_track": "順調", "behind": "遅れ", "no_data": "データなし"}

#: progress toward the logic model's target in words (``checks.kpi.progress_class``; the rules are in
#: docs/PROGRESS.md). A page never prints progress as a percentage below 0 or above 100.
PROGRESS_JA = {"achieved": "達成", "on_track": "順調", "accelerate": "要加速", "stalled": "停滞",
               "worsening": "悪化", "no_data": "データなし"}

#: the three service pillars (the foundation fields are named by FIELD_JA)
PILLAR_JA = {"social": "社会", "economic": "経済", "environmental": "環境"}

#: the logic model's six tiers, bottom-up; a logic-model box sits on one, links never go down the list
MODEL_TIERS: tuple[str, ...] = ("input", "activity", "output", "outcome1", "outcome2", "outcome3")
#: the four of them that carry KPIs (catalog indicators, logic-model KPIs), bottom-up
KPI_TIERS: tuple[str, ...] = ("output", "outcome1", "outcome2", "outcome3")
#: KPI tier → the PDCA check that watches it (docs/GUIDELINE.md, PDCA table), and check → tier
TIER_CHECK: dict[str, int] = {"output": 1, "outcome1": 2, "outcome2": 3, "outcome3": 4}
CHECK_TIER: dict[int, str] = {c: t for t, c in TIER_CHECK.items()}
#: check number → its label
CHECK_LABEL = {1: "Check❶", 2: "Check❷", 3: "Check❸", 4: "Check❹"}

#: logic-model tiers → Japanese (full, and short where the tier is already clear from the page)
TIER_JA = {"input": "インプット", "activity": "事業・取組", "output": "アウトプット",
           "outcome1": "アウトカム第1階層", "outcome2": "アウトカム第2階層", "outcome3": "アウトカム第3階層"}
TIER_SHORT_JA = {"output": "アウトプット", "outcome1": "第1階層", "outcome2": "第2階層", "outcome3": "第3階層"}
TIER_EN = {"input": "Input", "activity": "Activity", "output": "Output", "outcome1": "Outcome tier 1",
           "outcome2": "Outcome tier 2", "outcome3": "Outcome tier 3"}

#: evaluation fields (評価分野); the catalog's fields.yaml carries the same names (a test checks it)
FIELD_JA = {"mobility": "モビリティ", "environment_energy": "環境／エネルギー", "disaster_crime": "防災／防犯",
            "infrastructure": "インフラ／施設", "health_medical": "健康／医療", "industry_economy": "産業／経済",
            "community": "地域社会", "education_culture": "教育／文化", "administration": "行政",
            "it_platform": "IT基盤", "operations": "運営体制", "talent": "人材", "cross_field": "分野横断型"}

DIRECTION_JA = {"higher": "高いほど良い", "lower": "低いほど良い", "neutral": "中立"}
AVAILABILITY_JA = {"estat": "e-Stat（政府統計）", "external": "外部統計（警察・省庁等）",
                   "local": "ローカルデータ（自治体・事業者）", "unavailable": "市区町村別の統計なし"}

#: the status of a report run (one notebook or a whole set) on the landing page and the indexes
RUN_STATUS_JA = {"ok": "完了", "failed": "失敗", "partial": "一部失敗", "skipped": "未実行",
                 "exists": "既存のため未実行"}

#: the engine's status of one indicator value (indicators.parquet ``status``): on report pages, and
#: shortened for the terminal table of ``sckpi indicators``
RESULT_STATUS_JA = {"ok": "算出", "estimated": "推計（補完）", "missing": "欠損"}
RESULT_STATUS_SHORT_JA = {"ok": "算出", "estimated": "推計", "missing": "欠測"}

#: the engine's ``flag`` of a value (indicators.parquet): 推計 = an input carried forward or
#: interpolated within its declared window; 代替 = an input's declared substitute or a fallen-back
#: 補正人口 definition was used. Pages, CSV and the workbook show it with what was used.
FLAG_JA = {"estimated": "推計", "substitute": "代替"}

#: coverage states of a tier-3 indicator for one city and year (indicators.coverage)
COVERAGE_JA = {
    "computed": "算出済",
    "estimated": "推計値（補完あり）",
    "missing_input": "入力データ不足",
    "needs_local_data": "地域データが必要",
    "not_available": "データ入手不可",
}

#: a trend over recent periods: a KPI's (checks.kpi) and a tier-3 indicator's (indicators.peers); ``better``
#: and ``worse`` follow the indicator's direction, ``up`` and ``down`` are used when it has none
TREND_JA = {"better": "改善", "worse": "悪化", "flat": "横ばい", "up": "増加", "down": "減少",
            "insufficient": "データ不足"}

#: diagnosis code → the Action the guideline prescribes (ja, en) and the check that raises it
#: (checks.diagnosis; the check pages' summaries say the same words)
ACTIONS: dict[str, tuple[str, str, int | None]] = {
    "execution": ("事業の実施状況の改善",
                  "Improve how the activity is carried out (the outputs are behind: an execution problem)", 1),
    "activity": ("事業の取組内容の軌道修正",
                 "Correct the activity's content (outputs are fine but tier-1 outcomes do not follow)", 2),
    "policy": ("施策自体の見直し・改善（目的の再設定、投入資源の調整、取組継続の判断）",
               "Revisit the measure itself: reset its goal, adjust resources, decide whether to continue", 3),
    "system": ("施策体系の見直し（分野間の偏りの是正等）",
               "Review the policy system: rebalance measures across fields (tier-3 outcomes do not follow)", 4),
    "continue": ("継続", "Continue: every diagnosed tier is on track or achieved", None),
    "no_data": ("データの収集", "Collect the missing data: the chain cannot be diagnosed above this tier", None),
    "not_measured": ("評価指標の設定", "Set indicators: no tier of this measure has any", None),
}
#: diagnosis code → its short label (the diagnosis column of the check pages)
DIAGNOSIS_JA = {"execution": "実施状況に課題", "activity": "取組内容に課題", "policy": "施策自体に課題",
                "system": "施策体系に課題", "continue": "継続", "no_data": "データ不足",
                "not_measured": "指標未設定"}
#: check → the diagnosis code of its failure (its Action is ``ACTIONS[code]``)
DIAGNOSIS_OF_CHECK: dict[int, str] = {c: code for code, (_, _, c) in ACTIONS.items() if c is not None}

#: peer groups (see ``store.peer_groups``)
PEER_GROUP_JA = {"prefecture": "同じ都道府県の市区町村", "population_band": "人口規模が同じ市区町村",
                 "municipal_type": "同じ種別（政令市・中核市・一般市・特別区・町村）の市区町村",
                 "similar": "類似団体（人口規模と産業構造が同じ市区町村）",
                 "all": "全市区町村"}


def peer_group_ja(spec: str) -> str:
    """A peer-group spec (see ``store.peer_groups.peer_group``) as reports name it."""
    if spec.startswith("list:"):
        return f"指定した市区町村（{spec[5:]}）"
    return PEER_GROUP_JA.get(spec, spec)

#: 都道府県 by JIS X 0401 code (the first two digits of every area code)
PREFECTURE_JA = dict(zip(
    [f"{i:02d}" for i in range(1, 48)],
    ["北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県"],
    strict=True))

#: municipal types (areas.parquet ``municipal_type``)
MUNICIPAL_TYPE_JA = {"designated_city": "政令指定都市", "core_city": "中核市", "special_ward": "特別区",
                     "city": "一般市", "town": "町", "village": "村", "ward": "行政区",
                     "prefecture": "都道府県", "country": "全国"}

_ROMAN = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ", "V": "Ⅴ"}


def similar_class_ja(cls: str) -> str:
    """A 類似団体 class (``store.peer_groups.similar_class``) as 総務省 names it: ``city-II-3`` →
    ``一般市 Ⅱ-3``, ``town-IV-1`` → ``町村 Ⅳ-1``, ``core_city`` → ``中核市``."""
    parts = str(cls).split("-")
    if len(parts) == 3 and parts[0] in ("city", "town"):
        kind = "一般市" if parts[0] == "city" else "町村"
        return f"{kind} {_ROMAN.get(parts[1], parts[1])}-{parts[2]}"
    return MUNICIPAL_TYPE_JA.get(str(cls), str(cls))

#: the data-quality gate (issue 21): a finding's state, its rule, and the mark a page shows
QUALITY_STATUS_JA = {"open": "要確認", "reviewed": "確認済"}
QUALITY_RULE_JA = {"yoy": "前年比の急変", "peer": "比較団体からの乖離", "scale": "単位の取り違えの疑い",
                   "revision": "公表値の改訂", "lag": "分子と分母の年の隔たり"}
QUALITY_KIND_JA = {"input": "入力統計", "indicator": "第3階層指標"}
#: the columns of quality.csv and of ``sckpi check`` (Japanese headers)
QUALITY_COLUMNS_JA = {"status_ja": "状態", "area_code": "地域コード", "area_name": "地域", "kind_ja": "種類",
                      "subject": "入力・指標", "name_ja": "名称", "year": "年", "value": "値",
                      "expected": "想定範囲", "rule_ja": "規則", "reason": "理由", "source": "出典（ファイル）",
                      "review_note": "確認の記録"}
#: the corrections history (訂正履歴) of a republished report set
CORRECTIONS_COLUMNS_JA = {"date": "日付", "kind_ja": "種類", "indicator": "指標", "year": "年・期間",
                          "old_value": "旧値", "new_value": "新値", "changed_inputs": "変わった入力"}
