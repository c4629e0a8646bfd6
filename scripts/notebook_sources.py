"""Cell sources of the check notebooks and of the runner's test fixtures (see build_notebooks.py).

Each notebook is a list of ``(kind, source, tags)``; kind is ``md`` or ``code``.
"""

from __future__ import annotations

PARAMETERS = '''
# Parameters (papermill injects a cell after this one; see docs/DESIGN.md)
city_code = "99201"       # 5-digit area code
period = "2024"           # fiscal year, or 2024Q4 / 2024-12 / 2024H2
logic_model_path = ""     # empty: from the city's settings
source = "demo"           # demo | estat-api | estat-csv
peer_group = ""           # empty: from the city's settings
lang = "ja"               # ja | en
output_dir = ""           # where figures/tables are saved; empty: none
'''

VALIDATE = '''
from sckpi_helpers.reports.params import validate_parameters

P = validate_parameters(city_code, period, logic_model_path, source, peer_group, lang, output_dir)
'''

# ------------------------------------------------------------------------------------------------
# test fixtures: tiny, no data needed; behaviour switched by environment variables the tests set
# ------------------------------------------------------------------------------------------------

_PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _fixture(name: str, title: str) -> list[tuple[str, str, list[str]]]:
    return [
        ("md", f"# {title}\n\nテスト用の小さなノートブック（{name}）。", []),
        ("code", PARAMETERS, ["parameters"]),
        ("code", VALIDATE.replace("output_dir)", "output_dir, setup=False)"), []),
        ("code", f'''
import base64
import os

import pandas as pd
from IPython.display import Image, display

from sckpi_helpers.reports import display as show

NAME = "{name}"
show.show_heading(f"{{P.city_name}} {{P.period_ja}} {{NAME}}")
show.show_table(pd.DataFrame({{"name": [P.city_name, "<b>指標</b>"], "status": ["achieved", "behind"]}}),
              columns={{"name": "指標名", "status": "状況"}}, params=P, name="table")
display(Image(data=base64.b64decode("{_PNG_1PX}"), format="png"), metadata={{"alt": "1px"}})
_ = show.publish_summary(P, f"{{NAME}}: {{P.city_name}}")
''', []),
        ("md", "## 結果の確認", []),
        ("code", '''
if os.environ.get("SCKPI_FIXTURE_LEAK"):
    print("appId in output:", os.environ.get("ESTAT_APP_ID"))
if NAME in os.environ.get("SCKPI_FIXTURE_FAIL", "").split(","):
    raise RuntimeError(f"fixture failure in {NAME} <script>alert('x')</script>")
print("fixture done:", NAME)
''', []),
    ]


FIXTURES = {
    "check1_outputs": _fixture("check1_outputs", "Check❶ アウトプット（フィクスチャ）"),
    "check2_outcome1": _fixture("check2_outcome1", "Check❷ アウトカム第1階層（フィクスチャ）"),
    "check3_outcome2": _fixture("check3_outcome2", "Check❸ アウトカム第2階層（フィクスチャ）"),
    "check4_outcome3": _fixture("check4_outcome3", "Check❹ アウトカム第3階層（フィクスチャ）"),
    "00_ingest": _fixture("00_ingest", "データ取込（フィクスチャ）"),
}



# ------------------------------------------------------------------------------------------------
# the real notebooks
# ------------------------------------------------------------------------------------------------

def _check(n: int, title: str, intro: str, extra: list[tuple[str, str, list[str]]] | None = None,
           tier3: bool = False) -> list[tuple[str, str, list[str]]]:
    load = ("from sckpi_helpers.checks.data import load_check_data\nfrom sckpi_helpers.reports import sections\n\n"
            f"D = load_check_data(P{', tier3=True' if tier3 else ''})\nsections.show_report_header(D, check={n})")
    cells = [
        ("md", f"# {title}\n\n{intro}", []),
        ("code", PARAMETERS, ["parameters"]),
        ("code", VALIDATE, []),
        ("code", load, []),
        ("md", "## 要約", []),
        ("code", f"_ = sections.show_check_summary(D, {n})", []),
    ]
    return cells + (extra or [])


_LOCAL_SECTIONS = [
    ("md", ("## KPIの状況\n\n状況は 達成（目標値に到達）／順調（計画上の目安以上）／遅れ／データなし の4区分です。"
           "進捗 =（実績 − 基準値）÷（目標 − 基準値）。"), []),
    ("code", "sections.show_kpi_table(D, {n})", []),
    ("md", "## 指標の推移\n\n点の色は各期の状況、破線は基準値から目標までの計画上の目安、星は目標値です。", []),
    ("code", "sections.show_kpi_charts(D, {n})", []),
    ("md", ("## ロジックモデル\n\nインプット → 事業・取組 → アウトプット → アウトカム第1〜第3階層。"
           "箱の色は指標の状況（最も悪いもの）です。"), []),
    ("code", "sections.show_logic_model(D)", []),
    ("md", ("## 診断と改善（Action）\n\n施策ごとに、下の階層が順調なのに上の階層が遅れている最も低い階層を探し、"
           "指針が示す改善を示します。"), []),
    ("code", "sections.show_diagnosis(D, {n})", []),
    ("md", "## データの収集状況と出典", []),
    ("code", "sections.show_data_coverage(D, {n})", []),
]


def _local(n: int) -> list[tuple[str, str, list[str]]]:
    return [(k, s.replace("{n}", str(n)), t) for k, s, t in _LOCAL_SECTIONS]


NOTEBOOKS: dict[str, list[tuple[str, str, list[str]]]] = {
    "00_ingest": [
        ("md", ("# データ取込（政府統計・地域データ）\n\n"
               "e-Stat（API・CSV）、外部統計（都道府県警察など）、地域データ（ローカルデータ）を "
               "`data/processed/` に取り込んだ結果を確認します。取込済みで入力に変更がなければ再作成しません。"), []),
        ("code", PARAMETERS, ["parameters"]),
        ("code", VALIDATE, []),
        ("code", "from sckpi_helpers.reports import sections\n\ninfo = sections.show_ingest(P)", []),
    ],
    "check1_outputs": _check(
        1, "Check❶ アウトプット",
        "事業・取組が計画どおり実施されたか（アウトプット）を、地域データで適宜確認します。"
        "アウトプットが遅れている場合は、まず事業の実施状況を改善します。") + _local(1),
    "check2_outcome1": _check(
        2, "Check❷ アウトカム第1階層",
        "アウトカムが出始めたか（第1階層：事業の実施者が直接コントロールできない間接的な成果）を、"
        "3〜6か月ごとに確認します。アウトプットは順調なのに第1階層が伸びない場合、原因は事業・取組と"
        "第1階層のつながりにあり、**事業の取組内容の軌道修正**が必要です。") + _local(2),
    "check3_outcome2": _check(
        3, "Check❸ アウトカム第2階層",
        "期待した効果（社会・経済・環境の変化）が表れたか（第2階層）を、数か月〜1年ごとに定量的に確認します。"
        "第1階層は順調なのに第2階層が遅れている場合は、**施策自体の見直し・改善**"
        "（目的の再設定、投入資源の調整、取組継続の判断）を行います。") + _local(3) + [
        ("md", ("## 評価体系の点検\n\nデータが集まらない指標、早期に達成した目標、第3階層につながらない施策など、"
               "評価体系そのものの見直し（指標の妥当性、代替指標）が必要な点です。"), []),
        ("code", "sections.show_system_flags(D)", []),
    ],
    "check4_outcome3": _check(
        4, "Check❹ アウトカム第3階層",
        "政府統計から算出する都市全体の複合指標（第3階層）で、まちの状態を毎年総合的に評価し、"
        "類似都市と比較します。結果は分野間のバランスを踏まえた**施策体系の見直し**に使い、"
        "2〜3年ごとに評価体系そのもの（指標の妥当性・代替指標）も見直します。",
        tier3=True) + [
        ("md", ("## 第3階層指標のカバレッジ\n\n算出済・推計値（国勢調査の間の補完など）・入力データ不足・"
               "地域データが必要・データ入手不可の区分です。"), []),
        ("code", "sections.show_tier3_coverage(D)", []),
        ("md", ("## 類似都市との比較\n\n偏差値は向きをそろえてあり（少ないほど良い指標は符号を反転）、"
               "50 が比較団体の平均、高いほど良い状態です。"), []),
        ("code", "sections.show_comparison(D)", []),
        ("md", "## 柱別の得点（社会・経済・環境）", []),
        ("code", "sections.show_pillar_scores(D)", []),
        ("md", "## 指標ごとの位置", []),
        ("code", "sections.show_peer_strip(D)", []),
        ("md", "## 時系列（比較団体の分布との比較）\n\n帯は比較団体の四分位範囲、白抜きの点は推計値です。", []),
        ("code", "sections.show_timeseries(D)", []),
        ("md", "## ロジックモデルの第3階層KPI", []),
        ("code", "sections.show_kpi_table(D, 4)", []),
        ("md", "## 施策体系の分野間バランス", []),
        ("code", "sections.show_field_balance(D)", []),
        ("md", "## 評価体系の点検", []),
        ("code", "sections.show_system_flags(D)", []),
        ("md", "## データの出典と日付", []),
        ("code", "sections.show_statistics_sources(D)", []),
    ],
    "explorer": [
        ("md", ("# 指標エクスプローラ\n\n都市・比較対象・指標・年を選ぶと、グラフと順位がその場で更新されます"
               "（ブラウザの Jupyter で実行してください）。定期実行の報告には含まれません。"), []),
        ("code", PARAMETERS, ["parameters"]),
        ("code", VALIDATE, []),
        ("code", "from sckpi_helpers.explore import Explorer\n\nE = Explorer(P)\nE.widgets()", []),
        ("md", "## 初期表示（静的）\n\nブラウザなしで実行したときも、選択中の内容をここに描画します。", []),
        ("code", "E.render()", []),
    ],
}
