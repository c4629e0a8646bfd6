"""Figures: the Japanese font, indicator plots and the logic-model diagram (matplotlib Figures).

Stage 7 (viz): imports stages 0–6 (… indicators, checks).
"""
