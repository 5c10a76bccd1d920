"""Where a value was written: a file of the docs and a line.

Its own module: problems, findings and the reports a rebuild logs again
name locations, and unpickling them should not load the table records.
"""

from __future__ import annotations

from dataclasses import dataclass


# Slots and ``__reduce__``: one object per cell for the garbage collector,
# and a pickle as cheap as a tuple's (see ``model/records.py``).
@dataclass(frozen=True, order=True, slots=True)
class Location:
    """Where a value was written: source file (relative to the docs) and line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    def __reduce__(self) -> tuple[type[Location], tuple[str, int]]:
        return Location, (self.file, self.line)
