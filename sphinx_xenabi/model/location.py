"""Where a value was written: a file of the docs and a line.

Its own module: problems, findings and the reports a rebuild logs again
name locations, and unpickling them should not load the table records.
"""

from __future__ import annotations

from typing import NamedTuple


# A named tuple: ordered by file then line, a pickle as cheap as a tuple's,
# and a class created in a tenth of a frozen dataclass's time (every build
# loads it, a no-op rebuild included). Unlike a plain tuple, it stays tracked
# by the garbage collector, so the records that are many (table cells, see
# ``model/records.py``) keep their file and line themselves.
class Location(NamedTuple):
    """Where a value was written: source file (relative to the docs) and line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"
