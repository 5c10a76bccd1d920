"""Xen's sources through a real C preprocessor (pcpp), line for line.

What a file says depends on the build: ``#ifdef CONFIG_PV32`` removes the
32-bit PV dispatch, ``#ifdef CONFIG_XENOPROF`` a row of the hypercall table.
pcpp decides which lines survive and expands the file's own macros (the
``HYPERCALL(x)`` table entries, the ``PREFIX_hvm`` prefixes), as Xen's build
does before ``gen_hypercall.awk`` reads ``hypercall-defs.c``. Each output
line is mapped back to its source line through pcpp's ``#line`` markers, so
every fact keeps the line a reader can open.

``#include`` is not followed: the reader needs only what each file defines
itself, and a sparse tree (or a header outside the tree) must not change
the answer. The one value taken from another header, ``HYPERCALL_VECTOR``, is
looked up by :mod:`.stubs`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sphinx_xenabi.model.spec import Architecture

# What Xen's own compiler defines when it builds the hypervisor for x86_64.
# ``__XEN_INTERFACE_VERSION__`` is the latest interface inside Xen (the
# public headers' compatibility aliases for old guests are then off); NDEBUG
# stays undefined, so the debug build's register poisoning is read.
HYPERVISOR_BUILD_DEFINES: Mapping[str, str] = {
    "__XEN__": "1",
    "__x86_64__": "1",
    "__GNUC__": "12",
    "__STDC_VERSION__": "201112L",
    "__XEN_INTERFACE_VERSION__": "0x7fffffff",
}
# The same for each architecture's build: an arm64 compiler defines __aarch64__.
BUILD_DEFINES: Mapping[Architecture, Mapping[str, str]] = {
    Architecture.X86: HYPERVISOR_BUILD_DEFINES,
    Architecture.ARM: {
        **{k: v for k, v in HYPERVISOR_BUILD_DEFINES.items() if k != "__x86_64__"},
        "__aarch64__": "1",
    },
}

_LINE_MARKER = re.compile(r'^#line (\d+)(?: "[^"]*")?$')
_SKIPPED_DIRECTIVE = re.compile(
    r"^[ \t]*#[ \t]*(?:include|error|warning|pragma)\b.*$", re.MULTILINE
)


class PreprocessorError(ValueError):
    """The preprocessor could not read a file (an unbalanced ``#if``, say)."""


@dataclass(frozen=True)
class SourceLine:
    """One line of preprocessed output and the source line it came from."""

    line: int
    text: str


@dataclass(frozen=True)
class Macro:
    """An object-like macro the file itself defines, where it last did."""

    line: int
    value: str


@dataclass(frozen=True)
class Preprocessed:
    """A file after preprocessing: surviving lines and the macros it defined.

    ``functions`` holds the function-like macros the compiled branches define,
    their body as written (``HYPERCALL_ARG1(r)`` -> ``(r)->x0``).
    """

    lines: list[SourceLine]
    macros: dict[str, Macro]
    functions: dict[str, Macro] = field(default_factory=dict)


@cache
def _quiet_preprocessor() -> type[Any]:
    """pcpp's Preprocessor, collecting errors; imported on first use (pcpp is slow to load)."""
    from pcpp import Preprocessor

    class _Quiet(Preprocessor):
        """pcpp that collects errors instead of printing them to stderr."""

        def __init__(self) -> None:
            super().__init__()
            self.errors: list[str] = []
            self.line_directive = "#line"
            self.compress = 0
            # Every object-like macro the file defined, even if #undef'd later
            # ("#define do_arch_1 ..." is undefined again after its table).
            self.defined: dict[str, Macro] = {}
            self.functions: dict[str, Macro] = {}

        def define(self, tokens: Any) -> None:
            super().define(tokens)
            if isinstance(tokens, str):
                return  # a predefined macro, not the file's
            names = [token.value for token in tokens if not token.value.isspace()]
            macro = self.macros.get(names[0]) if names else None
            if macro is not None:
                value = "".join(token.value for token in macro.value).strip()
                kind = self.defined if macro.arglist is None else self.functions
                kind[macro.name] = Macro(macro.lineno, value)

        def on_error(self, file: str, line: int, msg: str) -> None:
            self.errors.append(f"line {line}: {' '.join(str(msg).split())}")

        def on_include_not_found(
            self, *args: object
        ) -> None:  # pragma: no cover - includes are blanked
            raise StopIteration

    return _Quiet


def preprocess(
    text: str,
    filename: str,
    defines: Iterable[str],
    architecture: Architecture = Architecture.X86,
) -> Preprocessed:
    """The non-blank lines that survive preprocessing with ``defines`` set to 1,
    as the compiler for ``architecture`` builds the hypervisor.

    ``#include``, ``#error`` and ``#pragma`` lines are blanked first (keeping
    the line count), for the reason the module docstring gives.
    """
    processor = _quiet_preprocessor()()
    for name, value in BUILD_DEFINES[architecture].items():
        processor.define(f"{name} {value}")
    for name in sorted(defines):
        processor.define(f"{name} 1")
    out = io.StringIO()
    try:
        processor.parse(_SKIPPED_DIRECTIVE.sub("", text), filename)
        processor.write(out)
    except Exception as exc:  # pcpp's own failures on malformed input: one located line
        processor.errors.append(f"the C preprocessor failed: {type(exc).__name__}: {exc}")
    if processor.errors:
        raise PreprocessorError("; ".join(processor.errors))
    lines: list[SourceLine] = []
    number = 1
    for output in out.getvalue().split("\n"):
        marker = _LINE_MARKER.match(output)
        if marker is not None:
            number = int(marker.group(1))
            continue
        if output.strip():
            lines.append(SourceLine(number, output.strip()))
        number += 1
    return Preprocessed(lines, processor.defined, processor.functions)


def joined(lines: list[SourceLine]) -> tuple[str, list[int]]:
    """The lines as one text, and the source line of each character's line.

    Lets a multi-line C statement be matched with one regular expression and
    still be cited at the line where it starts.
    """
    text = "\n".join(line.text for line in lines)
    return text, [line.line for line in lines]


def line_at(offset: int, text: str, numbers: list[int]) -> int:
    """The source line of the character at ``offset`` of a :func:`joined` text."""
    return numbers[text.count("\n", 0, offset)]
