"""The PDCA checks: KPI tracking against the logic model, where the chain breaks and which Action
follows, the local-data workbook, and the data each check page shows.

Stage 7 (checks): imports stages 0–6 (… city, indicators); never IPython.
"""
