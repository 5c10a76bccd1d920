"""Which ``#if`` guards each line of a file: the condition, kept as data.

pcpp decides *whether* a line is compiled (:mod:`.preprocessor`); this
module only records *why*, so that a finding can say "compiled out:
CONFIG_XENOPROF is off in defconfig" and the JSON can carry each entry's
condition. It follows the nesting of the conditional directives and nothing
else (no macro expansion, no evaluation), which is why it is hand-written:
a preprocessor gives the surviving lines, not the conditions behind them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_DIRECTIVE = re.compile(r"^\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b\s*(.*?)\s*$")
_COMMENT = re.compile(r"/\*.*?(\*/|$)|//.*$")
_CONFIG = re.compile(r"\bCONFIG_\w+")


def _branch(kind: str, argument: str) -> str:
    if kind == "ifdef":
        return f"defined({argument})"
    if kind == "ifndef":
        return f"!defined({argument})"
    return argument


def _negated(condition: str) -> str:
    return f"!({condition})" if " " in condition or "(" in condition[1:] else f"!{condition}"


def line_conditions(text: str) -> Mapping[int, str]:
    """Line number -> the C condition guarding it ("" for unconditional lines).

    Nested conditions are joined with ``&&``; an ``#elif``/``#else`` branch
    carries the negation of the branches before it.
    """
    # One frame per open #if: the conditions of the branches seen so far.
    frames: list[list[str]] = []
    guards: dict[int, str] = {}
    current = ""
    for number, raw in enumerate(text.split("\n"), start=1):
        match = _DIRECTIVE.match(raw)
        if match is None:
            if current:
                guards[number] = current
            continue
        kind, argument = match.group(1), _COMMENT.sub("", match.group(2)).strip()
        if kind in ("if", "ifdef", "ifndef"):
            frames.append([_branch(kind, argument)])
        elif kind in ("elif", "else") and frames:
            frames[-1].append(argument if kind == "elif" else "")
        elif kind == "endif" and frames:
            frames.pop()
        current = " && ".join(_frame_condition(frame) for frame in frames)
    return guards


def _frame_condition(branches: list[str]) -> str:
    *earlier, last = branches
    parts = [_negated(condition) for condition in earlier]
    if last:
        parts.append(last)
    return " && ".join(parts)


def config_options(condition: str) -> list[str]:
    """The ``CONFIG_*`` names a condition mentions, in order, each once."""
    return list(dict.fromkeys(_CONFIG.findall(condition)))
