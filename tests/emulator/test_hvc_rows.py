"""Arm register and transfer rows of the docs' tables, executed as x86 rows are.

``execute_registry`` runs an "arm64"/"arm32" registers row and an
"arm64"/"arm32" transfer row on the HVC harness (AArch64; AArch32 in ARM and
Thumb code) and reports a :class:`RowOutcome` per row, in the x86 rows'
style; the x86 rows of the same registry come out as they do without Arm's.
"""

from __future__ import annotations

import pytest

from sphinx_xenabi.emulator import (
    ARM_CONFIGS,
    GuestConfig,
    HvcRowEvidence,
    execute_hvc_row_check,
)
from sphinx_xenabi.emulator.row_execution import execute_registry
from sphinx_xenabi.model.abi import revision_for
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.records import Cell, RegisterRow, TableKind, TableRecord, TransferRow
from sphinx_xenabi.model.registry import Registry
from sphinx_xenabi.model.row_outcome import RowOutcome
from sphinx_xenabi.model.spec import AbiSpec, Convention, Release

RELEASE = Release(4, 22)
DOCS = "guest-guide/arm/hypercall-abi.rst"
ARM64_ROW = ("arm64", "X16", "X0 X1 X2 X3 X4", "X0")
ARM32_ROW = ("arm32", "R12", "R0 R1 R2 R3 R4", "R0")
UNDEFINED = (
    "is not a hypercall (Xen takes HVC #0xea1): Xen injected an undefined-instruction "
    "exception, and the guest's vector took it"
)
X86_ROWS = (
    ("64bit", "RAX", "RDI RSI RDX R10 R8", "RAX"),
    ("32bit", "EAX", "EBX ECX EDX ESI EDI", "EAX"),
    ("64bit", "RAX", "RDI RCX RDX R10 R8", "RAX"),  # RCX: SYSCALL's return address
)


def at(line: int) -> Location:
    return Location(DOCS, line)


def register_row(line: int, abi: str, index: str, parameters: str, result: str) -> RegisterRow:
    return RegisterRow(
        Cell(abi, at(line)),
        Cell(index, at(line + 1)),
        Cell(tuple(parameters.split()), at(line + 2)),
        Cell(result, at(line + 3)),
    )


def transfer_row(line: int, guest: str, instruction: str) -> TransferRow:
    return TransferRow(Cell(guest, at(line)), Cell(instruction, at(line + 1)))


def registry(
    registers: tuple[tuple[str, str, str, str], ...] = (),
    transfers: tuple[tuple[str, str], ...] = (),
) -> Registry:
    """The docs' tables of a page: one registers table, one transfer table."""
    tables = []
    if registers:
        rows = tuple(register_row(10 + 10 * n, *row) for n, row in enumerate(registers))
        tables.append(TableRecord(TableKind.REGISTERS, "abi", None, at(1), "", None, (), rows, 5))
    if transfers:
        trows = tuple(transfer_row(200 + 10 * n, *row) for n, row in enumerate(transfers))
        tables.append(TableRecord(TableKind.TRANSFER, "abi", None, at(2), "", None, (), trows))
    return Registry(str(RELEASE), (), tuple(tables))


def run(
    registers: tuple[tuple[str, str, str, str], ...] = (),
    transfers: tuple[tuple[str, str], ...] = (),
) -> list[RowOutcome]:
    return execute_registry(registry(registers, transfers), RELEASE)


# --- the docs' Arm rows, right -----------------------------------------------------------


def test_arm_rows_pass_and_read_like_x86_rows() -> None:
    outcomes = run(
        registers=(ARM64_ROW, ARM32_ROW),
        transfers=(("arm64", "HVC #0xEA1"), ("arm32", "HVC #0xEA1")),
    )
    assert [o.ok for o in outcomes] == [True] * 4, [o.summary for o in outcomes]
    arm64, arm32, t64, t32 = outcomes
    assert arm64.summary == (
        "executed: Arm 64, HVC 0xea1, the number in X16 and 5 arguments arrived in "
        "X0 X1 X2 X3 X4 for xen_version"
    )
    assert arm32.summary == (
        "executed: Arm 32, HVC 0xea1, the number in R12 and 5 arguments arrived in "
        "R0 R1 R2 R3 R4 for xen_version; also Arm 32 Thumb (HVC 0xea1)"
    )
    assert t64.summary == (
        "executed: arm64 (A64 code): HVC 0xea1 trapped at stub offset 0x4, "
        "xen_version answered 0x40016 (Xen 4.22)"
    )
    assert t32.summary == (
        "executed: arm32 (A32 and T32 code): HVC 0xea1 trapped at stub offset 0x4, "
        "xen_version answered 0x40016 (Xen 4.22)"
    )
    # Filed at the row's first cell, reported at the claim's cell, linked to what ran.
    assert (arm64.row, arm64.location) == (at(10), at(12))
    assert (t64.row, t64.location) == (at(200), at(201))
    assert all(o.hypercalls == ("xen_version",) for o in outcomes)
    assert arm64.text.startswith("\u2714 executed: Arm 64")


def test_x86_rows_come_out_the_same_beside_arm_rows() -> None:
    x86_transfers = (("64bit PV", "SYSCALL"), ("Intel HVM", "VMMCALL"))
    alone = run(registers=X86_ROWS, transfers=x86_transfers)
    mixed = run(
        registers=(*X86_ROWS, ARM64_ROW, ARM32_ROW),
        transfers=(*x86_transfers, ("arm64", "HVC #0xEA2")),
    )
    # The x86 rows sit at the same cells in both: their outcomes are equal, field by field.
    assert mixed[:3] + mixed[5:7] == alone
    assert [o.ok for o in alone] == [True, True, False, True, False]
    assert [o.ok for o in mixed[3:5]] + [mixed[7].ok] == [True, True, False]


# --- the docs' Arm rows, wrong -------------------------------------------------------------


def test_an_arm64_number_register_x17_fails_its_row() -> None:
    (outcome,) = run(registers=(("arm64", "X17", "X0 X1 X2 X3 X4", "X0"),))
    assert not outcome.ok
    assert outcome.location == at(12)
    assert outcome.summary == (
        "executed: Arm 64, HVC 0xea1: the guest put hypercall 17 in X17, the docs' number "
        "register; Xen reads the number from X16, which held 0x5a5a5a5a5a5a5a10: -ENOSYS "
        "(MISMATCH)"
    )
    assert "X0 = 0xffffffffffffffda after ret; Xen 4.22 returns 0x40016" in outcome.details[1]


def test_an_arm32_number_register_fails_on_arm_and_thumb() -> None:
    (outcome,) = run(registers=(("arm32", "R7", "R0 R1 R2 R3 R4", "R0"),))
    assert not outcome.ok
    assert "put hypercall 17 in R7" in outcome.details[0]
    assert "Xen reads the number from R12" in outcome.details[0]
    assert any(d.startswith("executed: Arm 32 Thumb, ") for d in outcome.details)


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        (
            "X0 X1 X2 X3",
            "Xen reads parameter 5 from X4 (0x5a5a5a5a5a5a5a04), which the docs do not name",
        ),
        ("X0 X1 X2 X3 X4 X5", "the docs' parameter 6 in X5 is not read: Xen reads 5"),
        ("X0 X2 X1 X3 X4", "parameter 2 went into X2 (the docs); Xen reads X1"),
    ],
    ids=["four", "six", "swapped"],
)
def test_arm64_parameters_that_xen_does_not_read_fail(parameters: str, problem: str) -> None:
    (outcome,) = run(registers=(("arm64", "X16", parameters, "X0"),))
    assert not outcome.ok
    assert outcome.summary.startswith("executed: Arm 64, HVC 0xea1, the number in X16; ")
    assert problem in outcome.summary


def test_an_arm_result_register_xen_does_not_write_fails() -> None:
    (outcome,) = run(registers=(("arm32", "R12", "R0 R1 R2 R3 R4", "R1"),))
    assert not outcome.ok
    assert outcome.summary == (
        "xen_version(XENVER_version): R1 = 0x22222222 after ret; "
        "Xen 4.22 returns 0x40016 in R0 (MISMATCH)"
    )


@pytest.mark.parametrize(
    ("guest", "instruction", "why"),
    [
        ("arm64", "HVC #0xEA2", UNDEFINED),
        ("arm32", "HVC #0", "is an SMCCC call (the function ID in R0)"),
        ("arm64", "SMC #0xEA1", "is not HVC #imm"),
    ],
    ids=["0xEA2", "0", "SMC"],
)
def test_a_wrong_transfer_row_fails_and_only_it(guest: str, instruction: str, why: str) -> None:
    outcomes = run(registers=(ARM64_ROW, ARM32_ROW), transfers=((guest, instruction),))
    registers64, registers32, transfer = outcomes
    assert registers64.ok and registers32.ok  # the registers rows run with Xen's HVC
    assert not transfer.ok
    assert transfer.location == at(201)
    assert why in transfer.summary
    assert instruction in transfer.summary or "not executed" in transfer.summary


def test_a_wrong_registers_row_does_not_fail_the_transfer_row() -> None:
    outcomes = run(
        registers=(("arm64", "X17", "X0 X1 X2 X3 X4", "X0"),), transfers=(("arm64", "HVC #0xEA1"),)
    )
    assert [o.ok for o in outcomes] == [False, True]


# --- the evidence -------------------------------------------------------------------------


@pytest.mark.parametrize("config", ARM_CONFIGS, ids=[c.label for c in ARM_CONFIGS])
def test_the_evidence_of_the_models_own_spec(config: GuestConfig) -> None:
    spec = revision_for(RELEASE)
    evidence = execute_hvc_row_check(spec, config)
    assert isinstance(evidence, HvcRowEvidence)
    assert evidence.ok, str(evidence)
    assert len(evidence.lines) == 4
    assert evidence.probe is not None and evidence.probe.received == evidence.probe.loaded
    assert evidence.unknown is not None and evidence.unknown.index not in spec.hypercalls


def test_the_evidence_names_what_xen_follows() -> None:
    # Xen is the given reference, the guest the docs: a docs spec naming X17 against it.
    model = revision_for(RELEASE)
    docs = AbiSpec(
        RELEASE,
        {"arm64": Convention("arm64", "X17", ("X0", "X1", "X2", "X3", "X4"), "X0")},
        {"arm64": "HVC #0xEA1"},
        model.hypercalls,
    )
    evidence = execute_hvc_row_check(docs, ARM_CONFIGS[0], xen=model)
    assert not evidence.ok
    assert (evidence.convention.index, evidence.xen.index) == ("X17", "X16")
    assert evidence.transfer_documented and evidence.enosys_ok
    assert not evidence.arguments_intact and not evidence.version_ok


# --- a guest no configuration runs ------------------------------------------------------


@pytest.mark.parametrize(
    ("registers", "transfers", "label", "line"),
    [
        ((), (("64bit", "SYSCALL"),), "'64bit'", 200),  # the transfer label is "64bit PV"
        ((("riscv64", "A7", "A0 A1 A2 A3 A4", "A0"),), (), "'riscv64'", 10),
    ],
)
def test_a_row_for_a_guest_no_configuration_runs_fails_at_its_cell(
    registers: tuple[tuple[str, str, str, str], ...],
    transfers: tuple[tuple[str, str], ...],
    label: str,
    line: int,
) -> None:
    # Extraction makes no such row; a registry from elsewhere may, and it is a
    # failed row at its cell, with the labels that do run, not an IndexError.
    (outcome,) = run(registers, transfers)
    assert not outcome.ok
    assert outcome.location.line == line
    assert f"no emulated guest runs {label}" in outcome.summary
    assert "64bit PV" in outcome.summary if transfers else "arm64" in outcome.summary
    # The rows that do run are unaffected beside it.
    outcomes = run((*registers, ARM64_ROW), (*transfers, ("arm64", "HVC #0xEA1")))
    assert [o.ok for o in outcomes] == [False, True, True] if registers else [True, False, True]
