"""JUnit XML held to the schema of its family (beside this module).

``xunit2``, check's default, to ``junit-10.xsd``: written after the Jenkins
xUnit plugin's schema that CI tools (and pytest) hold JUnit reports to.
``xunit1`` to ``junit-xunit1.xsd``: the same with ``file`` and ``line`` on a
test case and ``skipped`` on the root, as GitLab reads them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import xmlschema

SCHEMAS = {
    "xunit2": Path(__file__).with_name("junit-10.xsd"),
    "xunit1": Path(__file__).with_name("junit-xunit1.xsd"),
}


@cache
def junit_schema(family: str = "xunit2") -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(SCHEMAS[family])


def validate_junit(text: str, family: str = "xunit2") -> None:
    """Raise xmlschema's error, saying where, when ``text`` is not valid JUnit XML of ``family``.

    Beyond the schema, each count must be what the report holds: a suite's
    ``tests``, ``failures`` and ``skipped`` its cases', the root's the sum
    (``skipped`` only in xunit1: junit-10 has none on the root); and a case
    fails at most once (CI tools count one failure per case).
    """
    from defusedxml import ElementTree

    junit_schema(family).validate(text)
    root = ElementTree.fromstring(text)
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert all(len(c.findall("failure")) <= 1 for c in cases), suite.get("name")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for name, count in counts.items():
            assert int(suite.get(name, "0")) == count, (suite.get("name"), name)
            totals[name] += count
    if family == "xunit2":
        del totals["skipped"]
    for name, count in totals.items():
        assert int(root.get(name, "0")) == count, name


def located(text: str) -> list[tuple[str, int]]:
    """The ``PATH:LINE`` each line of a failure's (or a skipped case's) text starts with."""
    places = []
    for line in text.splitlines():
        path, number, _ = line.split(":", 2)
        places.append((path, int(number)))
    return places
