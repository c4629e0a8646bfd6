"""Tier-3 composite indicators (Check❹): the vectorised engine, coverage, peer standing and the
reasons a value is missing.

Stage 5 (indicators): imports stages 0–4 (… sources, store).
"""
