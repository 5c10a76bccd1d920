"""What ``XENVER_capabilities`` reports on Arm: the parts ``arch/arm/setup.c`` writes.

``do_xen_version`` fills the capabilities buffer from the architecture
(:class:`CapabilitiesFill`): up to 4.19 by calling ``arch_get_xen_caps(&info)``,
from 4.20 by copying ``xen_cap_info``, which ``init_xen_cap_info`` fills at
boot. On Arm either function appends one part per guest execution state::

    #ifdef CONFIG_ARM_64
        snprintf(s, sizeof(s), "xen-%d.%d-aarch64 ", major, minor);   up to 4.19
        safe_strcat(xen_cap_info, "xen-3.0-aarch64 ");               from 4.20
    #endif
        if ( cpu_has_aarch32 )
            ... "xen-%d.%d-armv7l " / "xen-3.0-armv7l " ...

So a part has two kinds of condition: the build's (``#ifdef CONFIG_ARM_64``,
decided by the preprocessor in the Arm configuration the reader uses) and
the CPU's (``if ( cpu_has_aarch32 )``, decided on the machine at run time,
kept as the C identifier it tests). :meth:`Capabilities.string` puts the
parts together for a given CPU.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.model.spec import Architecture, Evidence
from sphinx_xenabi.model.xen_source.c_syntax import (
    closing,
    code_only,
    enclosing_function,
    function_body,
    line_of,
    split_arguments,
    string_literal,
)
from sphinx_xenabi.model.xen_source.paths import ARM_SETUP_C
from sphinx_xenabi.model.xen_source.tree import SourceError, XenTree

if TYPE_CHECKING:
    from sphinx_xenabi.model.xen_source.configuration import Configuration

_IF = re.compile(r"if\s*\(")
_CALL = re.compile(r"\b(snprintf|safe_strcat|safe_strcpy|strl?cat|strl?cpy|sprintf)\s*\(")
_INTEGERS = re.compile(r"^(?:const\s+)?(?:unsigned\s+)?int\s+([^;]+);")
_FORMAT = re.compile(r"%(.)")


@dataclass(frozen=True)
class CapabilitiesFill:
    """How kernel.c fills XENVER_capabilities' buffer: a call or a copy of a global."""

    kind: str  # "call" (arch_get_xen_caps(&info)) or "copy" (safe_strcpy(info, xen_cap_info))
    name: str  # the function, or the global
    evidence: Evidence


@dataclass(frozen=True)
class CapabilityPart:
    """One part of the capabilities string and what decides whether it is there."""

    text: str  # "xen-3.0-aarch64 "
    build_condition: str  # "defined(CONFIG_ARM_64)"; "" when every build has it
    in_build: bool  # compiled in the configuration read
    cpu_conditions: tuple[str, ...]  # ("cpu_has_aarch32",): tested at run time
    evidence: Evidence

    def to_data(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "build_condition": self.build_condition,
            "in_build": self.in_build,
            "cpu_conditions": list(self.cpu_conditions),
            "evidence": self.evidence.to_data(),
        }


@dataclass(frozen=True)
class Capabilities:
    """One architecture's capabilities string, in parts, as one build writes it."""

    architecture: Architecture
    configuration: str  # "all (arm64)"
    fill: Evidence  # the kernel.c line that fills the guest's buffer
    function: Evidence  # the setup.c function that writes the parts
    parts: tuple[CapabilityPart, ...]

    def string(self, cpu_features: Collection[str] = ()) -> str:
        """The string this build reports on a CPU with ``cpu_features`` (e.g. cpu_has_aarch32)."""
        return "".join(
            part.text
            for part in self.parts
            if part.in_build and all(c in cpu_features for c in part.cpu_conditions)
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "configuration": self.configuration,
            "parts": [part.to_data() for part in self.parts],
            "evidence": {"fill": self.fill.to_data(), "function": self.function.to_data()},
        }


def _writer(tree: XenTree, code: str, fill: CapabilitiesFill) -> tuple[str, int, int, int]:
    """(name, definition, body start, body end) of the function that writes the parts."""
    found: tuple[str, int, int, int] | None = None
    if fill.kind == "call":
        body = function_body(code, rf"\b{re.escape(fill.name)}")
        found = None if body is None else (fill.name, *body)
    else:
        append = re.search(rf"\bsafe_strcat\s*\(\s*{re.escape(fill.name)}\s*,", code)
        found = None if append is None else enclosing_function(code, append.start())
    if found is None:
        what = (
            f"a definition of {fill.name}()"
            if fill.kind == "call"
            else f"a function appending to {fill.name} with safe_strcat"
        )
        raise SourceError(
            f"{tree.root / ARM_SETUP_C}: no {what} (expected the Arm capabilities, "
            f"which {fill.evidence} takes)"
        )
    return found


def _formatted(
    where: str, arguments: list[tuple[int, str]], text: str, ints: dict[str, int]
) -> str:
    """``snprintf(s, sizeof(s), "xen-%d.%d-aarch64 ", major, minor)``'s string."""
    literal = string_literal(text[arguments[2][0] : arguments[2][0] + len(arguments[2][1])])
    if literal is None:
        raise SourceError(f"{where}: snprintf's format is not a string literal")
    values = iter(arguments[3:])

    def substitute(match: re.Match[str]) -> str:
        if match.group(1) == "%":
            return "%"
        value = next(values, None)
        if match.group(1) != "d" or value is None or value[1] not in ints:
            raise SourceError(
                f"{where}: snprintf's %{match.group(1)} takes {value[1] if value else 'nothing'} "
                "(expected %d of an int the function sets, like 'int major = 3')"
            )
        return str(ints[value[1]])

    return _FORMAT.sub(substitute, literal)


class _Walk:
    """The statements of a function body, each with the C ``if`` conditions around it."""

    def __init__(self, where: str, code: str, start: int, stop: int) -> None:
        self.where, self.code = where, code
        self.start, self.stop = start, stop

    def statements(self) -> list[tuple[int, int, str, tuple[str, ...]]]:
        """(start, end, statement, conditions) in order; ``else`` is not a known form."""
        code, out = self.code, []
        stack: list[str | None] = []
        pending: str | None = None
        position = self.start + 1
        while position < self.stop - 1:
            rest = code[position : self.stop - 1]
            skip = len(rest) - len(rest.lstrip())
            position += skip
            if position >= self.stop - 1:
                break
            char = code[position]
            if char == "#":  # a preprocessor line: the build condition is read apart
                newline = code.find("\n", position)
                position = self.stop if newline < 0 else newline + 1
            elif char == "{":
                stack.append(pending)
                pending = None
                position += 1
            elif char == "}":
                if stack:
                    stack.pop()
                position += 1
            elif _IF.match(code, position):
                opening = code.index("(", position)
                end = closing(code, opening)
                pending = " ".join(code[opening + 1 : end - 1].split())
                position = end
            elif re.match(r"else\b", code[position:]):
                raise SourceError(f"{self.where}:{line_of(code, position)}: 'else' (unknown form)")
            else:
                end = code.find(";", position, self.stop)
                end = self.stop - 1 if end < 0 else end + 1
                conditions = tuple(c for c in (*stack, pending) if c)
                out.append((position, end, " ".join(code[position:end].split()), conditions))
                pending = None
                position = end
        return out


class _Parts:
    """The parts a writer function appends, statement by statement."""

    def __init__(self, tree: XenTree, text: str, code: str, configuration: Configuration) -> None:
        self.tree, self.text, self.code = tree, text, code
        self.compiled = {
            line.line
            for line in tree.preprocessed(
                ARM_SETUP_C, configuration.enabled, Architecture.ARM
            ).lines
        }
        self.guards = tree.conditions(ARM_SETUP_C)
        self.ints: dict[str, int] = {}
        self.strings: dict[str, tuple[str, int]] = {}  # what snprintf put in a local, and where
        self.parts: list[CapabilityPart] = []

    def read(self, start: int, end: int, statement: str, conditions: tuple[str, ...]) -> None:
        code, line = self.code, line_of(self.code, start)
        declared = _INTEGERS.match(statement)
        if declared is not None:
            for variable, value in re.findall(r"(\w+)\s*=\s*(\d+)", declared.group(1)):
                self.ints[variable] = int(value)
        call = _CALL.search(code, start, end)
        if call is None:
            return
        arguments = split_arguments(code, call.end() - 1) or []
        located = f"{self.tree.root / ARM_SETUP_C}:{line}"
        if call.group(1) == "snprintf" and len(arguments) >= 3:
            formatted = _formatted(located, arguments, self.text, self.ints)
            self.strings[arguments[0][1]] = (formatted, line)
            return
        if call.group(1) != "safe_strcat" or len(arguments) != 2:
            raise SourceError(f"{located}: {statement} (unknown form of a capabilities part)")
        offset, value = arguments[1]
        literal = string_literal(self.text[offset : offset + len(value)])
        part = (literal, line) if literal is not None else self.strings.get(value)
        if part is None:
            raise SourceError(
                f"{located}: appends {value}, neither a literal nor a string set here"
            )
        for condition in conditions:
            if not re.fullmatch(r"\w+", condition):
                raise SourceError(
                    f"{located}: the part is appended 'if ( {condition} )' "
                    "(expected a single feature test such as cpu_has_aarch32)"
                )
        written, where = part
        note = "" if where == line else f"appended at {ARM_SETUP_C}:{line}: {statement}"
        self.parts.append(
            CapabilityPart(
                written,
                self.guards.get(line, ""),
                line in self.compiled,
                conditions,
                self.tree.source_line(ARM_SETUP_C, where, note),
            )
        )


def read_capabilities(
    tree: XenTree, fill: CapabilitiesFill, configuration: Configuration
) -> Capabilities:
    """The Arm capabilities parts of ``setup.c``, in the arm64 build of ``configuration``."""
    text = tree.text(ARM_SETUP_C)
    code = code_only(text)
    name, definition, start, stop = _writer(tree, code, fill)
    where = f"{tree.root / ARM_SETUP_C}"
    parts = _Parts(tree, text, code, configuration)
    for statement in _Walk(where, code, start, stop).statements():
        parts.read(*statement)
    if not parts.parts:
        raise SourceError(f"{where}:{line_of(code, definition)}: {name} appends no capabilities")
    return Capabilities(
        Architecture.ARM,
        configuration.name,
        fill.evidence,
        tree.source_line(ARM_SETUP_C, line_of(code, definition)),
        tuple(parts.parts),
    )
