"""The concrete values a requirement's text states, and whether an example asserts them.

A requirement such as ``XenSwdgn~arm64_hyp_num~1`` says "Xen shall read
x16 to obtain the hypercall number": ``x16`` is a *claim*, a value an
example must mention for the requirement to count as verified. The claims a
text makes (:func:`claims`), in the order written:

* a register: ``x0`` to ``x30`` (AArch64), ``r0`` to ``r15`` (AArch32), in
  any case;
* a register range: ``x0 - x4`` (also ``x0-x4``, ``x0 to x4``, ``x0..x4``),
  which stands for each register in it;
* an immediate or hex value: ``0xEA1``, ``0x16``, ``#3745``;
* a hypercall number, ``hypercall (num 17)``, and a command number,
  ``command (num 0)``;
* a size: ``char[1024]``.

A claim is *asserted* (:func:`asserted`) when an example that passed
mentions it, token by token and case-insensitively: a register by its name
(``X16`` and ``"x16"`` both mention x16, ``x16_value`` does not), a range by
each of its registers (in any of the examples), a number by its value in
decimal or hex (``0xEA1``, ``0xea1`` and ``3745`` are one value). An
example mentions what its source and its expected output say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class ClaimKind(StrEnum):
    REGISTER = "register"
    REGISTERS = "register range"
    IMMEDIATE = "immediate"
    HYPERCALL = "hypercall number"
    COMMAND = "command number"
    SIZE = "size"


# The general purpose registers an Arm requirement names: x0-x30 and r0-r15.
_REGISTER_LIMITS = {"x": 30, "r": 15}


@dataclass(frozen=True)
class Claim:
    """One value a text states: its kind, its normalised value, where and as written.

    ``value`` is a register's lower-case name (``"x16"``), a range's
    (``"x0-x4"``), or a number (``0xEA1`` is 3745, ``char[1024]`` is 1024).
    """

    kind: ClaimKind
    value: str | int
    offset: int  # in the text, of the claim's first character
    text: str  # as written: "0xEA1", "x0 - x4", "hypercall (num 17)"

    @property
    def registers(self) -> tuple[str, ...]:
        """The registers an example must mention: one, or each of a range's."""
        if self.kind is ClaimKind.REGISTER:
            return (str(self.value),)
        if self.kind is ClaimKind.REGISTERS:
            first, last = str(self.value).split("-")
            return tuple(f"{first[0]}{n}" for n in range(int(first[1:]), int(last[1:]) + 1))
        return ()


_RANGE = re.compile(r"\b([xr])(\d{1,2})\s*(?:-|–|—|\.\.|to)\s*([xr])(\d{1,2})\b", re.IGNORECASE)
_NUMBER = r"(0x[0-9a-f]+|\d+)"
_HYPERCALL = re.compile(rf"\bhypercall\s*\(\s*num(?:ber)?\.?\s*{_NUMBER}\s*\)", re.IGNORECASE)
_COMMAND = re.compile(rf"\bcommand\s*\(\s*num(?:ber)?\.?\s*{_NUMBER}\s*\)", re.IGNORECASE)
_SIZE = re.compile(rf"\b[a-z_]\w*\s*\[\s*{_NUMBER}\s*\]", re.IGNORECASE)
_HEX = re.compile(r"\b0x[0-9a-f]+\b", re.IGNORECASE)
_HASH = re.compile(r"#(\d+)\b")
_REGISTER = re.compile(r"\b([xr])(\d{1,2})\b", re.IGNORECASE)


def _register(letter: str, digits: str) -> str | None:
    """``x16`` for ("X", "16"); None past the architecture's last register (x31, r16)."""
    letter = letter.lower()
    if (digits != "0" and digits.startswith("0")) or int(digits) > _REGISTER_LIMITS[letter]:
        return None
    return f"{letter}{int(digits)}"


def _number(text: str) -> int:
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def _candidates(text: str) -> Iterable[tuple[re.Match[str], ClaimKind, str | int | None]]:
    """Every match, the more specific patterns first (a range before its registers)."""
    for match in _RANGE.finditer(text):
        first, last = _register(*match.group(1, 2)), _register(*match.group(3, 4))
        ok = first and last and first[0] == last[0] and int(first[1:]) < int(last[1:])
        yield match, ClaimKind.REGISTERS, f"{first}-{last}" if ok else None
    for pattern, kind in ((_HYPERCALL, ClaimKind.HYPERCALL), (_COMMAND, ClaimKind.COMMAND)):
        for match in pattern.finditer(text):
            yield match, kind, _number(match.group(1))
    for match in _SIZE.finditer(text):
        yield match, ClaimKind.SIZE, _number(match.group(1))
    for match in _HEX.finditer(text):
        yield match, ClaimKind.IMMEDIATE, _number(match.group(0))
    for match in _HASH.finditer(text):
        yield match, ClaimKind.IMMEDIATE, int(match.group(1))
    for match in _REGISTER.finditer(text):
        yield match, ClaimKind.REGISTER, _register(*match.group(1, 2))


def claims(text: str) -> tuple[Claim, ...]:
    """The concrete values ``text`` states, in the order written (see the module's rules)."""
    taken: list[tuple[int, int]] = []
    found: list[Claim] = []
    for match, kind, value in _candidates(text):
        start, end = match.span()
        if value is None or any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        found.append(Claim(kind, value, start, match.group(0)))
    return tuple(sorted(found, key=lambda c: c.offset))


_TOKEN = re.compile(r"\b0x[0-9a-f]+\b|\b\d+\b|[a-z_][a-z0-9_]*", re.IGNORECASE)


@dataclass(frozen=True)
class Mentions:
    """What a set of examples mention: identifiers (lower case) and numbers, by value."""

    names: frozenset[str]
    numbers: frozenset[int]

    @classmethod
    def of(cls, texts: Iterable[str]) -> Mentions:
        names: set[str] = set()
        numbers: set[int] = set()
        for text in texts:
            for token in _TOKEN.findall(text):
                if token[0].isdigit():
                    numbers.add(_number(token))
                else:
                    names.add(token.lower())
        return cls(frozenset(names), frozenset(numbers))

    def missing(self, claim: Claim) -> tuple[str, ...]:
        """What of ``claim`` no example mentions: registers by name, or the value."""
        if claim.kind in (ClaimKind.REGISTER, ClaimKind.REGISTERS):
            return tuple(r for r in claim.registers if r not in self.names)
        assert isinstance(claim.value, int)
        return () if claim.value in self.numbers else (claim.text,)


def asserted(claim: Claim, example_sources: Iterable[str]) -> bool:
    """Whether the examples mention ``claim``: each passing example's source and expected output."""
    return not Mentions.of(example_sources).missing(claim)
