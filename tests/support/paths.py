"""Where things are: the repository, the site's sources, the test roots."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
ROOTS = REPO / "tests" / "roots"
# The guide that holds every ABI table of the site (its pages link to one page outside it).
ABI_DIR = "guest-guide"
