"""The content digest of a frame: what work kept across calls is keyed by.

Why one home: the data-quality gate remembers a peer group's findings and the national run
remembers which table its pages show, both by the content they were made from (not a file's
stamp), so a changed value is never answered from memory; one digest serves both.

Stage 4 (store): imports nothing of the kit.
"""

from __future__ import annotations

import hashlib

import pandas as pd


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 over the rows' values (pandas' per-row hashes, in order; the index left out)."""
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()
