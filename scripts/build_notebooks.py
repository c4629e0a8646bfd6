"""Write the check notebooks (and the test fixtures) from Python, outputs stripped.

    .venv/bin/python scripts/build_notebooks.py            # notebooks/*.ipynb + tests/fixtures/notebooks/
    .venv/bin/python scripts/build_notebooks.py --check    # exit 1 when a committed notebook differs

The notebooks are thin: one ``parameters`` cell (DESIGN.md), a validation cell, then calls into
``sckpi_helpers``. Edit the cell sources here, rebuild, commit the .ipynb files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from notebook_sources import FIXTURES, NOTEBOOKS

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}


def build(cells: list[tuple[str, str, list[str]]]) -> nbformat.NotebookNode:
    """cells: (kind 'md'|'code', source, tags) → a v4 notebook without outputs."""
    nb = new_notebook(metadata={"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    for i, (kind, src, tags) in enumerate(cells):
        src = src.strip("\n")
        cell = new_markdown_cell(src) if kind == "md" else new_code_cell(src)
        cell["id"] = f"c{i:02d}"
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    args = ap.parse_args(argv)
    targets = {ROOT / "notebooks" / f"{k}.ipynb": v for k, v in NOTEBOOKS.items()}
    targets |= {ROOT / "tests" / "fixtures" / "notebooks" / f"{k}.ipynb": v for k, v in FIXTURES.items()}
    stale = []
    for path, cells in targets.items():
        text = render(build(cells))
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("out of date: " + ", ".join(str(p.relative_to(ROOT)) for p in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
