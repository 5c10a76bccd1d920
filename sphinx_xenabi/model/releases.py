"""Xen release numbers (MAJOR.MINOR) and ranges of them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

_RELEASE_RE = re.compile(r"^\s*v?(\d+)\.(\d+)(?:[.\-+~].*)?\s*$", re.ASCII)
RELEASE_PART_MAX = 0xFFFF
"""XENVER_version returns (major << 16) | minor: each part has 16 bits."""


class ReleaseOverflowError(ValueError):
    """MAJOR.MINOR with a part that XENVER_version cannot hold (Xen 70000.99999)."""


@total_ordering
@dataclass(frozen=True)
class Release:
    """A Xen release, compared by (major, minor)."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> Release:
        """Parse "4.17", "4.17.2", "4.18-rc" ...; raise ValueError otherwise."""
        match = _RELEASE_RE.match(text)
        if match is None:
            raise ValueError(f"not a Xen release: {text!r} (expected MAJOR.MINOR such as 4.17)")
        parts = match.group(1, 2)
        # Compared as text first: int() refuses numbers of thousands of digits.
        if any(len(p.lstrip("0")) > 5 or int(p) > RELEASE_PART_MAX for p in parts):
            raise ReleaseOverflowError(
                f"not a Xen release: {text!r} (major and minor are at most "
                f"{RELEASE_PART_MAX}: XENVER_version returns each in 16 bits)"
            )
        return cls(int(parts[0]), int(parts[1]))

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
