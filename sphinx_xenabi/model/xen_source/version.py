"""The version hypercall (``xen_version``, 17): its commands as the source defines them.

``xen/include/public/version.h`` numbers the commands (``#define
XENVER_version 0`` ...) and types their buffers (``typedef char
xen_capabilities_info_t[1024];``). ``xen/common/kernel.c`` implements them
in one ``switch ( cmd )`` of ``do_xen_version`` (``DO(xen_version)`` up to
4.17):

- ``case XENVER_version:`` returns ``(xen_major_version() << 16) |
  xen_minor_version()``, the release of ``xen/Makefile``;
- a buffer command copies a whole typed array to the guest,
  ``copy_to_guest(arg, info, ARRAY_SIZE(info))`` (``XENVER_commandline``
  through ``len = ARRAY_SIZE(saved_cmdline)``), so the bytes the guest
  receives are the size of the local's type;
- ``XENVER_capabilities`` fills its buffer from the architecture:
  ``arch_get_xen_caps(&info);`` up to 4.19, ``safe_strcpy(info,
  xen_cap_info);`` from 4.20 (:mod:`.capabilities` reads what Arm puts there);
- any other command falls out of the switch to ``return -ENOSYS;``.

Each fact keeps the line it was read from. A handler in a form this module
does not know is a :class:`SourceError` naming the file and the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.model.spec import Architecture, Evidence
from sphinx_xenabi.model.xen_source.c_syntax import (
    closing,
    code_only,
    function_body,
    line_of,
    split_arguments,
)
from sphinx_xenabi.model.xen_source.capabilities import (
    Capabilities,
    CapabilitiesFill,
    read_capabilities,
)
from sphinx_xenabi.model.xen_source.paths import KERNEL_C, VERSION_H, XEN_H
from sphinx_xenabi.model.xen_source.tree import SourceError, XenTree

if TYPE_CHECKING:
    from sphinx_xenabi.model.xen_source.configuration import Configuration

_HANDLER = r"\bDO\s*\(\s*xen_version\s*\)|\bdo_xen_version"
_SWITCH = re.compile(r"\bswitch\s*\(\s*cmd\s*\)\s*\{")
_CASE = re.compile(r"\bcase\s+(XENVER_\w+)\s*:")
_DEFAULT = re.compile(r"\bdefault\s*:")
_RETURN = re.compile(r"\breturn\s+([^;]+);")
_VERSION = re.compile(
    r"^\(\s*xen_major_version\s*\(\s*\)\s*<<\s*(\d+)\s*\)\s*\|\s*xen_minor_version\s*\(\s*\)$"
)
_COPY = re.compile(r"\bcopy_to_guest\s*\(")
_ARRAY_SIZE = re.compile(r"^ARRAY_SIZE\s*\(\s*(\w+)\s*\)$")
_TYPEDEF = re.compile(
    r"\btypedef\s+(char|unsigned\s+char|uint8_t)\s+(\w+)\s*\[\s*(\d+)\s*\]\s*;", re.ASCII
)
# What fills XENVER_capabilities' buffer: an architecture call, or a copy of a global.
_FILL_CALL = re.compile(r"\b(\w+)\s*\(\s*&\s*{var}\s*\)")
_FILL_COPY = re.compile(r"\bsafe_strcpy\s*\(\s*{var}\s*,\s*(\w+)\s*\)")


@dataclass(frozen=True)
class CommandBuffer:
    """The typed array a command copies to the guest's buffer, whole."""

    type: str  # "xen_capabilities_info_t"
    element: str  # "char"
    size: int  # elements, which are bytes: 1024
    typedef: Evidence  # "typedef char xen_capabilities_info_t[1024];"
    copy: Evidence  # the copy_to_guest line; the note names the local and its type

    def to_data(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "element": self.element,
            "size": self.size,
            "evidence": {"typedef": self.typedef.to_data(), "copy": self.copy.to_data()},
        }


@dataclass(frozen=True)
class VersionCommand:
    """One ``XENVER_*`` command: its number, where Xen handles it, its buffer."""

    name: str  # "XENVER_capabilities"
    number: int
    evidence: Evidence  # the #define of version.h
    handled: Evidence | None  # kernel.c's case label; None: the call returns -ENOSYS
    buffer: CommandBuffer | None  # None: a value, a struct or a variable-length buffer

    def to_data(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "evidence": self.evidence.to_data(),
            "handled": None if self.handled is None else self.handled.to_data(),
            "buffer": None if self.buffer is None else self.buffer.to_data(),
        }


@dataclass(frozen=True)
class VersionResult:
    """What ``XENVER_version`` returns, as written and for this tree's release."""

    expression: str  # "(xen_major_version() << 16) | xen_minor_version()"
    shift: int  # 16: the major's place
    value: int  # 0x40011 for 4.17
    evidence: Evidence

    def to_data(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "shift": self.shift,
            "value": f"0x{self.value:08x}",
            "evidence": self.evidence.to_data(),
        }


@dataclass(frozen=True)
class KernelVersion:
    """What ``do_xen_version`` states: its cases, the version, the default."""

    handler: Evidence
    cases: Mapping[str, Evidence]
    buffers: Mapping[str, CommandBuffer]
    version: VersionResult
    unknown: tuple[str, Evidence]  # ("-ENOSYS", the return after the switch)
    capabilities_fill: CapabilitiesFill | None


def read_commands(tree: XenTree, enabled: frozenset[str]) -> dict[str, tuple[int, Evidence]]:
    """Every ``XENVER_<name> <number>`` of version.h: name -> (number, evidence)."""
    commands: dict[str, tuple[int, Evidence]] = {}
    for name, macro in tree.preprocessed(VERSION_H, enabled).macros.items():
        if name.startswith("XENVER_") and re.fullmatch(r"\d+", macro.value):
            commands[name] = (int(macro.value), tree.source_line(VERSION_H, macro.line))
    if not commands:
        raise SourceError(
            f"{tree.root / VERSION_H}: no '#define XENVER_<name> <number>' lines "
            "(expected the xen_version commands)"
        )
    return commands


def read_typedefs(tree: XenTree) -> dict[str, tuple[str, int, Evidence]]:
    """Byte-array typedefs of version.h and xen.h: name -> (element, size, evidence)."""
    found: dict[str, tuple[str, int, Evidence]] = {}
    for relative in (XEN_H, VERSION_H):
        code = code_only(tree.text(relative))
        for match in _TYPEDEF.finditer(code):
            element = " ".join(match.group(1).split())
            evidence = tree.source_line(relative, line_of(code, match.start()))
            found[match.group(2)] = (element, int(match.group(3)), evidence)
    return found


def _switch(tree: XenTree, code: str) -> tuple[int, int, int]:
    """(handler definition, switch body start, switch body end) in kernel.c's code."""
    function = function_body(code, _HANDLER)
    if function is None:
        raise SourceError(
            f"{tree.root / KERNEL_C}: no do_xen_version definition (expected "
            "'DO(xen_version)(int cmd, ...)' or 'long do_xen_version(int cmd, ...)')"
        )
    definition, start, stop = function
    switch = _SWITCH.search(code, start, stop)
    if switch is None:
        raise SourceError(
            f"{tree.root / KERNEL_C}:{line_of(code, definition)}: do_xen_version has no "
            "'switch ( cmd )' (expected one case per XENVER_ command)"
        )
    return definition, switch.end() - 1, closing(code, switch.end() - 1)


def _top_level(code: str, start: int, position: int) -> bool:
    """Whether ``position`` is directly inside the braces opened at ``start``."""
    between = code[start + 1 : position]
    return between.count("{") == between.count("}")


def _blocks(code: str, start: int, stop: int) -> tuple[dict[str, tuple[int, int, int]], int]:
    """name -> (label offset, block start, block end); and the default label (-1: none).

    Consecutive labels share the block that follows the last of them (the
    fall-through of ``case XENVER_build_id: case XENVER_extraversion2: ...``).
    """
    labels = [
        (m.start(), m.end(), m.group(1))
        for m in _CASE.finditer(code, start, stop)
        if _top_level(code, start, m.start())
    ]
    default = next(
        (
            m.start()
            for m in _DEFAULT.finditer(code, start, stop)
            if _top_level(code, start, m.start())
        ),
        -1,
    )
    ends = [offset for offset, _, _ in labels[1:]] + [default if default > 0 else stop - 1]
    blocks: dict[str, tuple[int, int, int]] = {}
    pending: list[tuple[int, str]] = []
    for (offset, after, name), end in zip(labels, ends, strict=True):
        pending.append((offset, name))
        if not code[after:end].strip():
            continue  # falls through to the next label
        for label, pending_name in pending:
            blocks[pending_name] = (label, after, end)
        pending = []
    return blocks, default


def _version_result(tree: XenTree, code: str, block: tuple[int, int, int]) -> VersionResult:
    label, start, end = block
    match = _RETURN.search(code, start, end)
    expression = " ".join(match.group(1).split()) if match else ""
    shape = _VERSION.match(expression)
    if match is None or shape is None:
        raise SourceError(
            f"{tree.root / KERNEL_C}:{line_of(code, label)}: XENVER_version returns "
            f"{expression or 'nothing'} (expected "
            "'return (xen_major_version() << 16) | xen_minor_version();')"
        )
    release, _, makefile = tree.release()
    shift = int(shape.group(1))
    note = (
        f"xen_major_version() and xen_minor_version() are XEN_VERSION and XEN_SUBVERSION "
        f"of {makefile}"
    )
    evidence = tree.source_line(KERNEL_C, line_of(code, match.start()), note)
    return VersionResult(expression, shift, (release.major << shift) | release.minor, evidence)


def _declared_type(code: str, variable: str, block: tuple[int, int, int]) -> str | None:
    """The type a local of the block or a file-scope variable is declared with."""
    declaration = re.compile(
        rf"(?:^|[;{{}}])\s*(?:static\s+)?(?:const\s+)?(\w+)\s+(?:__\w+\s+)*{variable}\s*;",
        re.MULTILINE,
    )
    match = declaration.search(code, block[1], block[2]) or declaration.search(code)
    return None if match is None else match.group(1)


def _buffer(
    tree: XenTree,
    code: str,
    name: str,
    block: tuple[int, int, int],
    typedefs: Mapping[str, tuple[str, int, Evidence]],
) -> tuple[CommandBuffer, str] | None:
    """The typed array a case copies whole, and the local's name; None if none."""
    copy = _COPY.search(code, block[1], block[2])
    arguments = None if copy is None else split_arguments(code, copy.end() - 1)
    if copy is None or arguments is None or len(arguments) != 3:
        return None
    length = arguments[2][1]
    sized = _ARRAY_SIZE.match(length)
    if sized is None and re.fullmatch(r"\w+", length):
        assigned = re.compile(rf"\b{length}\s*=\s*(ARRAY_SIZE\s*\(\s*\w+\s*\))\s*;")
        found = assigned.search(code, block[1], block[2])
        sized = None if found is None else _ARRAY_SIZE.match(found.group(1))
    if sized is None:
        return None  # a struct (&info, 1) or a variable length: no fixed array
    variable = sized.group(1)
    where = f"{tree.root / KERNEL_C}:{line_of(code, copy.start())}"
    declared = _declared_type(code, variable, block)
    if declared is None:
        raise SourceError(f"{where}: {name} copies ARRAY_SIZE({variable}), undeclared")
    if declared not in typedefs:
        raise SourceError(
            f"{where}: {name} copies ARRAY_SIZE({variable}) of type {declared} (expected "
            f"a 'typedef char {declared}[N];' in {VERSION_H} or {XEN_H})"
        )
    element, size, typedef = typedefs[declared]
    note = f"{variable} is {declared}"
    return CommandBuffer(
        declared,
        element,
        size,
        typedef,
        tree.source_line(KERNEL_C, line_of(code, copy.start()), note),
    ), variable


def _global_size(tree: XenTree, code: str, name: str) -> str:
    """``xen_cap_info is char[128] (xen/common/kernel.c:39)``, or "" when not declared here."""
    match = re.search(rf"\bchar\s+(?:__\w+\s+)*{re.escape(name)}\s*\[\s*(\d+)\s*\]\s*;", code)
    if match is None:
        return ""
    return f"{name} is char[{match.group(1)}] ({KERNEL_C}:{line_of(code, match.start())})"


def _capabilities_fill(
    tree: XenTree, code: str, block: tuple[int, int, int], variable: str
) -> CapabilitiesFill:
    copied = re.compile(_FILL_COPY.pattern.format(var=re.escape(variable)))
    called = re.compile(_FILL_CALL.pattern.format(var=re.escape(variable)))
    for kind, pattern in (("copy", copied), ("call", called)):
        for match in pattern.finditer(code, block[1], block[2]):
            if match.group(1) in ("memset", "sizeof", "ARRAY_SIZE"):
                continue
            note = _global_size(tree, code, match.group(1)) if kind == "copy" else ""
            evidence = tree.source_line(KERNEL_C, line_of(code, match.start()), note)
            return CapabilitiesFill(kind, match.group(1), evidence)
    raise SourceError(
        f"{tree.root / KERNEL_C}:{line_of(code, block[0])}: XENVER_capabilities fills "
        f"{variable} neither with a call 'f(&{variable})' nor with "
        f"'safe_strcpy({variable}, global)'"
    )


def _unknown(
    tree: XenTree, code: str, default: int, stop: int, definition: int
) -> tuple[str, Evidence]:
    """What a command no case names returns: the default label's or the return after."""
    start = default if default >= 0 else stop
    match = _RETURN.search(code, start)
    if match is None:
        raise SourceError(
            f"{tree.root / KERNEL_C}:{line_of(code, definition)}: do_xen_version returns "
            "nothing for a command no case names (expected 'return -ENOSYS;')"
        )
    value = "".join(match.group(1).split())
    return value, tree.source_line(KERNEL_C, line_of(code, match.start()))


def read_kernel(tree: XenTree, typedefs: Mapping[str, tuple[str, int, Evidence]]) -> KernelVersion:
    """``do_xen_version``'s cases, buffers, version expression and default."""
    code = code_only(tree.text(KERNEL_C))
    definition, start, stop = _switch(tree, code)
    blocks, default = _blocks(code, start, stop)
    if "XENVER_version" not in blocks:
        raise SourceError(
            f"{tree.root / KERNEL_C}:{line_of(code, definition)}: do_xen_version has no "
            "'case XENVER_version:'"
        )
    buffers: dict[str, CommandBuffer] = {}
    fill: CapabilitiesFill | None = None
    for name, block in blocks.items():
        found = _buffer(tree, code, name, block, typedefs)
        if found is None:
            continue
        buffers[name] = found[0]
        if name == "XENVER_capabilities":
            fill = _capabilities_fill(tree, code, block, found[1])
    return KernelVersion(
        handler=tree.source_line(KERNEL_C, line_of(code, definition)),
        cases={
            name: tree.source_line(KERNEL_C, line_of(code, block[0]))
            for name, block in blocks.items()
        },
        buffers=buffers,
        version=_version_result(tree, code, blocks["XENVER_version"]),
        unknown=_unknown(tree, code, default, stop, definition),
        capabilities_fill=fill,
    )


def commands_of(
    tree: XenTree, commands: Mapping[str, tuple[int, Evidence]], kernel: KernelVersion
) -> dict[str, VersionCommand]:
    """The header's commands joined with the handler's cases, by name."""
    stray = sorted(set(kernel.cases) - set(commands))
    if stray:
        raise SourceError(
            f"{tree.root / KERNEL_C}:{kernel.cases[stray[0]].line}: do_xen_version handles "
            f"{stray[0]}, which "
            f"{VERSION_H} does not define"
        )
    return {
        name: VersionCommand(
            name, number, evidence, kernel.cases.get(name), kernel.buffers.get(name)
        )
        for name, (number, evidence) in sorted(commands.items(), key=lambda item: item[1][0])
    }


@dataclass(frozen=True)
class VersionHypercall:
    """Everything read about ``xen_version``: commands, the version, capabilities."""

    handler: Evidence  # do_xen_version's definition
    commands: Mapping[str, VersionCommand]  # by name, in number order
    version: VersionResult
    unknown: tuple[str, Evidence]  # what a command no case names returns
    capabilities: Mapping[Architecture, Capabilities]  # Arm's, where the tree has Arm

    def command(self, number: int) -> VersionCommand | None:
        return next((c for c in self.commands.values() if c.number == number), None)

    def to_data(self) -> dict[str, Any]:
        """The ``version_hypercall`` key of the reader's JSON."""
        return {
            "handler": self.handler.to_data(),
            "commands": {name: command.to_data() for name, command in self.commands.items()},
            "version": self.version.to_data(),
            "unknown_command": {"result": self.unknown[0], "evidence": self.unknown[1].to_data()},
            "capabilities": {
                architecture.value: capabilities.to_data()
                for architecture, capabilities in sorted(self.capabilities.items())
            },
        }


def read_version_hypercall(
    tree: XenTree, enabled: frozenset[str], arm: Configuration | None
) -> VersionHypercall | None:
    """The version hypercall's facts; None for a sparse tree holding neither file.

    ``arm`` is the arm64 build's configuration when the tree has Arm: its
    capabilities are then read from ``arch/arm/setup.c``, which must be there.
    """
    if not tree.exists(VERSION_H) and not tree.exists(KERNEL_C):
        return None  # a sparse tree without the version hypercall states none of its facts
    commands = read_commands(tree, enabled)
    kernel = read_kernel(tree, read_typedefs(tree))
    capabilities: dict[Architecture, Capabilities] = {}
    if arm is not None:
        if kernel.capabilities_fill is None:
            raise SourceError(
                f"{tree.root / KERNEL_C}: XENVER_capabilities copies no fixed buffer "
                "(expected 'copy_to_guest(arg, info, ARRAY_SIZE(info))')"
            )
        capabilities[Architecture.ARM] = read_capabilities(tree, kernel.capabilities_fill, arm)
    return VersionHypercall(
        handler=kernel.handler,
        commands=MappingProxyType(commands_of(tree, commands, kernel)),
        version=kernel.version,
        unknown=kernel.unknown,
        capabilities=MappingProxyType(capabilities),
    )
