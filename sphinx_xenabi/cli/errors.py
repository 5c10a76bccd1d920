"""Exit codes and the one error a command reports as a usage or build problem."""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class CliError(Exception):
    """A usage or build problem, reported in one line with exit code 2."""
