"""Japanese labels of the kit's fixed vocabularies: one home for every word a report prints.

Why here: the same labels (KPI status, pillar, tier, field, peer group …) were copied into
``viz.style``, ``catalog.schema``, ``sources.logic_model`` and the report modules; a label changed
in one copy and not in the others would make two pages of one report disagree. This module holds
plain data only (stage 1, config): it imports nothing from the package, so every stage may read it.
"""

from __future__ import annotations

#: KPI status (Check❶–❹ tracking) and its colour, shared by KPI tables, the logic-model diagram and
#: plots (colour-blind safe)
STATUS_COLOURS = {
    "achieved": "#1a9850",
    "on_track": "#91cf60",
    "behind": "#d73027",
    "no_data": "#bdbdbd",
}
STATUS_JA = {"achieved": "達成", "on_track": "順調", "behind": "遅れ", "no_data": "データなし"}

#: the three service pillars (the foundation fields are named by FIELD_JA)
PILLAR_JA = {"social": "社会", "economic": "経済", "environmental": "環境"}

#: logic-model tiers, bottom-up (the catalog uses the four KPI tiers of them)
TIER_JA = {"input": "インプット", "activity": "事業・取組", "output": "アウトプット",
           "outcome1": "アウトカム第1階層", "outcome2": "アウトカム第2階層", "outcome3": "アウトカム第3階層"}
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

#: the engine's status of one indicator value (indicators.parquet ``status``): on report pages, and
#: shortened for the terminal table of ``sckpi indicators``
RESULT_STATUS_JA = {"ok": "算出", "estimated": "推計（補完）", "missing": "欠損"}
RESULT_STATUS_SHORT_JA = {"ok": "算出", "estimated": "推計", "missing": "欠測"}

#: coverage states of a tier-3 indicator for one city and year (indicators.coverage)
COVERAGE_JA = {
    "computed": "算出済",
    "estimated": "推計値（補完あり）",
    "missing_input": "入力データ不足",
    "needs_local_data": "地域データが必要",
    "not_available": "データ入手不可",
}

#: a city's trend over recent years (indicators.peers)
TREND_JA = {"better": "改善", "worse": "悪化", "flat": "横ばい", "up": "増加", "down": "減少",
            "insufficient": "データ不足"}

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
