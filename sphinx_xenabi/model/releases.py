"""Xen release numbers (MAJOR.MINOR) and ranges of them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import total_ordering

from sphinx_xenabi.model.release_numbers import (
    RELEASE_PART_MAX,
    ReleaseOverflowError,
    release_numbers,
)

__all__ = ["RELEASE_PART_MAX", "Release", "ReleaseOverflowError", "ReleaseRange"]


@total_ordering
@dataclass(frozen=True)
class Release:
    """A Xen release, compared by (major, minor)."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> Release:
        """Parse "4.17", "4.17.2", "4.18-rc" ...; raise ValueError otherwise."""
        return cls(*release_numbers(text))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Release):
            return NotImplemented
        return (self.major, self.minor) < (other.major, other.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def xen_version(self) -> int:
        """What XENVER_version returns: (major << 16) | minor."""
        return (self.major << 16) | self.minor


@dataclass(frozen=True)
class ReleaseRange:
    """Releases ``first`` to ``last`` inclusive; ``last`` None means "and later"."""

    first: Release
    last: Release | None = None

    def __contains__(self, release: object) -> bool:
        if not isinstance(release, Release):
            return False
        return self.first <= release and (self.last is None or release <= self.last)

    def __str__(self) -> str:
        return f"Xen {self.first}+" if self.last is None else f"Xen {self.first} to {self.last}"
