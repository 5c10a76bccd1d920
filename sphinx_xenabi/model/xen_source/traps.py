"""How a guest's hypercall reaches Xen on Arm: the trap handler in ``traps.c``.

``do_trap_guest_sync()`` switches on the exception class. The case of an
HVC from AArch64 (``HSR_EC_HVC64``) passes the number register itself::

    do_trap_hypercall(regs, &regs->x16, hsr);

the AArch32 one (``HSR_EC_HVC32``) a local loaded from it (``nr = regs->r12;``).
``do_trap_hypercall()`` takes only the HVC whose immediate is the tag
(``if ( hsr.iss != XEN_HYPERCALL_TAG )``), calls the handler with the
``HYPERCALL_ARG1..5`` and ``HYPERCALL_RESULT_REG`` macros::

    call_handlers_arm(*nr, HYPERCALL_RESULT_REG(regs), HYPERCALL_ARG1(regs), ...);  4.17 on
    HYPERCALL_RESULT_REG(regs) = call(HYPERCALL_ARGS(regs));                        to 4.16

and, in a debug build, poisons the argument registers the call used and the
number (``case 5: HYPERCALL_ARG5(regs) = 0xDEADBEEF;`` ... ``*nr = 0xDEADBEEF;``),
from 4.17 not after -ENOSYS.

The file is read through the preprocessor in the Arm build's configuration,
an arm64 Xen, whose macros name ``(r)->x0`` .. ``x4``. Those are the AArch64
guest's registers; an AArch32 guest's are their low halves, named as the
public header names them (:func:`.public_header.aarch32_names`: r0 .. r4).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.model.abi import REGISTERS
from sphinx_xenabi.model.spec import Architecture, Convention, Evidence, GuestType
from sphinx_xenabi.model.xen_source.dispatch import Dispatch
from sphinx_xenabi.model.xen_source.paths import ARCH_ARM_H, ARM_TRAPS_C
from sphinx_xenabi.model.xen_source.preprocessor import Macro, joined, line_at
from sphinx_xenabi.model.xen_source.public_header import (
    Documented,
    aarch32_names,
    hypercall_tag,
)
from sphinx_xenabi.model.xen_source.tree import SourceError, XenTree

if TYPE_CHECKING:
    from sphinx_xenabi.model.xen_source.configuration import Configuration

_TRAP_CALL = re.compile(r"\bdo_trap_hypercall\s*\(\s*regs\s*,\s*&\s*([^,()]+?)\s*,[^;]*\)\s*;")
_CASE_LABEL = re.compile(r"\bcase\s+(HSR_EC_\w+)\s*:")
_EXCEPTION_CLASS = re.compile(r"^HSR_EC_([A-Z]+?)(32|64)$")
_FIELD = re.compile(r"\(?\s*regs\s*\)?\s*->\s*(\w+)")
_GENERATED_CALL = re.compile(r"\bcall_handlers_arm\s*\(([^;]*)\)\s*;")
_TABLE_CALL = re.compile(r"(\(?\s*regs\s*\)?\s*->\s*\w+)\s*=\s*call\s*\(([^;]*)\)\s*;")
_TAG_CHECK = re.compile(r"\bhsr\s*\.\s*iss\s*!=\s*(\w+)")
_POISON_CASE = re.compile(
    r"\bcase\s+(\d+)\s*:\s*\(?\s*regs\s*\)?\s*->\s*(\w+)\s*=\s*(0x[0-9a-fA-F]+)[uUlL]*\s*;"
)
_NUMBER_POISON = re.compile(r"\*\s*nr\s*=\s*(0x[0-9a-fA-F]+)[uUlL]*\s*;")
_GUARD = re.compile(r"\bif\s*\(")
_ENOSYS_SPARED = re.compile(r"!=\s*-\s*ENOSYS\b")
# The exception class's width is the guest's execution state.
_GUESTS = {"64": GuestType.ARM64, "32": GuestType.ARM32}


@dataclass(frozen=True)
class TrapPoisoning:
    """What a debug build writes after a hypercall, into which registers, when."""

    registers: tuple[str, ...]  # the argument registers, in argument order
    number_register: bool  # "*nr = 0xDEADBEEF;"
    value: int
    after_enosys: bool  # False where the guard spares a call that returned -ENOSYS
    evidence: Evidence  # the first poisoning store (case 5's)
    guard: Evidence  # the "if" that decides whether to poison


@dataclass(frozen=True)
class Trap:
    """One Arm guest type's hypercall as the trap handler takes it."""

    guest: GuestType
    exception_class: str  # "HSR_EC_HVC64"
    instruction: str  # "HVC 0xea1"
    instruction_evidence: Evidence  # the tag's #define; the note cites the case and the check
    index: str
    index_evidence: Evidence
    dispatch: Dispatch
    parameters_evidence: Evidence
    result_evidence: Evidence
    poisoning: TrapPoisoning | None  # None: the tree poisons nothing

    @property
    def convention(self) -> Convention:
        return Convention(
            self.guest.abi, self.index, self.dispatch.parameters, self.dispatch.result
        )

    def to_data(self) -> dict[str, Any]:
        """The JSON form (``traps`` of the reader's JSON)."""
        poisoning = self.poisoning
        return {
            "exception_class": self.exception_class,
            "instruction": self.instruction,
            "evidence": self.instruction_evidence.to_data(),
            "index": self.index,
            "index_evidence": self.index_evidence.to_data(),
            "poison": None
            if poisoning is None
            else {
                "value": f"0x{poisoning.value:x}",
                "registers": list(poisoning.registers),
                "number_register": poisoning.number_register,
                "after_enosys": poisoning.after_enosys,
                "evidence": poisoning.evidence.to_data(),
                "guard": poisoning.guard.to_data(),
            },
        }


class _Text:
    """traps.c after the preprocessor, as one text, with lines to cite."""

    def __init__(self, tree: XenTree, configuration: Configuration) -> None:
        preprocessed = tree.preprocessed(ARM_TRAPS_C, configuration.enabled, Architecture.ARM)
        self.tree = tree
        self.text, self._numbers = joined(preprocessed.lines)
        self.functions: Mapping[str, Macro] = preprocessed.functions
        self.macros: Mapping[str, Macro] = preprocessed.macros

    def line(self, offset: int) -> int:
        return line_at(offset, self.text, self._numbers)

    def cite(self, offset: int, note: str = "") -> Evidence:
        return self.tree.source_line(ARM_TRAPS_C, self.line(offset), note)

    def where(self, offset: int | None = None) -> str:
        path = self.tree.root / ARM_TRAPS_C
        return str(path) if offset is None else f"{path}:{self.line(offset)}"

    def body(self, function: str) -> tuple[int, int]:
        """Where the definition of ``function`` has its body: (after "{", at "}")."""
        found = re.search(rf"\b{function}\s*\([^;{{}}]*\)\s*\{{", self.text)
        if found is None:
            raise SourceError(
                f"{self.where()}: no definition of {function}() (expected Arm's hypercall trap)"
            )
        depth, position = 1, found.end()
        while depth and position < len(self.text):
            depth += {"{": 1, "}": -1}.get(self.text[position], 0)
            position += 1
        return found.end(), position - 1


def _register_namer(
    guest: GuestType, union: Mapping[str, tuple[str, int]]
) -> Callable[[str, str], tuple[str, str]]:
    """name -> (the register as the guest's ABI names it, a note when mapped)."""

    def name(field_name: str, where: str) -> tuple[str, str]:
        register, note = field_name.upper(), ""
        if guest is GuestType.ARM32 and field_name in union:
            # An arm64 Xen names the 64-bit register; the guest sees its low half.
            register, line = union[field_name]
            note = f"{field_name} is an AArch32 guest's {register.lower()} ({ARCH_ARM_H}:{line})"
        if register not in REGISTERS[guest.abi]:
            raise SourceError(
                f"{where}: cannot tell which {guest.label} register {field_name!r} is "
                f"(expected regs->NAME of a general register)"
            )
        return register, note

    return name


def _exception_cases(
    source: _Text, configuration: Configuration
) -> dict[GuestType, tuple[str, str, int, int]]:
    """guest -> (exception class, what is passed as the number, call offset, case offset).

    Both execution states trap in an arm64 build (HVC64 only there); an
    expected one missing is a trap handler the reader does not know.
    """
    found: dict[GuestType, tuple[str, str, int, int]] = {}
    for call in _TRAP_CALL.finditer(source.text):
        labels = list(_CASE_LABEL.finditer(source.text, 0, call.start()))
        if not labels:
            continue
        label = labels[-1]
        kind = _EXCEPTION_CLASS.match(label.group(1))
        if kind is None:
            raise SourceError(
                f"{source.where(label.start())}: a hypercall trapped as {label.group(1)}, "
                "which names no instruction and width (expected HSR_EC_HVC64 or HSR_EC_HVC32)"
            )
        guest = _GUESTS[kind.group(2)]
        found.setdefault(guest, (label.group(1), call.group(1), call.start(), label.start()))
    expected = {GuestType.ARM32: "HSR_EC_HVC32", GuestType.ARM64: "HSR_EC_HVC64"}
    if "CONFIG_ARM_64" not in configuration:
        del expected[GuestType.ARM64]  # an arm32 Xen runs no AArch64 guest
    for guest, exception in expected.items():
        if guest not in found:
            raise SourceError(
                f"{source.where()}: no hypercall trap for {guest.label} guests (expected "
                f"'case {exception}:' ... 'do_trap_hypercall(regs, &<number register>, hsr);')"
            )
    return found


def _index(
    source: _Text, passed: str, call: int, case: int, name: Callable[[str, str], tuple[str, str]]
) -> tuple[str, Evidence]:
    """The number register: ``&regs->x16``, or a local loaded from one (``nr = regs->r12;``)."""
    direct = _FIELD.fullmatch(passed)
    if direct is not None:
        register, note = name(direct.group(1), source.where(call))
        return register, source.cite(call, note)
    assignment = rf"\b{re.escape(passed)}\s*=\s*\(?\s*regs\s*\)?\s*->\s*(\w+)\s*;"
    # The last assignment before the call, within the call's case.
    loaded = next(reversed(list(re.finditer(assignment, source.text[:call]))), None)
    if loaded is None or loaded.start() < case:
        raise SourceError(
            f"{source.where(call)}: cannot tell which register holds the hypercall number "
            f"(passed as &{passed}; expected &regs->NAME or a local loaded from regs->NAME)"
        )
    register, note = name(loaded.group(1), source.where(loaded.start()))
    passed_at = f"passed to do_trap_hypercall as &{passed} at line {source.line(call)}"
    return register, source.cite(loaded.start(), "; ".join(filter(None, (note, passed_at))))


def _dispatch_call(source: _Text, start: int, end: int) -> tuple[int, str, list[str]]:
    """(offset, result, arguments) of the handler call in do_trap_hypercall."""
    for match in _GENERATED_CALL.finditer(source.text, start, end):
        arguments = [part.strip() for part in match.group(1).split(",")]
        if len(arguments) > 2 and _FIELD.fullmatch(arguments[1]):
            return match.start(), arguments[1], arguments[2:]
    table = _TABLE_CALL.search(source.text, start, end)
    if table is not None:
        return table.start(), table.group(1), [p.strip() for p in table.group(2).split(",")]
    raise SourceError(
        f"{source.where(start)}: do_trap_hypercall calls no handler the reader knows (expected "
        "call_handlers_arm(*nr, HYPERCALL_RESULT_REG(regs), HYPERCALL_ARG1(regs), ...) or "
        "HYPERCALL_RESULT_REG(regs) = call(HYPERCALL_ARGS(regs)))"
    )


def _macro_evidence(source: _Text, offset: int, pattern: str, note: str) -> Evidence:
    """The #define of the first macro matching ``pattern`` that the statement at
    ``offset`` uses as written (where the register is named), else the statement."""
    lines = source.tree.text(ARM_TRAPS_C).split("\n")
    first = source.line(offset)
    statement = " ".join(lines[first - 1 : first + 4]).split(";")[0]
    for used in re.finditer(rf"\b({pattern})\s*\(", statement):
        macro = source.functions.get(used.group(1))
        if macro is not None:
            return source.tree.source_line(ARM_TRAPS_C, macro.line, note)
    return source.cite(offset, note)


def _tag(source: _Text, configuration: Configuration, start: int, end: int) -> tuple[int, Evidence]:
    """The HVC immediate do_trap_hypercall accepts, cited at its #define."""
    check = _TAG_CHECK.search(source.text, start, end)
    if check is None:
        raise SourceError(
            f"{source.where(start)}: do_trap_hypercall does not check the HVC immediate "
            "(expected 'if ( hsr.iss != XEN_HYPERCALL_TAG )')"
        )
    name = check.group(1)
    checked_at = f"do_trap_hypercall requires it at {ARM_TRAPS_C}:{source.line(check.start())}"
    if re.fullmatch(r"0[xX][0-9a-fA-F]+|\d+", name):
        return int(name, 0), source.cite(check.start())
    own = source.macros.get(name)
    if own is not None and re.fullmatch(r"0[xX][0-9a-fA-F]+|\d+", own.value):
        return int(own.value, 0), source.tree.source_line(ARM_TRAPS_C, own.line, checked_at)
    value, evidence = hypercall_tag(source.tree, configuration, name)
    return value, source.tree.source_line(evidence.file, evidence.line, checked_at)


def _poisoning(
    source: _Text, start: int, end: int, name: Callable[[str, str], tuple[str, str]]
) -> TrapPoisoning | None:
    """The debug build's poisoning in do_trap_hypercall, if the tree has one."""
    cases = list(_POISON_CASE.finditer(source.text, start, end))
    if not cases:
        return None
    first = cases[0]
    switch = source.text.rfind("switch", start, first.start())
    guards = list(_GUARD.finditer(source.text, start, max(switch, start)))
    guard_at = guards[-1].start() if guards else first.start()
    guard_text = source.text[guard_at : max(switch, guard_at)]
    ordered = sorted((int(case.group(1)), case) for case in cases)
    registers = tuple(name(case.group(2), source.where(case.start()))[0] for _, case in ordered)
    number = _NUMBER_POISON.search(source.text, first.end(), end)
    return TrapPoisoning(
        registers,
        number is not None,
        int(first.group(3), 16),
        _ENOSYS_SPARED.search(guard_text) is None,
        source.cite(first.start(2)),  # where the value is written
        source.cite(guard_at),
    )


def read_traps(tree: XenTree, configuration: Configuration) -> dict[GuestType, Trap]:
    """Each Arm guest type's trap, in the Arm build ``configuration``.

    A guest type the build does not trap for (no HSR_EC_HVC64 case in an
    arm32 Xen) has none.
    """
    source = _Text(tree, configuration)
    start, end = source.body("do_trap_hypercall")
    tag, tag_evidence = _tag(source, configuration, start, end)
    at, result, arguments = _dispatch_call(source, start, end)
    fields = [_FIELD.fullmatch(expression) for expression in (result, *arguments)]
    if not all(fields):
        raise SourceError(
            f"{source.where(at)}: cannot tell which registers the handler gets from "
            f"{', '.join(arguments)} (expected HYPERCALL_ARGn(regs), naming (regs)->xN)"
        )
    union = aarch32_names(tree)
    traps: dict[GuestType, Trap] = {}
    for guest, (exception, passed, call, case) in _exception_cases(source, configuration).items():
        name = _register_namer(guest, union)
        (result_register, result_note), *named = [
            name(field.group(1), source.where(at)) for field in fields if field is not None
        ]
        index, index_evidence = _index(source, passed, call, case, name)
        mnemonic = _EXCEPTION_CLASS.match(exception).group(1)  # type: ignore[union-attr]
        trapped = f"trapped as {exception} at {ARM_TRAPS_C}:{source.line(case)}"
        traps[guest] = Trap(
            guest,
            exception,
            f"{mnemonic} 0x{tag:x}",
            Evidence(
                tag_evidence.file,
                tag_evidence.line,
                tag_evidence.text,
                "; ".join(filter(None, (trapped, tag_evidence.note))),
            ),
            index,
            index_evidence,
            Dispatch(guest, tuple(r for r, _ in named), result_register, source.cite(at)),
            _macro_evidence(source, at, r"HYPERCALL_ARGS?\d*", named[0][1] if named else ""),
            _macro_evidence(source, at, r"HYPERCALL_RESULT_REG", result_note),
            _poisoning(source, start, end, name),
        )
    return traps


def contradictions(traps: Mapping[GuestType, Trap], documented: Documented) -> list[str]:
    """Where traps.c contradicts itself or the public header's comment: each names both lines."""
    problems: list[str] = []
    for guest, trap in sorted(traps.items()):
        convention, abi = trap.convention, guest.abi
        poison = trap.poisoning
        used = tuple(r for r in convention.parameters if r != convention.result)
        if poison is not None and poison.registers != used:
            problems.append(
                f"{poison.evidence}: the debug build poisons {' '.join(poison.registers)} "
                f"({abi}), but {trap.parameters_evidence} passes "
                f"{' '.join(convention.parameters)} with the result in {convention.result}"
            )
        stated: list[tuple[str, object, Evidence, object, Evidence]] = []
        if documented.instruction is not None:
            mnemonic = trap.instruction.split()[0]
            stated.append(
                ("instruction", *documented.instruction, mnemonic, trap.instruction_evidence)
            )
        if documented.count is not None:
            count = len(convention.parameters)
            stated.append(("argument count", *documented.count, count, trap.parameters_evidence))
        for what, facts, value, evidence in (
            ("parameters", documented.parameters, convention.parameters, trap.parameters_evidence),
            ("number register", documented.index, convention.index, trap.index_evidence),
            ("result register", documented.result, convention.result, trap.result_evidence),
        ):
            if abi in facts:
                stated.append((what, *facts[abi], value, evidence))
        for what, says, said_at, does, done_at in stated:
            if says != does:
                problems.append(
                    f"{said_at}: the public header gives the {abi} {what} as {_shown(says)}, "
                    f"but {done_at} uses {_shown(does)}"
                )
    return problems


def _shown(value: object) -> str:
    return " ".join(value) if isinstance(value, tuple) else str(value)
