"""Disassemble hypercall stubs with capstone, for listings and evidence."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import capstone

from sphinx_xenabi.model.abi import TransferGuest


@cache
def engine(bits: int) -> capstone.Cs:
    """The one capstone decoder per code size (the emulator and the source reader share it)."""
    mode = capstone.CS_MODE_64 if bits == 64 else capstone.CS_MODE_32
    return capstone.Cs(capstone.CS_ARCH_X86, mode)


def code_bits(guest: TransferGuest) -> int:
    """The code size the stubs are listed in (HVM stubs read the same in both)."""
    return 32 if guest is TransferGuest.PV32 else 64


@dataclass(frozen=True)
class Instruction:
    """One decoded instruction: its offset in the code, its bytes, its text."""

    offset: int
    encoding: bytes
    text: str  # e.g. "mov eax, 0x11"


@cache
def instructions(guest: TransferGuest, code: bytes) -> tuple[Instruction, ...]:
    """The instructions of ``code``; ValueError when capstone cannot decode all of it."""
    decoder = engine(code_bits(guest))
    decoded = tuple(
        Instruction(insn.address, bytes(insn.bytes), f"{insn.mnemonic} {insn.op_str}".strip())
        for insn in decoder.disasm(code, 0)
    )
    consumed = sum(len(insn.encoding) for insn in decoded)
    if consumed != len(code):
        raise ValueError(
            f"capstone could not decode {code[consumed:].hex(' ')} of a {guest.value} stub"
        )
    return decoded


def disassemble(guest: TransferGuest, code: bytes) -> tuple[str, ...]:
    """Instructions of ``code`` as text, e.g. ("mov eax, 0x11", "syscall", "ret")."""
    return tuple(insn.text for insn in instructions(guest, code))
