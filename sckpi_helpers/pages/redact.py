"""Secret scrubbing: the values of secret environment variables never reach a report, index or log.

Papermill parameters are built from a city's settings only, never from the environment, but a
notebook could still print one (a traceback, a URL). So before a report folder is moved into place,
every file is scanned for the values of ``ESTAT_APP_ID`` and variables named like ``*_TOKEN``,
``*_SECRET``, ``*_API_KEY`` …; a hit is replaced by ``[REDACTED:NAME]`` (binary files holding one
are removed) and recorded by name only. Stage 9 (pages): imports stages 0–9.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

#: environment variables whose values must never reach an output
SECRET_ENV_NAMES = ("ESTAT_APP_ID",)
_SECRET_NAME_RE = re.compile(r"(APP_?ID|TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY)",
                             re.IGNORECASE)


def secret_values(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Secret environment values to keep out of every output: name → value."""
    env = os.environ if environ is None else environ
    out = {}
    for name, value in env.items():
        if not value:
            continue
        if name in SECRET_ENV_NAMES or (_SECRET_NAME_RE.search(name) and len(value) >= 6):
            out[name] = value
    return out


def _forms(value: str) -> set[str]:
    """How a value can appear in a file: raw, HTML-escaped, inside a JSON string."""
    return {f for f in {value, html.escape(value), json.dumps(value)[1:-1]} if f}


def redact(text: str, secrets: dict[str, str] | None = None) -> str:
    """``text`` with every secret value (raw, HTML- or JSON-escaped) replaced by ``[REDACTED:NAME]``."""
    for name, value in (secret_values() if secrets is None else secrets).items():
        for form in _forms(value):
            text = text.replace(form, f"[REDACTED:{name}]")
    return text


def scrub_folder(folder: str | Path, secrets: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Redact secret values in every file under ``folder``; binary files holding one are removed.

    Returns what was done, naming files and variables (never values).
    """
    secrets = secret_values() if secrets is None else secrets
    if not secrets:
        return []
    forms = {name: {f.encode() for f in _forms(v)} for name, v in secrets.items()}
    done = []
    for f in sorted(Path(folder).rglob("*")):
        if not f.is_file():
            continue
        data = f.read_bytes()
        hits = [name for name, fs in forms.items() if any(x in data for x in fs)]
        if not hits:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            f.unlink()
            action = "removed"
        else:
            f.write_text(redact(text, secrets), encoding="utf-8")
            action = "redacted"
        done += [{"file": f.relative_to(folder).as_posix(), "variable": n, "action": action} for n in hits]
    return done
