"""Just enough C syntax to find a function's body and a call's arguments.

The version hypercall's facts sit in ordinary C statements (a ``switch`` in
``common/kernel.c``, a few ``safe_strcat`` calls in ``arch/arm/setup.c``)
rather than in macros or tables, so the preprocessor alone does not reach
them. These helpers work on the text with comments and string contents
blanked (:func:`code_only`), which keeps every offset, and so every line, of
the file as written.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.DOTALL)


def code_only(text: str) -> str:
    """``text`` with comments blanked and string and character contents blanked.

    Newlines survive, so an offset of the result is the same line of ``text``;
    a string keeps its quotes, so ``"xen-3.0 "`` becomes ``"        "``.
    """

    def blank(match: re.Match[str]) -> str:
        token = match.group(0)
        if token[0] in "\"'":
            return token[0] + " " * (len(token) - 2) + token[-1]
        return re.sub(r"[^\n]", " ", token)

    return _TOKEN.sub(blank, text)


def line_of(text: str, offset: int) -> int:
    """The 1-based line of ``offset``."""
    return text.count("\n", 0, offset) + 1


def closing(code: str, opening: int) -> int:
    """The offset just past the bracket that closes the one at ``opening``; -1 if none."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    close = pairs[code[opening]]
    depth = 0
    for position in range(opening, len(code)):
        char = code[position]
        if char == code[opening]:
            depth += 1
        elif char == close:
            depth -= 1
            if depth == 0:
                return position + 1
    return -1


def function_body(code: str, name_pattern: str) -> tuple[int, int, int] | None:
    """(definition, body start, body end) of the function whose name matches.

    ``name_pattern`` is a regular expression for what precedes the parameter
    list (``DO\\(xen_version\\)|do_xen_version``). The parameter list may hold
    parentheses of its own (``XEN_GUEST_HANDLE_PARAM(void) arg``); a
    declaration (``;`` after the list) is not a definition.
    """
    for match in re.finditer(rf"(?:{name_pattern})\s*\(", code):
        end = closing(code, match.end() - 1)
        if end < 0:
            return None
        brace = re.match(r"\s*\{", code[end:])
        if brace is None:
            continue
        start = end + brace.end() - 1
        stop = closing(code, start)
        if stop < 0:
            return None
        return match.start(), start, stop
    return None


def split_arguments(code: str, opening: int) -> list[tuple[int, str]] | None:
    """The arguments of the call whose ``(`` is at ``opening``: (offset, text) each."""
    end = closing(code, opening)
    if end < 0:
        return None
    arguments: list[tuple[int, str]] = []
    depth, start = 0, opening + 1
    for position in range(opening + 1, end - 1):
        char = code[position]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            arguments.append((start, code[start:position]))
            start = position + 1
    arguments.append((start, code[start : end - 1]))
    return [(offset + len(text) - len(text.lstrip()), text.strip()) for offset, text in arguments]


def enclosing_function(code: str, offset: int) -> tuple[str, int, int, int] | None:
    """(name, definition, body start, body end) of the function around ``offset``."""
    depth, start, previous_end = 0, -1, 0
    for position, char in enumerate(code):
        if char == "{":
            if depth == 0:
                start = position
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                if start <= offset < position:
                    head = re.search(r"(\w+)\s*\([^;{}]*\)\s*$", code[previous_end:start])
                    if head is None:
                        return None
                    return head.group(1), previous_end + head.start(), start, position + 1
                previous_end = position + 1
    return None


def string_literal(text: str) -> str | None:
    """The value of a C string literal (adjacent ones joined); None for anything else."""
    parts = re.fullmatch(r'(?:\s*"[^"\\\n]*")+\s*', text)
    return None if parts is None else "".join(re.findall(r'"([^"\\\n]*)"', text))
