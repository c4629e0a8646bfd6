"""Where the kit reads and writes, each city's settings, fiscal periods and the Japanese labels every
later stage shares.

Stage 1 (config): imports only ``errors`` and ``atomic``.
"""
