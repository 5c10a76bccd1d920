"""``sphinx-xenabi check`` prints the requirement findings, as the build logs them.

A real process on the ``test-requirements-broken`` root: each link check
and malformed item is a line ``PATH:LINE: WARNING: ... [xenabi.SUBTYPE]``.
The exit status and the summary still count the ABI tables only (this root
has none).
"""

from __future__ import annotations

import re

from support.cli import run_cli
from support.paths import ROOTS


def test_check_prints_each_requirement_finding_at_its_line() -> None:
    root = ROOTS / "test-requirements-broken"
    run = run_cli("check", root)
    found = re.findall(r"^.*/([\w.]+):(\d+): WARNING: .*\[xenabi\.([\w-]+)\]$", run.stdout, re.M)
    assert [(file, int(line), kind) for file, line, kind in found] == [
        ("market.rst", 29, "bad-requirement"),
        ("product.md", 41, "bad-requirement"),
        ("product.md", 52, "bad-requirement"),
        ("design.rst", 32, "duplicate-requirement"),
        ("design.rst", 27, "covers-unwanted"),
        ("product.md", 24, "covers-outdated"),
        ("product.md", 37, "covers-predated"),
        ("product.md", 51, "covers-unknown"),
        ("market.rst", 24, "uncovered-requirement"),
    ]
