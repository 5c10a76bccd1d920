"""A Xen release's text read as its two numbers, MAJOR and MINOR.

Apart from :class:`~sphinx_xenabi.model.releases.Release` so that the check
of a project's configured release at ``config-inited``, which every build
runs (a no-op rebuild included), needs neither that class nor its module.
"""

from __future__ import annotations

import re

_RELEASE_RE = re.compile(r"^\s*v?(\d+)\.(\d+)(?:[.\-+~].*)?\s*$", re.ASCII)
RELEASE_PART_MAX = 0xFFFF
"""XENVER_version returns (major << 16) | minor: each part has 16 bits."""


class ReleaseOverflowError(ValueError):
    """MAJOR.MINOR with a part that XENVER_version cannot hold (Xen 70000.99999)."""


def release_numbers(text: str) -> tuple[int, int]:
    """(MAJOR, MINOR) of "4.17", "4.17.2", "4.18-rc" ...; raise ValueError otherwise."""
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
    return int(parts[0]), int(parts[1])
