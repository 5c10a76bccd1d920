"""The pages' doctests run, pass, and run against the docs' own tables.

Every doctest of the site is on the two ABI pages (a test says so), so the
doctest builder runs on the ABI pages alone (``abi_pages``, with the real conf.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.building import Build, run_sphinx
from support.lines import replace_once
from support.paths import DOCS

ABI_PAGE = "guest-guide/x86/hypercall-abi.rst"
NUMBERS_PAGE = "guest-guide/x86/hypercall-numbers.md"
ARM_PAGE = "guest-guide/arm/hypercall-abi.rst"
PAGES = (ABI_PAGE, NUMBERS_PAGE, ARM_PAGE)

# The fewest examples the pages are meant to carry; guards the counting below.
MINIMUM_EXAMPLES = 20


def examples_in(source: Path) -> int:
    """The doctest examples written in a page: one per ``>>>`` prompt line."""
    return sum(
        1
        for line in source.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith(">>>")
    )


def docname(page: str) -> str:
    return page.rsplit(".", 1)[0]


def summary(output: str) -> tuple[int, int]:
    """(tests, failures in tests) from the "Doctest summary" of output.txt."""
    block = output[output.index("Doctest summary") :]
    tests = re.search(r"^\s*(\d+) tests?$", block, re.MULTILINE)
    failures = re.search(r"^\s*(\d+) failures? in tests$", block, re.MULTILINE)
    assert tests is not None and failures is not None, block
    return int(tests.group(1)), int(failures.group(1))


def examples_run_per_document(output: str) -> dict[str, int]:
    """How many examples the builder ran in each document."""
    counts: dict[str, int] = {}
    sections = re.split(r"^Document: ", output, flags=re.MULTILINE)[1:]
    for section in sections:
        name = section.split("\n", 1)[0].strip()
        ran = re.search(r"^(\d+) tests? in \d+ items?\.$", section, re.MULTILINE)
        assert ran is not None, section
        counts[name] = int(ran.group(1))
    return counts


def run_doctests(srcdir: Path, tmp_path: Path, **overrides: object) -> tuple[Build, str]:
    build = run_sphinx(
        srcdir, tmp_path / "doctest", buildername="doctest", confoverrides=overrides or None
    )
    return build, (build.outdir / "output.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def real_doctests(abi_pages: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, str]:
    return run_doctests(abi_pages, tmp_path_factory.mktemp("doctests"))


def test_pages_carry_doctests() -> None:
    assert sum(examples_in(DOCS / page) for page in PAGES) >= MINIMUM_EXAMPLES
    for page in PAGES:
        assert examples_in(DOCS / page) > 0, page


_DOCTEST_DIRECTIVE = re.compile(
    r"^\s*(?:\.\. |```\{)(?:doctest|testcode|testsetup|testcleanup|testoutput)\b", re.MULTILINE
)


# Directives whose ``>>>`` lines the doctest builder never runs: a ``code-block``
# shows examples, an ``xenabi-verifies`` block renders as a literal block and
# runs in the html build against the reference (tests/site/test_requirements_site.py).
_NOT_DOCTEST_DIRECTIVES = (".. code-block::", ".. xenabi-verifies::")


def _outside_code_blocks(source: Path) -> list[str]:
    """The page without the bodies of its ``code-block`` and ``xenabi-verifies`` directives."""
    kept: list[str] = []
    block_indent: int | None = None
    for line in source.read_text(encoding="utf-8").splitlines():
        indent = len(line) - len(line.lstrip())
        if block_indent is not None and (not line.strip() or indent > block_indent):
            continue
        block_indent = indent if line.lstrip().startswith(_NOT_DOCTEST_DIRECTIVES) else None
        kept.append(line)
    return kept


def test_no_other_page_of_the_site_carries_a_doctest(abi_pages: Path) -> None:
    """So the doctest builder on the ABI pages runs every doctest of the real docs.

    A ``>>>`` in a ``code-block`` is an example shown, not one the builder runs
    (the tooling guide's page on ``xenabi-verifies`` shows some); one in an
    ``xenabi-verifies`` block (the requirements pages) is run by the html
    build, not by the doctest builder.
    """
    carrying = {
        p.relative_to(DOCS).as_posix()
        for p in DOCS.rglob("*")
        if p.suffix in (".rst", ".md")
        and (
            any(line.lstrip().startswith(">>>") for line in _outside_code_blocks(p))
            or _DOCTEST_DIRECTIVE.search(p.read_text(encoding="utf-8"))
        )
    }
    assert carrying == set(PAGES)
    for page in PAGES:
        assert (abi_pages / page).read_bytes() == (DOCS / page).read_bytes()


def test_doctest_builder_passes_on_the_real_docs(real_doctests: tuple[Build, str]) -> None:
    build, output = real_doctests
    assert build.statuscode == 0, build.warnings
    tests, failures = summary(output)
    assert failures == 0, output
    written = sum(examples_in(DOCS / page) for page in PAGES)
    assert tests >= written


def test_every_written_example_runs(real_doctests: tuple[Build, str]) -> None:
    """Each page runs exactly the examples it contains: none silently skipped."""
    _, output = real_doctests
    ran = examples_run_per_document(output)
    for page in PAGES:
        assert ran.get(docname(page)) == examples_in(DOCS / page), (page, ran)


@pytest.mark.parametrize(
    ("page", "old", "new", "expected", "got"),
    [
        pytest.param(
            ABI_PAGE,
            "     - RDI RSI RDX R10 R8\n",
            "     - RDI RSI RDX RCX R8\n",
            "('RDI', 'RSI', 'RDX', 'R10', 'R8')",
            "('RDI', 'RSI', 'RDX', 'RCX', 'R8')",
            id="64bit-parameters-cell",
        ),
        pytest.param(
            NUMBERS_PAGE,
            "* - 17\n  - xen_version\n  - yes\n  - yes\n  - yes\n  - yes\n",
            "* - 17\n  - xen_version\n  - yes\n  - yes\n  - yes\n  - no\n",
            "hvm64 262166",
            "hvm64 -38",
            id="xen_version-hvm64-availability-cell",
        ),
    ],
)
def test_doctests_run_against_the_docs_tables(
    abi_pages_copy: Path, tmp_path: Path, page: str, old: str, new: str, expected: str, got: str
) -> None:
    """Change one cell: the doctests that illustrate it now fail.

    The gate is downgraded to warnings so that the failures counted are
    the doctests' own, not the gate's.
    """
    replace_once(abi_pages_copy / page, old, new)
    build, output = run_doctests(abi_pages_copy, tmp_path, xenabi_drift="warning")
    _, failures = summary(output)
    assert failures > 0, output
    assert build.statuscode != 0
    reports = [chunk for chunk in output.split("*" * 70) if "Failed example:" in chunk]
    assert any(
        _lines_after(report, "Expected:", expected) and _lines_after(report, "Got:", got)
        for report in reports
    ), output
    assert "[xenabi.drift]" in build.warnings  # reported, as a warning only
    assert "ERROR: " not in build.warnings


def _lines_after(report: str, heading: str, line: str) -> bool:
    """Whether ``line`` is among the indented lines under ``heading``."""
    if heading not in report:
        return False
    section = report.split(heading, 1)[1].split("\n")[1:]
    body = []
    for text in section:
        if not text.startswith("    "):
            break
        body.append(text[4:])
    return line in body
