"""The records of the guides' ABI tables: every value with the cell it came from.

A :class:`TableRecord` is one recognised table; its rows are
:class:`RegisterRow`, :class:`TransferRow` or :class:`NumberRow`, whose
:class:`Cell` values keep the file and line they were written at, so the
drift gate and the emulator can point at cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from sphinx_xenabi.model.location import Location
    from sphinx_xenabi.model.spec import GuestType, Release, ReleaseRange

T = TypeVar("T")


class TableKind(StrEnum):
    REGISTERS = "registers"
    TRANSFER = "transfer"
    NUMBERS = "numbers"


# The records live in the build environment for the whole build, one Cell
# and one Location (a named tuple) per table cell: slots keep a Cell to one
# object for the garbage collector to traverse, and ``__reduce__`` keeps
# pickling it (the environment, parallel readers) as cheap as a tuple.


@dataclass(frozen=True, slots=True)
class Cell(Generic[T]):
    """One table cell's value and the place it was written."""

    value: T
    location: Location

    def __reduce__(self) -> tuple[type[Cell[T]], tuple[T, Location]]:
        return Cell, (self.value, self.location)


@dataclass(frozen=True, slots=True)
class RegisterRow:
    abi: Cell[str]
    index: Cell[str]
    parameters: Cell[tuple[str, ...]]
    result: Cell[str]


@dataclass(frozen=True, slots=True)
class TransferRow:
    guest: Cell[str]
    instruction: Cell[str]


@dataclass(frozen=True, slots=True)
class NumberRow:
    number: Cell[int]
    name: Cell[str]
    # Only the guest-type columns the table has; a missing column states nothing.
    availability: Mapping[GuestType, Cell[bool]] = field(default_factory=dict)


Row = RegisterRow | TransferRow | NumberRow


def row_key(row: Row) -> Location:
    """Where a row is keyed: its first cell (the ABI, guest type or number it is about).

    Extraction stamps this cell's location on the row's node, execution
    files each row's outcome under it and the evidence column finds the
    outcome of a node's row by it.
    """
    first: Cell[object] = getattr(row, _FIRST_FIELD[type(row)])
    return first.location


_FIRST_FIELD = {RegisterRow: "abi", TransferRow: "guest", NumberRow: "number"}


@dataclass(frozen=True, slots=True)
class TableRecord:
    """One recognised table of the guides."""

    kind: TableKind
    docname: str
    guide: str | None
    location: Location
    title: str
    releases: ReleaseRange | None
    header: tuple[Cell[str], ...]
    rows: tuple[Row, ...]
    # The N of a registers table's "Parameters (1 - N)" header.
    parameter_count: int | None = None
    # The footnotes the cells cite (text, where the footnote stands): not ABI,
    # but a reviewer of a change wants to see them change.
    footnotes: tuple[Cell[str], ...] = ()

    def applies_to(self, release: Release) -> bool:
        return self.releases is None or release in self.releases


@dataclass(frozen=True)
class Guide:
    """A guide listed by the root document and the pages reachable from it."""

    docname: str
    title: str
    pages: tuple[str, ...]


def sort_tables(tables: Iterable[TableRecord]) -> list[TableRecord]:
    """Tables in the registry's order: by document, line, then kind."""
    return sorted(tables, key=lambda t: (t.docname, t.location.line, t.kind.value))
