"""The lint step: sphinx-lint for what it covers, our 3-space rule for the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sphinx_xenabi.cli.indentation import check_paths, check_text
from support.paths import DOCS, REPO


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *map(str, args)], capture_output=True, text=True, cwd=REPO
    )


@pytest.mark.site  # lints every page of the site
def test_the_real_docs_pass_both_linters() -> None:
    assert check_paths([DOCS]) == []
    result = _run("sphinxlint", DOCS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_two_space_directive_body_fails_at_its_line(docs_copy: Path) -> None:
    page = docs_copy / "hypervisor-guide" / "code-coverage.rst"
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    directive = next(i for i, line in enumerate(lines) if line.startswith(".. warning::"))
    body = directive + 1
    while not lines[body].strip():
        body += 1
    assert lines[body].startswith("   ") and not lines[body].startswith("    ")
    # re-indent the warning's whole body to 2 spaces, as before the seed's change
    end = body
    while end < len(lines) and (lines[end].startswith("   ") or not lines[end].strip()):
        if lines[end].strip():
            lines[end] = lines[end][1:]
        end += 1
    page.write_text("".join(lines), encoding="utf-8")

    result = _run("sphinx_xenabi", "indent", docs_copy)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{page}:{body + 1}: the options and body of directive 'warning' "
        f"(line {directive + 1}) are indented by 2 spaces; expected 3"
    ]


def test_literal_content_and_comments_are_not_directives() -> None:
    text = (
        ".. code-block:: rst\n\n"
        "   .. note::\n"
        "     two spaces inside a code sample are fine\n\n"
        "Example::\n\n"
        "   .. tip::\n"
        "    also literal\n\n"
        ".. a comment\n"
        "  with a two-space continuation\n\n"
        ".. [#f] a footnote\n"
        "  body\n\n"
        ".. note::\n"
        "    four is wrong too\n"
    )
    faults = list(check_text(text, "x.rst"))
    assert [(f.line, "indented by 4" in f.message) for f in faults] == [(18, True)]


def test_nested_directives_are_checked_relative_to_their_own_indent() -> None:
    text = ".. note::\n\n   .. warning::\n\n     nested body at +2\n"
    faults = list(check_text(text, "x.rst"))
    assert [(f.line, f.message.split(" (")[0]) for f in faults] == [
        (5, "the options and body of directive 'warning'")
    ]
