"""``check`` reports the ``xenabi-verifies`` blocks as the html build does, and exits by them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sphinx_xenabi.cli import main
from support.building import copy_root
from support.lines import line_of, replace_once

NUM = "XenSwdgn~arm64_hyp_num~1"


def test_check_passes_on_verified_blocks_and_fails_at_a_failing_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = copy_root("verifies", tmp_path / "verifies")
    assert main(["check", str(docs)]) == 0
    out = capsys.readouterr().out
    assert "5 xenabi-verifies block(s) agree with the reference model for Xen 4.22" in out

    page = docs / "index.rst"
    replace_once(
        page, ">>> trip.dispatch.name\n   'xen_version'", ">>> trip.dispatch.name\n   'sched_op'"
    )
    assert main(["check", str(docs), "-q"]) == 1
    out = capsys.readouterr().out
    line = line_of(page, ">>> trip.dispatch.name")
    assert out.splitlines()[0] == (
        f"{page}:{line}: ERROR: example verifying {NUM} failed: trip.dispatch.name "
        """expected "'sched_op'", got "'xen_version'" [xenabi.verification]"""
    )
    assert out.splitlines()[-1].startswith("xenabi check: 1 of 5 xenabi-verifies block(s) failed")
