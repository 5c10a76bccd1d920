"""Helpers shared by the test modules: lines of a page, one-off edits, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def line_of(path: Path, stripped: str) -> int:
    """The 1-based number of the one line that reads ``stripped`` (spaces aside)."""
    numbers = [
        number
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.strip() == stripped
    ]
    assert len(numbers) == 1, f"{stripped!r} is on lines {numbers} of {path.name}"
    return numbers[0]


def nth_line_of(path: Path, stripped: str, occurrence: int = 1) -> int:
    """The 1-based number of the ``occurrence``-th line that reads ``stripped``."""
    seen = 0
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text.strip() == stripped:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{stripped!r} (#{occurrence}) not in {path.name}")


def line_starting(path: Path, start: str) -> int:
    """The 1-based number of the one line that starts with ``start``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    (number,) = [n for n, line in enumerate(lines, 1) if line.startswith(start)]
    return number


def replace_once(path: Path, old: str, new: str) -> None:
    """Replace ``old``, which must occur exactly once in ``path``, by ``new``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def run_cli(*args: object, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """``python -m sphinx_xenabi ARGS`` in a real process, run from ``cwd``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "sphinx_xenabi", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
