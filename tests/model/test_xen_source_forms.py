"""The reader reads each file in its own form: the halfway trees of Xen's history.

Xen moved from C dispatch arrays to ``hypercall-defs.c`` one file at a time,
so a tree may hold both forms (tests/support/xen_trees.py writes the mixes:
July 2022's, a PV/HVM mix, and the stub writers before spring 2019). Nothing
is inferred from another file's presence.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sphinx_xenabi.model.abi import IRET_INDEX, TransferGuest
from sphinx_xenabi.model.spec import Architecture, GuestType
from sphinx_xenabi.model.xen_source import SourceError, XenSource, read_xen_source
from support.xen_trees import (
    c_tables_tree,
    edit,
    hypercall_defs_tree,
    july_2022_tree,
    mixed_dispatch_tree,
    spring_2019_tree,
)

DEFS = "xen/include/hypercall-defs.c"
PV_C = "xen/arch/x86/pv/hypercall.c"
HVM_C = "xen/arch/x86/hvm/hypercall.c"
ARGS_C = "xen/arch/x86/hypercall.c"
PV = (GuestType.PV32, GuestType.PV64)
HVM = (GuestType.HVM32, GuestType.HVM64)
FIVE = {"64bit": ("RDI", "RSI", "RDX", "R10", "R8"), "32bit": ("EBX", "ECX", "EDX", "ESI", "EDI")}


def _available(source: XenSource) -> dict[str, frozenset[GuestType]]:
    spec = source.spec()
    return {h.name: h.available for h in spec.hypercalls.values()}


def _error(tree: Path) -> str:
    with pytest.raises(SourceError) as raised:
        read_xen_source(tree)
    message = str(raised.value)
    assert "\n" not in message
    return message


# --- July 2022: hypercall-defs.c beside x86's C arrays --------------------------


def test_july_2022_reads_x86_from_the_arrays_its_dispatch_calls(tmp_path: Path) -> None:
    source = read_xen_source(july_2022_tree(tmp_path / "t"))
    assert source.warnings == ()
    assert source.layout == "c-tables"
    for guest in (*PV, *HVM):
        entry = source.entries[17][guest]  # xen_version
        assert entry.available
        assert entry.evidence is not None and entry.evidence.file == (
            HVM_C if guest in HVM else PV_C
        )
        assert entry.arguments == 2
        assert entry.arguments_evidence is not None and entry.arguments_evidence.file == ARGS_C
    # The same availability as the C-table tree it was, hypercall-defs.c or not.
    assert _available(source) == _available(read_xen_source(c_tables_tree(tmp_path / "c")))


def test_july_2022_ignores_the_table_no_dispatch_uses(tmp_path: Path) -> None:
    tree = july_2022_tree(tmp_path / "t")
    edit(
        tree / DEFS,
        "mca                                do       do       -        -        -\n",
        "",
    )
    source = read_xen_source(tree)
    assert _available(source)["mca"] == frozenset(PV)  # HYPERCALL(mca) in pv_hypercall_table
    evidence = source.entries[48][GuestType.PV64].evidence
    assert evidence is not None and (evidence.file, evidence.text) == (PV_C, "HYPERCALL(mca),")


def test_july_2022_registers_come_from_the_table_calls_and_the_generator_limit_holds(
    tmp_path: Path,
) -> None:
    source = read_xen_source(july_2022_tree(tmp_path / "t"))
    assert {abi: row.convention.parameters for abi, row in source.conventions.items()} == FIVE
    row = source.conventions["64bit"]
    assert (row.parameters.file, row.parameters.text) == (
        PV_C,
        "regs->rax = pv_hypercall_table[eax].native(rdi, rsi, rdx, r10, r8);",
    )
    assert source.dispatch[GuestType.HVM64].evidence.file == HVM_C
    # gen_hypercall.awk is there: its limit is read and agrees with the dispatch.
    assert source.generator_limit is not None and source.generator_limit[0] == 5
    assert source.spec().stated_parameter_count == 5
    assert source.poisoning[64].registers == FIVE["64bit"]
    assert source.poisoning[64].evidence.file == PV_C  # the dispatch's own switch


def test_july_2022_with_six_parameters_contradicts_the_generator(tmp_path: Path) -> None:
    tree = july_2022_tree(tmp_path / "t")
    edit(tree / PV_C, "native(rdi, rsi, rdx, r10, r8);", "native(rdi, rsi, rdx, r10, r8, r9);")
    warnings = read_xen_source(tree).warnings
    assert any("gen_hypercall.awk allows 5 parameters" in w and "(64bit)" in w for w in warnings)


def test_july_2022_reads_only_what_its_forms_name(tmp_path: Path) -> None:
    source = read_xen_source(july_2022_tree(tmp_path / "t"))
    paths = source.manifest.paths
    assert {PV_C, HVM_C, ARGS_C, "xen/scripts/gen_hypercall.awk"} <= set(paths)
    assert "xen/arch/x86/include/asm/hypercall.h" in paths
    assert DEFS not in paths  # no dispatch of this x86-only tree uses it


# --- a PV/HVM mix -----------------------------------------------------------------


def test_a_mixed_dispatch_reads_each_guest_type_from_its_own_file(tmp_path: Path) -> None:
    source = read_xen_source(mixed_dispatch_tree(tmp_path / "t"))
    assert source.warnings == ()
    assert source.layout == "hypercall-defs"  # PV's form
    for guest in PV:
        entry = source.entries[34][guest]  # hvm_op
        assert entry.evidence is not None and entry.evidence.file == DEFS
        assert entry.arguments_evidence is not None and entry.arguments_evidence.file == DEFS
    for guest in HVM:
        entry = source.entries[34][guest]
        assert entry.evidence is not None and entry.evidence.file == HVM_C
        assert (entry.handler, entry.arguments) == ("do", 2)
        assert entry.arguments_evidence is not None and entry.arguments_evidence.file == ARGS_C
    assert source.dispatch[GuestType.PV64].evidence.text.startswith("call_handlers_pv64(")
    assert source.dispatch[GuestType.HVM64].evidence.text == (
        "regs->rax = hvm_hypercall_table[eax].native(rdi, rsi, rdx, r10, r8);"
    )
    assert _available(source) == _available(read_xen_source(hypercall_defs_tree(tmp_path / "d")))


def test_a_mixed_tree_without_the_argument_table_names_it(tmp_path: Path) -> None:
    tree = mixed_dispatch_tree(tmp_path / "t")
    (tree / ARGS_C).unlink()
    assert f"{ARGS_C}: missing" in _error(tree)


# --- the asm headers in either place --------------------------------------------


def test_a_generated_dispatch_with_the_asm_headers_in_their_old_place(tmp_path: Path) -> None:
    new = read_xen_source(hypercall_defs_tree(tmp_path / "new"))
    tree = hypercall_defs_tree(tmp_path / "old")
    (tree / "xen/include/asm-x86").mkdir(parents=True)
    for header in ("hypercall.h", "irq-vectors.h"):
        (tree / "xen/arch/x86/include/asm" / header).rename(tree / "xen/include/asm-x86" / header)
    old = read_xen_source(tree)
    assert old.warnings == ()
    assert _available(old) == _available(new)
    assert old.poisoning[64].evidence.file == "xen/include/asm-x86/hypercall.h"
    assert old.hypercalls[49].evidence.file == "xen/include/asm-x86/hypercall.h"
    assert old.vector[1].file == "xen/include/asm-x86/irq-vectors.h"


# --- the stub writers before spring 2019 -------------------------------------------


def test_the_stub_writers_before_spring_2019_write_the_same_stubs(tmp_path: Path) -> None:
    old = read_xen_source(spring_2019_tree(tmp_path / "old"))
    new = read_xen_source(c_tables_tree(tmp_path / "new"))
    assert old.warnings == ()
    for guest in TransferGuest.with_pages():
        for index in (0, 1, IRET_INDEX, 42):
            assert old.stubs[guest].stub(index) == new.stubs[guest].stub(index), (guest, index)
        assert old.decoded[guest].transfer == new.decoded[guest].transfer
        assert old.decoded[guest].index_register == new.decoded[guest].index_register
    assert old.stubs[TransferGuest.PV64].stub(IRET_INDEX).hex() == "51415350b8170000000f05"
    assert old.stubs[TransferGuest.INTEL_HVM].stub(IRET_INDEX).hex() == "0f0b"
    evidence = old.stubs[TransferGuest.PV64].evidence
    assert evidence.text == "void hypercall_page_initialise_ring3_kernel(void *hypercall_page)"
    iret = old.stubs[TransferGuest.AMD_HVM].iret
    assert [store.text for store in iret] == [
        "*(u16 *)(hypercall_page + (__HYPERVISOR_iret * 32)) = 0x0b0f;"
    ]


def test_stores_after_the_loop_into_another_slot_are_an_error(tmp_path: Path) -> None:
    tree = spring_2019_tree(tmp_path / "t")
    edit(
        tree / PV_C,
        "    /* iret does not return: guests jump to it. */\n"
        "    p = hypercall_page + (__HYPERVISOR_iret * 32);",
        "    p = hypercall_page + 64;",
    )
    message = _error(tree)
    assert f"{PV_C}:" in message
    assert "hypercall_page_initialise_ring3_kernel stores after its loop" in message


def test_a_stub_writer_by_no_known_name_names_both(tmp_path: Path) -> None:
    tree = spring_2019_tree(tmp_path / "t")
    edit(tree / PV_C, "hypercall_page_initialise_ring1_kernel", "write_ring1_page")
    message = _error(tree)
    assert (
        f"{PV_C}: no function pv_ring1_init_hypercall_page or "
        "hypercall_page_initialise_ring1_kernel (expected the 32bit PV hypercall page writer)"
    ) in message


def test_a_stub_writer_without_its_loop_is_a_located_error(tmp_path: Path) -> None:
    tree = c_tables_tree(tmp_path / "t")
    edit(
        tree / "xen/arch/x86/hvm/vmx/vmx.c",
        "for ( i = 0; i < (PAGE_SIZE / 32); i++, p += 32 )",
        "while ( next(&i, &p) )",
    )
    message = _error(tree)
    assert "hvm/vmx/vmx.c:1: vmx_init_hypercall_page has no 'for ( ... ) {' loop" in message


# --- files in no form the reader knows ---------------------------------------------


@pytest.mark.parametrize(("relative", "kind"), [(PV_C, "pv"), (HVM_C, "hvm")], ids=["pv", "hvm"])
@pytest.mark.parametrize("build", [hypercall_defs_tree, c_tables_tree], ids=["defs", "tables"])
def test_a_dispatch_in_no_known_form_names_the_file_and_both_forms(
    tmp_path: Path, relative: str, kind: str, build: Callable[[Path], Path]
) -> None:
    tree = build(tmp_path / "t")
    text = (tree / relative).read_text(encoding="utf-8")
    text = text.replace(f"call_handlers_{kind}", f"{kind}_dispatch")
    text = text.replace(f"{kind}_hypercall_table[eax].", f"{kind}_lookup(eax)->")
    (tree / relative).write_text(text, encoding="utf-8")
    message = _error(tree)
    assert f"{tree / relative}: dispatches hypercalls in no form the reader knows" in message
    assert f"call_handlers_{kind}64(eax, regs->rax, ...) generated from hypercall-defs.c" in message
    assert f"regs->rax = {kind}_hypercall_table[eax].native(...) over a C array" in message


def test_a_generated_dispatch_without_hypercall_defs_names_both(tmp_path: Path) -> None:
    tree = hypercall_defs_tree(tmp_path / "t")
    (tree / DEFS).unlink()
    message = _error(tree)
    assert f"{DEFS}: missing ({PV_C} dispatches through call_handlers_*" in message


def test_a_commented_out_dispatch_decides_no_form(tmp_path: Path) -> None:
    # Only code counts: a C array named in a comment does not make the file c-tables.
    tree = hypercall_defs_tree(tmp_path / "t")
    edit(
        tree / HVM_C,
        "call_handlers_hvm64(eax, regs->rax, regs->rdi, regs->rsi, regs->rdx,\n"
        "                            regs->r10, regs->r8);",
        "/* was: regs->rax = hvm_hypercall_table[eax].native(...); */",
    )
    edit(
        tree / HVM_C,
        "call_handlers_hvm32(eax, regs->eax, regs->ebx, regs->ecx, regs->edx,\n"
        "                            regs->esi, regs->edi);",
        "",
    )
    assert f"{HVM_C}: dispatches hypercalls in no form the reader knows" in _error(tree)


def test_x86_forms_decide_nothing_for_arm(tmp_path: Path) -> None:
    # An x86-only tree: whatever its x86 forms, Arm is looked for and nothing of it read.
    source = read_xen_source(july_2022_tree(tmp_path / "t"))
    assert Architecture.ARM not in source.configurations and source.traps == {}
    assert "xen/arch/arm" in source.manifest.paths
    assert "xen/arch/arm/traps.c" not in source.manifest.paths
