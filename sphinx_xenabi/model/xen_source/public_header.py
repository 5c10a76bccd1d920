"""What Xen's public Arm header, ``xen/include/public/arch-arm.h``, states.

Three things, each with the line that states it:

* the value of the hypercall tag, ``#define XEN_HYPERCALL_TAG 0XEA1``: the
  immediate of the ``HVC`` that the trap handler accepts as a hypercall;
* the AArch32 name of each AArch64 register, from ``struct
  vcpu_guest_core_regs`` (``__DECL_REG(x0, r0_usr);``): on an arm64 Xen an
  AArch32 guest's r0 is the low half of x0, so the registers the trap
  handler names ``x0`` .. ``x4`` are that guest's r0 .. r4;
* the "Hypercall Calling Convention" comment, in prose ("the first argument
  in x0/r0", "The hypercall number is passed in r12 (arm) or x16 (arm64)").

The code in ``traps.c`` is the reference; the comment is a second claim the
reader cross-checks it against (:func:`documented_convention`). A comment
worded otherwise than Xen has worded it since 4.13 is simply not
cross-checked: it is prose, and the code still says what Xen does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sphinx_xenabi.model.spec import Architecture, Evidence
from sphinx_xenabi.model.xen_source.paths import ARCH_ARM_H
from sphinx_xenabi.model.xen_source.tree import SourceError, XenTree

if TYPE_CHECKING:
    from sphinx_xenabi.model.xen_source.configuration import Configuration

_UNION = re.compile(r"__DECL_REG\(\s*(x\d+)\s*,\s*(\w+?)\s*\)")
# The usr bank's names of an AArch32 guest's general registers (sp and lr are r13 and r14).
_AARCH32 = re.compile(r"^(?:r(\d+)|(sp)|(lr))_usr$")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "forth": 4, "fifth": 5, "sixth": 6}

_INSTRUCTION = re.compile(r"hypercall is issued using the ARM (\w+) instruction", re.I)
_COUNT = re.compile(r"can take up to (\d+) arguments", re.I)
_ARGUMENT = re.compile(
    r"\b(first|second|third|fou?rth|forth|fifth|sixth)\b[^,.;]*?\bin (x\d+)/(r\d+)"
)
_NUMBER = re.compile(r"number is passed in (\w+) \((arm|arm64)\) or (\w+) \((arm|arm64)\)", re.I)
_RESULT = re.compile(r"return value is in (x\d+)/(r\d+)", re.I)


def hypercall_tag(tree: XenTree, configuration: Configuration, name: str) -> tuple[int, Evidence]:
    """The value of the tag macro ``name`` (``XEN_HYPERCALL_TAG``), and its #define."""
    macros = tree.preprocessed(ARCH_ARM_H, configuration.enabled, Architecture.ARM).macros
    macro = macros.get(name)
    try:
        value = int(macro.value.rstrip("uUlL"), 0) if macro is not None else None
    except ValueError:
        value = None
    if macro is None or value is None:
        raise SourceError(
            f"{tree.root / ARCH_ARM_H}: no '#define {name} <number>' (expected the hypercall "
            "tag that the HVC's immediate must carry)"
        )
    return value, tree.source_line(ARCH_ARM_H, macro.line)


def aarch32_names(tree: XenTree) -> dict[str, tuple[str, int]]:
    """AArch64 register -> (the AArch32 guest's register, line): "x0" -> ("R0", 244).

    Only the usr bank's general registers: a hypercall's registers are those.
    """
    names: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(tree.text(ARCH_ARM_H).split("\n"), start=1):
        for wide, narrow in _UNION.findall(raw):
            bank = _AARCH32.match(narrow)
            if bank is not None and wide not in names:
                index = bank.group(1) or ("13" if bank.group(2) else "14")
                names[wide] = (f"R{index}", number)
    return names


@dataclass(frozen=True)
class Documented:
    """The calling convention as the header's comment states it, per ABI label.

    Each fact is absent when the comment does not state it in words the
    reader knows.
    """

    instruction: tuple[str, Evidence] | None = None
    count: tuple[int, Evidence] | None = None
    parameters: dict[str, tuple[tuple[str, ...], Evidence]] = field(default_factory=dict)
    index: dict[str, tuple[str, Evidence]] = field(default_factory=dict)
    result: dict[str, tuple[str, Evidence]] = field(default_factory=dict)


def _comment(tree: XenTree) -> tuple[str, list[int]]:
    """The calling-convention comment as one text, and each character's line."""
    lines = tree.text(ARCH_ARM_H).split("\n")
    start = next((i for i, raw in enumerate(lines) if "Calling Convention" in raw), None)
    if start is None:
        return "", []
    text: list[str] = []
    numbers: list[int] = []
    for index in range(start, len(lines)):
        raw = lines[index]
        words = re.sub(r"^\s*/?\*+/?\s?", "", raw).replace("*/", "")
        text.append(" ".join(words.split()) + " ")
        numbers.extend([index + 1] * len(text[-1]))
        if "*/" in raw:
            break
    return "".join(text), numbers


def documented_convention(tree: XenTree) -> Documented:
    """The "Hypercall Calling Convention" comment's facts, with their lines."""
    text, numbers = _comment(tree)

    def cite(match: re.Match[str]) -> Evidence:
        return tree.source_line(ARCH_ARM_H, numbers[match.start()])

    instruction = _INSTRUCTION.search(text)
    count = _COUNT.search(text)
    documented = Documented(
        None if instruction is None else (instruction.group(1).upper(), cite(instruction)),
        None if count is None else (int(count.group(1)), cite(count)),
    )
    arguments = sorted(
        ((_ORDINALS[m.group(1).lower()], m) for m in _ARGUMENT.finditer(text)),
        key=lambda pair: pair[0],
    )
    if arguments and [n for n, _ in arguments] == list(range(1, len(arguments) + 1)):
        first = cite(arguments[0][1])
        for abi, group in (("arm64", 2), ("arm32", 3)):
            registers = tuple(m.group(group).upper() for _, m in arguments)
            documented.parameters[abi] = (registers, first)
    if (number := _NUMBER.search(text)) is not None:
        # "r12 (arm) or x16 (arm64)": matched by label, not by position.
        for register, label in ((number.group(1), number.group(2)), number.group(3, 4)):
            abi = "arm64" if label.lower() == "arm64" else "arm32"
            documented.index[abi] = (register.upper(), cite(number))
    if (result := _RESULT.search(text)) is not None:
        documented.result["arm64"] = (result.group(1).upper(), cite(result))
        documented.result["arm32"] = (result.group(2).upper(), cite(result))
    return documented
