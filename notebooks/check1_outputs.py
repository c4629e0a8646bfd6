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
# # Check❶ アウトプット
#
# 事業・取組が計画どおり実施されたか（アウトプット）を、地域データで適宜確認します。アウトプットが遅れている場合は、まず事業の実施状況を改善します。

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
sections.show_report_header(D, check=1)

# %% [markdown]
# ## 要約

# %%
_ = sections.show_check_summary(D, 1)

# %% [markdown]
# ## KPIの状況
#
# 状況は 達成（目標値に到達）／順調（計画上の目安以上）／遅れ／データなし の4区分です。進捗 =（実績 − 基準値）÷（目標 − 基準値）。

# %%
sections.show_kpi_table(D, 1)

# %% [markdown]
# ## 指標の推移
#
# 点の色は各期の状況、破線は基準値から目標までの計画上の目安、星は目標値です。

# %%
sections.show_kpi_charts(D, 1)

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
sections.show_diagnosis(D, 1)

# %% [markdown]
# ## データの収集状況と出典

# %%
sections.show_data_coverage(D, 1)
