"""Whether a finished report set must be rendered again, and why (incremental and resumed runs).

Why: a national run renders 1,741 sets; re-running it must redo only the cities whose inputs,
settings or the kit itself changed, and an interrupted run must pick up where it stopped. A set
records three fingerprints in its manifest (``fingerprints``): its input files' SHA-256, its
settings, and the kit (version plus a hash of the package's code, catalog and templates). The next
run compares them with the current ones: an unfinished set, or any fingerprint that differs, is
re-rendered and the new manifest says why (``rerun_reason``); an up-to-date finished set is left
alone.

Stage 11 (reports): imports ``config`` and the package version.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sckpi_helpers import __version__
from sckpi_helpers.config import paths

#: package files whose change changes what a report shows
_KIT_SUFFIXES = (".py", ".yaml", ".j2", ".css", ".csv")


@functools.lru_cache(maxsize=1)
def kit_fingerprint() -> str:
    """``<version>+<hash>``: the version and a hash of the package's code, catalog and templates."""
    h = hashlib.sha256()
    pkg = paths.PACKAGE_DIR
    for f in sorted(p for p in pkg.rglob("*") if p.is_file() and p.suffix in _KIT_SUFFIXES
                    and "__pycache__" not in p.parts):
        h.update(f.relative_to(pkg).as_posix().encode())
        h.update(f.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


def inputs_fingerprint(inputs: Iterable[Mapping[str, Any]]) -> str:
    """A hash of the manifest's input entries (role, path, SHA-256) in a stable order."""
    keys = sorted((str(i.get("role")), str(i.get("path")), str(i.get("sha256", "absent"))) for i in inputs)
    return hashlib.sha256(json.dumps(keys, ensure_ascii=False).encode()).hexdigest()


def settings_fingerprint(settings: Any) -> str:
    """A hash of the city's settings as the run used them (paths as written, not resolved)."""
    dump = settings.model_dump(mode="json") if hasattr(settings, "model_dump") else dict(vars(settings))
    return hashlib.sha256(json.dumps(dump, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def fingerprints(inputs: Iterable[Mapping[str, Any]], settings: Any) -> dict[str, str]:
    """The three fingerprints a manifest records."""
    return {"inputs": inputs_fingerprint(inputs), "settings": settings_fingerprint(settings),
            "kit": kit_fingerprint()}


_WHAT_JA = {"inputs": "入力ファイルが変わりました", "settings": "設定が変わりました",
            "kit": "キット（プログラム・指標定義）が更新されました"}


def rerun_reason(previous: Mapping[str, Any] | None, current: Mapping[str, str]) -> str | None:
    """Why the set must be rendered (Japanese, for the manifest and the console), or None when the
    previous set is finished and every fingerprint matches."""
    if not previous:
        return "初回の作成です（前回の報告がありません）"
    if previous.get("status") != "ok":
        return f"前回の作成が完了していません（状態: {previous.get('status') or '不明'}）"
    before = previous.get("fingerprints") or {}
    changed = [k for k in ("inputs", "settings", "kit") if before.get(k) != current.get(k)]
    if not changed:
        return None
    return "、".join(_WHAT_JA[k] for k in changed)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, remembered per (path, size, mtime) within the process — a national run
    hashes the same bundled statistics for every city."""
    p = Path(path)
    st = p.stat()
    return _sha256_cached(str(p.resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
