"""``check --format junit``: the report as JUnit XML, in the family ``--junit-family`` names.

One ``testsuite`` per table (one ``testcase`` per row, see
:func:`.check_formats.suites`) and one for the requirement items. Two
families, as pytest has:

``xunit2`` (the default)
    Only what the Jenkins xUnit plugin's ``junit-10.xsd`` allows, the schema
    CI tools hold JUnit reports to (pytest validates its own xunit2 reports
    against it). A test case there has a class name and a name but no file
    or line, so every finding in a failure's text, and a skipped item's
    text, starts with ``PATH:LINE:`` (the path relative to the working
    directory); a suite keeps its table's ``file``, which junit-10 allows.
``xunit1``
    Also ``file`` and ``line`` on each test case and ``skipped`` on the
    root, as pytest's xunit1 reports write them: GitLab links a case to its
    file by that attribute. No published schema has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from sphinx_xenabi.cli.check_formats import CheckReport, problem_line, suites
from sphinx_xenabi.cli.choices import JUNIT_FAMILIES, XUNIT1, XUNIT2
from sphinx_xenabi.model.verification import Status

if TYPE_CHECKING:
    from sphinx_xenabi.model.problems import Problem


def _suite_element(
    root: ElementTree.Element, name: str, cases: int, failed: int, skipped: int
) -> ElementTree.Element:
    return ElementTree.SubElement(
        root,
        "testsuite",
        name=name,
        tests=str(cases),
        failures=str(failed),
        errors="0",
        skipped=str(skipped),
    )


def _case_element(
    suite: ElementTree.Element,
    classname: str,
    name: str,
    where: tuple[str, int | None],
    family: str,
) -> ElementTree.Element:
    """A ``testcase``; in xunit1 with its file and line (``where``)."""
    attributes = {"classname": classname, "name": name}
    file, line = where
    if family == XUNIT1:
        if file:
            attributes["file"] = file
        if line is not None:
            attributes["line"] = str(line)
    return ElementTree.SubElement(suite, "testcase", attributes)


def _located(problem: Problem, report: CheckReport) -> str:
    """``PATH:LINE: MESSAGE``: the finding where a reader finds it from the working directory."""
    file, line = report.problem_path(problem), problem_line(problem)
    where = "" if file is None else f"{file}:{line}: " if line else f"{file}: "
    return f"{where}{problem.message}"


def _add_problems(
    testcase: ElementTree.Element, problems: Sequence[Problem], report: CheckReport
) -> None:
    """One failure element for the findings that fail (CI tools count one per case), its
    message the first's and its text every one, located; the findings that inform as output."""
    failing = [p for p in problems if p.fails]
    if failing:
        failure = ElementTree.SubElement(testcase, "failure")
        failure.set("type", f"xenabi.{failing[0].subtype}")
        more = f" (and {len(failing) - 1} more)" if len(failing) > 1 else ""
        failure.set("message", failing[0].message + more)
        failure.text = "\n".join(_located(p, report) for p in failing)
    informing = [p for p in problems if not p.fails]
    if informing:
        output = ElementTree.SubElement(testcase, "system-out")
        output.text = "\n".join(_located(p, report) for p in informing)


def _requirement_suite(
    root: ElementTree.Element, report: CheckReport, family: str
) -> tuple[int, int, int]:
    """One case per requirement item: failed, skipped when unverified, else passed."""
    cases = report.requirements
    failed = sum(1 for c in cases if c.failed)
    skipped = sum(1 for c in cases if not c.failed and c.status is Status.UNVERIFIED)
    element = _suite_element(root, "requirements", len(cases), failed, skipped)
    for case in cases:
        file = report.shown(case.location.file)
        testcase = _case_element(
            element,
            f"xenabi.requirement.{case.artifact_type}",
            case.id,
            (file, case.location.line),
            family,
        )
        if not case.failed and case.status is Status.UNVERIFIED:
            reasons = "; ".join(case.reasons) or f"{case.id} is unverified"
            skip = ElementTree.SubElement(testcase, "skipped", message=reasons)
            if family == XUNIT2:  # no file attribute says where the item is: its text does
                skip.text = f"{file}:{case.location.line}: {reasons}"
        _add_problems(testcase, case.problems, report)
    return len(cases), failed, skipped


def to_junit(report: CheckReport, family: str = XUNIT2) -> str:
    """The report as JUnit XML of ``family`` (``xunit2`` or ``xunit1``)."""
    if family not in JUNIT_FAMILIES:
        raise ValueError(f"unknown JUnit family {family!r}: expected one of {JUNIT_FAMILIES}")
    root = ElementTree.Element("testsuites", name="sphinx-xenabi check")
    total = failures = skipped = 0
    for suite in suites(report):
        failed = sum(1 for c in suite.cases if c.failed)
        element = _suite_element(root, suite.name, len(suite.cases), failed, 0)
        if suite.file:
            element.set("file", suite.file)  # junit-10 has file on a suite too
        total += len(suite.cases)
        failures += failed
        for case in suite.cases:
            classname = f"xenabi.{suite.kind}.{suite.file}"
            testcase = _case_element(element, classname, case.name, (case.file, case.line), family)
            _add_problems(testcase, case.problems, report)
    if report.requirements:
        cases, failed, skipped = _requirement_suite(root, report, family)
        total, failures = total + cases, failures + failed
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    if family == XUNIT1:  # junit-10 counts skipped cases per suite only
        root.set("skipped", str(skipped))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
