"""Small registries for the ABI diff's tests, written as plain data.

:class:`Tables` holds what a tiny docs tree's three tables state;
:meth:`Tables.registry` lays them out as the extraction would (one page,
each table at its line, one cell per line, as list-tables are), so a test
edits one fact and knows exactly what must change.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.records import (
    Cell,
    Guide,
    NumberRow,
    RegisterRow,
    TableKind,
    TableRecord,
    TransferRow,
)
from sphinx_xenabi.model.registry import Registry
from sphinx_xenabi.model.spec import GuestType, ReleaseRange

T = TypeVar("T")

PAGE = "guest/abi.rst"
ALL = frozenset(GuestType)
PV = frozenset({GuestType.PV32, GuestType.PV64})


@dataclass(frozen=True)
class Tables:
    conventions: dict[str, tuple[str, tuple[str, ...], str]] = field(
        default_factory=lambda: {
            "64bit": ("RAX", ("RDI", "RSI", "RDX", "R10", "R8"), "RAX"),
            "32bit": ("EAX", ("EBX", "ECX", "EDX", "ESI", "EDI"), "EAX"),
        }
    )
    transfers: dict[str, str] = field(
        default_factory=lambda: {
            "32bit PV": "INT 0x82",
            "64bit PV": "SYSCALL",
            "Intel HVM": "VMCALL",
            "AMD HVM": "VMMCALL",
        }
    )
    hypercalls: dict[int, tuple[str, frozenset[GuestType]]] = field(
        default_factory=lambda: {
            17: ("xen_version", ALL),
            23: ("iret", PV),
            31: ("xenoprof_op", PV),
        }
    )
    registers_line: int = 10
    registers_footnotes: tuple[str, ...] = ()
    # The header's N, when it is not the longest row's length.
    parameter_count: int | None = None
    # A second registers table for older releases ("Registers in Xen 4.13 to 4.16").
    history_title: str | None = None
    history_parameters: tuple[tuple[str, ...], tuple[str, ...]] = (
        ("RDI", "RSI", "RDX", "R10", "R8", "R9"),
        ("EBX", "ECX", "EDX", "ESI", "EDI", "EBP"),
    )

    def edit(self, **changes: Any) -> Tables:
        return replace(self, **changes)

    def registry(self) -> Registry:
        tables = [
            _registers(
                self.registers_line,
                "",
                self.conventions,
                self.registers_footnotes,
                self.parameter_count,
            ),
            _transfer(100, self.transfers),
            _numbers(200, self.hypercalls),
        ]
        if self.history_title is not None:
            sixty_four, thirty_two = self.history_parameters
            tables.append(
                _registers(
                    400,
                    self.history_title,
                    {"64bit": ("RAX", sixty_four, "RAX"), "32bit": ("EAX", thirty_two, "EAX")},
                    (),
                    None,
                )
            )
        guide = Guide("guest/index", "Guest guide", (PAGE,))
        return Registry("4.22", (guide,), tuple(tables))


def _cell(value: T, line: int) -> Cell[T]:
    return Cell(value, Location(PAGE, line))


def _releases(title: str) -> ReleaseRange | None:
    from sphinx_xenabi.extraction.kinds import releases_from_title

    return releases_from_title(title)


def _registers(
    line: int,
    title: str,
    conventions: dict[str, tuple[str, tuple[str, ...], str]],
    footnotes: tuple[str, ...],
    parameter_count: int | None,
) -> TableRecord:
    count = parameter_count or max((len(p) for _, p, _ in conventions.values()), default=5)
    header = ("ABI", "Hypercall Index", f"Parameters (1 - {count})", "Result")
    rows = []
    at = line + len(header)
    for abi, (index, parameters, result) in conventions.items():
        rows.append(
            RegisterRow(
                _cell(abi, at),
                _cell(index, at + 1),
                _cell(parameters, at + 2),
                _cell(result, at + 3),
            )
        )
        at += 4
    return TableRecord(
        kind=TableKind.REGISTERS,
        docname="guest/abi",
        guide="guest/index",
        location=Location(PAGE, line),
        title=title,
        releases=_releases(title),
        header=tuple(_cell(h, line + i) for i, h in enumerate(header)),
        rows=tuple(rows),
        parameter_count=count,
        footnotes=tuple(_cell(text, line + 60 + i) for i, text in enumerate(footnotes)),
    )


def _transfer(line: int, transfers: dict[str, str]) -> TableRecord:
    rows = [
        TransferRow(_cell(guest, line + 2 + 2 * i), _cell(insn, line + 3 + 2 * i))
        for i, (guest, insn) in enumerate(transfers.items())
    ]
    return TableRecord(
        kind=TableKind.TRANSFER,
        docname="guest/abi",
        guide="guest/index",
        location=Location(PAGE, line),
        title="",
        releases=None,
        header=(_cell("Guest", line), _cell("Transfer instruction", line + 1)),
        rows=tuple(rows),
    )


def _numbers(line: int, hypercalls: dict[int, tuple[str, frozenset[GuestType]]]) -> TableRecord:
    rows = []
    for i, (number, (name, available)) in enumerate(sorted(hypercalls.items())):
        at = line + 6 + 6 * i
        rows.append(
            NumberRow(
                _cell(number, at),
                _cell(name, at + 1),
                {g: _cell(g in available, at + 2 + j) for j, g in enumerate(GuestType)},
            )
        )
    header = ("Index", "Name", *(g.label for g in GuestType))
    return TableRecord(
        kind=TableKind.NUMBERS,
        docname="guest/abi",
        guide="guest/index",
        location=Location(PAGE, line),
        title="",
        releases=None,
        header=tuple(_cell(h, line + i) for i, h in enumerate(header)),
        rows=tuple(rows),
    )
