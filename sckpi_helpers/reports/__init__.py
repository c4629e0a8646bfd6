"""The run machinery of report sets: the papermill runner, kernel sessions, batch executors,
preflight checks and the manifest.

Stage 11 (reports): imports stages 0–11 (… pages, notebook).
"""
