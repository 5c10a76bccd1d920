"""Located warnings of type ``xenabi``, one subtype per problem.

Every message is logged with ``type="xenabi"`` and a subtype, so a project
can silence one kind with ``suppress_warnings = ["xenabi.<subtype>"]``.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.util import logging

from sphinx_xenabi.model.registry import Location

logger = logging.getLogger("sphinx_xenabi")

# Every subtype the extension logs; docs/tooling/warnings.rst lists the same
# set (a test keeps them equal).
SUBTYPES = frozenset(
    {
        "drift",
        "unchecked",
        "parameter-count",
        "bad-register",
        "unknown-abi",
        "unknown-guest",
        "bad-number",
        "bad-availability",
        "duplicate-row",
        "empty-cell",
        "ragged-row",
        "orphan",
        "execution",
        "release-range",
        "directive",
    }
)


def location_string(srcdir: Path, location: Location) -> str:
    """``/abs/docs/file.rst:27``: Sphinx prints a location with a colon as is."""
    path = srcdir / location.file
    return f"{path}:{location.line}" if location.line else str(path)


def _known(subtype: str) -> str:
    if subtype not in SUBTYPES:
        raise ValueError(f"undocumented xenabi warning subtype {subtype!r}")
    return subtype


def warn(subtype: str, message: str, location: str | tuple[str, int | None] | None) -> None:
    _known(subtype)
    logger.warning(message, type="xenabi", subtype=subtype, location=location)


def error(subtype: str, message: str, location: str | tuple[str, int | None] | None) -> None:
    _known(subtype)
    logger.error(message, type="xenabi", subtype=subtype, location=location)
