"""Errors that tell the user which file, row and column to fix.

Every error the kit raises on bad input derives from :class:`SckpiError`, so the CLI can print it
as one line and exit non-zero instead of showing a traceback.

Stage 0 (foundation): imports nothing from the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SckpiError(Exception):
    """Base class for errors caused by input, settings or data (not by bugs)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one place of one file."""

    message: str
    file: str | None = None
    row: int | None = None  # 1-based line/row number as the user sees it in an editor or Excel
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return (": ".join([", ".join(where), self.message]) if where else self.message)


class InputFileError(SckpiError):
    """A file could not be read as the kit expects; names file, row and column."""

    def __init__(self, message: str, file: str | Path | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        self.problem = Problem(message, str(file) if file is not None else None, row, column)
        super().__init__(str(self.problem))


class ValidationError(SckpiError):
    """Several problems found at once, so the user can fix them all in one pass."""

    def __init__(self, problems: list[Problem], title: str = "validation failed") -> None:
        self.problems = list(problems)
        lines = [f"{title} ({len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))
