"""Tier-3 composite indicators (Check❹): the vectorised engine, coverage, peer standing and the
reasons a value is missing.

Stage 6 (indicators): imports stages 0–5 (… store, city).
"""
