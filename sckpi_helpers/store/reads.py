"""Parquet reads of the processed store, kept in memory while the file is unchanged.

Why: a national run renders 1,741 cities in a few long-lived processes (each worker and the kernel
it keeps for :data:`~sckpi_helpers.reports.executors.KERNEL_NOTEBOOKS` notebooks). Every city reads
the same ``panel.parquet`` and ``indicators.parquet``; reading and converting them again for each
city cost more than the city's own work. A file is identified by its path, size, modification
time and inode, so a rebuild (an atomic replace: a new inode) is never served from memory.

The frames handed out are copies (:func:`read_parquet`) or new frames taken from the kept one
(:func:`read_rows`), so a caller may change them freely. At most :data:`KEEP` files are kept.

Stage 4 (store): imports nothing of the kit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: files kept in memory per process (panel, areas, local, indicators of one or two builds)
KEEP = 8
_LOCK = threading.Lock()
_KEPT: OrderedDict[tuple, tuple[pd.DataFrame, dict[str, np.ndarray] | None]] = OrderedDict()


def _stamp(path: Path) -> tuple:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)


def _kept(path: Path, by: str | None) -> tuple[pd.DataFrame, dict[str, np.ndarray] | None]:
    key = (*_stamp(Path(path)), by)
    with _LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    if by is None:
        frame = pd.read_parquet(path)
    else:  # text columns kept dictionary-encoded: a national table's repeated codes, units and reasons
        names = [f.name for f in pq.read_schema(path) if str(f.type) in ("string", "large_string")]
        frame = pq.read_table(path, read_dictionary=names).to_pandas()
        pa.default_memory_pool().release_unused()  # the Arrow table's buffers, now in the frame
    rows = None
    if by is not None:  # row positions per value of ``by`` (an area's rows without scanning all)
        col = frame[by]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes, uniques = col.cat.codes.to_numpy(), col.cat.categories
        else:
            codes, uniques = pd.factorize(col.astype(str), sort=False)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        rows = {str(u): order[bounds[i]:bounds[i + 1]] for i, u in enumerate(uniques)}
    with _LOCK:
        _KEPT[key] = (frame, rows)
        while len(_KEPT) > KEEP:
            _KEPT.popitem(last=False)
    return frame, rows


def read_parquet(path: str | Path) -> pd.DataFrame:
    """``path`` as a frame (a copy of the one kept while the file is unchanged)."""
    return _kept(Path(path), None)[0].copy()


def read_rows(path: str | Path, by: str, values: Iterable[str] | None) -> pd.DataFrame:
    """The rows of ``path`` whose ``by`` is one of ``values`` (all rows when None), in file order;
    text columns come as categoricals (the kept frame is a fifth of the plain one's memory)."""
    frame, rows = _kept(Path(path), by)
    if values is None:
        return frame.copy()
    assert rows is not None
    picked = [rows[v] for v in dict.fromkeys(map(str, values)) if v in rows]
    take = np.sort(np.concatenate(picked)) if picked else np.empty(0, dtype=np.intp)
    return frame.take(take).reset_index(drop=True)


def forget() -> None:
    """Drop every kept frame (tests; a process that wants its memory back)."""
    with _LOCK:
        _KEPT.clear()


__all__ = ["KEEP", "forget", "read_parquet", "read_rows"]
