"""Reading a build's input files through the source registry, with a report per file.

Why: ``sckpi ingest --input FOLDER`` hands the kit whatever a city downloaded. Each file's kind is
recognised by the registered readers (:func:`sckpi_helpers.sources.base.reader_for`); a file no
reader recognises is listed, not crashed on. Files the settings name for a role (``estat_csv``,
``external_statistics``, ``local_data``) are read by that role's reader even when the sniff is
unsure, so a broken file gets its reader's precise error (file, row, column) instead of
"unrecognised". Every file gets a :class:`FileReport`: its kind, rows read, rows used, and each
thing ignored and why — the console prints it and the build manifest keeps it.

Stage: ``store`` — imports ``errors``, ``config``, ``sources``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sckpi_helpers.errors import InputFileError, ValidationError
from sckpi_helpers.sources import base
from sckpi_helpers.sources.base import Ignored, Reader, ReadResult

#: a settings/command-line role → the reader kind that reads it when recognition is unsure
ROLE_KIND = {"csv": "ssds-csv", "external": "external", "local": "local-workbook",
             "police": "police-open-data"}
#: the order targets are read in: statistics first (their areas place the others), local last
TARGET_ORDER = {"items": 0, "panel": 1, "local": 2}


@dataclass
class FileReport:
    """What one input file gave the build (printed by ``sckpi ingest``, kept in ingest.json)."""

    file: str
    kind: str
    title: str = ""
    rows: int = 0
    used: int = 0
    ignored: list[Ignored] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "kind": self.kind, "title": self.title, "rows": self.rows,
                "used": self.used, "ignored": [str(i) for i in self.ignored]}


def recognise(path: Path) -> Reader | None:
    """The reader for ``path``: the first registered reader that recognises it."""
    return base.reader_for(path)


def reader_of_kind(kind: str) -> Reader:
    """The registered reader of ``kind``."""
    return base.get_reader(kind)


def classify(files: list[tuple[Path, str | None]]) -> tuple[list[tuple[Path, Reader]], list[Path]]:
    """(file, role) → the files with their readers (statistics first, then panel, then local) and
    the files no reader recognises."""
    found: list[tuple[Path, Reader]] = []
    unknown: list[Path] = []
    for path, role in files:
        if not path.exists():
            raise InputFileError("ファイルがありません (file not found)", path)
        reader = recognise(path)
        if reader is None and role is not None:
            reader = reader_of_kind(ROLE_KIND[role])
        if reader is None:
            unknown.append(path)
        else:
            found.append((path, reader))
    found.sort(key=lambda fr: TARGET_ORDER[fr[1].target])
    return found, unknown


def read_file(path: Path, reader: Reader, **context: Any) -> ReadResult:
    """One file through its reader; a statistics file without a data row is a one-line error."""
    result = reader.read(path, **context)
    if result.target == "items" and result.frame.empty:
        raise InputFileError("データ行がありません (no data rows: the file has a header but no "
                             "values; download the table again)", path)
    result.file = result.file or str(path)
    return result


def read_each(found: list[tuple[Path, Reader]], progress: bool = False, **context: Any) -> list[ReadResult]:
    """Read every file; every file's row problems are collected into one error, so the user can
    fix all of them in one pass. ``progress``: a tqdm bar on stderr (shown on a terminal only)."""
    from tqdm.auto import tqdm

    results, problems = [], []
    bar = tqdm(found, desc="ingest", unit="file", file=sys.stderr, dynamic_ncols=True,
               disable=None if progress and len(found) > 1 else True)
    for path, reader in bar:
        try:
            results.append(read_file(path, reader, **context))
        except ValidationError as exc:
            problems += exc.problems
    if problems:
        raise ValidationError(problems, title="入力ファイルを直してください (fix these rows)")
    return results


def report_for(result: ReadResult, reader: Reader | None = None) -> FileReport:
    """A :class:`FileReport` with the rows read and the reader's ignored list (used: filled later)."""
    title = getattr(reader, "title_ja", "") if reader is not None else ""
    return FileReport(result.file, result.kind, title, len(result.frame), 0, list(result.ignored))


def known_reader_kinds() -> list[str]:
    """Registered reader kinds (for messages)."""
    return [r.kind for r in base.readers()]


__all__ = [
    "ROLE_KIND",
    "FileReport",
    "classify",
    "known_reader_kinds",
    "read_each",
    "read_file",
    "reader_of_kind",
    "recognise",
    "report_for",
]
