"""Disassemble hypercall stubs with capstone, for listings and evidence."""

from __future__ import annotations

from functools import cache

import capstone

from sphinx_xenabi.model.abi import TransferGuest


@cache
def _engine(bits: int) -> capstone.Cs:
    mode = capstone.CS_MODE_64 if bits == 64 else capstone.CS_MODE_32
    return capstone.Cs(capstone.CS_ARCH_X86, mode)


def code_bits(guest: TransferGuest) -> int:
    """The code size the stubs are listed in (HVM stubs read the same in both)."""
    return 32 if guest is TransferGuest.PV32 else 64


@cache
def disassemble(guest: TransferGuest, code: bytes) -> tuple[str, ...]:
    """Instructions of ``code`` as text, e.g. ("mov eax, 0x11", "syscall", "ret")."""
    engine = _engine(code_bits(guest))
    decoded = [f"{insn.mnemonic} {insn.op_str}".strip() for insn in engine.disasm(code, 0)]
    consumed = sum(insn.size for insn in engine.disasm(code, 0))
    if consumed != len(code):
        raise ValueError(
            f"capstone could not decode {code[consumed:].hex(' ')} of a {guest.value} stub"
        )
    return tuple(decoded)
