"""One reader per source format (e-Stat API and saved responses, SSDS CSV, SSDSE, police open data,
external statistics, the local-data workbook, the logic model), behind one interface
(:mod:`.base`), plus the shared cell, number and table parsing and the area codes.

Stage 3 (sources): imports ``errors``, ``atomic``, ``config`` and ``catalog``.
"""
