"""The processed store: ``sckpi ingest`` turns ``data/raw/<city>/`` into tidy Parquet tables under
``data/processed/<scope>/`` (:mod:`.build`), and every later stage reads them (:mod:`.processed`).

Stage 4 (store): imports stages 0–3 (foundation, config, catalog, sources).
"""
