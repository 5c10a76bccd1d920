"""The drift comparison on its own (no Sphinx): what it finds and in which order."""

from __future__ import annotations

from dataclasses import replace

from sphinx_xenabi.model.drift import check_registry
from sphinx_xenabi.model.registry import (
    Cell,
    Location,
    RegisterRow,
    Registry,
    TableKind,
    TableRecord,
)
from sphinx_xenabi.model.spec import Release

HERE = Location("abi.rst", 10)
ROW = Location("abi.rst", 12)


def _registers_table(parameters: tuple[str, ...]) -> TableRecord:
    header = ("ABI", "Hypercall Index", f"Parameters (1 - {len(parameters)})", "Result")
    return TableRecord(
        kind=TableKind.REGISTERS,
        docname="abi",
        guide=None,
        location=HERE,
        title="",
        releases=None,
        header=tuple(Cell(text, HERE) for text in header),
        rows=(
            RegisterRow(
                Cell("64bit", ROW),
                Cell("RAX", Location("abi.rst", 13)),
                Cell(parameters, Location("abi.rst", 14)),
                Cell("RAX", Location("abi.rst", 15)),
            ),
        ),
        parameter_count=len(parameters),
    )


def test_findings_in_one_cell_keep_parameter_order() -> None:
    eleven = ("RDI", "RSI", "RDX", "R10", "R8", "R9", "R11", "R12", "R13", "R14", "R15")
    registry = Registry(release="4.22", guides=(), tables=(_registers_table(eleven),))
    findings = check_registry(registry, Release(4, 22))
    in_cell = [f.message for f in findings if f.location == Location("abi.rst", 14)]
    numbers = [int(message.split("parameter ")[1].split()[0]) for message in in_cell]
    assert numbers == [6, 7, 8, 9, 10, 11]
    # the header's count is a finding of its own, at the header cell, first by line
    assert findings[0].location == HERE and "announces 11 parameters" in findings[0].message


def test_the_current_abi_has_no_findings() -> None:
    table = _registers_table(("RDI", "RSI", "RDX", "R10", "R8"))
    at = Location("abi.rst", 16)
    row32 = RegisterRow(
        Cell("32bit", at),
        Cell("EAX", at),
        Cell(("EBX", "ECX", "EDX", "ESI", "EDI"), at),
        Cell("EAX", at),
    )
    table = replace(table, rows=(*table.rows, row32))
    registry = Registry(release="4.22", guides=(), tables=(table,))
    assert check_registry(registry, Release(4, 22)) == []
