"""The reference model's ABI data against the facts."""

from __future__ import annotations

from typing import Any

import pytest

from sphinx_xenabi.model import abi
from sphinx_xenabi.model.abi import (
    DEBUG_POISON,
    ERRNO,
    HYPERCALLS,
    REGISTERS,
    REVISIONS,
    TRANSFER_INSTRUCTIONS,
    UNUSED_NUMBERS,
    Errno,
    TransferGuest,
    newest_revision,
    normalise_instruction,
    revision_for,
    to_signed,
    to_unsigned,
)
from sphinx_xenabi.model.spec import Architecture, GuestType, Release

PV = {GuestType.PV32, GuestType.PV64}
ALL = set(GuestType.of(Architecture.X86))
ARM = {GuestType.ARM64, GuestType.ARM32}


# --- registers --------------------------------------------------------------


def test_register_sets() -> None:
    assert REGISTERS["64bit"] == {
        "RAX",
        "RBX",
        "RCX",
        "RDX",
        "RSI",
        "RDI",
        "RBP",
        "RSP",
        "R8",
        "R9",
        "R10",
        "R11",
        "R12",
        "R13",
        "R14",
        "R15",
    }
    assert REGISTERS["32bit"] == {"EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP", "ESP"}


def test_signed_unsigned() -> None:
    assert to_unsigned(-38, 64) == 0xFFFFFFFFFFFFFFDA
    assert to_unsigned(-38, 32) == 0xFFFFFFDA
    assert to_unsigned(0x1_0000_0005, 32) == 5
    assert to_signed(0xFFFFFFFFFFFFFFDA, 64) == -38
    assert to_signed(0xFFFFFFDA, 32) == -38
    assert to_signed(0x7FFFFFFF, 32) == 0x7FFFFFFF
    assert to_signed(0x80000000, 32) == -(2**31)


# --- transfer instructions --------------------------------------------------


def test_transfer_instructions() -> None:
    table = {g.value: (i.mnemonic, i.encoding) for g, i in TRANSFER_INSTRUCTIONS.items()}
    assert table == {
        "32bit PV": ("INT 0x82", b"\xcd\x82"),
        "64bit PV": ("SYSCALL", b"\x0f\x05"),
        "Intel HVM": ("VMCALL", b"\x0f\x01\xc1"),
        "AMD HVM": ("VMMCALL", b"\x0f\x01\xd9"),
        # hvc #0xea1: A64 0xD401D422 and A32 0xE140EA71, little-endian
        "arm64": ("HVC 0xea1", b"\x22\xd4\x01\xd4"),
        "arm32": ("HVC 0xea1", b"\x71\xea\x40\xe1"),
    }
    assert TRANSFER_INSTRUCTIONS[TransferGuest.INTEL_HVM].encoding_hex == "0F 01 C1"
    assert TRANSFER_INSTRUCTIONS[TransferGuest.ARM64].matches("hvc #0xEA1")
    assert not TRANSFER_INSTRUCTIONS[TransferGuest.ARM64].matches("HVC #0xEA2")
    assert [g.value for g in TransferGuest.with_pages()] == [
        "32bit PV",
        "64bit PV",
        "Intel HVM",
        "AMD HVM",
    ]


def test_transfer_guest_parse_and_types() -> None:
    assert TransferGuest.parse("  intel   HVM ") is TransferGuest.INTEL_HVM
    assert TransferGuest.parse("64-bit pv") is TransferGuest.PV64
    assert TransferGuest.parse("32bit PV") is TransferGuest.PV32
    with pytest.raises(ValueError, match="AMD HVM"):
        TransferGuest.parse("ARM HVM")
    assert TransferGuest.PV32.guest_types == {GuestType.PV32}
    assert TransferGuest.PV64.guest_types == {GuestType.PV64}
    assert TransferGuest.INTEL_HVM.guest_types == {GuestType.HVM32, GuestType.HVM64}
    assert TransferGuest.AMD_HVM.guest_types == {GuestType.HVM32, GuestType.HVM64}


def test_normalise_instruction() -> None:
    spellings = [
        "INT 0x82",
        "int 0x82",
        "INT  0x82",
        "int $0x82",
        " Int 0X82 ",
        "int 82h",
        "int 130",
    ]
    assert {normalise_instruction(s) for s in spellings} == {"INT 0x82"}
    assert normalise_instruction("int 82") != "INT 0x82"  # decimal 82 is 0x52
    assert normalise_instruction("vmmcall") == "VMMCALL"
    assert TRANSFER_INSTRUCTIONS[TransferGuest.PV32].matches("int $0x82")
    assert not TRANSFER_INSTRUCTIONS[TransferGuest.INTEL_HVM].matches("vmmcall")
    with pytest.raises(ValueError):
        normalise_instruction("   ")


# --- hypercall numbers ------------------------------------------------------


def test_numbers_table_shape() -> None:
    assert len(HYPERCALLS) == 44
    assert set(HYPERCALLS) == set(range(0, 43)) - {11} | {48, 49}
    assert UNUSED_NUMBERS == {11, 43, 44, 45, 46, 47, 50, 51, 52, 53, 54, 55}
    assert not UNUSED_NUMBERS & set(HYPERCALLS)
    assert abi.FORMER_NAMES[11] == "set_fast_trap"
    assert list(abi.ARCH_SLOTS) == list(range(48, 56))
    assert all(call.number == n for n, call in HYPERCALLS.items())


@pytest.mark.parametrize(
    ("number", "name"),
    [
        (0, "set_trap_table"),
        (1, "mmu_update"),
        (6, "sched_op_compat"),
        (7, "platform_op"),
        (10, "update_descriptor"),
        (12, "memory_op"),
        (16, "event_channel_op_compat"),
        (17, "xen_version"),
        (22, "update_va_mapping_otherdomain"),
        (23, "iret"),
        (29, "sched_op"),
        (31, "xenoprof_op"),
        (32, "event_channel_op"),
        (34, "hvm_op"),
        (38, "tmem_op"),
        (39, "argo_op"),
        (41, "dm_op"),
        (42, "hypfs_op"),
        (48, "mca"),
        (49, "paging_domctl_cont"),
    ],
)
def test_hypercall_names(number: int, name: str) -> None:
    assert HYPERCALLS[number].name == name
    assert abi.HYPERCALLS_BY_NAME[name].number == number


def test_arm_availability_is_the_arm_columns_do_entries() -> None:
    arm = {c.name for c in HYPERCALLS.values() if ARM <= c.available}
    assert arm == set(
        """platform_op memory_op multicall xen_version console_io grant_table_op vm_assist
        vcpu_op xsm_op sched_op event_channel_op physdev_op hvm_op sysctl domctl argo_op
        dm_op hypfs_op""".split()
    )
    assert all(not (c.available & ARM) or ARM <= c.available for c in HYPERCALLS.values())
    # dep in the arm column: listed, but returns -ENOSYS, so not available
    assert not abi.HYPERCALLS_BY_NAME["sched_op_compat"].available & ARM
    old = abi.hypercalls_for(Release(4, 13))
    assert {c.name for c in old.values() if ARM <= c.available} == arm - {"dm_op", "hypfs_op"}


def test_availability() -> None:
    by_name = abi.HYPERCALLS_BY_NAME
    assert by_name["iret"].available == PV
    assert by_name["mca"].available == PV
    assert by_name["set_segment_base"].available == PV
    assert by_name["kexec_op"].available == PV
    assert by_name["xen_version"].available == ALL | ARM
    assert by_name["hvm_op"].available == ALL | ARM
    assert by_name["paging_domctl_cont"].available == ALL
    assert by_name["tmem_op"].available == set()
    assert by_name["xenoprof_op"].available == set()
    x86 = [c.available - ARM for c in HYPERCALLS.values()]
    counts = {
        "pv only": sum(a == PV for a in x86),
        "all": sum(a == ALL for a in x86),
        "none": sum(not a for a in x86),
    }
    assert counts == {"pv only": 20, "all": 22, "none": 2}
    # No hypercall is HVM-only or width-specific in current Xen.
    assert all(a in (PV, ALL, set()) for a in x86)


# --- revisions --------------------------------------------------------------


@pytest.mark.parametrize("minor", [13, 14, 15, 16])
def test_six_parameter_revision(minor: int) -> None:
    spec = revision_for(Release(4, minor))
    assert spec.release == Release(4, minor)
    c64, c32 = spec.conventions["64bit"], spec.conventions["32bit"]
    assert (c64.index, c64.parameters, c64.result) == (
        "RAX",
        ("RDI", "RSI", "RDX", "R10", "R8", "R9"),
        "RAX",
    )
    assert (c32.index, c32.parameters, c32.result) == (
        "EAX",
        ("EBX", "ECX", "EDX", "ESI", "EDI", "EBP"),
        "EAX",
    )


@pytest.mark.parametrize("minor", [17, 18, 22])
def test_five_parameter_revision(minor: int) -> None:
    spec = revision_for(Release(4, minor))
    assert spec.conventions["64bit"].parameters == ("RDI", "RSI", "RDX", "R10", "R8")
    assert spec.conventions["32bit"].parameters == ("EBX", "ECX", "EDX", "ESI", "EDI")
    assert spec.conventions["64bit"].index == spec.conventions["64bit"].result == "RAX"
    assert spec.conventions["32bit"].index == spec.conventions["32bit"].result == "EAX"
    assert "RCX" not in spec.conventions["64bit"].parameters  # SYSCALL clobbers it


def test_full_spec_contents() -> None:
    spec = revision_for(Release(4, 22))
    assert dict(spec.transfers) == {
        "32bit PV": "INT 0x82",
        "64bit PV": "SYSCALL",
        "Intel HVM": "VMCALL",
        "AMD HVM": "VMMCALL",
        "arm64": "HVC 0xea1",
        "arm32": "HVC 0xea1",
    }
    assert spec.hypercalls[17].name == "xen_version"
    assert len(spec.hypercalls) == 44
    assert {c.abi for c in spec.conventions.values()} == {"64bit", "32bit", "arm64", "arm32"}


@pytest.mark.parametrize("minor", [13, 16, 17, 22])
def test_arm_passes_five_parameters_in_every_release(minor: int) -> None:
    spec = revision_for(Release(4, minor))
    arm64, arm32 = spec.conventions["arm64"], spec.conventions["arm32"]
    assert (arm64.index, arm64.parameters, arm64.result) == (
        "X16",
        ("X0", "X1", "X2", "X3", "X4"),
        "X0",
    )
    assert (arm32.index, arm32.parameters, arm32.result) == (
        "R12",
        ("R0", "R1", "R2", "R3", "R4"),
        "R0",
    )
    arch_only = spec.part("registers", [Architecture.ARM])
    assert set(arch_only.conventions) == {"arm64", "arm32"} and arch_only.parameter_count == 5


def test_debug_poisoning_per_architecture() -> None:
    x86 = abi.poisoning_for(GuestType.PV64, Release(4, 16))
    assert (x86.value, x86.number_register, x86.after_enosys) == (0xDEADBEEFDEADF00D, False, False)
    old, new = (abi.poisoning_for(GuestType.ARM64, Release(4, m)) for m in (16, 17))
    assert (old.value, old.number_register, old.after_enosys) == (0xDEADBEEF, True, True)
    assert (new.value, new.number_register, new.after_enosys) == (0xDEADBEEF, True, False)


def test_revision_ranges() -> None:
    assert [str(r.releases) for r in REVISIONS] == ["Xen 4.13 to 4.16", "Xen 4.17+"]
    assert abi.NEWEST_RELEASE_RANGE.first == Release(4, 17)
    assert newest_revision().conventions["64bit"].parameters[-1] == "R8"
    assert Release(5, 0) in abi.NEWEST_RELEASE_RANGE


@pytest.mark.parametrize("release", [Release(4, 12), Release(3, 4), Release(4, 0)])
def test_old_releases_rejected(release: Release) -> None:
    with pytest.raises(ValueError, match=r"Xen 4\.13"):
        revision_for(release)


# --- results and constants --------------------------------------------------


def test_errno() -> None:
    assert ERRNO == {
        "ENOSYS": 38,
        "EPERM": 1,
        "ENOENT": 2,
        "ESRCH": 3,
        "ENOMEM": 12,
        "EACCES": 13,
        "EFAULT": 14,
        "EINVAL": 22,
        "EOPNOTSUPP": 95,
    }
    assert Errno.ENOSYS == 38
    assert to_unsigned(-Errno.ENOSYS, 64) == 0xFFFFFFFFFFFFFFDA


def test_debug_poison() -> None:
    assert DEBUG_POISON == {64: 0xDEADBEEFDEADF00D, 32: 0xDEADF00D}


def test_page_constants() -> None:
    assert abi.XEN_ELFNOTE_HYPERCALL_PAGE == 2
    assert abi.CPUID_HYPERCALL_LEAF == 0x40000002
    assert abi.CPUID_HYPERCALL_PAGES == 1
    assert abi.HYPERCALL_MSR == 0x40000000
    assert (abi.PAGE_SIZE, abi.STUB_SIZE, abi.STUB_COUNT) == (4096, 32, 128)
    assert abi.IRET_INDEX == 23
    assert abi.XENVER_version == 0


# --- the docs' tables as the model writes them ------------------------------


def test_label_key_is_the_one_normaliser_of_guest_labels() -> None:
    from sphinx_xenabi.model.spec import label_key

    assert label_key("PV 64") == label_key("pv-64") == label_key("PV_64") == "pv64"
    assert GuestType.parse("hvm 32") is GuestType.HVM32
    assert TransferGuest.parse("64-bit pv") is TransferGuest.PV64


def test_the_model_s_tables_read_back_as_the_model() -> None:
    """docs_tables writes what docs_spec reads: the round trip is the revision itself."""
    from sphinx_xenabi.model.docs_spec import spec_of_tables
    from sphinx_xenabi.model.docs_tables import tables_of
    from sphinx_xenabi.model.location import Location
    from sphinx_xenabi.model.records import (
        Cell,
        NumberRow,
        RegisterRow,
        Row,
        TableKind,
        TableRecord,
        TransferRow,
    )

    model = revision_for(Release(4, 16))
    texts = tables_of(model)
    assert texts[TableKind.REGISTERS].header[2] == "Parameters (1 - 6)"

    def cell(value: Any) -> Cell[Any]:
        return Cell(value, Location("abi.rst", 1))

    def row(kind: TableKind, cells: tuple[str, ...]) -> Row:
        if kind is TableKind.REGISTERS:
            abi, index, parameters, result = cells
            return RegisterRow(
                cell(abi), cell(index), cell(tuple(parameters.split())), cell(result)
            )
        if kind is TableKind.TRANSFER:
            return TransferRow(cell(cells[0]), cell(cells[1]))
        available = {g: cell(v == "yes") for g, v in zip(GuestType, cells[2:])}
        return NumberRow(cell(int(cells[0])), cell(cells[1]), available)

    at = Location("abi.rst", 1)
    tables = [
        TableRecord(kind, "abi", None, at, "", None, (), tuple(row(kind, r) for r in text.rows), 6)
        for kind, text in texts.items()
    ]
    docs = spec_of_tables(model.release, tables)
    assert (docs.conventions, docs.transfers, docs.hypercalls) == (
        model.conventions,
        model.transfers,
        model.hypercalls,
    )
    assert docs.parameter_count == model.parameter_count


def test_a_spec_s_part_holds_one_table_kind_s_facts() -> None:
    model = revision_for(Release(4, 22))
    registers, numbers = model.part("registers"), model.part("numbers")
    assert registers.conventions == model.conventions and not registers.hypercalls
    assert numbers.hypercalls == model.hypercalls and not numbers.conventions
    assert not numbers.transfers and numbers.parameter_count == 0
