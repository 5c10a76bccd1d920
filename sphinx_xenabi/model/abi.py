"""The Xen hypercall ABI facts of both architectures, x86 and Arm, as data.

This module is the reference model: the guides' tables are checked against
it. It covers Xen 4.13 onward. x86 has two ABI revisions (six parameters up
to 4.16, five from 4.17); Arm has passed five parameters in x0-x4 (arm64)
or r0-r4 (arm32), the number in x16 or r12, throughout
(``xen/include/public/arch-arm.h``).

Hypercall availability is the current Xen's (``HYPERCALLS``) with the
release changes in ``AVAILABILITY_CHANGES``, checked against the real trees
of 4.13, 4.16, 4.17, 4.18 and master by the source reader's tests; build-time
options (KEXEC, ARGO, HVM ...) are assumed enabled (the reader's "all").

Stdlib only: no Sphinx or docutils.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import cache
from types import MappingProxyType
from typing import NamedTuple

from .spec import (
    AbiSpec,
    Architecture,
    Convention,
    GuestType,
    Hypercall,
    Release,
    ReleaseRange,
    label_key,
)

# --- registers --------------------------------------------------------------

REGISTERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "64bit": frozenset(
            ["RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP"]
            + [f"R{n}" for n in range(8, 16)]
        ),
        "32bit": frozenset(["EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP", "ESP"]),
        # AArch64's general-purpose registers, and AArch32's (r13-r15: sp, lr, pc).
        "arm64": frozenset(f"X{n}" for n in range(31)),
        "arm32": frozenset(f"R{n}" for n in range(16)),
    }
)


def to_unsigned(value: int, width: int) -> int:
    """Truncate ``value`` to ``width`` bits, two's complement (-38 -> 0x...da)."""
    return value & ((1 << width) - 1)


def to_signed(value: int, width: int) -> int:
    """Read the low ``width`` bits of ``value`` as a signed integer."""
    value &= (1 << width) - 1
    return value - (1 << width) if value >> (width - 1) else value


# --- transfer instructions --------------------------------------------------


class TransferGuest(StrEnum):
    """A row of the "Mode transfer" table; the value is its guest label."""

    PV32 = "32bit PV"
    PV64 = "64bit PV"
    INTEL_HVM = "Intel HVM"
    AMD_HVM = "AMD HVM"
    ARM64 = "arm64"
    ARM32 = "arm32"

    @classmethod
    def parse(cls, text: str, among: Iterable[TransferGuest] | None = None) -> TransferGuest:
        """Accept "64bit PV", "64-bit pv", "intel  hvm" ... (of ``among``, default all);
        raise ValueError otherwise."""
        members = tuple(cls if among is None else among)
        key = label_key(text)
        for member in members:
            if label_key(member.value) == key:
                return member
        choices = ", ".join(repr(m.value) for m in members)
        raise ValueError(f"unknown transfer-table guest {text!r} (expected one of {choices})")

    @property
    def guest_types(self) -> frozenset[GuestType]:
        """The guest types that enter Xen with this row's instruction."""
        return _TRANSFER_GUEST_TYPES[self]

    @property
    def is_hvm(self) -> bool:
        return self in (TransferGuest.INTEL_HVM, TransferGuest.AMD_HVM)

    @property
    def architecture(self) -> Architecture:
        return Architecture.ARM if self in _ARM_TRANSFERS else Architecture.X86

    @property
    def has_page(self) -> bool:
        """Whether the guest calls through a hypercall page (x86; Arm issues HVC inline)."""
        return self.architecture is Architecture.X86

    @classmethod
    def with_pages(cls) -> tuple[TransferGuest, ...]:
        return tuple(g for g in cls if g.has_page)


# HVM guests of either width use the vendor's instruction; the vCPU mode, not
# the instruction, picks the ABI width.
_TRANSFER_GUEST_TYPES: Mapping[TransferGuest, frozenset[GuestType]] = MappingProxyType(
    {
        TransferGuest.PV32: frozenset({GuestType.PV32}),
        TransferGuest.PV64: frozenset({GuestType.PV64}),
        TransferGuest.INTEL_HVM: frozenset({GuestType.HVM32, GuestType.HVM64}),
        TransferGuest.AMD_HVM: frozenset({GuestType.HVM32, GuestType.HVM64}),
        TransferGuest.ARM64: frozenset({GuestType.ARM64}),
        TransferGuest.ARM32: frozenset({GuestType.ARM32}),
    }
)
_ARM_TRANSFERS = frozenset({TransferGuest.ARM64, TransferGuest.ARM32})

_IMM_HEX_SUFFIX = re.compile(r"^([0-9a-f]+)h$")


def _normalise_operand(word: str) -> str:
    word = word.lower().lstrip("$#")  # AT&T writes immediates as $0x82, Arm as #0xEA1
    try:
        return f"0x{int(word, 0):x}"
    except ValueError:
        pass
    if word.isdigit():  # int(..., 0) refuses leading zeros
        return f"0x{int(word, 10):x}"
    match = _IMM_HEX_SUFFIX.match(word)  # MASM style 82h
    if match is not None:
        return f"0x{int(match.group(1), 16):x}"
    return word


def normalise_instruction(text: str) -> str:
    """Canonical spelling of an instruction: "int $0x82" -> "INT 0x82".

    Upper-case mnemonic, single spaces, immediates as lower-case hex.
    """
    words = text.replace(",", " ").split()
    if not words:
        raise ValueError("empty instruction text")
    return " ".join([words[0].upper(), *(_normalise_operand(w) for w in words[1:])])


@dataclass(frozen=True)
class Instruction:
    """A transfer instruction as the docs write it, and its machine code."""

    mnemonic: str
    encoding: bytes

    @property
    def encoding_hex(self) -> str:
        """The encoding as the facts write it, e.g. "0F 01 C1"."""
        return self.encoding.hex(" ").upper()

    def matches(self, text: str) -> bool:
        """Whether ``text`` spells this instruction (case/spacing/$ tolerant)."""
        try:
            return normalise_instruction(text) == normalise_instruction(self.mnemonic)
        except ValueError:
            return False


TRANSFER_INSTRUCTIONS: Mapping[TransferGuest, Instruction] = MappingProxyType(
    {
        TransferGuest.PV32: Instruction("INT 0x82", bytes.fromhex("CD 82")),
        TransferGuest.PV64: Instruction("SYSCALL", bytes.fromhex("0F 05")),
        TransferGuest.INTEL_HVM: Instruction("VMCALL", bytes.fromhex("0F 01 C1")),
        TransferGuest.AMD_HVM: Instruction("VMMCALL", bytes.fromhex("0F 01 D9")),
        # HVC with Xen's tag as its immediate (ISS), little-endian words: A64
        # 0xD401D422, A32 0xE140EA71.
        TransferGuest.ARM64: Instruction("HVC 0xea1", bytes.fromhex("22 D4 01 D4")),
        TransferGuest.ARM32: Instruction("HVC 0xea1", bytes.fromhex("71 EA 40 E1")),
    }
)
XEN_HYPERCALL_TAG = 0xEA1
"""The HVC immediate that makes a trap a Xen hypercall (``public/arch-arm.h``)."""

# What AbiSpec.transfers holds: transfer-table label -> mnemonic as written.
TRANSFERS: Mapping[str, str] = MappingProxyType(
    {guest.value: insn.mnemonic for guest, insn in TRANSFER_INSTRUCTIONS.items()}
)

# --- hypercall numbers ------------------------------------------------------

_ALL = GuestType.of(Architecture.X86)  # every x86 guest type
_PV = frozenset({GuestType.PV32, GuestType.PV64})
_ARM = GuestType.of(Architecture.ARM)
_NONE: frozenset[GuestType] = frozenset()

_PV_ONLY_NAMES = frozenset(
    """set_trap_table set_gdt set_callbacks update_descriptor update_va_mapping
    update_va_mapping_otherdomain nmi_op callback_op kexec_op fpu_taskswitch
    set_debugreg get_debugreg stack_switch mmu_update sched_op_compat
    event_channel_op_compat physdev_op_compat iret set_segment_base mca""".split()
)
_ALL_GUESTS_NAMES = frozenset(
    """platform_op memory_op multicall set_timer_op xen_version console_io
    grant_table_op vm_assist vcpu_op mmuext_op xsm_op sched_op event_channel_op
    physdev_op hvm_op sysctl domctl argo_op xenpmu_op dm_op hypfs_op
    paging_domctl_cont""".split()
)
# tmem_op has no handler anywhere; xenoprof_op was dropped in 4.22 (before,
# see AVAILABILITY_CHANGES).
_NO_GUEST_NAMES = frozenset({"tmem_op", "xenoprof_op"})
# What an Arm guest may call: the ``arm`` column of hypercall-defs.c that is
# ``do`` or ``do_arm`` (``dep`` ones, the *_compat calls, return -ENOSYS).
_ARM_NAMES = frozenset(
    """platform_op memory_op multicall xen_version console_io grant_table_op
    vm_assist vcpu_op xsm_op sched_op event_channel_op physdev_op hvm_op sysctl
    domctl argo_op dm_op hypfs_op""".split()
)

_NAMES: Mapping[int, str] = {
    0: "set_trap_table",
    1: "mmu_update",
    2: "set_gdt",
    3: "stack_switch",
    4: "set_callbacks",
    5: "fpu_taskswitch",
    6: "sched_op_compat",
    7: "platform_op",
    8: "set_debugreg",
    9: "get_debugreg",
    10: "update_descriptor",
    12: "memory_op",
    13: "multicall",
    14: "update_va_mapping",
    15: "set_timer_op",
    16: "event_channel_op_compat",
    17: "xen_version",
    18: "console_io",
    19: "physdev_op_compat",
    20: "grant_table_op",
    21: "vm_assist",
    22: "update_va_mapping_otherdomain",
    23: "iret",
    24: "vcpu_op",
    25: "set_segment_base",
    26: "mmuext_op",
    27: "xsm_op",
    28: "nmi_op",
    29: "sched_op",
    30: "callback_op",
    31: "xenoprof_op",
    32: "event_channel_op",
    33: "physdev_op",
    34: "hvm_op",
    35: "sysctl",
    36: "domctl",
    37: "kexec_op",
    38: "tmem_op",
    39: "argo_op",
    40: "xenpmu_op",
    41: "dm_op",
    42: "hypfs_op",
    # arch_0 and arch_1 on x86
    48: "mca",
    49: "paging_domctl_cont",
}


def _availability(name: str) -> frozenset[GuestType]:
    arm = _ARM if name in _ARM_NAMES else _NONE
    if name in _PV_ONLY_NAMES:
        return _PV | arm
    if name in _ALL_GUESTS_NAMES:
        return _ALL | arm
    if name in _NO_GUEST_NAMES:
        return _NONE | arm
    raise AssertionError(f"no availability fact for {name}")  # keeps the tables in step


HYPERCALLS: Mapping[int, Hypercall] = MappingProxyType(
    {number: Hypercall(number, name, _availability(name)) for number, name in _NAMES.items()}
)
HYPERCALLS_BY_NAME: Mapping[str, Hypercall] = MappingProxyType(
    {call.name: call for call in HYPERCALLS.values()}
)


class AvailabilityChange(NamedTuple):
    """Releases in which a hypercall was defined differently from today's Xen."""

    name: str
    releases: ReleaseRange
    available: frozenset[GuestType] | None  # None: the number was not defined yet


AVAILABILITY_CHANGES: tuple[AvailabilityChange, ...] = (
    # 4.22 dropped xenoprof; up to 4.21 PV guests built with XENOPROF had it.
    AvailabilityChange("xenoprof_op", ReleaseRange(Release(4, 13), Release(4, 21)), _PV),
    # hypfs arrived in 4.14; 4.13's xen.h has no __HYPERVISOR_hypfs_op.
    AvailabilityChange("hypfs_op", ReleaseRange(Release(4, 13), Release(4, 13)), None),
    AvailabilityChange("multicall", ReleaseRange(Release(4, 13), Release(4, 13)), _PV | _ARM),
    AvailabilityChange("vm_assist", ReleaseRange(Release(4, 13), Release(4, 13)), _PV | _ARM),
    # Arm gained dm_op with its ioreq server in 4.15 (Xen commit cb9953d2f2,
    # January 2021: HYPERCALL(dm_op, 3) in arm_hypercall_table).
    AvailabilityChange("dm_op", ReleaseRange(Release(4, 13), Release(4, 14)), _ALL),
)
"""Checked against the 4.13 and 4.16 trees; 4.14 and 4.15 are taken to be
4.16's (no tree of them was at hand)."""


@cache
def hypercalls_for(release: Release) -> Mapping[int, Hypercall]:
    """The hypercalls ``release`` defines, by number, with their availability then."""
    calls = dict(HYPERCALLS)
    for change in AVAILABILITY_CHANGES:
        if release in change.releases:
            number = HYPERCALLS_BY_NAME[change.name].number
            if change.available is None:
                del calls[number]
            else:
                calls[number] = Hypercall(number, change.name, change.available)
    return MappingProxyType(calls)


HYPERCALL_NUMBER_SPACE = range(56)
"""Numbers 0..55: 0..47 common, 48..55 the arch_0..arch_7 slots."""
ARCH_SLOTS = range(48, 56)
UNUSED_NUMBERS: frozenset[int] = frozenset(HYPERCALL_NUMBER_SPACE) - HYPERCALLS.keys()
"""11 (once set_fast_trap), 43..47, and the spare arch slots 50..55."""
FORMER_NAMES: Mapping[int, str] = MappingProxyType({11: "set_fast_trap"})

assert _NAMES.keys() - HYPERCALL_NUMBER_SPACE == set()
assert UNUSED_NUMBERS == {11, *range(43, 48), *range(50, 56)}

# --- register conventions and revisions -------------------------------------

_PARAMS_64 = ("RDI", "RSI", "RDX", "R10", "R8", "R9")
_PARAMS_32 = ("EBX", "ECX", "EDX", "ESI", "EDI", "EBP")


_ARM_CONVENTIONS = {
    # Five arguments, the number in x16/r12, the result in x0/r0, whatever the
    # hypervisor's own width (public/arch-arm.h, "Hypercall Calling Convention").
    "arm64": Convention("arm64", "X16", tuple(f"X{n}" for n in range(5)), "X0"),
    "arm32": Convention("arm32", "R12", tuple(f"R{n}" for n in range(5)), "R0"),
}


def _conventions(count: int) -> Mapping[str, Convention]:
    """x86's conventions with ``count`` parameters, and Arm's."""
    return MappingProxyType(
        {
            "64bit": Convention("64bit", "RAX", _PARAMS_64[:count], "RAX"),
            "32bit": Convention("32bit", "EAX", _PARAMS_32[:count], "EAX"),
            **_ARM_CONVENTIONS,
        }
    )


class Revision(NamedTuple):
    """One ABI revision: the releases it covers and its register conventions."""

    releases: ReleaseRange
    conventions: Mapping[str, Convention]


FIRST_MODELLED_RELEASE = Release(4, 13)

REVISIONS: tuple[Revision, ...] = (
    # Six parameters; R9/EBP is the sixth.
    Revision(ReleaseRange(Release(4, 13), Release(4, 16)), _conventions(6)),
    # Xen dropped the sixth parameter in December 2021 (first released in 4.17).
    Revision(ReleaseRange(Release(4, 17)), _conventions(5)),
)
NEWEST_RELEASE_RANGE: ReleaseRange = REVISIONS[-1].releases
NEWEST_MODELLED_RELEASE = Release(4, 22)
"""The newest release whose facts the model states (its availability table
included); later releases are taken to be like it."""


@cache
def revision_for(release: Release) -> AbiSpec:
    """The model's full AbiSpec for ``release``; ValueError before 4.13."""
    for revision in REVISIONS:
        if release in revision.releases:
            return AbiSpec(
                release=release,
                conventions=revision.conventions,
                transfers=TRANSFERS,
                hypercalls=hypercalls_for(release),
            )
    raise ValueError(
        f"Xen {release} is not modelled: the reference model covers "
        f"Xen {FIRST_MODELLED_RELEASE} and later"
    )


def newest_revision() -> AbiSpec:
    """The newest revision, for callers that don't know the release.

    Its ``release`` is the first release of that revision (4.17).
    """
    return revision_for(NEWEST_RELEASE_RANGE.first)


# --- results ----------------------------------------------------------------


class Errno(IntEnum):
    """The errno values the ABI page talks about (x86 Linux/Xen numbering)."""

    EPERM = 1
    ENOENT = 2
    ESRCH = 3
    ENOMEM = 12
    EACCES = 13
    EFAULT = 14
    EINVAL = 22
    ENOSYS = 38
    EOPNOTSUPP = 95


ERRNO: Mapping[str, int] = MappingProxyType({e.name: e.value for e in Errno})

DEBUG_POISON: Mapping[int, int] = MappingProxyType({64: 0xDEADBEEFDEADF00D, 32: 0xDEADF00D})
"""What debug x86 Xen writes to the parameter registers a hypercall used, by width."""
ARM_DEBUG_POISON = 0xDEADBEEF
"""What debug Arm Xen writes, a 32-bit constant whatever the register's width."""
ARM_POISON_SPARES_ENOSYS = Release(4, 17)
"""Since 39fc5f5c02 (July 2022) Arm no longer poisons after -ENOSYS."""


@dataclass(frozen=True)
class Poisoning:
    """What a debug build of Xen writes into the registers a hypercall used.

    Never into the result register. Arm also poisons the number register;
    x86 and newer Arm leave everything alone when the call returned -ENOSYS.
    """

    value: int
    number_register: bool
    after_enosys: bool


def poisoning_for(guest: GuestType, release: Release) -> Poisoning:
    if guest.architecture is Architecture.ARM:
        return Poisoning(ARM_DEBUG_POISON, True, release < ARM_POISON_SPARES_ENOSYS)
    return Poisoning(DEBUG_POISON[guest.width], False, False)


# --- hypercall page creation ------------------------------------------------

XEN_ELFNOTE_HYPERCALL_PAGE = 2
CPUID_HYPERCALL_LEAF = 0x40000002
"""Returns EAX = number of hypercall pages, EBX = the MSR index."""
CPUID_HYPERCALL_PAGES = 1
HYPERCALL_MSR = 0x40000000
"""WRMSR the page's guest-physical address here (must be page aligned)."""
PAGE_SIZE = 4096
PAGE_FILLER = 0xCC  # int3, so a stray jump into padding traps
STUB_SIZE = 32
STUB_COUNT = 128
IRET_INDEX = 23
XENVER_version = 0

assert STUB_SIZE * STUB_COUNT == PAGE_SIZE
assert HYPERCALLS[IRET_INDEX].name == "iret"
