"""What the check notebooks call: their parameters and the sections of the check pages.

Stage 10 (notebook): imports stages 0–10 (… viz, pages).
"""
