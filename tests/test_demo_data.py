"""The bundled demo data (data/raw/demo/) is what scripts/make_demo_data.py writes: the script runs,
is seeded and deterministic, and reproduces every bundled file it owns — so a change to the script,
the catalog's inputs or a writer the script uses cannot leave the demo silently stale."""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_demo_data.py"
BUNDLED = ROOT / "data" / "raw" / "demo"


def _hand_written() -> set[str]:
    """make_demo_data.HAND_WRITTEN, read without importing the script (it edits sys.path)."""
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "HAND_WRITTEN" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError("make_demo_data.py no longer names its HAND_WRITTEN files")


HAND_WRITTEN = _hand_written()

def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """The script's output in a fresh folder, run as a user runs it (its own process, any hash seed)."""
    out = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out


def _zip_members(data: bytes) -> list[tuple[str, tuple, int, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, i.date_time, i.external_attr, z.read(i)) for i in z.infolist()]


def test_every_bundled_demo_file_is_generated_or_hand_written(generated):
    bundled = _files(BUNDLED)
    assert HAND_WRITTEN == {"README.md", "settings.yaml", "logic_model.yaml"} and HAND_WRITTEN <= bundled
    assert bundled - HAND_WRITTEN == _files(generated), (
        "a bundled demo file the script does not write (or the other way round): "
        "regenerate with scripts/make_demo_data.py or list it as hand-written")


def test_the_script_reproduces_the_bundled_files_byte_for_byte(generated):
    differ = []
    for name in sorted(_files(generated)):
        new, old = (generated / name).read_bytes(), (BUNDLED / name).read_bytes()
        if name.endswith(".xlsx"):
            # every member byte for byte, with its name, order, date and mode; the deflate stream
            # itself belongs to the machine's zlib, not to the script
            same = _zip_members(new) == _zip_members(old)
        else:
            same = new == old
        if not same:
            differ.append(name)
    assert not differ, f"differs from the bundled file: {differ} (regenerate with scripts/make_demo_data.py)"
