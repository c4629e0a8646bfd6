"""The one interface every source format implements, and the registry that finds a file's reader.

Why one interface: a city's ``data/raw/<city>/`` folder mixes files from many publishers (SSDS CSV
downloads, SSDSE, saved e-Stat API responses, police open data, external statistics, the local-data
workbook). ``sckpi ingest --input FOLDER`` asks each registered reader whether it *recognises* a file
(from its name and first bytes, cheaply) and lets the first that does *read* it. A new publisher's
format is one new module that defines a :class:`Reader` and calls :func:`register` — the way
papermill registers its I/O handlers — and nothing else changes.

Every read returns tidy rows **and** the list of what was ignored and why (:class:`Ignored`), so the
console can say, per input file, what was used and what was not; nothing is dropped silently.

Stage: ``sources`` may import ``errors``, ``atomic``, ``config`` and ``catalog`` — never ``store`` or later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd

#: What a reader's rows are keyed by, which decides what the store does with them:
#: ``items`` — published statistics keyed by the publisher's item code (``ITEM_COLUMNS``), mapped to
#: catalog inputs by the store through the catalog's sources; ``panel`` — already catalog inputs
#: (``PANEL_COLUMNS``), e.g. external statistics and police counts; ``local`` — the city's own KPI
#: values (``LOCAL_COLUMNS``).
Target = Literal["items", "panel", "local"]

ITEM_COLUMNS = ["stats_data_id", "area_code", "area_name", "area_full_name", "time_code", "year",
                "item_code", "item_name", "unit", "value", "annotation", "source"]
PANEL_COLUMNS = ["area_code", "area_name", "year", "variable", "value", "unit", "source",
                 "annotation", "published"]
LOCAL_COLUMNS = ["area_code", "indicator_id", "period", "value", "unit", "source", "note"]
COLUMNS_OF: dict[str, list[str]] = {"items": ITEM_COLUMNS, "panel": PANEL_COLUMNS, "local": LOCAL_COLUMNS}

#: How many bytes of a file :func:`sniff` hands to ``recognise`` (enough for any header row).
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Ignored:
    """One thing a reader did not turn into a value, with the reason (shown on the console)."""

    file: str
    reason: str
    row: int | None = None       # 1-based line or sheet row, as a spreadsheet shows it
    column: str | None = None    # the column's header as published
    count: int = 1               # how many rows/cells this line stands for (e.g. 120 aggregate rows)

    def __str__(self) -> str:
        where = ", ".join(p for p in (f"{self.row}行目" if self.row else "",
                                      f"列「{self.column}」" if self.column else "") if p)
        n = f"（{self.count}件）" if self.count > 1 else ""
        return f"{Path(self.file).name}{' ' + where if where else ''}: {self.reason}{n}"


@dataclass
class ReadResult:
    """Tidy rows from one file, what kind they are, and everything that was left out and why."""

    kind: str
    target: Target
    frame: pd.DataFrame
    ignored: list[Ignored] = field(default_factory=list)
    file: str = ""

    def __post_init__(self) -> None:
        missing = [c for c in COLUMNS_OF[self.target] if c not in self.frame.columns]
        if missing:
            raise TypeError(f"reader {self.kind!r} returned rows without columns {missing}")


class Reader:
    """Base class of a source format. Subclasses set ``kind``/``title_ja`` and implement two methods."""

    #: short id used on the command line (``--source KIND``) and in messages, e.g. ``ssds-csv``
    kind: ClassVar[str] = ""
    #: how the console names the format for municipal staff
    title_ja: ClassVar[str] = ""
    #: the rows' key (see :data:`Target`)
    target: ClassVar[Target] = "items"

    def recognise(self, path: Path, head: bytes) -> bool:
        """True when this reader can read ``path``; ``head`` is its first bytes (:func:`sniff`)."""
        raise NotImplementedError

    def read(self, path: Path, **context: Any) -> ReadResult:
        """Read ``path`` into tidy rows. ``context`` may carry ``catalog``, ``city_code``, ``year``."""
        raise NotImplementedError


_REGISTRY: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    """Add a reader (later registrations of the same kind replace earlier ones)."""
    if not reader.kind:
        raise ValueError("a reader needs a kind")
    _REGISTRY[reader.kind] = reader
    return reader


def readers() -> list[Reader]:
    """Every registered reader, in registration order (the order recognition is tried in)."""
    _load_builtin()
    return list(_REGISTRY.values())


def get_reader(kind: str) -> Reader:
    """The reader registered for ``kind`` (e.g. ``ssdse``); a clear error naming the known kinds."""
    _load_builtin()
    try:
        return _REGISTRY[kind]
    except KeyError:
        from sckpi_helpers.errors import SckpiError

        raise SckpiError(f"unknown source format {kind!r}; known: {', '.join(_REGISTRY)}") from None


def sniff(path: Path) -> bytes:
    """The first :data:`SNIFF_BYTES` of a file, for ``recognise``."""
    with open(path, "rb") as fh:
        return fh.read(SNIFF_BYTES)


def head_text(head: bytes) -> str | None:
    """The whole lines of a sniffed head as text (UTF-8 with or without BOM, else CP932), or None
    when it is not text. Only complete lines are kept, so a character cut at the sniff's end
    cannot make a file look undecodable."""
    from sckpi_helpers.errors import InputFileError
    from sckpi_helpers.sources.cells import decode

    whole = head[: head.rfind(b"\n") + 1] or head
    if b"\0" in whole:
        return None
    try:
        return decode(whole, "")
    except InputFileError:
        return None


def head_rows(head: bytes, max_rows: int = 10) -> list[list[str]]:
    """The first CSV rows of a sniffed head (cells as written), for ``recognise``; [] if not text.

    One implementation for every CSV reader's recognition, so they all see a file the same way."""
    import csv
    import io

    text = head_text(head)
    if text is None:
        return []
    try:
        return [row for _, row in zip(range(max_rows), csv.reader(io.StringIO(text)), strict=False)]
    except csv.Error:
        return []


def reader_for(path: str | Path) -> Reader | None:
    """The first registered reader that recognises ``path``, or None."""
    p = Path(path)
    head = sniff(p)
    for reader in readers():
        if reader.recognise(p, head):
            return reader
    return None


def expand(items: Iterable[str | Path]) -> list[Path]:
    """Files named directly, and every file inside named folders (sorted, hidden files skipped)."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out.extend(f for f in sorted(p.rglob("*")) if f.is_file() and not f.name.startswith("."))
        else:
            out.append(p)
    return out


#: modules that define the built-in readers; each calls :func:`register` on import. Order is the
#: order of recognition: the most specific formats first, the generic tables last.
BUILTIN_MODULES: list[str] = [
    "sckpi_helpers.sources.estat_json",
    "sckpi_helpers.sources.ssdse",
    "sckpi_helpers.sources.police_open_data",
    "sckpi_helpers.sources.police_keishicho",
    "sckpi_helpers.sources.tokyo_daytime",
    "sckpi_helpers.sources.sugata",
    "sckpi_helpers.sources.juki",
    "sckpi_helpers.sources.zaisei",
    "sckpi_helpers.sources.ssds_csv",
    "sckpi_helpers.sources.external",
    "sckpi_helpers.sources.local_workbook",
]


def _load_builtin() -> None:
    import importlib

    for name in BUILTIN_MODULES:
        importlib.import_module(name)
