"""Figures: the Japanese font, indicator plots and the logic-model diagram (matplotlib Figures).

Stage 8 (viz): imports stages 0–7 (… indicators, checks).
"""
