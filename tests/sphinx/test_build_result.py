"""The html build and ``check`` read one and the same build result.

The CLI drives Sphinx (the dummy builder) and reads the result the
extension produced; it never runs rows again or reads the log. So on the
real site and on a drifted copy of it, the html build's result and
``check``'s agree field by field, and check's verdict counts what the html
build reported. The drifted copy is of the real ABI pages, which hold every
table of the site (``abi_pages``; test_site checks that they do).
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx_xenabi.cli.check import verdict
from sphinx_xenabi.cli.check_formats import line_text
from sphinx_xenabi.cli.errors import EXIT_CLEAN, EXIT_FINDINGS
from sphinx_xenabi.cli.reading import TreeReading, read_tree
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.results.build_result import BuildResult
from sphinx_xenabi.results.state import build_state
from support.building import Build
from support.paths import DOCS, REPO

ABI = "guest-guide/x86/hypercall-abi.rst"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _result(build: Build) -> BuildResult:
    result = build_state(build.app)
    assert result is not None
    return result


def _same_result(html: BuildResult, check: BuildResult) -> None:
    assert check.registry == html.registry
    assert check.registry.to_json() == html.registry.to_json()
    assert check.findings == html.findings
    assert check.reports == html.reports
    assert check.summaries == html.summaries
    assert [(o.row, o.location, o.ok, o.summary) for o in check.executed] == [
        (o.row, o.location, o.ok, o.summary) for o in html.executed
    ]
    assert dict(check.outcomes) == dict(html.outcomes)
    assert (check.failed, check.problems, check.drift) == (html.failed, html.problems, html.drift)
    assert check.executed, "check ran the rows in its own build"


def _printed(build: Build, subtype: str) -> list[str]:
    """The build's located ``subtype`` lines (its summary, "xenabi: ...", aside)."""
    lines = _ANSI.sub("", build.warnings).splitlines()
    return [line for line in lines if f"[xenabi.{subtype}]" in line and ": xenabi: " not in line]


def test_the_real_site_gives_check_the_html_builds_result(
    site: Build, site_reading: TreeReading
) -> None:
    html = _result(site)
    reading = site_reading
    _same_result(html, reading.result)
    code, summary = verdict(reading, DOCS)
    assert code == EXIT_CLEAN and not html.failed
    assert summary.startswith(
        f"xenabi check: {len(html.registry.tables) - html.unchecked} table(s)"
    )


def test_a_drifted_copy_gives_check_the_html_builds_result_and_count(
    drifted_abi_pages: Path, drifted_abi_build: Build
) -> None:
    # the real ABI pages, R10 changed to RCX in the current 64-bit row (conftest)
    drifted, drifted_html = drifted_abi_pages, drifted_abi_build
    html = _result(drifted_html)
    assert drifted_html.statuscode == 1 and html.failed and html.drift == 1
    reading: TreeReading = read_tree(drifted, REPO)
    _same_result(html, reading.result)
    code, summary = verdict(reading, drifted)
    assert code == EXIT_FINDINGS
    assert summary.startswith(
        f"xenabi check: {html.drift} disagreement(s), {html.problems} table problem(s), "
        f"{html.execution_failures} row(s) failed on the emulated CPU in "
        f"{len(html.registry.tables)} table(s)"
    )
    # check prints what the html build logged: the same drift lines, word for word,
    # and the build's summary counts them.
    assert [
        line_text(p, reading.srcdir) for p in reading.problems if p.subtype is WarningSubtype.DRIFT
    ] == _printed(drifted_html, "drift")
    assert f"xenabi: {html.drift} disagreement(s)" in html.summaries[0].message
    # The rejected row fails in the page as in the result both read.
    failing = [o for o in html.outcomes.values() if not o.ok]
    assert failing and all("rejected by the drift gate" in o.summary for o in failing)
