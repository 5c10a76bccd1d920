"""Xen's side of the boot: the CPUID leaves and the hypercall MSR.

A guest that builds its own page (:meth:`~.harness.GuestHarness.boot`)
asks CPUID 0x40000000 for the signature, 0x40000002 for the MSR, and writes
the page's address to that MSR. These are the answers and the checks, as
Xen makes them; the harness's hooks apply them.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from ..model.abi import CPUID_HYPERCALL_LEAF, CPUID_HYPERCALL_PAGES, HYPERCALL_MSR, PAGE_SIZE
from .layout import CPUID_BASE, CPUID_VERSION_LEAF, RAM_BASE, RAM_END, XEN_SIGNATURE
from .results import BootEvidence

if TYPE_CHECKING:
    from ..model.spec import Release
    from .configurations import GuestConfig

BOOT_OUT_SIZE = 24  # the six 32-bit words the boot program stores


def cpuid_answers(release: Release) -> dict[int, tuple[int, int, int, int]]:
    """EAX EBX ECX EDX for the leaves the harness answers (the others: Unicorn's)."""
    return {
        CPUID_BASE: (CPUID_HYPERCALL_LEAF, *struct.unpack("<3I", XEN_SIGNATURE.encode())),
        CPUID_VERSION_LEAF: (release.xen_version, 0, 0, 0),
        CPUID_HYPERCALL_LEAF: (CPUID_HYPERCALL_PAGES, HYPERCALL_MSR, 0, 0),
    }


def refusal(msr: int, value: int) -> str | None:
    """Why Xen raises #GP for this write to the hypercall MSR; None if it takes it."""
    offset = value % PAGE_SIZE
    if offset:
        return (
            f"#GP(0): WRMSR {msr:#x} <- {value:#x}: offset {offset:#x} within the page "
            "(the page address must be page aligned)"
        )
    if not RAM_BASE <= value <= RAM_END - PAGE_SIZE:
        return f"#GP(0): WRMSR {msr:#x} <- {value:#x}: not guest RAM"
    return None


def boot_evidence(
    config: GuestConfig,
    stored: bytes,
    *,
    msr_writes: tuple[tuple[int, int], ...],
    requested: int,
    installed: int | None,
    fault: str | None,
    page_matches: bool,
) -> BootEvidence:
    """The evidence, with what the boot program ``stored`` from its CPUIDs decoded."""
    a, b, c, d, pages, msr = struct.unpack("<6I", stored)
    return BootEvidence(
        config=config,
        signature=struct.pack("<3I", b, c, d).decode("latin-1"),
        max_leaf=a,
        pages=pages,
        msr=msr,
        msr_writes=msr_writes,
        requested=requested,
        installed=installed,
        fault=fault,
        page_matches=page_matches,
    )
