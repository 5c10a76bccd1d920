"""JUnit XML held to the format CI servers read (``junit.xsd`` beside this module)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import xmlschema

JUNIT_XSD = Path(__file__).with_name("junit.xsd")


@cache
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(JUNIT_XSD)


def validate_junit(text: str) -> None:
    """Raise xmlschema's error, saying where, when ``text`` is not valid JUnit XML.

    Beyond the schema, each count must be what the report holds: a suite's
    ``tests``, ``failures`` and ``skipped`` its cases', the root's the sum;
    and a case fails at most once (CI tools count one failure per case).
    """
    from defusedxml import ElementTree

    junit_schema().validate(text)
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
    for name, count in totals.items():
        assert int(root.get(name, "0")) == count, name
