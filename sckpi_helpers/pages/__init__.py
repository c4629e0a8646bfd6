"""The page and file writers of a report set: page chrome and Jinja2 templates, the index pages,
the attachments, the catalog page, the HTML building blocks with the one escaper, and secret
redaction of everything written.

Stage 9 (pages): imports stages 0–9 (… checks, viz).
"""
