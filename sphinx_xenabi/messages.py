"""Located warnings of type ``xenabi``, one subtype per problem.

Every message is logged with ``type="xenabi"`` and a subtype, so a project
can silence one kind with ``suppress_warnings = ["xenabi.<subtype>"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.util import logging

from sphinx_xenabi.model.registry import Location

if TYPE_CHECKING:
    from sphinx.application import Sphinx

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
        "source",
        "unknown-hypercall",
        "duplicate-hypercall",
        "none",
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


def report_failures(
    app: Sphinx,
    failures: Sequence[tuple[str, str, Location]],
    summary: str,
) -> bool:
    """Log (subtype, message, location) failures at their cells, by ``xenabi_drift``.

    In "error" mode (the default) each is an error and the build exits
    non-zero even without -W; in "warning" mode each is a warning. Returns
    whether the build fails. The summary carries the failures' subtype, so
    ``suppress_warnings = ["xenabi.drift"]`` silences drift whole: a build
    never fails on failures it does not show.
    """
    shown = [f for f in failures if not _suppressed(app, f[0])]
    fail = app.config.xenabi_drift != "warning"
    for subtype, message, location in shown:
        (error if fail else warn)(subtype, message, location_string(app.srcdir, location))
    if fail and shown:
        error(
            shown[0][0],
            f'xenabi: {summary}; the build fails (set xenabi_drift = "warning" to '
            "report this as warnings instead)",
            None,
        )
        app.statuscode = 1
        return True
    return False


def _suppressed(app: Sphinx, subtype: str) -> bool:
    from sphinx.util.logging import is_suppressed_warning

    return is_suppressed_warning("xenabi", subtype, app.config.suppress_warnings)


def error(subtype: str, message: str, location: str | tuple[str, int | None] | None) -> None:
    _known(subtype)
    logger.error(message, type="xenabi", subtype=subtype, location=location)
