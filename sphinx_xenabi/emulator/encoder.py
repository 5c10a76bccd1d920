"""A small hand encoder for the guest programs, and the programs themselves.

Only the forms the programs need. Absolute operands are disp32: in 64-bit
mode through a SIB byte (mod=00 rm=100, SIB 0x25), because mod=00 rm=101
means RIP-relative there; in 32-bit mode directly (mod=00 rm=101).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from ..model.abi import CPUID_HYPERCALL_LEAF
from .layout import (
    BOOT_IN,
    BOOT_OUT,
    BOOT_PROGRAM,
    CALL_IN,
    CALL_OUT,
    CALL_PROGRAM,
    CPUID_BASE,
    EXIT_ADDRESS,
    JUMP_PROGRAM,
    STACK_TOP,
)
from .registers import REGISTER_CODES

CPUID = b"\x0f\xa2"
WRMSR = b"\x0f\x30"
HLT = b"\xf4"
_MOV_ECX_EBX = b"\x89\xd9"
_CALL, _JMP = 2, 4  # the ModRM reg field of FF /2 and FF /4
# Register numbers are the same in both widths: EAX/RAX 0, ECX 1, EDX 2, EBX 3.
_EAX, _ECX, _EDX, _EBX = 0, 1, 2, 3


def _abs_operand(width: int, reg: int, address: int) -> bytes:
    if width == 64:
        return bytes([(reg & 7) << 3 | 0b100, 0x25]) + struct.pack("<I", address)
    return bytes([(reg & 7) << 3 | 0b101]) + struct.pack("<I", address)


def _rex(width: int, reg: int, wide: bool) -> bytes:
    if width != 64:
        return b""
    rex = 0x40 | (0x08 if wide else 0) | (0x04 if reg >= 8 else 0)
    return bytes([rex]) if rex != 0x40 else b""


def load(width: int, reg: int, address: int, *, wide: bool = True) -> bytes:
    """``mov reg, [address]`` (full width unless ``wide`` is False)."""
    return _rex(width, reg, wide) + b"\x8b" + _abs_operand(width, reg, address)


def store(width: int, reg: int, address: int, *, wide: bool = True) -> bytes:
    """``mov [address], reg``."""
    return _rex(width, reg, wide) + b"\x89" + _abs_operand(width, reg, address)


def set_stack(width: int, value: int) -> bytes:
    """``mov rsp, imm32`` (sign-extended; our stack is below 2 GiB) / ``mov esp, imm32``."""
    if width == 64:
        return b"\x48\xc7\xc4" + struct.pack("<I", value)
    return b"\xbc" + struct.pack("<I", value)


def indirect(width: int, op: int, address: int) -> bytes:
    """``call``/``jmp`` through [address] (FF /2 and FF /4)."""
    return b"\xff" + _abs_operand(width, op, address)


def mov_eax(value: int) -> bytes:
    return b"\xb8" + struct.pack("<I", value)


def jmp(source: int, target: int) -> bytes:
    """``jmp rel32`` from an instruction at ``source`` to ``target``."""
    return b"\xe9" + struct.pack("<i", target - (source + 5))


@dataclass(frozen=True)
class Programs:
    """The assembled guest programs; each ends by jumping to EXIT_ADDRESS."""

    call: bytes
    jump: bytes
    boot: bytes


PROGRAM_BASES = {"call": CALL_PROGRAM, "jump": JUMP_PROGRAM, "boot": BOOT_PROGRAM}


def _boot(width: int) -> bytes:
    """CPUID 0x40000000 and 0x40000002, their answers stored, then the WRMSR."""
    return (
        mov_eax(CPUID_BASE)
        + CPUID
        + b"".join(
            store(width, r, BOOT_OUT + 4 * i, wide=False)
            for i, r in enumerate((_EAX, _EBX, _ECX, _EDX))
        )
        + mov_eax(CPUID_HYPERCALL_LEAF)
        + CPUID
        + store(width, _EAX, BOOT_OUT + 16, wide=False)
        + store(width, _EBX, BOOT_OUT + 20, wide=False)
        # The guest writes the MSR that CPUID named, not a constant of its own.
        + _MOV_ECX_EBX
        + load(width, _EAX, BOOT_IN, wide=False)
        + load(width, _EDX, BOOT_IN + 4, wide=False)
        + WRMSR
    )


def assemble(width: int, loaded: Sequence[str], stored: Sequence[str]) -> Programs:
    """The call, jump and boot programs for a guest of ``width`` bits.

    The call and jump programs load ``loaded`` from CALL_IN, set the stack
    and go through the target word after them; the call program stores
    ``stored`` to CALL_OUT after the stub's ``ret``.
    """
    codes = REGISTER_CODES[width]
    word = width // 8
    target = CALL_IN + len(loaded) * word
    loads = b"".join(load(width, codes[r], CALL_IN + i * word) for i, r in enumerate(loaded))
    # The stack pointer is an immediate, so every run starts from the same stack.
    prologue = loads + set_stack(width, STACK_TOP)
    stores = b"".join(store(width, codes[r], CALL_OUT + i * word) for i, r in enumerate(stored))
    call = prologue + indirect(width, _CALL, target) + stores
    jump = prologue + indirect(width, _JMP, target)  # iret is jumped to, not called
    boot = _boot(width)
    # Each ends on a page of its own (see EXIT_ADDRESS).
    return Programs(
        call=call + jmp(CALL_PROGRAM + len(call), EXIT_ADDRESS),
        jump=jump + jmp(JUMP_PROGRAM + len(jump), EXIT_ADDRESS),
        boot=boot + jmp(BOOT_PROGRAM + len(boot), EXIT_ADDRESS),
    )
