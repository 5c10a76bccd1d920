"""The ``xenabi-hypercall-page`` directive: its arguments, and its errors in the build and in check.

What it lists on the site: tests/site/test_page_listing.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sphinx_xenabi.directives.hypercall_page import parse_indices
from support.building import run_sphinx


def test_parse_indices() -> None:
    assert parse_indices("0-3, 17") == [0, 1, 2, 3, 17]
    with pytest.raises(ValueError, match="outside"):
        parse_indices("120-130")
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_indices("5-2")
    with pytest.raises(ValueError, match="not an index"):
        parse_indices("a-b")


def test_bad_directive_argument_is_a_located_error(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_xenabi"]\nrelease = "4.22"\n')
    (src / "index.rst").write_text(
        "Pages\n=====\n\n.. xenabi-hypercall-page:: ARM HVM\n\n"
        ".. xenabi-hypercall-page:: 64bit PV\n   :indices: 3-200\n"
    )
    build = run_sphinx(src, tmp_path / "out", confdir=src)
    assert (
        "index.rst:4: ERROR: xenabi-hypercall-page: unknown transfer-table guest 'ARM HVM'"
        in build.warnings
    )
    assert (
        "index.rst:6: ERROR: xenabi-hypercall-page :indices: '3-200' is outside the page's "
        "stubs 0-127 [xenabi.directive]" in build.warnings
    )


def test_check_reports_the_directive_errors_the_build_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # They come from the build result (kept by the domain), not from the log.
    from sphinx_xenabi.cli import main

    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_xenabi"]\nrelease = "4.22"\n')
    (src / "index.rst").write_text(
        "Pages\n=====\n\n.. xenabi-hypercall-page:: ARM HVM\n\n"
        ".. xenabi-hypercall-page:: 64bit PV\n   :indices: 3-200\n"
    )
    main(["check", "--quiet", str(src)])
    printed = [
        line for line in capsys.readouterr().out.splitlines() if "[xenabi.directive]" in line
    ]
    assert printed == [
        f"{src / 'index.rst'}:4: ERROR: xenabi-hypercall-page: unknown transfer-table guest "
        "'ARM HVM' (expected one of '32bit PV', '64bit PV', 'Intel HVM', 'AMD HVM') "
        "[xenabi.directive]",
        f"{src / 'index.rst'}:6: ERROR: xenabi-hypercall-page :indices: '3-200' is outside the "
        "page's stubs 0-127 [xenabi.directive]",
    ]
