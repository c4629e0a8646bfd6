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
# # Check❷ アウトカム第1階層
#
# アウトカムが出始めたか（第1階層：事業の実施者が直接コントロールできない間接的な成果）を、3〜6か月ごとに確認します。アウトプットは順調なのに第1階層が伸びない場合、原因は事業・取組と第1階層のつながりにあり、**事業の取組内容の軌道修正**が必要です。

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

D = load_check_data(P)
sections.show_report_header(D, check=2)

# %% [markdown]
# ## 要約

# %%
_ = sections.show_check_summary(D, 2)

# %% [markdown]
# ## KPIの状況
#
# 状況は 達成（目標値に到達）／順調（計画上の目安以上）／遅れ／データなし の4区分です。進捗 =（実績 − 基準値）÷（目標 − 基準値）。

# %%
sections.show_kpi_table(D, 2)

# %% [markdown]
# ## 指標の推移
#
# 点の色は各期の状況、破線は基準値から目標までの計画上の目安、星は目標値です。

# %%
sections.show_kpi_charts(D, 2)

# %% [markdown]
# ## ロジックモデル
#
# インプット → 事業・取組 → アウトプット → アウトカム第1〜第3階層。箱の色は指標の状況（最も悪いもの）です。

# %%
sections.show_logic_model(D)

# %% [markdown]
# ## 診断と改善（Action）
#
# 施策ごとに、下の階層が順調なのに上の階層が遅れている最も低い階層を探し、指針が示す改善を示します。

# %%
sections.show_diagnosis(D, 2)

# %% [markdown]
# ## データの収集状況と出典

# %%
sections.show_data_coverage(D, 2)
