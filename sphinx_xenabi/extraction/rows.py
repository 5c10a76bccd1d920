"""Row reading: one recognised table's body rows, checked, as registry rows.

A row of the wrong shape, with an empty cell, an unknown ABI or guest, a
foreign register, a bad number or a duplicate key is reported and skipped;
a wrong parameter count or a bad availability cell is reported and the row
kept. Every problem is a located, typed :class:`Problem`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.model.abi import REGISTERS, TransferGuest
from sphinx_xenabi.model.problems import Problem, WarningSubtype
from sphinx_xenabi.model.records import Cell, NumberRow, RegisterRow, Row, TableKind, TransferRow
from sphinx_xenabi.model.spec import Architecture, GuestType, abi_architecture

if TYPE_CHECKING:
    from sphinx_xenabi.extraction.cells import RawCell
    from sphinx_xenabi.extraction.kinds import Schema
    from sphinx_xenabi.model.location import Location

_YES = frozenset({"yes", "y", "true", "\u2713", "\u2714"})
_NO = frozenset({"no", "n", "false", "-", "\u2013", "\u2014", "\u2717"})


def availability_value(text: str) -> bool | None:
    """A numbers-table availability cell: True for yes, False for no, None for neither."""
    value = text.strip().lower()
    return True if value in _YES else False if value in _NO else None


def _register_file(abi: str) -> str:
    """``a 64-bit x86``, ``an arm64``: whose registers an ABI's cells must name."""
    return f"a {abi[:2]}-bit x86" if abi_architecture(abi) is Architecture.X86 else f"an {abi}"


class TableReader:
    """Reads the body of one recognised table, collecting problems.

    ``guest_columns`` are the numbers table's availability columns as read:
    None for a column that is ignored (already reported at its header).
    """

    def __init__(
        self,
        schema: Schema,
        header: list[RawCell],
        problems: list[Problem],
        guest_columns: tuple[GuestType | None, ...] = (),
    ) -> None:
        self.schema = schema
        self.header = header
        self.problems = problems
        self.guest_columns = guest_columns
        self.ignored = frozenset(2 + i for i, guest in enumerate(guest_columns) if guest is None)
        self.seen: dict[Any, Location] = {}

    def report(self, location: Location, subtype: WarningSubtype, message: str) -> None:
        self.problems.append(Problem(subtype, message, location))

    def check_row_shape(self, cells: list[RawCell], row_location: Location) -> list[RawCell] | None:
        """The row's cells, one per header column, or None (reported) when it cannot be read.

        Empty cells past the last column are no cells at all: docutils pads a
        csv-table's short records, header included, to its longest record.
        """
        width = len(self.header)
        written = list(cells)
        while len(written) > width and not written[-1].text:
            written.pop()
        spans = [c for c in written if c.span]
        if len(written) != width or spans:
            extra = written[width:]
            location = extra[0].location if extra else spans[0].location if spans else row_location
            self.report(
                location,
                WarningSubtype.RAGGED_ROW,
                f"{self.schema.kind.value} table row has {len(written)} cells "
                f"(expected {width}: {' | '.join(h.text for h in self.header)}); row skipped",
            )
            return None
        ok = True
        for column, (cell, head) in enumerate(zip(written, self.header)):
            if not cell.text and column not in self.ignored:
                self.report(
                    cell.location,
                    WarningSubtype.EMPTY_CELL,
                    f"empty {head.text!r} cell; row skipped",
                )
                ok = False
        return written if ok else None

    def check_duplicate(self, key: Any, what: str, location: Location) -> bool:
        if key in self.seen:
            first = self.seen[key]
            self.report(
                location,
                WarningSubtype.DUPLICATE_ROW,
                f"duplicate {what} (first given at line {first.line}); row skipped",
            )
            return False
        self.seen[key] = location
        return True

    def read(self, cells: list[RawCell]) -> Row | None:
        if self.schema.kind is TableKind.REGISTERS:
            return self.read_registers(cells)
        if self.schema.kind is TableKind.TRANSFER:
            return self.read_transfer(cells)
        return self.read_number(cells)

    def read_registers(self, cells: list[RawCell]) -> RegisterRow | None:
        abi_cell, index_cell, params_cell, result_cell = cells
        abi = abi_cell.text.lower().replace(" ", "").replace("-", "")
        if abi not in REGISTERS:
            self.report(
                abi_cell.location,
                WarningSubtype.UNKNOWN_ABI,
                f"ABI {abi_cell.text!r} is not one of {', '.join(sorted(REGISTERS))}; row skipped",
            )
            return None
        valid = REGISTERS[abi]
        parameters = tuple(params_cell.text.upper().split())
        ok = True
        for cell, names, role in (
            (index_cell, (index_cell.text.upper(),), "hypercall index"),
            (params_cell, parameters, "parameter"),
            (result_cell, (result_cell.text.upper(),), "result"),
        ):
            for name in names:
                if name not in valid:
                    self.report(
                        cell.location,
                        WarningSubtype.BAD_REGISTER,
                        f"{abi} {role} register {name!r} is not {_register_file(abi)} "
                        f"general purpose register ({' '.join(sorted(valid))}); row skipped",
                    )
                    ok = False
        # Only a valid row claims its ABI: a corrected row after a bad one is no duplicate.
        if not ok or not self.check_duplicate(("abi", abi), f"ABI {abi}", abi_cell.location):
            return None
        expected = self.schema.parameter_count
        if expected is not None and len(parameters) != expected:
            self.report(
                params_cell.location,
                WarningSubtype.PARAMETER_COUNT,
                f"{abi} row names {len(parameters)} parameter registers "
                f"({' '.join(parameters)}); the header announces {expected}",
            )
        return RegisterRow(
            Cell(abi, abi_cell.location),
            Cell(index_cell.text.upper(), index_cell.location),
            Cell(parameters, params_cell.location),
            Cell(result_cell.text.upper(), result_cell.location),
        )

    def read_transfer(self, cells: list[RawCell]) -> TransferRow | None:
        guest_cell, instruction_cell = cells
        try:
            guest = TransferGuest.parse(guest_cell.text)
        except ValueError as exc:
            self.report(guest_cell.location, WarningSubtype.UNKNOWN_GUEST, f"{exc}; row skipped")
            return None
        if not self.check_duplicate(
            ("guest", guest), f"guest {guest.value!r}", guest_cell.location
        ):
            return None
        return TransferRow(
            Cell(guest.value, guest_cell.location),
            Cell(instruction_cell.text, instruction_cell.location),
        )

    def read_number(self, cells: list[RawCell]) -> NumberRow | None:
        number_cell, name_cell, *availability_cells = cells
        text = number_cell.text
        number = parse_number(text)
        if number is None:
            self.report(
                number_cell.location,
                WarningSubtype.BAD_NUMBER,
                f"hypercall number {text!r} is not a non-negative integer of at most 64 bits "
                "(decimal or 0x hex); row skipped",
            )
            return None
        if not self.check_duplicate(
            ("number", number), f"hypercall number {number}", number_cell.location
        ):
            return None
        if not self.check_duplicate(
            ("name", name_cell.text), f"hypercall name {name_cell.text!r}", name_cell.location
        ):
            return None
        availability: dict[GuestType, Cell[bool]] = {}
        for guest, cell in zip(self.guest_columns, availability_cells):
            if guest is None:
                continue  # the header column was already reported
            value = availability_value(cell.text)
            if value is not None:
                availability[guest] = Cell(value, cell.location)
            else:
                self.report(
                    cell.location,
                    WarningSubtype.BAD_AVAILABILITY,
                    f"{guest.label} availability of {name_cell.text} is {cell.text!r} "
                    "(expected yes or no); cell ignored",
                )
        return NumberRow(
            Cell(number, number_cell.location),
            Cell(name_cell.text, name_cell.location),
            availability,
        )


# ASCII decimal or 0x hex only: int(text, 0) would also take "1_7", "0b10"
# and full-width digits, none of which a reader would call a hypercall number.
# At most 64 bits, what the index register holds (and int() refuses 4,300 digits).
_NUMBER = re.compile(r"0[xX]0*[0-9a-fA-F]{1,16}|0|[1-9][0-9]{0,19}")
_NUMBER_LIMIT = 1 << 64


def parse_number(text: str) -> int | None:
    """A numbers-table index cell as an integer, or None if it is not one."""
    if not _NUMBER.fullmatch(text):
        return None
    number = int(text, 0)
    return number if number < _NUMBER_LIMIT else None
