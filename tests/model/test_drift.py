"""The drift comparison on its own (no Sphinx): what it finds and in which order."""

from __future__ import annotations

from dataclasses import replace

from sphinx_xenabi.model.abi import hypercalls_for
from sphinx_xenabi.model.drift import check_registry
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.records import Cell, NumberRow, RegisterRow, TableKind, TableRecord
from sphinx_xenabi.model.registry import Registry
from sphinx_xenabi.model.spec import GuestType, Release

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


def test_swapped_parameters_are_a_finding_per_swapped_register() -> None:
    """The ABI diff calls this one reordering; the docs have two wrong registers."""
    table = _registers_table(("RSI", "RDI", "RDX", "R10", "R8"))
    registry = Registry(release="4.22", guides=(), tables=(table,))
    messages = [f.message for f in check_registry(registry, Release(4, 22))]
    assert "64bit parameter 1 is RSI; Xen 4.17+ uses RDI" in messages
    assert "64bit parameter 2 is RDI; Xen 4.17+ uses RSI" in messages
    assert not any("parameter 3" in m for m in messages)


def _numbers_table(rows: dict[int, tuple[str, dict[GuestType, bool]]]) -> TableRecord:
    number_rows = tuple(
        NumberRow(
            Cell(number, Location("calls.rst", 10 * number)),
            Cell(name, Location("calls.rst", 10 * number + 1)),
            {
                guest: Cell(value, Location("calls.rst", 10 * number + 2 + k))
                for k, (guest, value) in enumerate(available.items())
            },
        )
        for number, (name, available) in rows.items()
    )
    return TableRecord(
        kind=TableKind.NUMBERS,
        docname="calls",
        guide=None,
        location=Location("calls.rst", 1),
        title="",
        releases=None,
        header=(),
        rows=number_rows,
    )


def _model_rows() -> dict[int, tuple[str, dict[GuestType, bool]]]:
    return {
        n: (h.name, {g: g in h.available for g in GuestType})
        for n, h in hypercalls_for(Release(4, 22)).items()
    }


def _numbers_findings(rows: dict[int, tuple[str, dict[GuestType, bool]]]) -> list[str]:
    registry = Registry(release="4.22", guides=(), tables=(_numbers_table(rows),))
    return [f"{f.location}: {f.message}" for f in check_registry(registry, Release(4, 22))]


def test_the_model_s_own_numbers_have_no_findings() -> None:
    assert _numbers_findings(_model_rows()) == []


def test_a_renumbered_hypercall_is_an_unknown_number_and_a_missing_row() -> None:
    rows = _model_rows()
    rows[44] = rows.pop(41)
    assert _numbers_findings(rows) == [
        "calls.rst:1: numbers table has no row for hypercall 41 (dm_op), which Xen 4.22 defines",
        "calls.rst:440: hypercall number 44 (dm_op) is not defined in Xen 4.22; "
        "Xen 4.22 numbers dm_op 41",
    ]


def test_a_renamed_hypercall_is_one_finding_at_its_name() -> None:
    rows = _model_rows()
    rows[17] = ("xen_versions", {g: False for g in GuestType})  # its cells are not xen_version's
    assert _numbers_findings(rows) == [
        "calls.rst:171: hypercall 17 is named xen_versions; Xen 4.22 names it xen_version"
    ]


def test_availability_is_checked_only_in_the_columns_the_table_has() -> None:
    rows = {
        n: (name, {GuestType.PV64: available[GuestType.PV64]})
        for n, (name, available) in _model_rows().items()
    }
    assert _numbers_findings(rows) == []
    rows[31] = ("xenoprof_op", {GuestType.PV64: True})
    assert _numbers_findings(rows) == [
        "calls.rst:312: PV 64 availability of xenoprof_op is yes; in Xen 4.22 it is no "
        "(the call returns -ENOSYS)"
    ]
