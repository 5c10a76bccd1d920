"""Where things live in the emulated guest's memory.

One RAM region; guest virtual = guest physical (CPL 0, flat segments, no
paging). Code, data and stack live on separate 4 KiB pages so per-call data
writes never touch translated code.
"""

from __future__ import annotations

RAM_BASE = 0x1000  # page 0 unmapped: a jump to 0 faults instead of running zeros
RAM_END = 0x100000

PROGRAM_ADDRESS = 0x10000
CALL_PROGRAM = PROGRAM_ADDRESS
JUMP_PROGRAM = PROGRAM_ADDRESS + 0x400
BOOT_PROGRAM = PROGRAM_ADDRESS + 0x800

DATA_ADDRESS = 0x11000
CALL_IN = DATA_ADDRESS  # register values the program loads, then the call target
CALL_OUT = DATA_ADDRESS + 0x100  # register values the program stores after ret
BOOT_IN = DATA_ADDRESS + 0x200  # the page address the boot program writes to the MSR
BOOT_OUT = DATA_ADDRESS + 0x300  # what the boot program's CPUIDs returned

EXIT_ADDRESS = 0x12000
"""Every guest program ends with a jump here; it is the ``until`` of emu_start.

After every ``emu_start`` Unicorn discards the translations of the whole
4 KiB page that holds the ``until`` address, so a program that ended there
would be retranslated on every run (about 0.5 us per load/store
instruction). The exit therefore has a page of its own."""

STACK_TOP = 0x2F000
PAGE_ADDRESS = 0x40000
"""Where the harness maps the hypercall page itself (``install=True``)."""
BOOT_PAGE_ADDRESS = 0x80000
"""Where :meth:`GuestHarness.boot` asks for the page by default."""

INITIAL_FLAGS = 0x202  # IF set, like a kernel that has interrupts on
RUN_LIMIT = 10_000  # instruction cap for the one-off runs (boot, jump); not the fast path

XEN_SIGNATURE = "XenVMMXenVMM"
"""CPUID leaf 0x40000000's EBX ECX EDX: Xen's public hypervisor signature."""
CPUID_BASE = 0x40000000
CPUID_VERSION_LEAF = 0x40000001
