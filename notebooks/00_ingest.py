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
# # データ取込（政府統計・地域データ）
#
# e-Stat（API・CSV）、外部統計（都道府県警察など）、地域データ（ローカルデータ）を `data/processed/` に取り込んだ結果を確認します。取込済みで入力に変更がなければ再作成しません。

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
from sckpi_helpers.notebook import sections

info = sections.show_ingest(P)
