"""What running one table row on the emulated CPU showed, as the page and the log show it.

Kept apart from the emulator so that readers of a result (the page's evidence
column, the command line) need not load Unicorn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sphinx_xenabi.model.records import TableKind

if TYPE_CHECKING:
    from sphinx_xenabi.model.location import Location

# The tables whose rows run on the emulated CPU.
EXECUTED_KINDS = (TableKind.REGISTERS, TableKind.TRANSFER)

# The mark of each state a row can show, in the page and in its evidence text.
MARKS = {"pass": "\u2714", "fail": "\u2718", "skipped": "\u2013"}


@dataclass(frozen=True)
class RowOutcome:
    """What running one table row showed.

    ``row`` locates the row (its first cell) for rendering; ``location`` is
    the cell a failure is reported at.
    """

    row: Location
    location: Location
    ok: bool
    summary: str
    details: tuple[str, ...] = ()
    # The hypercalls the row's run made: their names in the text link to them.
    hypercalls: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f"{MARKS[self.state]} {self.summary}"

    @property
    def state(self) -> str:
        return "pass" if self.ok else "fail"
