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
