"""``sphinx-xenabi check`` prints the requirement findings, as the build logs them.

A real process on the ``test-requirements-broken`` root: each link check
and malformed item is a line ``PATH:LINE: WARNING: ... [xenabi.SUBTYPE]``,
then ``check``'s own warning for each unverified item; a broken link makes
``check`` exit 1, and the summary counts the findings and the items.
"""

from __future__ import annotations

import re

from support.cli import run_cli
from support.paths import ROOTS


def test_check_prints_each_requirement_finding_at_its_line() -> None:
    root = ROOTS / "test-requirements-broken"
    run = run_cli("check", root)
    assert run.returncode == 1
    assert run.stdout.splitlines()[-1] == (
        "xenabi check: 8 requirement finding(s) in 9 requirement(s): 9 unverified, 1 uncovered need(s)"
    )
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
        # check's own, one per item in document order (the duplicate's later item too)
        ("design.rst", 7, "unverified-requirement"),
        ("design.rst", 21, "unverified-requirement"),
        ("design.rst", 32, "unverified-requirement"),
        ("market.rst", 7, "unverified-requirement"),
        ("market.rst", 18, "unverified-requirement"),
        ("product.md", 5, "unverified-requirement"),
        ("product.md", 18, "unverified-requirement"),
        ("product.md", 31, "unverified-requirement"),
        ("product.md", 45, "unverified-requirement"),
    ]
