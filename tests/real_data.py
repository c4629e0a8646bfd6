"""Where the real published files for the conformance tests live (``tests/data/real/``).

The files are copies, byte for byte, of public statistics (attribution in
``tests/data/real/README.md``). Tests import :func:`real` instead of building paths by hand so a
missing copy fails with the file's name, not with a confusing parse error.
"""

from __future__ import annotations

from pathlib import Path

REAL = Path(__file__).resolve().parent / "data" / "real"


def real(*parts: str) -> Path:
    """``real("police", "tokyo_2021syazyounerai.csv")`` → its path; fails when the copy is missing."""
    path = REAL.joinpath(*parts)
    assert path.is_file(), f"missing real test file {path.relative_to(REAL.parent.parent)}"
    return path


def all_real_files() -> list[Path]:
    """Every real file (README excluded), for recognition tests across formats."""
    return sorted(p for p in REAL.rglob("*") if p.is_file() and p.name != "README.md")
