"""Report sets for reviewers: the papermill runner, batch executors, manifest, redaction, HTML
pages from Jinja2 templates, and the display helpers the notebooks call.

Stage 8 (reports): imports stages 0–7 (… checks, viz).
"""
