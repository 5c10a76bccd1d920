"""Logging a :class:`~sphinx_xenabi.model.problems.Problem` as a Sphinx warning or error.

Every message is logged with ``type="xenabi"`` and a subtype, so a project
can silence one kind with ``suppress_warnings = ["xenabi.<subtype>"]``. The
subtypes, and what each means, are
:class:`~sphinx_xenabi.model.problems.WarningSubtype`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.util import logging

from sphinx_xenabi.model.problems import Problem, WarningSubtype, bounded

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from sphinx_xenabi.model.location import Location

logger = logging.getLogger("sphinx_xenabi")


def location_string(srcdir: Path, location: Location) -> str:
    """``/abs/docs/file.rst:27``: Sphinx prints a location with a colon as is.

    A whole document (line 0) is its path alone, as Sphinx prints a
    document's location.
    """
    path = srcdir / location.file
    return f"{path}:{location.line}" if location.line else str(path)


def log_problem(problem: Problem, app: Sphinx) -> None:
    """Log ``problem`` at its location: a cell, a whole document, or none."""
    where: str | tuple[str, None] | None = None
    if problem.location is not None and problem.location.line:
        where = location_string(Path(app.srcdir), problem.location)
    elif problem.location is not None:
        # Sphinx reads a location without a line as a docname and prints its path.
        docname = app.env.path2doc(str(Path(app.srcdir) / problem.location.file))
        where = (docname, None) if docname else str(Path(app.srcdir) / problem.location.file)
    (error if problem.level == "error" else warn)(problem.subtype, problem.message, where)


def warn(
    subtype: WarningSubtype, message: str, location: str | tuple[str, int | None] | None
) -> None:
    logger.warning(bounded(message), type="xenabi", subtype=subtype.value, location=location)


def error(
    subtype: WarningSubtype, message: str, location: str | tuple[str, int | None] | None
) -> None:
    logger.error(bounded(message), type="xenabi", subtype=subtype.value, location=location)
