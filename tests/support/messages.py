"""The warnings and errors a build logged, parsed: file, line, level, message, type."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.util.console import strip_colors

from support.building import Build

_WARNING = re.compile(
    r"^(?P<location>.*?): (?P<level>WARNING|ERROR): (?P<message>.*?)(?: \[(?P<type>[\w.-]+)\])?$"
)
_LOCATION = re.compile(r"^(?P<path>.*?)(?::(?P<line>\d+))?$")


def warnings_of(build: Build) -> list[dict[str, Any]]:
    """Every logged warning/error: path relative to srcdir, line, message, type."""
    srcdir = build.srcdir
    found = []
    for raw in strip_colors(build.warnings).splitlines():
        match = _WARNING.match(raw)
        if match is None:
            continue
        location = _LOCATION.match(match["location"])
        assert location is not None
        path = Path(location["path"])
        try:
            rel = path.relative_to(srcdir).as_posix()
        except ValueError:
            rel = location["path"]
        found.append(
            {
                "file": rel,
                "line": int(location["line"]) if location["line"] else None,
                "level": match["level"],
                "message": match["message"],
                "type": match["type"] or "",
            }
        )
    return found


def xenabi_warnings(build: Build, subtypes: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """The extension's messages (``xenabi.*``), of ``subtypes`` if given."""
    result = [w for w in warnings_of(build) if w["type"].startswith("xenabi.")]
    if subtypes is not None:
        result = [w for w in result if w["type"].removeprefix("xenabi.") in subtypes]
    return result
