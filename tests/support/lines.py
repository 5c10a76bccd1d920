"""Lines of a source file and one-off edits of it."""

from __future__ import annotations

from pathlib import Path


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


def line_in(srcdir: Path, file: str, stripped: str, occurrence: int = 1) -> int:
    """``nth_line_of`` for ``file`` of the tree ``srcdir``."""
    return nth_line_of(srcdir / file, stripped, occurrence)
