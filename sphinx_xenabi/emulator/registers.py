"""The general-purpose registers, and the data block the guest programs use.

The call and jump programs load every general-purpose register but the
stack pointer from one block of words (then the call target), and the call
program stores the whole register file to another after the stub's ``ret``.
Per-call values travel through one write of the first block and come back
through one read of the second.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..model.abi import REGISTERS

if TYPE_CHECKING:
    from ..model.spec import Convention

# x86 register numbers (ModRM/REX encoding), by width.
REGISTER_CODES: dict[int, dict[str, int]] = {
    64: {
        name: code
        for code, name in enumerate(
            "RAX RCX RDX RBX RSP RBP RSI RDI R8 R9 R10 R11 R12 R13 R14 R15".split()
        )
    },
    32: {name: code for code, name in enumerate("EAX ECX EDX EBX ESP EBP ESI EDI".split())},
}
STACK_POINTER = {64: "RSP", 32: "ESP"}
INSTRUCTION_POINTER = {64: "RIP", 32: "EIP"}
FLAGS = {64: "RFLAGS", 32: "EFLAGS"}
CPUID_REGISTERS = {64: ("RAX", "RBX", "RCX", "RDX"), 32: ("EAX", "EBX", "ECX", "EDX")}

assert all(set(REGISTER_CODES[w]) == REGISTERS[f"{w}bit"] for w in (64, 32))


def _filler(width: int, code: int) -> int:
    """The value a register not given by the caller starts with (recognisable)."""
    return (0x5A5A5A5A5A5A5A00 if width == 64 else 0x5A5A5A00) | code


def default_arguments(width: int, count: int) -> tuple[int, ...]:
    """Distinct full-width values for parameters 1..count: 0x1111..., 0x2222..."""
    if not 0 <= count <= 15:
        raise ValueError(f"cannot make {count} distinct argument patterns")
    unit = 0x1111111111111111 if width == 64 else 0x11111111
    return tuple(unit * (n + 1) for n in range(count))


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


class DataBlock:
    """One guest's layout of the load block (``CALL_IN``) and the store block (``CALL_OUT``).

    ``codes`` are the registers the program stores, in order, with their
    encodings (default: x86's); it loads all of them but ``unloaded`` (default:
    the stack pointer), then the call target.
    """

    def __init__(
        self,
        width: int,
        convention: Convention,
        label: str,
        codes: Mapping[str, int] | None = None,
        unloaded: str | None = None,
    ) -> None:
        sp = STACK_POINTER[width] if unloaded is None else unloaded
        codes = REGISTER_CODES[width] if codes is None else codes
        self.width = width
        self.abi = convention.abi
        self.label = label
        self.gprs = tuple(codes)  # register-number order: what the call program stores
        self.loaded = tuple(r for r in self.gprs if r != sp)  # what the programs load
        self.parameters = convention.parameters
        self._gpr_index = MappingProxyType({r: i for i, r in enumerate(self.gprs)})
        self._slot = {r: i for i, r in enumerate(self.loaded)}
        self.parameter_slots = tuple(self._slot[r] for r in self.parameters)
        word = "Q" if width == 64 else "I"
        self._in = struct.Struct("<" + word * (len(self.loaded) + 1))  # + the call target
        self.out = struct.Struct("<" + word * len(self.gprs))
        self._filler = [_filler(width, codes[r]) for r in self.loaded] + [0]

    def values(
        self, target: int, arguments: Sequence[int], registers: Mapping[str, int] | None
    ) -> list[int]:
        """The load block's words: fillers, ``registers``, ``arguments``, then ``target``."""
        params = self.parameters
        if len(arguments) > len(params):
            raise ValueError(
                f"{len(arguments)} arguments but the {self.abi} convention has "
                f"{len(params)} parameters ({' '.join(params)})"
            )
        values = self._filler.copy()
        for name, value in (registers or {}).items():
            slot = self._slot.get(name.upper())
            if slot is None:
                raise ValueError(
                    f"{name!r} is not a register the {self.label} guest program loads "
                    f"(one of {' '.join(self.loaded)})"
                )
            if name.upper() in params[: len(arguments)]:
                raise ValueError(f"{name} is both an argument and a preset register")
            values[slot] = value
        slots = self.parameter_slots
        for i, value in enumerate(arguments):
            values[slots[i]] = value
        values[-1] = target
        return values

    def pack(self, values: list[int]) -> bytes:
        try:
            return self._in.pack(*values)
        except struct.error:
            bad = [v for v in values if not isinstance(v, int) or not 0 <= v < 1 << self.width]
            raise ValueError(
                f"register values must be unsigned {self.width}-bit integers: {bad!r}"
            ) from None

    def loaded_arguments(self, values: list[int]) -> tuple[int, ...]:
        """What ``values`` puts in the convention's parameter registers, in order."""
        return tuple([values[s] for s in self.parameter_slots])

    def register_file(self, stored: bytes) -> RegisterFile:
        """The store block, as written by the call program after ``ret``."""
        return RegisterFile(self._gpr_index, self.out.unpack_from(stored))
