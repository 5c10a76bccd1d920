"""The one source convention no library checks: 3-space directive indentation.

sphinx-lint covers tabs, trailing whitespace and the rest; this checks that
the options and body of every reST directive start exactly 3 spaces deeper
than its ``..`` (the convention Xen's guides adopted). Literal content (code
blocks, ``::`` paragraphs) is skipped, since its text is not reST. MyST files
are not checked: their directive bodies are fenced, not indented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

INDENT = 3

DIRECTIVE_LINE = re.compile(
    r"^(?P<indent> *)\.\.[ ]+(?:\|[^|]+\|[ ]+)?(?P<name>[\w:+.-]+)::(?:[ ]|$)"
)
_COMMENT_OR_TARGET = re.compile(r"^ *\.\.(?:[ ]|$)")
# Directives whose body is literal text: nested ".. x::" lines in it are not reST.
LITERAL_DIRECTIVES = frozenset(
    {
        "code",
        "code-block",
        "sourcecode",
        "literalinclude",
        "parsed-literal",
        "doctest",
        "testcode",
        "testoutput",
        "testsetup",
        "testcleanup",
        "math",
        "raw",
        "highlight",
        "productionlist",
        "graphviz",
    }
)


@dataclass(frozen=True, order=True)
class IndentFault:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def check_text(text: str, path: str) -> Iterator[IndentFault]:
    lines = text.splitlines()
    literal_indent: int | None = None  # skip lines deeper than this
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        indent = _indent_of(line)
        if literal_indent is not None:
            if indent > literal_indent:
                continue
            literal_indent = None
        match = DIRECTIVE_LINE.match(line)
        if match is None:
            if line.rstrip().endswith("::") and not _COMMENT_OR_TARGET.match(line):
                literal_indent = indent  # a "::" paragraph introduces a literal block
            continue
        base = len(match.group("indent"))
        name = match.group("name")
        following = next((i for i in range(number + 1, len(lines)) if lines[i].strip()), None)
        if following is not None:
            depth = _indent_of(lines[following]) - base
            if 0 < depth != INDENT:
                yield IndentFault(
                    path,
                    following + 1,
                    f"the options and body of directive '{name}' (line {number + 1}) are "
                    f"indented by {depth} spaces; expected {INDENT}",
                )
        if name in LITERAL_DIRECTIVES:
            literal_indent = base


def iter_rst_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.rst") if p.is_file())
        else:
            yield path


def check_paths(paths: Iterable[Path]) -> list[IndentFault]:
    faults: list[IndentFault] = []
    for path in iter_rst_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
        except OSError as exc:
            raise ValueError(f"{path}: cannot read: {exc.strerror or exc}") from None
        faults.extend(check_text(text, str(path)))
    return sorted(faults)
