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
# # 指標エクスプローラ
#
# 都市・補正人口の定義・比較対象（類似団体を含む）・指標・年を選ぶと、グラフと順位がその場で更新されます（ブラウザの Jupyter で実行してください）。「散布図の縦軸」で2つ目の指標を選ぶと、2指標の散布図で比較団体の中の位置を見られます。設定のある都市では、ロジックモデルの第1・第2階層KPIも表示します。表示中の表は「表を書き出す」ボタンで CSV（BOM付き）か xlsx に保存できます。定期実行の報告には含まれません。

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
from sckpi_helpers.explore import Explorer

E = Explorer(P)
E.widgets()

# %% [markdown]
# ## 初期表示（静的）
#
# ブラウザなしで実行したときも、選択中の内容をここに描画します。

# %%
E.render()
