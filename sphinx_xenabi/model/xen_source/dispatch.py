"""Parameter and result registers from the dispatch calls, cross-checked.

Each file is read in its own form (:mod:`.forms`): 4.17 and later
dispatch through the generated macros::

    call_handlers_pv64(eax, regs->rax, rdi, rsi, rdx, r10, r8);

(number, result, then the parameters); up to 4.16, and in July 2022 beside
an early ``hypercall-defs.c``, through the tables::

    regs->rax = pv_hypercall_table[eax].native(rdi, rsi, rdx, r10, r8, r9);

A parameter written as a local (``rdi``) is resolved through its assignment
(``unsigned long rdi = regs->rdi;``). Two cross-checks make a wrong reading
loud: the debug build's poisoning of the used parameter registers
(``case 5: regs->r8 = 0xdeadbeefdeadf00dUL;``) must name the same registers
in the same order, and from 4.17 ``gen_hypercall.awk``'s limit on prototype
parameters (wherever that script exists) must equal the count the dispatch
passes. The poisoning is read from ``asm/hypercall.h`` (``clobber_regs64``,
4.17 on) or the dispatch files, whichever holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sphinx_xenabi.model.abi import REGISTERS
from sphinx_xenabi.model.spec import Evidence, GuestType
from sphinx_xenabi.model.xen_source.forms import X86_DISPATCH_FILES, Form, dispatch_form
from sphinx_xenabi.model.xen_source.paths import GEN_HYPERCALL_AWK, PV_HYPERCALL_C
from sphinx_xenabi.model.xen_source.preprocessor import joined, line_at
from sphinx_xenabi.model.xen_source.tree import SourceError, XenTree

if TYPE_CHECKING:
    from sphinx_xenabi.model.xen_source.configuration import Configuration

_GENERATED_CALL = re.compile(r"\bcall_handlers_(pv64|pv32|hvm64|hvm32)\s*\(([^;]*)\)\s*;")
_TABLE_CALL = re.compile(
    r"(regs\s*->\s*\w+)\s*=\s*(pv|hvm)_hypercall_table\s*\[[^\]]*\]\s*\.\s*(native|compat)\s*"
    r"\(([^;]*)\)\s*;"
)
_POISON = re.compile(r"\bcase\s+(\d+)\s*:\s*regs\s*->\s*(\w+)\s*=\s*(0x[0-9a-fA-F]+)[uUlL]*\s*;")
_AWK_LIMIT = re.compile(r"n_args\[\w+\]\s*>\s*(\d+)")

# A 32-bit guest sees the low half of the 64-bit register the C code names.
_LOW_HALF = {f"r{name}": f"e{name}" for name in ("ax", "bx", "cx", "dx", "si", "di", "bp", "sp")}


@dataclass(frozen=True)
class Dispatch:
    """How Xen passes one guest type's hypercall: registers as the docs name them."""

    guest: GuestType
    parameters: tuple[str, ...]
    result: str
    evidence: Evidence


@dataclass(frozen=True)
class Poisoning:
    """What a debug build writes to the used parameter registers, by width."""

    width: int
    registers: tuple[str, ...]
    value: int
    evidence: Evidence


def _register(expression: str, function_text: str, width: int, where: str) -> str:
    expression = expression.strip()
    field_access = re.fullmatch(r"regs\s*->\s*(\w+)", expression)
    if field_access is not None:
        name = field_access.group(1)
    else:
        # A local: "unsigned long rdi = regs->rdi;" somewhere before the call.
        assignment = re.search(
            rf"\b{re.escape(expression)}\s*=\s*regs\s*->\s*(\w+)\s*;", function_text
        )
        name = assignment.group(1) if assignment is not None else expression
    if width == 32:
        name = _LOW_HALF.get(name, name)
    register = name.upper()
    if register not in REGISTERS[f"{width}bit"]:
        raise SourceError(
            f"{where}: cannot tell which {width}-bit register {expression!r} is "
            "(expected regs->NAME or a local assigned from one)"
        )
    return register


def _split(arguments: str) -> list[str]:
    return [part.strip() for part in arguments.split(",")]


def _dispatch_sites(form: Form, text: str) -> list[tuple[int, GuestType, str, list[str]]]:
    """(offset, guest type, result, parameters) of each dispatch call in ``text``."""
    if form is Form.HYPERCALL_DEFS:
        # call_handlers_X(number, result, parameters...)
        return [
            (m.start(), GuestType(m.group(1)), args[1], args[2:])
            for m in _GENERATED_CALL.finditer(text)
            if len(args := _split(m.group(2))) > 2
        ]
    return [
        (
            m.start(),
            GuestType(f"{m.group(2)}{64 if m.group(3) == 'native' else 32}"),
            m.group(1),
            _split(m.group(4)),
        )
        for m in _TABLE_CALL.finditer(text)
    ]


def read_dispatch(tree: XenTree, configuration: Configuration) -> dict[GuestType, Dispatch]:
    """The dispatch of every guest type the configuration builds."""
    found: dict[GuestType, Dispatch] = {}
    for relative in X86_DISPATCH_FILES:
        form = dispatch_form(tree, relative)
        text, numbers = joined(tree.preprocessed(relative, configuration.enabled).lines)
        for offset, guest, result, parameters in _dispatch_sites(form, text):
            if not result.replace(" ", "").startswith("regs->") or guest in found:
                continue  # multicall dispatch (call->result): not the register ABI
            line = line_at(offset, text, numbers)
            where = f"{tree.root / relative}:{line}"
            found[guest] = Dispatch(
                guest,
                tuple(_register(p, text, guest.width, where) for p in parameters),
                _register(result, text, guest.width, where),
                tree.source_line(relative, line),
            )
    if not found:
        raise SourceError(
            f"{tree.root / PV_HYPERCALL_C}: no hypercall dispatch found (expected "
            "call_handlers_pv64(...) or regs->rax = pv_hypercall_table[...].native(...))"
        )
    return found


def read_poisoning(tree: XenTree, configuration: Configuration) -> dict[int, Poisoning]:
    """The debug-build poisoning of used parameter registers, by width."""
    # clobber_regs64() and clobber_regs32() in the header from 4.17; the
    # dispatch's own switch before; a file without poisoning adds nothing.
    files = [tree.asm_header("hypercall.h"), *X86_DISPATCH_FILES]
    found: dict[int, Poisoning] = {}
    for relative in files:
        text, numbers = joined(tree.preprocessed(relative, configuration.enabled).lines)
        by_width: dict[int, list[tuple[int, str, int, int]]] = {}
        for match in _POISON.finditer(text):
            register = match.group(2)
            width = 32 if register.startswith("e") else 64
            by_width.setdefault(width, []).append(
                (int(match.group(1)), register.upper(), int(match.group(3), 16), match.start())
            )
        for width, cases in by_width.items():
            if width in found:
                continue
            # One switch per width: "case 6: r9 ... case 1: rdi", so order by case.
            ordered = sorted(
                dict((case, (reg, value, at)) for case, reg, value, at in cases).items()
            )
            first_at = min(at for _, _, _, at in cases)
            found[width] = Poisoning(
                width,
                tuple(register for _, (register, _, _) in ordered),
                ordered[0][1][1],
                tree.source_line(relative, line_at(first_at, text, numbers)),
            )
    return found


def read_generator_limit(tree: XenTree) -> tuple[int, Evidence] | None:
    """``gen_hypercall.awk``'s most parameters a prototype may have (where it exists)."""
    if not tree.exists(GEN_HYPERCALL_AWK):
        return None
    text = tree.text(GEN_HYPERCALL_AWK)
    match = _AWK_LIMIT.search(text)
    if match is None:
        return None
    line = text.count("\n", 0, match.start()) + 1
    return int(match.group(1)), tree.source_line(GEN_HYPERCALL_AWK, line)
