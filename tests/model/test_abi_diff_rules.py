"""One test per ABI diff rule: a small pair that triggers exactly that rule.

Each pair is two tiny registries (:mod:`abi_pairs`) differing in one fact,
or, for the hypercall page stubs only Xen's source states, two small source
trees in Xen's formats (:mod:`xen_trees`). Every rule has its pair here:
``test_every_rule_has_a_pair`` keeps it so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sphinx_xenabi.model.abi_diff import AbiDiff, DiffSide, Rule, Severity, compare
from sphinx_xenabi.model.spec import GuestType
from sphinx_xenabi.model.xen_source import read_xen_source
from support.abi_pairs import ALL, PV, Tables
from support.xen_trees import edit, hypercall_defs_tree

BASE = Tables()


def _with_convention(
    abi: str,
    index: str | None = None,
    parameters: tuple[str, ...] | None = None,
    result: str | None = None,
) -> Tables:
    conventions = dict(BASE.conventions)
    was_index, was_parameters, was_result = conventions[abi]
    conventions[abi] = (index or was_index, parameters or was_parameters, result or was_result)
    return BASE.edit(conventions=conventions)


def _with_hypercalls(**changes: tuple[str, frozenset[GuestType]] | None) -> Tables:
    """BASE's hypercalls with ``n<number>=(name, available)`` set, or None to drop."""
    hypercalls = dict(BASE.hypercalls)
    for key, value in changes.items():
        number = int(key[1:])
        if value is None:
            del hypercalls[number]
        else:
            hypercalls[number] = value
    return BASE.edit(hypercalls=hypercalls)


def _with_transfers(**changes: str | None) -> Tables:
    transfers = dict(BASE.transfers)
    for label, value in changes.items():
        label = label.replace("_", " ")
        if value is None:
            del transfers[label]
        else:
            transfers[label] = value
    return BASE.edit(transfers=transfers)


def _without_abi(abi: str) -> Tables:
    return BASE.edit(conventions={k: v for k, v in BASE.conventions.items() if k != abi})


HISTORY = "Registers in Xen 4.13 to 4.16"

PAIRS: dict[Rule, tuple[Tables, Tables]] = {
    Rule.ABI_REMOVED: (BASE, _without_abi("32bit")),
    Rule.ABI_ADDED: (_without_abi("32bit"), BASE),
    Rule.PARAMETER_REMOVED: (
        # Both ABIs keep their count of 5 parameters at most: only 32-bit loses EDI.
        BASE,
        _with_convention("32bit", parameters=("EBX", "ECX", "EDX", "ESI")),
    ),
    Rule.PARAMETER_ADDED: (
        _with_convention("32bit", parameters=("EBX", "ECX", "EDX", "ESI")),
        BASE,
    ),
    Rule.PARAMETER_REPLACED: (
        BASE,
        _with_convention("64bit", parameters=("RDI", "RSI", "RDX", "RCX", "R8")),
    ),
    Rule.PARAMETERS_REORDERED: (
        BASE,
        _with_convention("64bit", parameters=("RSI", "RDI", "RDX", "R10", "R8")),
    ),
    # The header's "Parameters (1 - N)" states the count apart from the rows.
    Rule.PARAMETER_COUNT_REDUCED: (BASE.edit(parameter_count=6), BASE),
    Rule.PARAMETER_COUNT_INCREASED: (BASE, BASE.edit(parameter_count=6)),
    Rule.INDEX_REGISTER_CHANGED: (BASE, _with_convention("64bit", index="RBX")),
    Rule.RESULT_REGISTER_CHANGED: (BASE, _with_convention("32bit", result="EDX")),
    Rule.TRANSFER_CHANGED: (BASE, _with_transfers(AMD_HVM="VMCALL")),
    Rule.TRANSFER_REMOVED: (BASE, _with_transfers(**{"32bit_PV": None})),
    Rule.TRANSFER_ADDED: (_with_transfers(**{"32bit_PV": None}), BASE),
    Rule.HYPERCALL_ADDED: (BASE, _with_hypercalls(n42=("hypfs_op", ALL))),
    Rule.HYPERCALL_REMOVED: (BASE, _with_hypercalls(n31=None)),
    Rule.HYPERCALL_RENUMBERED: (BASE, _with_hypercalls(n31=None, n43=("xenoprof_op", PV))),
    Rule.HYPERCALL_RENAMED: (BASE, _with_hypercalls(n31=("perfmon_op", PV))),
    Rule.AVAILABILITY_GAINED: (BASE, _with_hypercalls(n23=("iret", PV | {GuestType.HVM64}))),
    Rule.AVAILABILITY_LOST: (
        BASE,
        _with_hypercalls(n31=("xenoprof_op", frozenset({GuestType.PV64}))),
    ),
    Rule.RELEASE_RANGE_CHANGED: (
        BASE.edit(history_title=HISTORY),
        BASE.edit(history_title="Registers in Xen 4.13 to 4.15"),
    ),
    Rule.TABLE_MOVED: (BASE, BASE.edit(registers_line=40)),
    Rule.FOOTNOTE_CHANGED: (
        BASE.edit(registers_footnotes=("Xen 4.17 stopped passing a sixth parameter.",)),
        BASE.edit(registers_footnotes=("Xen 4.17 no longer passes a sixth parameter.",)),
    ),
}


def _diff(old: Tables, new: Tables) -> AbiDiff:
    return compare(
        DiffSide.of_registry(old.registry(), "old"), DiffSide.of_registry(new.registry(), "new")
    )


def test_the_base_pair_has_no_change() -> None:
    assert _diff(BASE, BASE).changes == ()
    assert _diff(BASE, BASE).summary == "no ABI change"


def test_every_rule_has_a_pair() -> None:
    assert set(PAIRS) | {Rule.PAGE_STUB_CHANGED} == set(Rule)


@pytest.mark.parametrize("rule", sorted(PAIRS, key=list(Rule).index), ids=str)
def test_the_pair_triggers_exactly_its_rule(rule: Rule) -> None:
    old, new = PAIRS[rule]
    diff = _diff(old, new)
    assert [c.rule for c in diff.changes] == [rule], [c.message for c in diff.changes]
    change = diff.changes[0]
    assert change.severity is rule.severity
    # Both sides are located: the cell (or the table the fact is missing from).
    assert change.old is not None and change.new is not None, change
    assert change.old.file == change.new.file == "guest/abi.rst"
    # Documentation-only changes are left out of what is shown by default.
    shown = diff.shown()
    if rule.severity is Severity.DOCUMENTATION:
        assert shown.changes == () and shown.hidden == 1
        assert shown.summary == "no ABI change"
    else:
        assert shown.changes == diff.changes and shown.hidden == 0


def test_the_page_stub_pair_of_source_trees_triggers_exactly_its_rule(tmp_path: Path) -> None:
    old = hypercall_defs_tree(tmp_path / "old")
    new = hypercall_defs_tree(tmp_path / "new")
    edit(
        new / "xen/arch/x86/pv/hypercall.c",
        "*(u8  *)(p+12) = 0x59;    /* pop  %rcx */",
        "*(u8  *)(p+12) = 0x5a;    /* pop  %rdx */",
    )
    diff = compare(
        DiffSide("old", read_xen_source(old).spec()), DiffSide("new", read_xen_source(new).spec())
    )
    assert [c.rule for c in diff.changes] == [Rule.PAGE_STUB_CHANGED]
    change = diff.changes[0]
    assert change.message == (
        "64bit PV hypercall page stub changed from 51 41 53 B8 <i LE32> 0F 05 41 5B 59 C3 "
        "to 51 41 53 B8 <i LE32> 0F 05 41 5B 5A C3"
    )
    assert change.old is not None and change.new is not None
    assert change.new.file == "xen/arch/x86/pv/hypercall.c"
    assert "pv_ring3_init_hypercall_page" in change.new.text


MESSAGES: dict[Rule, str] = {
    Rule.ABI_REMOVED: "32bit register ABI removed (index EAX, parameters EBX ECX EDX ESI EDI, result EAX)",
    Rule.PARAMETER_REMOVED: "32bit parameter 5 (EDI) removed",
    Rule.PARAMETER_REPLACED: "64bit parameter 4 changed from R10 to RCX",
    Rule.PARAMETERS_REORDERED: "64bit parameters reordered from RDI RSI RDX R10 R8 to RSI RDI RDX R10 R8",
    Rule.PARAMETER_COUNT_REDUCED: "parameter count reduced from 6 to 5",
    Rule.INDEX_REGISTER_CHANGED: "64bit hypercall index register changed from RAX to RBX",
    Rule.TRANSFER_CHANGED: "AMD HVM transfer instruction changed from VMMCALL to VMCALL",
    Rule.HYPERCALL_ADDED: "hypercall 42 (hypfs_op) added, available to all guest types",
    Rule.HYPERCALL_RENUMBERED: "hypercall xenoprof_op renumbered from 31 to 43",
    Rule.HYPERCALL_RENAMED: "hypercall 31 renamed from xenoprof_op to perfmon_op",
    Rule.AVAILABILITY_GAINED: "iret (hypercall 23) now available to HVM 64 guests",
    Rule.AVAILABILITY_LOST: "xenoprof_op (hypercall 31) no longer available to PV 32 guests",
    Rule.RELEASE_RANGE_CHANGED: (
        "Xen 4.13: registers table now describes Xen 4.13 to 4.15 (was Xen 4.13 to 4.16)"
    ),
    Rule.TABLE_MOVED: "registers table moved from line 10 to line 40",
    Rule.FOOTNOTE_CHANGED: (
        "registers table footnote reworded: \u201cXen 4.17 no longer passes a sixth parameter.\u201d"
    ),
}


@pytest.mark.parametrize("rule", list(MESSAGES), ids=str)
def test_the_message_says_what_changed(rule: Rule) -> None:
    (change,) = _diff(*PAIRS[rule]).changes
    assert change.message == MESSAGES[rule]


def test_a_renumbered_hypercall_is_located_at_its_old_and_new_rows() -> None:
    (change,) = _diff(*PAIRS[Rule.HYPERCALL_RENUMBERED]).changes
    old_registry = PAIRS[Rule.HYPERCALL_RENUMBERED][0].registry()
    new_registry = PAIRS[Rule.HYPERCALL_RENUMBERED][1].registry()
    assert change.old == old_registry.spec_for().evidence["hypercall/31"]
    assert change.new == new_registry.spec_for().evidence["hypercall/43"]
    assert (change.before, change.after) == ("31", "43")


def test_a_removed_hypercall_points_at_the_new_numbers_table() -> None:
    (change,) = _diff(*PAIRS[Rule.HYPERCALL_REMOVED]).changes
    assert change.old is not None and change.old.text == "31"
    assert change.new is not None and change.new.line == 200  # the numbers table


def test_spellings_of_one_instruction_are_no_change() -> None:
    assert _diff(BASE, _with_transfers(**{"32bit_PV": "int $0x82"})).changes == ()


def test_a_spec_of_some_kinds_of_table_states_only_their_facts() -> None:
    # The rows run on the emulated CPU read only the registers and transfer
    # tables' facts; a guide's numbers tables are not read for them.
    from sphinx_xenabi.model.records import TableKind

    registry = BASE.registry()
    whole = registry.spec_for()
    executed = registry.spec_for(kinds=(TableKind.REGISTERS, TableKind.TRANSFER))
    assert dict(whole.hypercalls) and not executed.hypercalls
    assert (executed.conventions, executed.transfers) == (whole.conventions, whole.transfers)
    assert not any(key.startswith("hypercall/") for key in executed.evidence)
