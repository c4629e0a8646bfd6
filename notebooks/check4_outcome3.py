# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: kernelspec,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Check❹ アウトカム第3階層
#
# 政府統計から算出する都市全体の複合指標（第3階層）で、まちの状態を毎年総合的に評価し、類似都市と比較します。結果は分野間のバランスを踏まえた**施策体系の見直し**に使い、2〜3年ごとに評価体系そのもの（指標の妥当性・代替指標）も見直します。

# %% tags=["parameters"]
# Parameters (papermill injects a cell after this one; see docs/DESIGN.md)
city_code = "99201"       # 5-digit area code
period = "2024"           # fiscal year, or 2024Q4 / 2024-12 / 2024H2
logic_model_path = ""     # empty: from the city's settings
source = ""               # empty: from the city's settings (demo | estat-api | estat-csv | ssdse)
peer_group = ""           # empty: from the city's settings (prefecture, similar, ...)
lang = "ja"               # ja | en
output_dir = ""           # where figures/tables are saved; empty: none
layout = "full"           # full | light (national runs: maps and time series on the national pages)

# %%
from sckpi_helpers.notebook.params import validate_parameters

P = validate_parameters(city_code, period, logic_model_path, source, peer_group, lang, output_dir, layout)

# %%
from sckpi_helpers.checks.data import load_check_data
from sckpi_helpers.notebook import sections

D = load_check_data(P, tier3=True)
sections.show_report_header(D, check=4)

# %% [markdown]
# ## 要約

# %%
_ = sections.show_check_summary(D, 4)

# %% [markdown]
# ## 第3階層指標のカバレッジ
#
# 算出済・推計値（国勢調査の間の補完など）・入力データ不足・地域データが必要・データ入手不可の区分です。算出できない指標は、不足する入力といつから欠けているかを一覧にします。

# %%
sections.show_tier3_coverage(D)

# %% [markdown]
# ## データを追加すると算出できる指標
#
# 不足している入力データを、それだけで算出できるようになる指標の数（必須の指標を優先）の順に並べ、入手先を示します。

# %%
sections.show_missing_plan(D)

# %% [markdown]
# ## 類似都市との比較
#
# 偏差値は向きをそろえてあり（少ないほど良い指標は符号を反転）、50 が比較団体の平均、高いほど良い状態です。「推計」は前回の値の繰越し・補間を、「代替」は代わりの統計（国勢調査人口など）や別の補正人口の定義を使った値で、使った値を示します。補正人口の定義は、本市が算出できる最初の定義を比較団体すべてに同じく適用します。「順位の前後の団体」は、各指標で本市のすぐ上・すぐ下の順位の団体です。

# %%
from sckpi_helpers.notebook import peer_page

peer_page.show_peers(D)
sections.show_comparison(D)

# %% [markdown]
# ## 地図で見る位置
#
# 主な指標の偏差値を5段階で色分けしています（色覚の違いに配慮した配色、各段階は凡例に記載）。斜線はデータのない団体、太線が本市です。

# %%
peer_page.show_maps(D)

# %% [markdown]
# ## 偏差値のプロフィール（レーダーチャート）
#
# 柱・分野ごとの平均偏差値です。点線の円が偏差値50（比較団体の平均）、破線が比較団体の中央値で、外側ほど良い状態です。

# %%
peer_page.show_radar(D)

# %% [markdown]
# ## 2指標の散布図
#
# 主な2指標で見た本市と比較団体の位置です。破線は比較団体の中央値。ほかの組み合わせは指標エクスプローラ（explorer）で選べます。

# %%
peer_page.show_pair_scatter(D)

# %% [markdown]
# ## 柱別の得点（社会・経済・環境）

# %%
sections.show_pillar_scores(D)

# %% [markdown]
# ## 指標ごとの位置

# %%
sections.show_peer_strip(D)

# %% [markdown]
# ## 時系列（比較団体の分布との比較）
#
# 帯は比較団体の四分位範囲、白抜きの点は推計値です。ロジックモデルに目標のある指標は、基準値（■）・目標（★）と計画の線（基準値→目標）も描いています。

# %%
sections.show_timeseries(D)

# %% [markdown]
# ## ロジックモデルの第3階層KPI

# %%
sections.show_kpi_table(D, 4)

# %% [markdown]
# ## 施策体系の分野間バランス

# %%
sections.show_field_balance(D)

# %% [markdown]
# ## 評価体系の点検

# %%
sections.show_system_flags(D)

# %% [markdown]
# ## データの出典と日付

# %%
sections.show_statistics_sources(D)
