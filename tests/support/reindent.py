"""Re-indent reST directive blocks: the seed's whitespace-only change, reversed.

The seed change moved every directive's options and body from 2 to 3 spaces
deeper than its ``..``. :func:`reindent_directives` does the opposite (or,
with other widths, either direction): every line inside a directive block
moves by ``width_from - width_to`` spaces per enclosing directive, so nested
directives shift cumulatively and the structure is kept.

What moves: directive options, arguments and bodies, including the literal
bodies of ``code-block`` and friends (shifted as a whole, so their relative
indentation, and hence their text, is kept).

What does not: text outside every directive, footnote and citation bodies,
hyperlink targets and comments (none of those is a directive), except where
they themselves stand inside a directive, in which case they move with it.
Inside literal text (a literal directive's body, a ``::`` literal block, a
comment) a line that looks like ``.. name::`` is not a directive and opens no
block. Blank lines are left as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx_xenabi.cli import indentation

# Explicit markup that is not a directive: footnotes/citations ".. [x]",
# targets ".. _x:" / ".. __:", and comments (everything else).
_FOOTNOTE_OR_TARGET = re.compile(r"^ *\.\.[ ]+(?:\[[^\]]+\]|_)")
_EXPLICIT = re.compile(r"^ *\.\.(?:[ ]|$)")

# Directives whose body is literal text, not reST (the lint's set), plus
# csv-table, whose inline data is not reST either.
LITERAL_DIRECTIVES = indentation.LITERAL_DIRECTIVES | {"csv-table"}
_DIRECTIVE = indentation.DIRECTIVE_LINE


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shift(line: str, by: int) -> str:
    """Move ``line`` left by ``by`` spaces (right when negative), never into text."""
    if by > 0:
        return line[min(by, _indent_of(line)) :]
    if by < 0:
        return " " * -by + line
    return line


def reindent_directives(text: str, width_from: int = 3, width_to: int = 2) -> str:
    """Shift every line inside a reST directive block by one step per level.

    A step is ``width_from - width_to`` spaces to the left (to the right when
    negative). Line endings and blank lines are kept as they are.
    """
    step = width_from - width_to
    out: list[str] = []
    directives: list[int] = []  # base indents of the open directive blocks
    opaque: int | None = None  # lines deeper than this are literal text
    for line in text.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        if not content.strip():
            out.append(line)
            continue
        indent = _indent_of(content)
        if opaque is not None and indent > opaque:
            # literal text: moves with its directives, opens nothing
            out.append(_shift(line, step * len(directives)))
            continue
        opaque = None
        while directives and indent <= directives[-1]:
            directives.pop()
        out.append(_shift(line, step * len(directives)))
        match = _DIRECTIVE.match(content)
        if match is not None:
            directives.append(indent)
            if match.group("name") in LITERAL_DIRECTIVES:
                opaque = indent
        elif _FOOTNOTE_OR_TARGET.match(content):
            pass  # a footnote body is reST but no directive: it stays put
        elif _EXPLICIT.match(content):
            opaque = indent  # a comment: its indented body is not reST
        elif content.rstrip().endswith("::"):
            opaque = indent  # the paragraph introduces a literal block
    return "".join(out)


def reindent_tree(root: Path) -> dict[Path, tuple[str, str]]:
    """Re-indent every .rst file under ``root`` in place: {path: (old, new)} of changed files."""
    changed = {}
    for path in sorted(root.rglob("*.rst")):
        old = path.read_text(encoding="utf-8")
        new = reindent_directives(old)
        if new != old:
            path.write_text(new, encoding="utf-8")
            changed[path] = (old, new)
    return changed
