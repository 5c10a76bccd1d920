"""A small hand encoder for Arm guest code (A64, A32, T32), and HVC read back.

Only the forms the guest programs need (:mod:`.programs`), each checked
against capstone by the tests. Instructions are 32-bit words, stored little
endian; a T32 instruction is one or two 16-bit halfwords. Register operands
are numbers: X0-X30 / R0-R15, 31 is SP in the A64 load/store base field.
"""

from __future__ import annotations

import struct

from ...model.abi import normalise_instruction
from ..errors import EmulatorError

SP = 31  # the A64 base-register number that means SP
A32_SP, A32_LR = 13, 14
IMM16 = 0xFFFF


def words(*encoded: int) -> bytes:
    """32-bit instruction words as guest memory (little endian)."""
    return struct.pack(f"<{len(encoded)}I", *encoded)


# -- A64 ------------------------------------------------------------------------


def a64_mov(rd: int, value: int) -> list[int]:
    """``movz`` and the ``movk``s that load a 64-bit constant into Xd."""
    out = [0xD2800000 | (value & IMM16) << 5 | rd]
    for shift in (16, 32, 48):
        part = value >> shift & IMM16
        if part:
            out.append(0xF2800000 | shift // 16 << 21 | part << 5 | rd)
    return out


def a64_pair(load: bool, rt: int, rt2: int, rn: int, offset: int) -> int:
    """``ldp``/``stp Xt, Xt2, [Xn|SP, #offset]`` (signed offset, a multiple of 8)."""
    if offset % 8 or not -512 <= offset <= 504:
        raise ValueError(f"ldp/stp offset {offset} out of range")
    return (
        (0xA9400000 if load else 0xA9000000) | (offset // 8 & 0x7F) << 15 | rt2 << 10 | rn << 5 | rt
    )


def a64_single(load: bool, rt: int, rn: int, offset: int) -> int:
    """``ldr``/``str Xt, [Xn|SP, #offset]`` (unsigned offset, a multiple of 8)."""
    if offset % 8 or not 0 <= offset < 0x8000:
        raise ValueError(f"ldr/str offset {offset} out of range")
    return (0xF9400000 if load else 0xF9000000) | offset // 8 << 10 | rn << 5 | rt


def a64_blr(rn: int) -> int:
    return 0xD63F0000 | rn << 5


def a64_ret() -> int:
    return 0xD65F03C0


def a64_b(at: int, target: int) -> int:
    return 0x14000000 | ((target - at) >> 2 & 0x3FFFFFF)


def a64_hvc(imm: int) -> int:
    return 0xD4000002 | (imm & IMM16) << 5


def a64_mrs(rt: int, op0: int, op1: int, crn: int, crm: int, op2: int) -> int:
    """``mrs Xt, S<op0>_<op1>_C<crn>_C<crm>_<op2>``."""
    return 0xD5300000 | (op0 - 2) << 19 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5 | rt


def a64_hvc_immediate(word: int) -> int | None:
    """The immediate of an A64 ``hvc`` word, None for another instruction."""
    return word >> 5 & IMM16 if word & 0xFFE0001F == 0xD4000002 else None


# -- A32 ------------------------------------------------------------------------

_AL = 0xE0000000  # the "always" condition


def _modified_immediate(value: int) -> int | None:
    """``value`` as an A32 modified immediate (rotation:imm8), None if it is not one."""
    for rotation in range(16):
        imm8 = (value << 2 * rotation | value >> (32 - 2 * rotation)) & 0xFFFFFFFF
        if imm8 < 0x100:
            return rotation << 8 | imm8
    return None


def a32_mov(rd: int, value: int) -> list[int]:
    """``mov Rd, #value`` when it encodes (as Linux's stubs), else ``movw`` (+ ``movt``)."""
    modified = _modified_immediate(value)
    if modified is not None:
        return [_AL | 0x03A00000 | rd << 12 | modified]
    out = [_AL | 0x03000000 | (value >> 12 & 0xF) << 16 | rd << 12 | value & 0xFFF]
    high = value >> 16
    if high:
        out.append(_AL | 0x03400000 | (high >> 12) << 16 | rd << 12 | high & 0xFFF)
    return out


def a32_multiple(load: bool, rn: int, registers: int, before: bool = False) -> int:
    """``ldm``/``stm Rn, {registers}`` (increment after), or ``ldmdb``/``stmdb``; no writeback."""
    base = 0x09000000 if before else 0x08800000
    return _AL | base | (0x00100000 if load else 0) | rn << 16 | registers


def a32_single(load: bool, rt: int, rn: int, offset: int) -> int:
    """``ldr``/``str Rt, [Rn, #offset]``."""
    if not 0 <= offset < 0x1000:
        raise ValueError(f"ldr/str offset {offset} out of range")
    return _AL | (0x05900000 if load else 0x05800000) | rn << 16 | rt << 12 | offset


def a32_blx(rm: int) -> int:
    return _AL | 0x012FFF30 | rm


def a32_bx(rm: int) -> int:
    return _AL | 0x012FFF10 | rm


def a32_b(at: int, target: int) -> int:
    return _AL | 0x0A000000 | ((target - at - 8) >> 2 & 0xFFFFFF)


def a32_hvc(imm: int) -> int:
    """``hvc #imm``: imm16 split as imm12:imm4 around the 0111 (0xE140EA71 for 0xEA1)."""
    return 0xE1400070 | (imm & 0xFFF0) << 4 | imm & 0xF


def a32_mrs(rd: int, spsr: bool) -> int:
    """``mrs Rd, cpsr`` or ``mrs Rd, spsr``."""
    return _AL | (0x014F0000 if spsr else 0x010F0000) | rd << 12


def a32_hvc_immediate(word: int) -> int | None:
    return (word >> 4 & 0xFFF0) | word & 0xF if word & 0xFFF000F0 == 0xE1400070 else None


# -- T32 ------------------------------------------------------------------------


def _halfwords(first: int, second: int) -> bytes:
    return struct.pack("<HH", first, second)


def t32_mov(rd: int, value: int) -> bytes:
    """``movw Rd, #value`` (+ ``movt``)."""

    def wide(opcode: int, imm: int) -> bytes:
        i, imm4, imm3 = imm >> 11 & 1, imm >> 12, imm >> 8 & 7
        return _halfwords(opcode | i << 10 | imm4, imm3 << 12 | rd << 8 | imm & 0xFF)

    code = wide(0xF240, value & IMM16)
    return code + wide(0xF2C0, value >> 16) if value >> 16 else code


def t32_hvc(imm: int) -> bytes:
    """``hvc.w #imm``: 1111 0111 1110 imm4 | 1000 imm12."""
    return _halfwords(0xF7E0 | (imm & IMM16) >> 12, 0x8000 | imm & 0xFFF)


T32_BX_LR = struct.pack("<H", 0x4770)


def t32_hvc_immediate(code: bytes) -> int | None:
    first, second = struct.unpack("<HH", code[:4])
    if first & 0xFFF0 == 0xF7E0 and second & 0xF000 == 0x8000:
        return (first & 0xF) << 12 | second & 0xFFF
    return None


# -- the docs' text ---------------------------------------------------------------


def hvc_immediate(text: str) -> int:
    """The immediate of an ``HVC`` as the docs write it: "HVC #0xEA1", "hvc 0xea1", "HVC #3745".

    EmulatorError for another instruction, or an immediate HVC cannot encode.
    """
    try:
        mnemonic, *operands = normalise_instruction(text).split()
    except ValueError:
        mnemonic, operands = "", []
    if mnemonic not in ("HVC", "HVC.W") or len(operands) != 1:
        raise EmulatorError(
            f"{text!r} is not HVC #imm: an Arm guest enters Xen with HVC and an immediate"
        )
    operand = operands[0]
    if not operand.startswith("0x"):
        raise EmulatorError(f"{text!r}: the immediate {operand!r} is not a number")
    imm = int(operand, 16)
    if imm > IMM16:
        raise EmulatorError(f"{text!r}: HVC takes a 16-bit immediate, not {imm:#x}")
    return imm
