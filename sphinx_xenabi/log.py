"""Located warnings of type ``xenabi``, one subtype per problem.

Every message is logged with ``type="xenabi"`` and a subtype, so a project
can silence one kind with ``suppress_warnings = ["xenabi.<subtype>"]``. The
subtypes, and what each means, are
:class:`~sphinx_xenabi.model.problems.WarningSubtype`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from sphinx.util import logging

from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.registry import Location

logger = logging.getLogger("sphinx_xenabi")

# Every subtype the extension logs, as strings; the enum documents each one,
# and docs/tooling/warnings.rst is generated from it.
SUBTYPES = frozenset(subtype.value for subtype in WarningSubtype)


# One hostile cell (25,000 register names) must not flood the log: messages
# quote cells, so each is cut to a bounded length, and a cell says at most
# MAX_PER_CELL things of one kind, then how many more there are.
MAX_MESSAGE_CHARS = 500
MAX_PER_CELL = 10

Failure = tuple[str, str, Location]  # (subtype, message, location)


def bounded(message: str) -> str:
    """``message`` cut to MAX_MESSAGE_CHARS, saying how much was left out."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return (
        f"{message[:MAX_MESSAGE_CHARS]}... ({len(message) - MAX_MESSAGE_CHARS:,} more characters)"
    )


def capped(failures: Iterable[Failure]) -> list[Failure]:
    """At most MAX_PER_CELL messages of one subtype per cell, then one that counts the rest."""
    failures = list(failures)
    totals = Counter((subtype, location) for subtype, _, location in failures)
    seen: Counter[tuple[str, Location]] = Counter()
    shown: list[Failure] = []
    for subtype, message, location in failures:
        key = (subtype, location)
        seen[key] += 1
        if seen[key] <= MAX_PER_CELL:
            shown.append((subtype, message, location))
        elif seen[key] == MAX_PER_CELL + 1:
            hidden = totals[key] - MAX_PER_CELL
            shown.append(
                (subtype, f"and {hidden:,} more {subtype} finding(s) at this cell", location)
            )
    return shown


def location_string(srcdir: Path, location: Location) -> str:
    """``/abs/docs/file.rst:27``: Sphinx prints a location with a colon as is."""
    path = srcdir / location.file
    return f"{path}:{location.line}" if location.line else str(path)


def _known(subtype: WarningSubtype | str) -> str:
    """The subtype's string; a string that is no WarningSubtype is refused.

    Strings are accepted because the model's findings and the table reader's
    problems carry their subtype as one.
    """
    return WarningSubtype.of(subtype).value


def warn(
    subtype: WarningSubtype | str, message: str, location: str | tuple[str, int | None] | None
) -> None:
    logger.warning(bounded(message), type="xenabi", subtype=_known(subtype), location=location)


def error(
    subtype: WarningSubtype | str, message: str, location: str | tuple[str, int | None] | None
) -> None:
    logger.error(bounded(message), type="xenabi", subtype=_known(subtype), location=location)
