"""Strip outputs, execution counts and run metadata from notebooks (what nbstripout does).

    .venv/bin/python scripts/strip_notebooks.py                 # notebooks/*.ipynb, in place
    .venv/bin/python scripts/strip_notebooks.py --check         # exit 1 if any notebook has outputs
    .venv/bin/python scripts/strip_notebooks.py path/to/x.ipynb # given files only
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
_RUN_KEYS = ("papermill", "execution", "widgets")


def strip(nb: nbformat.NotebookNode) -> bool:
    """Strip ``nb`` in place; True when anything changed."""
    changed = False
    for key in _RUN_KEYS:
        if key in nb.metadata:
            del nb.metadata[key]
            changed = True
    for cell in nb.cells:
        for key in _RUN_KEYS:
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
        if cell.cell_type == "code":
            if cell.get("outputs"):
                cell.outputs = []
                changed = True
            if cell.get("execution_count") is not None:
                cell.execution_count = None
                changed = True
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--check", action="store_true", help="report notebooks with outputs; change nothing")
    args = ap.parse_args(argv)
    files = args.files or sorted((ROOT / "notebooks").glob("*.ipynb"))
    dirty = []
    for f in files:
        nb = nbformat.read(f, as_version=4)
        if strip(nb):
            dirty.append(f)
            if not args.check:
                f.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    for f in dirty:
        print(f"{'has outputs' if args.check else 'stripped'}: {f}")
    return 1 if (dirty and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
