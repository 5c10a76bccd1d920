"""The records of the guides' ABI tables: every value with the cell it came from.

A :class:`TableRecord` is one recognised table; its rows are
:class:`RegisterRow`, :class:`TransferRow` or :class:`NumberRow`, whose
:class:`Cell` values keep the file and line they were written at, so the
drift gate and the emulator can point at cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, TypeVar

from sphinx_xenabi.model.location import Location

if TYPE_CHECKING:
    from sphinx_xenabi.model.spec import GuestType, Release, ReleaseRange

T = TypeVar("T")


class TableKind(StrEnum):
    REGISTERS = "registers"
    TRANSFER = "transfer"
    NUMBERS = "numbers"


# The records live in the build environment for the whole build, one Cell
# per table cell. A Cell keeps its file and line in slots of its own rather
# than a Location: one object per cell for the garbage collector to traverse
# and about 64 bytes less, where a Location would be a second object (a named
# tuple stays tracked by the collector, unlike a plain tuple of strings and
# numbers). ``location`` makes the Location when it is asked for.


@dataclass(frozen=True, slots=True, init=False)
class Cell(Generic[T]):
    """One table cell's value and the place it was written.

    ``file`` (relative to the docs) and ``line`` are the place;
    :attr:`location` gives them as a :class:`~sphinx_xenabi.model.location.Location`.
    """

    value: T
    file: str
    line: int

    def __init__(self, value: T, location: tuple[str, int]) -> None:
        """``location``: a :class:`Location`, or any (file, line) pair."""
        # Frozen: fields are set past the class's own __setattr__, as a
        # generated __init__ would set them.
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "file", location[0])
        object.__setattr__(self, "line", location[1])

    @property
    def location(self) -> Location:
        """Where the cell was written, as a new :class:`~sphinx_xenabi.model.location.Location`."""
        return Location(self.file, self.line)

    # Pickled (the environment, parallel readers, the content keys) as its
    # three values, as cheap as a tuple: a Location made for the pickle would
    # be one more object per cell that the pickler's memo keeps to the end.
    def __reduce__(self) -> tuple[Callable[[T, str, int], Cell[T]], tuple[T, str, int]]:
        return _cell, (self.value, self.file, self.line)


def _cell(value: T, file: str, line: int) -> Cell[T]:
    return Cell(value, (file, line))


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
