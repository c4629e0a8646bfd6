"""The PDCA checks: KPI tracking against the logic model, where the chain breaks and which Action
follows, the local-data workbook, and the data each check page shows.

Stage 6 (checks): imports stages 0–5 (… store, indicators); never IPython.
"""
