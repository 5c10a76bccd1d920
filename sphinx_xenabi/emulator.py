"""Run hypercalls through the real hypercall page on an emulated x86 CPU.

A :class:`GuestHarness` is one emulated guest (Unicorn) for one
:class:`GuestConfig`: PV 64 (SYSCALL page), PV 32 (``INT 0x82`` page), or an
Intel/AMD HVM guest in 64-bit or 32-bit code (VMCALL/VMMCALL page). It maps
the page that :func:`~sphinx_xenabi.model.page.hypercall_page` generates, a
small guest program and a stack. The program loads every general-purpose
register from a data block (the arguments go into the registers the spec's
convention names), executes ``call hypercall_page + index * 32`` and stores
the register file it sees after the stub's ``ret``. The harness traps the
transfer instruction, hands the register file to a
:class:`~sphinx_xenabi.model.dispatcher.Dispatcher`, writes the result back
and resumes the guest. :func:`execute_row_check` turns that into evidence for
the docs' tables; :func:`run_iret_stub` and :meth:`GuestHarness.boot` show
the iret stub and the CPUID/WRMSR way of creating the page.

What Unicorn 2.1.4 does, as observed (and why the code looks the way it does):

* ``SYSCALL`` (64-bit): ``UC_HOOK_INSN`` with ``UC_X86_INS_SYSCALL`` fires with
  RIP at the SYSCALL itself. Unicorn applies none of SYSCALL's side effects
  (RCX and R11 keep the guest's values), so the harness writes RCX <- return
  address and R11 <- RFLAGS before dispatching, as the CPU would. Unicorn adds
  the instruction length to RIP *after* the hook, so the hook must not write
  RIP (a written RIP gets +2).
* ``INT 0x82`` (32-bit): ``UC_HOOK_INTR`` fires with intno 0x82 and EIP already
  after the instruction; emulation resumes there.
* ``VMCALL`` / ``VMMCALL`` (either width) and ``UD2``: Unicorn raises #UD, which
  never reaches ``UC_HOOK_INTR``; ``UC_HOOK_INSN_INVALID`` fires with RIP at the
  instruction. Returning True after moving RIP past it resumes the guest;
  returning False ends emulation with ``UC_ERR_INSN_INVALID``.
* ``CPUID``: ``UC_HOOK_INSN`` with ``UC_X86_INS_CPUID`` works; a callback that
  returns 1 skips Unicorn's own CPUID (whose leaves 0x40000000+ read 0).
* ``WRMSR`` / ``RDMSR``: not hookable. The Python binding refuses
  ``UC_X86_INS_WRMSR`` (``UC_ERR_ARG``) and the C library's ``uc_hook_add``
  returns ``UC_ERR_HOOK`` for it; a WRMSR to MSR 0x40000000 at CPL 0 is a
  silent no-op. So :meth:`GuestHarness.boot` traps WRMSR with a
  ``UC_HOOK_CODE`` bounded to the boot program (which runs once; the hook is
  removed afterwards) and looks for the ``0F 30`` encoding.
* Writing guest memory that was already translated (``mem_write``) leaves the
  old translated blocks in place; the harness drops them
  (``ctl_remove_cache``) whenever it writes a page.
* After every ``emu_start`` Unicorn discards the translations of the whole
  4 KiB page that holds the ``until`` address, so a program that ends there
  is retranslated on every run (about 0.5 us per load/store instruction).
  The guest programs therefore end with a jump to a page of their own
  (:data:`EXIT_ADDRESS`).
* The guest runs at CPL 0 with flat segments (CS = 0) and no paging, so guest
  virtual = guest physical and HVM calls are made from kernel mode.

Throughput comes from setting everything up once per harness: the programs
are fixed (per-call values travel through one ``mem_write`` of the data block
and come back through one ``mem_read``), the trap hooks fire only on their
instruction and are registered with the C library directly (the binding's
wrappers cost three Python frames per trap), and registers move with one
``uc_reg_read_batch`` and one ``uc_reg_write_batch`` per trap. No
``UC_HOOK_CODE`` runs on the fast path, and no instruction count: the one-off
runs (:meth:`GuestHarness.boot`, :meth:`GuestHarness.jump`) cap the
instruction count as a safety net, and the first call after one of them pays
a one-time retranslation (measured: about 0.5 ms) when Unicorn drops the
count.

No Sphinx or docutils here: this is model-level code on an AbiSpec.
"""

from __future__ import annotations

import ctypes
import functools
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from unicorn import (
    UC_ARCH_X86,
    UC_HOOK_CODE,
    UC_HOOK_INSN,
    UC_HOOK_INSN_INVALID,
    UC_HOOK_INTR,
    UC_MODE_32,
    UC_MODE_64,
    UC_PROT_ALL,
    Uc,
    UcError,
)
from unicorn import x86_const as x86
from unicorn.unicorn_py3.unicorn import uclib

from .model.abi import (
    CPUID_HYPERCALL_LEAF,
    CPUID_HYPERCALL_PAGES,
    HYPERCALL_MSR,
    IRET_INDEX,
    PAGE_SIZE,
    REGISTERS,
    STUB_COUNT,
    STUB_SIZE,
    TRANSFER_INSTRUCTIONS,
    Errno,
    Instruction,
    TransferGuest,
    XENVER_version,
    normalise_instruction,
    to_signed,
)
from .model.dispatcher import DEFAULT_HANDLERS, Dispatcher, DispatchResult, Handler, HandlerContext
from .model.page import hypercall_page
from .model.spec import AbiSpec, Convention, GuestType, Release

__all__ = [
    "BOOT_PAGE_ADDRESS",
    "EXIT_ADDRESS",
    "GUEST_CONFIGS",
    "PAGE_ADDRESS",
    "RegisterFile",
    "XEN_SIGNATURE",
    "BootEvidence",
    "Clobber",
    "EmulatorError",
    "GuestConfig",
    "GuestFault",
    "GuestHarness",
    "RoundTrip",
    "RowEvidence",
    "StubRun",
    "default_arguments",
    "execute_row_check",
    "probe_dispatcher",
    "run_iret_stub",
]


class EmulatorError(Exception):
    """The harness cannot run what was asked (bad configuration or input)."""


class GuestFault(EmulatorError):
    """The guest did not complete the round trip (stray trap, #UD, int3 ...)."""


# --- guest configurations ---------------------------------------------------


@dataclass(frozen=True)
class GuestConfig:
    """A guest type plus the transfer-table row whose page it runs."""

    guest: GuestType
    transfer: TransferGuest

    def __post_init__(self) -> None:
        if self.guest not in self.transfer.guest_types:
            raise EmulatorError(
                f"a {self.guest.label} guest does not use the {self.transfer.value} page"
            )

    @classmethod
    def parse(cls, text: str) -> GuestConfig:
        """Accept a label such as "PV 64", "intel hvm 32" or "AMD-HVM-64"."""
        key = "".join(text.split()).replace("-", "").replace("_", "").lower()
        for config in GUEST_CONFIGS:
            if "".join(config.label.split()).lower() == key:
                return config
        choices = ", ".join(c.label for c in GUEST_CONFIGS)
        raise ValueError(f"unknown guest configuration {text!r} (expected one of {choices})")

    @property
    def label(self) -> str:
        """ "PV 64", "PV 32", "Intel HVM 64", "AMD HVM 32" ..."""
        if self.transfer.is_hvm:
            return f"{self.transfer.value} {self.guest.width}"
        return self.guest.label

    @property
    def width(self) -> int:
        return self.guest.width

    @property
    def instruction(self) -> Instruction:
        """The transfer instruction this guest's page uses."""
        return TRANSFER_INSTRUCTIONS[self.transfer]

    def __str__(self) -> str:
        return self.label


GUEST_CONFIGS: tuple[GuestConfig, ...] = (
    GuestConfig(GuestType.PV64, TransferGuest.PV64),
    GuestConfig(GuestType.PV32, TransferGuest.PV32),
    GuestConfig(GuestType.HVM64, TransferGuest.INTEL_HVM),
    GuestConfig(GuestType.HVM32, TransferGuest.INTEL_HVM),
    GuestConfig(GuestType.HVM64, TransferGuest.AMD_HVM),
    GuestConfig(GuestType.HVM32, TransferGuest.AMD_HVM),
)

# --- guest memory layout ----------------------------------------------------
# One RAM region; guest virtual = guest physical. Code, data and stack live on
# separate 4 KiB pages so per-call data writes never touch translated code.

RAM_BASE = 0x1000  # page 0 unmapped: a jump to 0 faults instead of running zeros
RAM_END = 0x100000
PROGRAM_ADDRESS = 0x10000
_CALL_PROGRAM = PROGRAM_ADDRESS
_JUMP_PROGRAM = PROGRAM_ADDRESS + 0x400
_BOOT_PROGRAM = PROGRAM_ADDRESS + 0x800
EXIT_ADDRESS = 0x12000
"""Every guest program ends with a jump here; it is the ``until`` of emu_start."""
DATA_ADDRESS = 0x11000
_IN = DATA_ADDRESS  # register values the program loads, then the call target
_OUT = DATA_ADDRESS + 0x100  # register values the program stores after ret
_BOOT_IN = DATA_ADDRESS + 0x200  # the page address the boot program writes to the MSR
_BOOT_OUT = DATA_ADDRESS + 0x300  # what the boot program's CPUIDs returned
STACK_TOP = 0x2F000
PAGE_ADDRESS = 0x40000
"""Where the harness maps the hypercall page itself (``install=True``)."""
BOOT_PAGE_ADDRESS = 0x80000
"""Where :meth:`GuestHarness.boot` asks for the page by default."""

_INITIAL_FLAGS = 0x202  # IF set, like a kernel that has interrupts on
_RUN_LIMIT = 10_000  # instruction cap for the one-off runs (boot, jump); not the fast path
# The guest programs translate to a few KiB of host code. Unicorn's default
# translation buffer is far larger and costs ~5 ms of page faults per engine.
_TCG_BUFFER_SIZE = 1 << 20

XEN_SIGNATURE = "XenVMMXenVMM"
"""CPUID leaf 0x40000000's EBX ECX EDX: Xen's public hypervisor signature."""
_CPUID_BASE = 0x40000000
_CPUID_VERSION_LEAF = 0x40000001
_CPUID_MAX_LEAF = CPUID_HYPERCALL_LEAF  # the leaves this harness answers

# --- registers ---------------------------------------------------------------

# x86 register numbers (ModRM/REX encoding), by width.
_CODES: dict[int, dict[str, int]] = {
    64: {
        name: code
        for code, name in enumerate(
            "RAX RCX RDX RBX RSP RBP RSI RDI R8 R9 R10 R11 R12 R13 R14 R15".split()
        )
    },
    32: {name: code for code, name in enumerate("EAX ECX EDX EBX ESP EBP ESI EDI".split())},
}
_STACK_POINTER = {64: "RSP", 32: "ESP"}
_UC_REG: dict[str, int] = {
    name: getattr(x86, f"UC_X86_REG_{name}")
    for width in (64, 32)
    for name in (*_CODES[width], "RIP" if width == 64 else "EIP")
}
_UC_REG["RFLAGS"] = x86.UC_X86_REG_RFLAGS
_UC_REG["EFLAGS"] = x86.UC_X86_REG_EFLAGS

assert all(set(_CODES[w]) == REGISTERS[f"{w}bit"] for w in (64, 32))


def _filler(width: int, code: int) -> int:
    """The value a register not given by the caller starts with (recognisable)."""
    return (0x5A5A5A5A5A5A5A00 if width == 64 else 0x5A5A5A00) | code


def default_arguments(width: int, count: int) -> tuple[int, ...]:
    """Distinct full-width values for parameters 1..count: 0x1111..., 0x2222..."""
    if not 0 <= count <= 15:
        raise ValueError(f"cannot make {count} distinct argument patterns")
    unit = 0x1111111111111111 if width == 64 else 0x11111111
    return tuple(unit * (n + 1) for n in range(count))


# --- a small hand encoder -----------------------------------------------------
# Only the forms the guest programs need. Absolute operands are disp32: in
# 64-bit mode through a SIB byte (mod=00 rm=100, SIB 0x25), because mod=00
# rm=101 means RIP-relative there; in 32-bit mode directly (mod=00 rm=101).


def _abs_operand(width: int, reg: int, address: int) -> bytes:
    if width == 64:
        return bytes([(reg & 7) << 3 | 0b100, 0x25]) + struct.pack("<I", address)
    return bytes([(reg & 7) << 3 | 0b101]) + struct.pack("<I", address)


def _rex(width: int, reg: int, wide: bool) -> bytes:
    if width != 64:
        return b""
    rex = 0x40 | (0x08 if wide else 0) | (0x04 if reg >= 8 else 0)
    return bytes([rex]) if rex != 0x40 else b""


def _load(width: int, reg: int, address: int, *, wide: bool = True) -> bytes:
    """``mov reg, [address]`` (full width unless ``wide`` is False)."""
    return _rex(width, reg, wide) + b"\x8b" + _abs_operand(width, reg, address)


def _store(width: int, reg: int, address: int, *, wide: bool = True) -> bytes:
    """``mov [address], reg``."""
    return _rex(width, reg, wide) + b"\x89" + _abs_operand(width, reg, address)


def _set_stack(width: int, value: int) -> bytes:
    """``mov rsp, imm32`` (sign-extended; our stack is below 2 GiB) / ``mov esp, imm32``."""
    if width == 64:
        return b"\x48\xc7\xc4" + struct.pack("<I", value)
    return b"\xbc" + struct.pack("<I", value)


def _indirect(width: int, op: int, address: int) -> bytes:
    """``call``/``jmp`` through [address] (FF /2 and FF /4)."""
    return b"\xff" + _abs_operand(width, op, address)


def _mov_eax(value: int) -> bytes:
    return b"\xb8" + struct.pack("<I", value)


_CALL, _JMP = 2, 4
_CPUID = b"\x0f\xa2"
_WRMSR = b"\x0f\x30"
_MOV_ECX_EBX = b"\x89\xd9"
_HLT = b"\xf4"


def _jmp(source: int, target: int) -> bytes:
    """``jmp rel32`` from an instruction at ``source`` to ``target``."""
    return b"\xe9" + struct.pack("<i", target - (source + 5))


@dataclass(frozen=True)
class _Programs:
    """The assembled guest programs; each ends by jumping to EXIT_ADDRESS."""

    call: bytes
    jump: bytes
    boot: bytes


def _assemble(width: int, loaded: Sequence[str], stored: Sequence[str]) -> _Programs:
    codes = _CODES[width]
    word = width // 8
    target = _IN + len(loaded) * word
    loads = b"".join(_load(width, codes[r], _IN + i * word) for i, r in enumerate(loaded))
    # The stack pointer is an immediate, so every run starts from the same stack.
    prologue = loads + _set_stack(width, STACK_TOP)
    stores = b"".join(_store(width, codes[r], _OUT + i * word) for i, r in enumerate(stored))
    call = prologue + _indirect(width, _CALL, target) + stores
    jump = prologue + _indirect(width, _JMP, target)  # iret is jumped to, not called
    # Register numbers are the same in both widths: EAX/RAX 0, ECX 1, EDX 2, EBX 3.
    eax, ecx, edx, ebx = 0, 1, 2, 3
    boot = (
        _mov_eax(_CPUID_BASE)
        + _CPUID
        + b"".join(
            _store(width, r, _BOOT_OUT + 4 * i, wide=False)
            for i, r in enumerate((eax, ebx, ecx, edx))
        )
        + _mov_eax(CPUID_HYPERCALL_LEAF)
        + _CPUID
        + _store(width, eax, _BOOT_OUT + 16, wide=False)
        + _store(width, ebx, _BOOT_OUT + 20, wide=False)
        # The guest writes the MSR that CPUID named, not a constant of its own.
        + _MOV_ECX_EBX
        + _load(width, eax, _BOOT_IN, wide=False)
        + _load(width, edx, _BOOT_IN + 4, wide=False)
        + _WRMSR
    )
    # After every run Unicorn drops the translations of the whole page that
    # holds the ``until`` address (measured: a program ending there is
    # retranslated on each call, ~0.5 us per instruction), so the programs
    # end with a jump to a page of their own.
    return _Programs(
        call=call + _jmp(_CALL_PROGRAM + len(call), EXIT_ADDRESS),
        jump=jump + _jmp(_JUMP_PROGRAM + len(jump), EXIT_ADDRESS),
        boot=boot + _jmp(_BOOT_PROGRAM + len(boot), EXIT_ADDRESS),
    )


# --- results ------------------------------------------------------------------


class RegisterFile(Mapping[str, int]):
    """A read-only register-name -> value view over one tuple of values.

    Cheaper to make than a dict per round trip: it shares the name index.
    """

    __slots__ = ("_index", "_values")

    def __init__(self, index: Mapping[str, int], values: tuple[int, ...]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, name: str) -> int:
        return self._values[self._index[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: {v:#x}" for k, v in self.items()) + "}"


@dataclass(frozen=True)
class Clobber:
    """A parameter that reached the dispatcher with another value than loaded."""

    position: int  # 1-based, as the docs number parameters
    register: str
    loaded: int
    arrived: int
    cause: str | None  # "the return address", "RFLAGS", ... when recognisable

    def __str__(self) -> str:
        cause = f" ({self.cause})" if self.cause else ""
        return (
            f"parameter {self.position} {self.register} arrived as {self.arrived:#x}{cause}, "
            f"loaded {self.loaded:#x}"
        )


@dataclass(frozen=True)
class RoundTrip:
    """One ``call hypercall_page + index * 32`` from load to after ``ret``."""

    config: GuestConfig
    index: int
    parameters: tuple[str, ...]  # the convention's parameter registers, in order
    loaded: tuple[int, ...]  # what the guest loaded into each of them
    dispatch: DispatchResult  # what the dispatcher read, received and returned
    transfer: str  # the trapped instruction, disassembled: "SYSCALL", "INT 0x82" ...
    trap_offset: int  # page offset of the transfer instruction
    return_address: int  # guest address after the transfer instruction
    flags: int  # RFLAGS/EFLAGS at the trap
    result_register: str
    after: Mapping[str, int]  # the guest's registers after the stub's ret

    @property
    def received(self) -> tuple[int, ...]:
        """The arguments the handler was given (``DispatchResult.arguments``)."""
        return self.dispatch.arguments

    @property
    def result(self) -> int:
        """The result register as the guest sees it after ``ret`` (unsigned)."""
        return self.after[self.result_register]

    @property
    def result_signed(self) -> int:
        return to_signed(self.result, self.config.width)

    @property
    def final_parameters(self) -> tuple[int, ...]:
        """The parameter registers' values after ``ret`` (poison, restored ...)."""
        return tuple(self.after[reg] for reg in self.parameters)

    @property
    def clobbered(self) -> tuple[Clobber, ...]:
        """The received arguments that differ from what the guest loaded."""
        out = []
        for n, (reg, loaded, arrived) in enumerate(
            zip(self.parameters, self.loaded, self.received), start=1
        ):
            if loaded != arrived:
                out.append(Clobber(n, reg, loaded, arrived, self._cause(arrived)))
        return tuple(out)

    def _cause(self, value: int) -> str | None:
        if value == self.return_address:
            return "the return address"
        if value == self.flags:
            return "RFLAGS" if self.config.width == 64 else "EFLAGS"
        if value == self.index:
            return "the hypercall index"
        return None

    @property
    def intact(self) -> bool:
        """Whether every argument the handler read arrived as loaded."""
        n = len(self.received)
        return n <= len(self.loaded) and self.received == self.loaded[:n]

    @property
    def line(self) -> str:
        """One evidence line about the arguments of this round trip."""
        n = len(self.received)
        regs = " ".join(self.parameters[:n])
        head = f"executed: {self.config.label}, {self.transfer}"
        if self.intact:
            return f"{head}, {n} argument{'s' if n != 1 else ''} arrived in {regs}"
        bad = self.clobbered
        good = n - len(bad)
        return f"{head}, {good} of {n} arguments arrived intact ({regs}); " + "; ".join(
            str(c) for c in bad
        )


@dataclass(frozen=True)
class StubRun:
    """What happened when the guest jumped to a stub (the iret demonstration)."""

    config: GuestConfig
    index: int
    stub: bytes  # the stub's code as mapped in guest memory, without padding
    transfer: str | None  # the trapped transfer instruction, or None
    trap_offset: int | None
    registers: Mapping[str, int]  # the register file at the trap (empty if none)
    stack: tuple[int, ...]  # words the stub pushed, top of stack first
    fault: str | None  # what stopped the guest instead (e.g. #UD on ud2)
    next_instruction: str | None  # what follows the transfer instruction in the page
    resumed: str | None  # what happened when the guest resumed after the trap


@dataclass(frozen=True)
class BootEvidence:
    """The CPUID/WRMSR way of creating the page, as the guest did it."""

    config: GuestConfig
    signature: str  # CPUID 0x40000000 EBX ECX EDX
    max_leaf: int  # CPUID 0x40000000 EAX
    pages: int  # CPUID 0x40000002 EAX
    msr: int  # CPUID 0x40000002 EBX
    msr_writes: tuple[tuple[int, int], ...]  # (MSR, value) for every WRMSR executed
    requested: int  # the address the guest wrote to the MSR
    installed: int | None  # where the harness wrote the page, None if refused
    fault: str | None
    page_matches: bool  # guest memory at the page now equals the model's page

    @property
    def ok(self) -> bool:
        return (
            self.fault is None
            and self.installed is not None
            and self.page_matches
            and self.signature == XEN_SIGNATURE
        )

    @property
    def lines(self) -> tuple[str, ...]:
        out = [
            f"cpuid {_CPUID_BASE:#x}: {self.signature!r}, max leaf {self.max_leaf:#x}",
            f"cpuid {CPUID_HYPERCALL_LEAF:#x}: {self.pages} page(s), MSR {self.msr:#x}",
        ]
        if self.installed is not None:
            same = "the model's page" if self.page_matches else "NOT the model's page"
            out.append(
                f"wrmsr {self.msr:#x} <- {self.requested:#x}: {same} written at {self.installed:#x}"
            )
        else:
            out.append(f"wrmsr {self.msr:#x} <- {self.requested:#x}: refused: {self.fault}")
        return tuple(out)


# --- the harness ----------------------------------------------------------------


@functools.cache
def _transfer_sites(page: bytes, encoding: bytes) -> tuple[int, ...]:
    """Page offsets of the transfer instruction in each stub, from the page's bytes.

    A byte search is exact for these stubs: the only operand before the
    instruction is the index, a 32-bit immediate below 128, whose bytes
    cannot form an encoding that starts with 0F or CD. Cached, as every
    harness maps the same few pages.
    """
    sites: list[int] = []
    for base in range(0, STUB_COUNT * STUB_SIZE, STUB_SIZE):
        found = page.find(encoding, base, base + STUB_SIZE)
        if found >= 0:
            sites.append(found)
    return tuple(sites)


@functools.cache
def _disassembler(bits: int) -> Any:
    """A capstone engine, loaded on first use: only diagnostics need one."""
    import capstone

    mode = capstone.CS_MODE_64 if bits == 64 else capstone.CS_MODE_32
    return capstone.Cs(capstone.CS_ARCH_X86, mode)


_MODE_CALL, _MODE_JUMP = 0, 1


class GuestHarness:
    """One emulated guest, set up once and reused for many round trips.

    ``dispatcher`` plays Xen; its spec's convention for the guest's ABI says
    which registers the guest loads the arguments into. With ``install`` the
    harness maps the model's page at ``page_address`` itself (as the domain
    builder does for a PV guest's ELF note); without it, call :meth:`boot`.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        config: GuestConfig,
        *,
        install: bool = True,
        page_address: int = PAGE_ADDRESS,
    ) -> None:
        self.dispatcher = dispatcher
        self.config = config
        self.convention = _convention(dispatcher.spec, config)
        width = self.width = config.width
        self.page_address: int | None = None
        self.cpuid_log: list[int] = []  # leaves the harness answered, in order

        codes = _CODES[width]
        sp = _STACK_POINTER[width]
        self._word = width // 8
        self._gprs = tuple(codes)  # register-number order
        self._gpr_index = MappingProxyType({r: i for i, r in enumerate(self._gprs)})
        self._loaded = tuple(r for r in self._gprs if r != sp)
        self._slot = {r: i for i, r in enumerate(self._loaded)}
        self._params = self.convention.parameters
        self._param_slots = tuple(self._slot[r] for r in self._params)
        fmt = "<" + ("Q" if width == 64 else "I")
        self._in = struct.Struct(fmt[0] + fmt[1] * (len(self._loaded) + 1))
        self._out = struct.Struct(fmt[0] + fmt[1] * len(self._gprs))
        self._filler = [_filler(width, codes[r]) for r in self._loaded] + [0]
        self._programs = _assemble(width, self._loaded, self._gprs)
        self._ip = "RIP" if width == 64 else "EIP"
        self._flags = "RFLAGS" if width == 64 else "EFLAGS"
        self._insn = normalise_instruction(config.instruction.mnemonic)
        self._insn_len = len(config.instruction.encoding)
        self._sites: dict[int, int] = {}  # guest address of a transfer instruction -> its page
        self._site_names: dict[int, str] = {}

        uc = self._uc = Uc(UC_ARCH_X86, UC_MODE_64 if width == 64 else UC_MODE_32)
        self._uch = uc._uch
        # Before the engine's lazy init. (mypy sees unicorn.Uc as the Python 2 shim.)
        uc.ctl_set_tcg_buffer_size(_TCG_BUFFER_SIZE)  # type: ignore[attr-defined]
        uc.mem_map(RAM_BASE, RAM_END - RAM_BASE, UC_PROT_ALL)
        uc.mem_write(_CALL_PROGRAM, self._programs.call)
        uc.mem_write(_JUMP_PROGRAM, self._programs.jump)
        uc.mem_write(_BOOT_PROGRAM, self._programs.boot)
        uc.mem_write(EXIT_ADDRESS, _HLT)  # never executed: emulation stops on arrival
        uc.reg_write(_UC_REG[self._flags], _INITIAL_FLAGS)
        # CPL is CS's low bits; Unicorn's flat segments make it 0.
        self.cpl = uc.reg_read(x86.UC_X86_REG_CS) & 3

        # Batch register access: GPRs, then IP and flags, in preallocated buffers.
        ctype = ctypes.c_uint64 if width == 64 else ctypes.c_uint32
        read = (*self._gprs, self._ip, self._flags)
        self._nread = len(read)
        self._rids = (ctypes.c_int * len(read))(*(_UC_REG[r] for r in read))
        self._rvals = (ctype * len(read))()
        self._rptrs = _pointers(self._rvals)
        # Written back: the GPRs, plus IP where the harness must step past the
        # instruction itself (the #UD hook); SYSCALL and INT resume on their own.
        write = self._gprs + ((self._ip,) if config.transfer.is_hvm else ())
        self._nwrite = len(write)
        self._wids = (ctypes.c_int * len(write))(*(_UC_REG[r] for r in write))
        self._wvals = (ctype * len(write))()
        self._wptrs = _pointers(self._wvals)
        self._outbuf = ctypes.create_string_buffer(self._out.size)

        # Per-run state the hooks fill in.
        self._mode = _MODE_CALL
        self._run_dispatcher = dispatcher
        self._trap: tuple[Any, ...] | None = None
        self._fault: str | None = None
        self._traps = 0
        self._boot_writes: list[tuple[int, int]] = []
        self._boot_installed: int | None = None
        self._hook_error: BaseException | None = None

        # Hooks go straight to the C library: the binding's wrappers add three
        # Python frames per trap. Each hook catches its own exceptions (a
        # ctypes callback cannot raise) and _run re-raises them.
        self._callbacks: list[Any] = []  # keeps the ctypes thunks alive
        if config.transfer is TransferGuest.PV64:
            self._hook(UC_HOOK_INSN, _SYSCALL_CB(self._on_syscall), x86.UC_X86_INS_SYSCALL)
        # Always: INT 0x82 for PV 32, and stray int3/exceptions for everyone.
        self._hook(UC_HOOK_INTR, _INTR_CB(self._on_interrupt))
        # Always: VMCALL/VMMCALL for HVM, and ud2 / wrong-vendor #UD for everyone.
        self._hook(UC_HOOK_INSN_INVALID, _INVALID_CB(self._on_invalid))
        self._hook(UC_HOOK_INSN, _CPUID_CB(self._on_cpuid), x86.UC_X86_INS_CPUID)
        release = dispatcher.spec.release
        sig = XEN_SIGNATURE.encode()
        self._cpuid: dict[int, tuple[int, int, int, int]] = {
            _CPUID_BASE: (_CPUID_MAX_LEAF, *struct.unpack("<3I", sig)),
            _CPUID_VERSION_LEAF: (release.xen_version, 0, 0, 0),
            CPUID_HYPERCALL_LEAF: (CPUID_HYPERCALL_PAGES, HYPERCALL_MSR, 0, 0),
        }
        regs = ("RAX", "RBX", "RCX", "RDX") if width == 64 else ("EAX", "EBX", "ECX", "EDX")
        self._cpuid_ids = (ctypes.c_int * 4)(*(_UC_REG[r] for r in regs))
        self._cpuid_vals = (ctype * 4)()
        self._cpuid_ptrs = _pointers(self._cpuid_vals)

        if install:
            self._install(page_address)

    # -- public -----------------------------------------------------------------

    @property
    def page(self) -> bytes:
        """The hypercall page this guest type gets from the model."""
        return hypercall_page(self.config.transfer)

    def call(
        self,
        index: int,
        arguments: Sequence[int] = (),
        *,
        registers: Mapping[str, int] | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> RoundTrip:
        """Run ``call hypercall_page + index * 32`` with ``arguments`` loaded.

        Argument i goes into the convention's parameter i; ``registers``
        presets other registers (default: a recognisable filler). ``dispatcher``
        replaces the harness's one for this call (same convention required).
        """
        values = self._values(index, arguments, registers)
        if dispatcher is not None and dispatcher is not self.dispatcher:
            if _convention(dispatcher.spec, self.config) != self.convention:
                raise EmulatorError("the dispatcher's convention differs from the harness's")
            self._run_dispatcher = dispatcher
        else:
            self._run_dispatcher = self.dispatcher
        self._mode = _MODE_CALL
        self._trap = self._fault = None
        self._traps = 0
        blob = self._pack(values)
        uclib.uc_mem_write(self._uch, _IN, blob, len(blob))
        status = self._run(_CALL_PROGRAM)
        if status:
            raise GuestFault(
                self._fault or f"{self.config.label}: emulation stopped: {UcError(status)}"
            )
        trap = self._trap
        if self._fault is not None or trap is None or self._traps != 1:
            raise GuestFault(
                self._fault
                or f"{self.config.label}: the call to stub {index} made {self._traps} traps"
            )
        if uclib.uc_mem_read(self._uch, _OUT, self._outbuf, self._out.size):
            raise EmulatorError("cannot read the guest's result block")
        after = RegisterFile(self._gpr_index, self._out.unpack_from(self._outbuf))
        site, result, ret, flags = trap
        obj = _new(RoundTrip)
        # Filling __dict__ at once, as the dispatcher does for DispatchResult:
        # the frozen dataclass __init__ is a third of a round trip otherwise.
        obj.__dict__.update(
            config=self.config,
            index=index,
            parameters=self._params,
            loaded=tuple([values[s] for s in self._param_slots]),
            dispatch=result,
            transfer=self._site_names[site],
            trap_offset=site - self._sites[site],
            return_address=ret,
            flags=flags,
            result_register=self.convention.result,
            after=after,
        )
        return obj

    def jump(self, index: int, *, registers: Mapping[str, int] | None = None) -> StubRun:
        """``jmp hypercall_page + index * 32`` and record what trapped and the stack.

        At a trap the harness does not dispatch (Xen's iret never returns to
        the stub); it records the registers and the words the stub pushed,
        then resumes after the transfer instruction to show what runs next.
        """
        values = self._values(index, (), registers)
        page = self._require_page()
        self._mode = _MODE_JUMP
        self._trap = self._fault = None
        self._traps = 0
        uc = self._uc
        uc.mem_write(_IN, self._pack(values))
        status = self._run(_JUMP_PROGRAM, _RUN_LIMIT)
        if status:
            self._fault = self._fault or f"emulation stopped: {UcError(status)}"
        stub = bytes(uc.mem_read(page + index * STUB_SIZE, STUB_SIZE)).rstrip(b"\xcc")
        trap, fault = self._trap, self._fault
        if trap is None:
            return StubRun(self.config, index, stub, None, None, {}, (), fault, None, None)
        site, registers_at_trap, ret, _flags = trap
        sp = registers_at_trap[_STACK_POINTER[self.width]]
        words = (STACK_TOP - sp) // self._word
        raw = bytes(uc.mem_read(sp, words * self._word)) if words > 0 else b""
        stack = struct.unpack(f"<{words}{'Q' if self.width == 64 else 'I'}", raw)
        # Resume as if Xen had returned to the stub, to show what follows it.
        self._fault = None
        status = self._run(ret, _RUN_LIMIT)
        if status:
            self._fault = self._fault or f"emulation stopped: {UcError(status)}"
        resumed = self._fault or f"ran on to {self._describe(uc.reg_read(_UC_REG[self._ip]))}"
        return StubRun(
            self.config,
            index,
            stub,
            self._site_names[site],
            site - self._sites[site],
            MappingProxyType(dict(registers_at_trap)),
            stack,
            fault,
            self._instruction_at(ret),
            resumed,
        )

    def boot(self, address: int = BOOT_PAGE_ADDRESS) -> BootEvidence:
        """The guest asks for the page: CPUID 0x40000000/0x40000002, then WRMSR.

        The guest program writes ``address`` to the MSR that CPUID named; the
        harness traps the WRMSR and writes the model's page there, or refuses
        (like Xen's #GP) when the address is not page aligned or not RAM.
        """
        if not 0 <= address < 1 << 64:
            raise ValueError(f"{address:#x} is not a 64-bit guest-physical address")
        if self.width == 32 and address >> 32:
            raise ValueError(f"a 32-bit guest cannot write {address:#x} with EDX:EAX here")
        uc = self._uc
        uc.mem_write(_BOOT_IN, struct.pack("<Q", address))
        uc.mem_write(_BOOT_OUT, bytes(24))
        self._fault = None
        self._boot_writes = []
        self._boot_installed = None
        end = _BOOT_PROGRAM + len(self._programs.boot)
        # Unicorn cannot hook WRMSR (see the module docstring): a code hook bounded
        # to the one-shot boot program finds it instead, off the fast path.
        thunk = _CODE_CB(self._on_boot_code)
        hook = self._hook(UC_HOOK_CODE, thunk, begin=_BOOT_PROGRAM, end=end - 1)
        try:
            status = self._run(_BOOT_PROGRAM, _RUN_LIMIT)
        finally:
            uclib.uc_hook_del(self._uch, hook)
            self._callbacks.remove(thunk)
        if status:
            self._fault = self._fault or f"emulation stopped: {UcError(status)}"
        a, b, c, d, pages, msr = struct.unpack("<6I", uc.mem_read(_BOOT_OUT, 24))
        installed = self._boot_installed
        matches = False
        if installed is not None:
            matches = bytes(uc.mem_read(installed, PAGE_SIZE)) == self.page
        return BootEvidence(
            config=self.config,
            signature=struct.pack("<3I", b, c, d).decode("latin-1"),
            max_leaf=a,
            pages=pages,
            msr=msr,
            msr_writes=tuple(self._boot_writes),
            requested=address,
            installed=installed,
            fault=self._fault,
            page_matches=matches,
        )

    def read_memory(self, address: int, size: int) -> bytes:
        """Guest memory, for inspection."""
        return bytes(self._uc.mem_read(address, size))

    def disassemble(self, which: str = "call") -> tuple[str, ...]:
        """The guest program ("call", "jump" or "boot") as Intel-syntax lines."""
        code = getattr(self._programs, which)
        base = {"call": _CALL_PROGRAM, "jump": _JUMP_PROGRAM, "boot": _BOOT_PROGRAM}[which]
        return tuple(
            f"{i.mnemonic} {i.op_str}".strip() for i in _disassembler(self.width).disasm(code, base)
        )

    # -- set-up helpers -----------------------------------------------------------

    def _hook(self, kind: int, thunk: Any, *extra: int, begin: int = 1, end: int = 0) -> int:
        handle = ctypes.c_size_t()
        status = uclib.uc_hook_add(
            self._uch,
            ctypes.byref(handle),
            kind,
            ctypes.cast(thunk, ctypes.c_void_p),
            None,
            ctypes.c_uint64(begin),
            ctypes.c_uint64(end),
            *(ctypes.c_int(x) for x in extra),
        )
        if status:
            raise EmulatorError(f"Unicorn refused a hook: {UcError(status)}")
        self._callbacks.append(thunk)
        return handle.value

    def _run(self, begin: int, count: int = 0) -> int:
        """emu_start from ``begin`` to EXIT_ADDRESS; re-raise what a hook raised."""
        self._hook_error = None
        status: int = uclib.uc_emu_start(self._uch, begin, EXIT_ADDRESS, 0, count)
        error = self._hook_error
        if error is not None:
            self._hook_error = None
            raise error
        return status

    def _stop(self, error: BaseException) -> None:
        """Called from a hook that raised: remember it and stop the guest."""
        if self._hook_error is None:
            self._hook_error = error
        uclib.uc_emu_stop(self._uch)

    def _install(self, address: int) -> None:
        """Write the model's page at ``address`` and index its transfer sites."""
        uc = self._uc
        uc.mem_write(address, self.page)
        # mem_write leaves stale translations of code that was there before.
        uc.ctl_remove_cache(address, address + PAGE_SIZE)
        self._index_sites(address)
        self.page_address = address

    def _index_sites(self, address: int) -> None:
        """Find the transfer instructions in the page as mapped, by disassembly."""
        memory = bytes(self._uc.mem_read(address, PAGE_SIZE))
        for offset in _transfer_sites(memory, self.config.instruction.encoding):
            self._sites[address + offset] = address
            self._site_names[address + offset] = self._insn

    def _require_page(self) -> int:
        if self.page_address is None:
            raise EmulatorError(f"{self.config.label}: no hypercall page installed (call boot())")
        return self.page_address

    def _values(
        self, index: int, arguments: Sequence[int], registers: Mapping[str, int] | None
    ) -> list[int]:
        if not 0 <= index < STUB_COUNT:
            raise ValueError(f"stub index {index} is outside the page (0 to {STUB_COUNT - 1})")
        page = self._require_page()
        if len(arguments) > len(self._params):
            raise ValueError(
                f"{len(arguments)} arguments but the {self.convention.abi} convention has "
                f"{len(self._params)} parameters ({' '.join(self._params)})"
            )
        values = self._filler.copy()
        if registers:
            for name, value in registers.items():
                slot = self._slot.get(name.upper())
                if slot is None:
                    raise ValueError(
                        f"{name!r} is not a register the {self.config.label} guest program loads "
                        f"(one of {' '.join(self._loaded)})"
                    )
                if name.upper() in self._params[: len(arguments)]:
                    raise ValueError(f"{name} is both an argument and a preset register")
                values[slot] = value
        slots = self._param_slots
        for i, value in enumerate(arguments):
            values[slots[i]] = value
        values[-1] = page + index * STUB_SIZE
        return values

    def _pack(self, values: list[int]) -> bytes:
        try:
            return self._in.pack(*values)
        except struct.error:
            bad = [v for v in values if not isinstance(v, int) or not 0 <= v < 1 << self.width]
            raise ValueError(
                f"register values must be unsigned {self.width}-bit integers: {bad!r}"
            ) from None

    def _instruction_at(self, address: int) -> str:
        """The instruction at ``address`` in guest memory, Intel syntax."""
        code = self.read_memory(address, 16)
        insn = next(_disassembler(self.width).disasm(code, address), None)
        return f"{insn.mnemonic} {insn.op_str}".strip() if insn else f"bytes {code[:4].hex(' ')}"

    def _describe(self, address: int) -> str:
        """The instruction at ``address``, with its page offset when in the page."""
        return f"{self._instruction_at(address)} {self._where(address)}"

    def _where(self, address: int) -> str:
        page = self.page_address
        if page is not None and page <= address < page + PAGE_SIZE:
            return f"at page offset {address - page:#x}"
        return f"at {address:#x}"

    # -- hooks (hot path) -----------------------------------------------------------

    def _read(self) -> list[int]:
        uclib.uc_reg_read_batch(self._uch, self._rids, self._rptrs, self._nread)
        return self._rvals[:]

    def _trapped(self, site: int, values: list[int], syscall: bool) -> int:
        """Common trap path; returns the address after the transfer instruction."""
        ret = site + self._insn_len
        flags = values[-1]
        file = dict(zip(self._gprs, values))
        if syscall:
            # SYSCALL's architectural effects, which Unicorn leaves out.
            file["RCX"] = ret
            file["R11"] = flags
        self._traps += 1
        if self._mode == _MODE_JUMP:
            self._trap = (site, file, ret, flags)
            self._write(file, ret)
            uclib.uc_emu_stop(self._uch)
            return ret
        result = self._run_dispatcher.dispatch(self.config.guest, file, cpl=self.cpl)
        self._write(result.registers, ret)
        self._trap = (site, result, ret, flags)
        return ret

    def _write(self, registers: Mapping[str, int], ip: int) -> None:
        vals = [registers[r] for r in self._gprs]
        if self._nwrite > len(vals):
            vals.append(ip)
        self._wvals[:] = vals
        uclib.uc_reg_write_batch(self._uch, self._wids, self._wptrs, self._nwrite)

    def _on_syscall(self, _uc: int, _data: int) -> None:
        try:
            values = self._read()
            rip = values[-2]
            if rip not in self._sites:
                self._fault = f"{self.config.label}: SYSCALL {self._where(rip)}, not in a stub"
                uclib.uc_emu_stop(self._uch)
                return
            # Unicorn steps RIP past SYSCALL after this hook: never write RIP here.
            self._trapped(rip, values, syscall=True)
        except BaseException as exc:  # noqa: BLE001 - re-raised by _run
            self._stop(exc)

    def _on_interrupt(self, _uc: int, intno: int, _data: int) -> None:
        try:
            values = self._read()
            ip = values[-2]  # after the instruction for INT n / int3
            pv32 = self.config.transfer is TransferGuest.PV32
            if intno == 0x82 and pv32 and ip - 2 in self._sites:
                self._trapped(ip - 2, values, syscall=False)
                return
            if intno == 3:
                self._fault = f"{self.config.label}: int3 {self._where(ip - 1)} (0xCC padding)"
            else:
                self._fault = f"{self.config.label}: interrupt {intno:#x} near {self._where(ip)}"
            uclib.uc_emu_stop(self._uch)
        except BaseException as exc:  # noqa: BLE001
            self._stop(exc)

    def _on_invalid(self, _uc: int, _data: int) -> bool:
        try:
            values = self._read()
            ip = values[-2]  # at the instruction
            if self.config.transfer.is_hvm and ip in self._sites:
                self._trapped(ip, values, syscall=False)
                return True  # _write moved IP past the instruction
            self._fault = f"{self.config.label}: #UD: {self._describe(ip)}"
        except BaseException as exc:  # noqa: BLE001
            self._stop(exc)
        return False

    def _on_cpuid(self, _uc: int, _data: int) -> int:
        try:
            uclib.uc_reg_read_batch(self._uch, self._cpuid_ids, self._cpuid_ptrs, 1)
            leaf = self._cpuid_vals[0] & 0xFFFFFFFF
            answer = self._cpuid.get(leaf)
            if answer is None:
                return 0  # let Unicorn's CPUID answer
            self.cpuid_log.append(leaf)
            self._cpuid_vals[:] = list(answer)  # full-width writes zero-extend, as CPUID does
            uclib.uc_reg_write_batch(self._uch, self._cpuid_ids, self._cpuid_ptrs, 4)
            return 1  # skip Unicorn's own CPUID
        except BaseException as exc:  # noqa: BLE001
            self._stop(exc)
            return 1

    def _on_boot_code(self, _uc: int, address: int, size: int, _data: int) -> None:
        try:
            self._boot_instruction(address, size)
        except BaseException as exc:  # noqa: BLE001
            self._stop(exc)

    def _boot_instruction(self, address: int, size: int) -> None:
        uc = self._uc
        if size != 2 or bytes(uc.mem_read(address, 2)) != _WRMSR:
            return
        ecx, eax, edx = (uc.reg_read(_UC_REG[r]) & 0xFFFFFFFF for r in ("ECX", "EAX", "EDX"))
        value = edx << 32 | eax
        self._boot_writes.append((ecx, value))
        if ecx != HYPERCALL_MSR:
            return  # not ours; Unicorn's WRMSR does what it does
        offset = value % PAGE_SIZE
        if offset:
            self._fault = (
                f"#GP(0): WRMSR {ecx:#x} <- {value:#x}: offset {offset:#x} within the page "
                "(the page address must be page aligned)"
            )
            uclib.uc_emu_stop(self._uch)
            return
        if not RAM_BASE <= value <= RAM_END - PAGE_SIZE:
            self._fault = f"#GP(0): WRMSR {ecx:#x} <- {value:#x}: not guest RAM"
            uclib.uc_emu_stop(self._uch)
            return
        self._install(value)
        self._boot_installed = value


# Raw Unicorn callback types (uc_engine *, ..., void *user_data).
_SYSCALL_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_INTR_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)
_INVALID_CB = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_void_p)
_CPUID_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_CODE_CB = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_void_p
)

_new = object.__new__


def _pointers(array: ctypes.Array[Any]) -> ctypes.Array[ctypes.c_void_p]:
    base, size = ctypes.addressof(array), ctypes.sizeof(array._type_)
    return (ctypes.c_void_p * len(array))(*(base + i * size for i in range(len(array))))


def _convention(spec: AbiSpec, config: GuestConfig) -> Convention:
    """The spec's convention for the guest's ABI, checked loadable by the program."""
    abi = config.guest.abi
    convention = spec.conventions.get(abi)
    if convention is None:
        raise EmulatorError(f"the spec for Xen {spec.release} has no {abi} register convention")
    codes = _CODES[config.width]
    sp = _STACK_POINTER[config.width]
    bad = [r for r in (*convention.parameters, convention.result) if r not in codes or r == sp]
    if bad:
        raise EmulatorError(
            f"the {abi} convention for Xen {spec.release} names {' '.join(bad)}: "
            f"the {config.label} guest program cannot load or read that"
        )
    return convention


# --- evidence for the docs' tables ----------------------------------------------


def probe_dispatcher(
    spec: AbiSpec,
    guest: GuestType,
    name: str = "xen_version",
    record: list[tuple[int, ...]] | None = None,
) -> Dispatcher:
    """A dispatcher whose ``name`` handler takes every parameter the spec names.

    The handler's arity is the parameter count of ``guest``'s convention, so
    the dispatcher reads all of them; it returns 0 and appends its arguments
    to ``record``. Other hypercalls keep the default handlers.
    """
    convention = spec.conventions.get(guest.abi)
    if convention is None:
        raise EmulatorError(
            f"the spec for Xen {spec.release} has no {guest.abi} register convention"
        )

    def probe(ctx: HandlerContext, args: tuple[int, ...]) -> int:
        if record is not None:
            record.append(args)
        return 0

    handlers = dict(DEFAULT_HANDLERS)
    handlers[name] = Handler(name, len(convention.parameters), probe)
    return Dispatcher(spec, handlers)


@dataclass(frozen=True)
class RowEvidence:
    """What executing the docs' tables on one guest configuration showed."""

    config: GuestConfig
    release: Release
    convention: Convention
    documented_transfer: str | None  # the docs' instruction for this page's row
    probe: RoundTrip  # every parameter register loaded, a recording handler
    probe_name: str  # the hypercall the probe handler stood in for
    version: RoundTrip  # xen_version(XENVER_version, ...)
    unknown: RoundTrip  # an index the docs do not define

    @property
    def transfer(self) -> str:
        return self.probe.transfer

    @property
    def transfer_documented(self) -> bool:
        """Whether the docs' transfer row names the instruction that trapped."""
        if self.documented_transfer is None:
            return False
        try:
            return normalise_instruction(self.documented_transfer) == self.transfer
        except ValueError:
            return False

    @property
    def arguments_intact(self) -> bool:
        return self.probe.intact and len(self.probe.received) == len(self.convention.parameters)

    @property
    def version_ok(self) -> bool:
        return self.version.result == self.release.xen_version

    @property
    def enosys_ok(self) -> bool:
        return self.unknown.result_signed == -Errno.ENOSYS

    @property
    def ok(self) -> bool:
        return (
            self.arguments_intact
            and self.version_ok
            and self.enosys_ok
            and self.transfer_documented
        )

    @property
    def lines(self) -> tuple[str, ...]:
        res = self.convention.result
        doc = self.documented_transfer
        transfer = (
            f"transfer: the docs name {doc} for {self.config.transfer.value}; "
            f"{self.transfer} trapped at page offset {self.probe.trap_offset:#x}"
        )
        if doc is None:
            transfer = f"transfer: the docs name no instruction for {self.config.transfer.value}"
        elif not self.transfer_documented:
            transfer += " (MISMATCH)"
        return (
            self.probe.line,
            transfer,
            f"xen_version(XENVER_version): {res} = {self.version.result:#x} after ret"
            + (
                f", Xen {self.release}'s version"
                if self.version_ok
                else f"; Xen {self.release} returns {self.release.xen_version:#x} (MISMATCH)"
            ),
            f"unknown index {self.unknown.index}: {res} = {self.unknown.result:#x} "
            f"({self.unknown.result_signed}) after ret"
            + ("" if self.enosys_ok else " (expected -ENOSYS)"),
        )

    def __str__(self) -> str:
        return "\n".join(self.lines)


def _unknown_index(spec: AbiSpec) -> int:
    free = sorted(set(range(STUB_COUNT)) - set(spec.hypercalls) - {IRET_INDEX})
    if not free:
        raise EmulatorError("the spec defines every stub index; none is unknown")
    return free[0]


def _probe_target(spec: AbiSpec, guest: GuestType) -> tuple[int, str]:
    """xen_version if this guest type may call it, else any callable hypercall."""
    calls = sorted(spec.hypercalls.values(), key=lambda c: c.number)
    for call in calls:
        if call.name == "xen_version" and guest in call.available:
            return call.number, call.name
    for call in calls:
        if guest in call.available and call.number != IRET_INDEX and call.number < STUB_COUNT:
            return call.number, call.name
    raise EmulatorError(f"the docs let a {guest.label} guest call no hypercall")


def execute_row_check(
    spec: AbiSpec, config: GuestConfig, *, harness: GuestHarness | None = None
) -> RowEvidence:
    """Execute the docs' tables for one guest configuration and report.

    Three round trips through the page: a probe (a recording handler under a
    hypercall this guest may call, with distinct values in every parameter
    register the convention names), xen_version(XENVER_version) with the
    same loading, and an index the docs do not define.
    """
    convention = _convention(spec, config)
    number, name = _probe_target(spec, config.guest)
    record: list[tuple[int, ...]] = []
    probe = probe_dispatcher(spec, config.guest, name, record)
    plain = Dispatcher(spec)
    if harness is None:
        harness = GuestHarness(plain, config)
    elif harness.config != config or harness.convention != convention:
        raise EmulatorError("the harness was built for another guest or convention")
    args = default_arguments(config.width, len(convention.parameters))
    probe_run = harness.call(number, args, dispatcher=probe)
    if record != [probe_run.received]:  # the handler must get what the dispatcher reports
        raise EmulatorError(f"probe handler saw {record}, dispatcher reports {probe_run.received}")
    version_args = (XENVER_version, *args[1:])
    version = harness.call(_xen_version_number(spec), version_args, dispatcher=plain)
    unknown = harness.call(_unknown_index(spec), args, dispatcher=plain)
    return RowEvidence(
        config=config,
        release=spec.release,
        convention=convention,
        documented_transfer=spec.transfers.get(config.transfer.value),
        probe=probe_run,
        probe_name=name,
        version=version,
        unknown=unknown,
    )


def _xen_version_number(spec: AbiSpec) -> int:
    for call in spec.hypercalls.values():
        if call.name == "xen_version":
            return call.number
    return 17  # not in the docs' table: the call will say -ENOSYS


def run_iret_stub(
    dispatcher: Dispatcher | AbiSpec,
    config: GuestConfig,
    registers: Mapping[str, int] | None = None,
) -> StubRun:
    """Jump to the iret stub (23) as a PV guest does and report what happened."""
    if isinstance(dispatcher, AbiSpec):
        dispatcher = Dispatcher(dispatcher)
    return GuestHarness(dispatcher, config).jump(IRET_INDEX, registers=registers)
