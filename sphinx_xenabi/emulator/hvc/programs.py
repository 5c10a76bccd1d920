"""An Arm guest's code: Linux-style hypercall stubs, the program that calls them, its vectors.

A stub is what Linux's ``arch/arm64/xen/hypercall.S`` (``arch/arm/xen/
hypercall.S`` for arm32) assembles for each hypercall, written from the
docs: the number into the documented number register, ``hvc`` with the
documented immediate, return::

    A64:  mov x16, #nr;  hvc #0xea1;  ret
    A32:  mov r12, #nr;  hvc #0xea1;  bx lr
    T32:  movw r12, #nr; hvc.w #0xea1; bx lr

The arguments are already in the documented parameter registers when a
stub runs, as they are for Linux's (AAPCS passes them in x0-x4/r0-r3).

The call program loads every register but the link register from the
frame (at SP, which only the program uses), calls the stub through the link
register, stores the register file after the stub's return and branches to
:data:`~..layout.EXIT_ADDRESS`. The vectors catch the undefined-instruction
exception Xen injects for an HVC it does not take: the handler stores what
the guest's kernel would see (ESR_EL1, ELR_EL1, SPSR_EL1 / LR_und, SPSR_und,
CPSR) and branches to the exit as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ...model.spec import Convention, GuestType
from ..errors import EmulatorError
from ..layout import EXIT_ADDRESS
from ..registers import DataBlock
from .encoder import (
    A32_LR,
    A32_SP,
    SP,
    T32_BX_LR,
    a32_b,
    a32_blx,
    a32_bx,
    a32_hvc,
    a32_mov,
    a32_mrs,
    a32_multiple,
    a32_single,
    a64_b,
    a64_blr,
    a64_hvc,
    a64_mov,
    a64_mrs,
    a64_pair,
    a64_ret,
    a64_single,
    t32_hvc,
    t32_mov,
    words,
)

if TYPE_CHECKING:
    from ..configurations import GuestConfig

CALL_PROGRAM = 0x10000
FRAME = 0x11000  # SP: the load block, and on AArch64 the store block above it
A64_OUT = FRAME + 0x100  # A64 store block (the A32 one is below SP: stmdb)
FAULT_RECORD = FRAME + 0x400  # what the undefined-instruction handler stores
VECTORS = 0x20000  # VBAR_EL1 / VBAR
STUBS = 0x40000
STUB_SLOT = 32  # bytes per stub, as the x86 page's
STUB_SLOTS = 0x2000

# The registers the call program stores, with their numbers; it loads all
# but the link register, which carries the stub's address into ``blx``/``blr``.
A64_CODES: Mapping[str, int] = MappingProxyType({f"X{n}": n for n in range(31)})
A32_CODES: Mapping[str, int] = MappingProxyType({**{f"R{n}": n for n in range(13)}, "R14": 14})
LINK_REGISTER = {64: "X30", 32: "R14"}
A32_LOADED_MASK = (1 << 13) - 1  # {r0-r12}


def _code_map(config: GuestConfig) -> Mapping[str, int]:
    return A64_CODES if config.guest is GuestType.ARM64 else A32_CODES


def check_convention(convention: Convention, config: GuestConfig, whose: str) -> None:
    """EmulatorError unless the program can load the number and arguments and read the result."""
    loadable = set(_code_map(config)) - {LINK_REGISTER[config.width]}
    named = (convention.index, *convention.parameters, convention.result)
    bad = [r for r in dict.fromkeys(named) if r not in loadable]
    if bad:
        raise EmulatorError(
            f"the {convention.abi} convention {whose} names {' '.join(bad)}: the {config.label} "
            f"guest program cannot load or read that (it loads {_span(loadable)})"
        )


def _number(register: str) -> int:
    return int(register[1:])


def _span(registers: set[str]) -> str:
    """X0 ... X29 as "X0-X29"."""
    ordered = sorted(registers, key=_number)
    return f"{ordered[0]}-{ordered[-1]}"


def frame_for(config: GuestConfig, convention: Convention) -> DataBlock:
    """The load and store blocks of the call program (the x86 harness's data block, on Arm)."""
    return DataBlock(
        config.width, convention, config.label, _code_map(config), LINK_REGISTER[config.width]
    )


def out_address(config: GuestConfig, frame: DataBlock) -> int:
    """Where the call program stores the register file."""
    if config.guest is GuestType.ARM64:
        return A64_OUT
    return FRAME - frame.out.size  # stmdb sp


def call_program(config: GuestConfig) -> bytes:
    """Load the frame, call the stub through the link register, store the registers, exit."""
    if config.guest is GuestType.ARM64:
        code = [a64_pair(True, n, n + 1, SP, 8 * n) for n in range(0, 30, 2)]
        code += [a64_single(True, 30, SP, 8 * 30), a64_blr(30)]
        code += [a64_pair(False, n, n + 1, SP, A64_OUT - FRAME + 8 * n) for n in range(0, 30, 2)]
        code.append(a64_single(False, 30, SP, A64_OUT - FRAME + 8 * 30))
        at = CALL_PROGRAM + 4 * len(code)
        return words(*code, a64_b(at, EXIT_ADDRESS))
    code = [
        a32_multiple(True, A32_SP, A32_LOADED_MASK),
        a32_single(True, A32_LR, A32_SP, 4 * 13),
        a32_blx(A32_LR),
        a32_multiple(False, A32_SP, A32_LOADED_MASK | 1 << A32_LR, before=True),
    ]
    return words(*code, a32_b(CALL_PROGRAM + 4 * len(code), EXIT_ADDRESS))


def vectors(config: GuestConfig) -> tuple[int, bytes]:
    """The undefined-instruction handler: (its address, its code)."""
    if config.guest is GuestType.ARM64:
        at = VECTORS + 0x200  # synchronous exception, current EL with SP_ELx
        code = [
            a64_mrs(0, 3, 0, 5, 2, 0),  # ESR_EL1
            a64_mrs(1, 3, 0, 4, 0, 1),  # ELR_EL1
            a64_mrs(2, 3, 0, 4, 0, 0),  # SPSR_EL1
            *a64_mov(3, FAULT_RECORD),
            a64_pair(False, 0, 1, 3, 0),
            a64_single(False, 2, 3, 16),
        ]
        return at, words(*code, a64_b(at + 4 * len(code), EXIT_ADDRESS))
    at = VECTORS + 0x4  # undefined instruction: the handler is the vector (no other is taken)
    code = [
        0xE1A0000E,  # mov r0, lr
        a32_mrs(1, spsr=True),
        a32_mrs(2, spsr=False),
        *a32_mov(3, FAULT_RECORD),
        a32_multiple(False, 3, 0b111),
    ]
    return at, words(*code, a32_b(at + 4 * len(code), EXIT_ADDRESS))


@dataclass(frozen=True)
class Stub:
    """One hypercall's stub as written into guest memory."""

    number: int
    address: int  # where it starts (the call program sets bit 0 for a Thumb stub)
    code: bytes
    hvc_offset: int  # where its hvc starts
    immediate: int  # the hvc's, as read back from guest memory


def stub_code(config: GuestConfig, index: str, number: int, immediate: int) -> tuple[bytes, int]:
    """A Linux-style stub for ``number``: (its code, the offset of its hvc)."""
    register = _number(index)
    if config.guest is GuestType.ARM64:
        mov = words(*a64_mov(register, number))
        return mov + words(a64_hvc(immediate), a64_ret()), len(mov)
    if config.thumb:
        mov = t32_mov(register, number)
        return mov + t32_hvc(immediate) + T32_BX_LR, len(mov)
    mov = words(*a32_mov(register, number))
    return mov + words(a32_hvc(immediate), a32_bx(A32_LR)), len(mov)


@cache
def _decoder(code: str) -> Any:
    """capstone's decoder for "A64", "A32" or "T32" (loaded on first use, as on x86)."""
    import capstone

    if code == "A64":
        return capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    mode = capstone.CS_MODE_THUMB if code == "T32" else capstone.CS_MODE_ARM
    return capstone.Cs(capstone.CS_ARCH_ARM, mode)


def listing(code: str, machine_code: bytes, address: int) -> tuple[str, ...]:
    """``machine_code`` in instruction set ``code``, placed at ``address``, as text lines."""
    decoded = _decoder(code).disasm(machine_code, address)
    return tuple(f"{i.mnemonic} {i.op_str}".strip() for i in decoded)
