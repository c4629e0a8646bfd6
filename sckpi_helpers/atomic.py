"""Atomic writes: a reader sees the old file or the new one, never half of one.

Outputs are written to a temporary sibling and renamed into place (``os.replace`` is atomic on
one filesystem), so an interrupted run cannot leave a corrupted Parquet, cache entry or report.
Workbooks are serialised here too (:func:`workbook_bytes`), so that every ``.xlsx`` the kit writes
has the same bytes for the same content — openpyxl would stamp the save time into two places.

Stage 0 (foundation): imports nothing from the package.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: the one date every workbook the kit writes carries (document properties and zip entries)
XLSX_STAMP = datetime(2024, 1, 1)


def _new_temp(path: Path, create) -> tuple[object, str]:
    """A new ``.<name>.<random>.tmp`` beside ``path``, made by ``create(p)`` (exclusive).

    Unlike ``tempfile.mkstemp``/``mkdtemp`` (always 0600/0700) the mode follows the user's umask,
    so the file or folder moved into place is as readable as any other the user creates.
    """
    for _ in range(100):
        p = os.path.join(path.parent, f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return create(p), p
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, creating parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _new_temp(path, lambda p: os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write text atomically (UTF-8 unless told otherwise)."""
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame as Parquet atomically (pyarrow engine, no index)."""
    buf = io.BytesIO()
    df.to_parquet(buf, engine="pyarrow", index=False)
    return atomic_write_bytes(path, buf.getvalue())


def workbook_bytes(wb: Any) -> bytes:
    """The ``.xlsx`` bytes of an openpyxl workbook, the same for the same content at any time.

    ``Workbook.save`` overwrites ``modified`` in docProps/core.xml with the current second and the
    zip stamps each entry with the local time (or a temporary file's mtime), so two saves a second
    apart differed. Here the writer is run without that stamp and every entry is re-dated.
    """
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.created = wb.properties.modified = XLSX_STAMP
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=XLSX_STAMP.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info))
    return out.getvalue()


@contextlib.contextmanager
def atomic_directory(target: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; move it into place when the block succeeds.

    If the block raises, the temporary folder is removed and ``target`` is untouched. With
    ``overwrite`` an existing ``target`` is replaced (moved aside first, then deleted).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; refusing to overwrite")
    _, tmp = _new_temp(target, lambda p: os.mkdir(p, 0o777))
    tmp = Path(tmp)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
