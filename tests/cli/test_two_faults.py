"""Two faults in a copy of the real ABI pages: exactly two errors in every format of ``check``.

The acceptance of "what readers and CI see": R10 written as RCX in the 64-bit
register row and VMMCALL written for Intel. ``check`` runs in a real process
from the directory that holds the copy, as a CI job runs in its checkout, so
every file a report names must exist relative to that directory, and every
format must name the same files at the same lines.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from defusedxml import ElementTree

from support.building import copy_abi_pages
from support.cli import run_cli
from support.junit import located, validate_junit
from support.lines import line_of
from support.paths import REPO

pytestmark = pytest.mark.site

PAGE = "docs/guest-guide/x86/hypercall-abi.rst"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``docs/`` (the real ABI pages) with the two faults; the site's conf.py stays in REPO."""
    root = tmp_path_factory.mktemp("two-faults")
    copy_abi_pages(root / "docs")
    page = root / PAGE
    text = page.read_text(encoding="utf-8")
    for old, new in (
        ("     - RDI RSI RDX R10 R8\n", "     - RDI RSI RDX RCX R8\n"),
        ("   * - Intel HVM\n     - VMCALL\n", "   * - Intel HVM\n     - VMMCALL\n"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    page.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def faults(checkout: Path) -> set[tuple[str, int]]:
    page = checkout / PAGE
    intel = line_of(page, "* - Intel HVM") + 1  # its instruction cell (AMD's reads VMMCALL too)
    return {(PAGE, line_of(page, "- RDI RSI RDX RCX R8")), (PAGE, intel)}


def check(checkout: Path, output_format: str, *options: str) -> subprocess.CompletedProcess[str]:
    result = run_cli(
        "check", "docs", "--conf-dir", REPO, "-q", "--format", output_format, *options, cwd=checkout
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == ""  # -q: no progress, and the build's own output held back
    return result


def test_text_reports_exactly_the_two_faults(checkout: Path, faults: set[tuple[str, int]]) -> None:
    lines = check(checkout, "text").stdout.splitlines()
    errors = [line for line in lines if ": ERROR: " in line]
    assert {(e.split(":")[0], int(e.split(":")[1])) for e in errors} == faults
    assert len(errors) == 2 and all(e.endswith("[xenabi.drift]") for e in errors)
    assert lines[-1].startswith("xenabi check: 2 disagreement(s), 0 table problem(s), ")


def test_github_annotates_exactly_the_two_faults(
    checkout: Path, faults: set[tuple[str, int]]
) -> None:
    lines = check(checkout, "github").stdout.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    located = set()
    for error in errors:
        properties = dict(
            p.split("=", 1) for p in error[len("::error ") :].split("::")[0].split(",")
        )
        located.add((properties["file"], int(properties["line"])))
    assert len(errors) == 2 and located == faults
    assert all((checkout / file).is_file() for file, _ in located)


def test_json_lists_exactly_the_two_faults(checkout: Path, faults: set[tuple[str, int]]) -> None:
    data = json.loads(check(checkout, "json").stdout)
    errors = [m for m in data["messages"] if m["level"] == "error"]
    assert len(errors) == 2 and {(m["file"], m["line"]) for m in errors} == faults
    assert data["working_dir"] == str(checkout.resolve())
    failed = [r for t in data["tables"] for r in t["rows"] if r["status"] == "fail"]
    assert [r["name"] for r in failed] == ["64bit", "Intel HVM"]
    assert all((checkout / t["file"]).is_file() for t in data["tables"])


def test_junit_validates_with_one_failure_per_case_at_existing_paths(
    checkout: Path, faults: set[tuple[str, int]]
) -> None:
    out = check(checkout, "junit").stdout
    validate_junit(out)  # xunit2, the default: junit-10.xsd's rules
    root = ElementTree.fromstring(out)
    cases = root.findall("testsuite/testcase")
    assert all(len(case.findall("failure")) <= 1 for case in cases)
    failed = [case for case in cases if case.find("failure") is not None]
    assert root.get("failures") == "2" and len(failed) == 2
    # a case is its row; its failure's text names the faulty cell's file and line
    assert [case.get("name") for case in failed] == ["64bit", "Intel HVM"]
    at = {place for case in failed for place in located(_failure(case))}
    assert at == faults  # the same path and line as github's, json's and the text's
    # every file the report names exists from where check ran
    assert all((checkout / file).is_file() for file, _ in at)
    assert all((checkout / s.get("file")).is_file() for s in root.findall("testsuite"))


def test_junit_xunit1_names_each_case_s_file(checkout: Path, faults: set[tuple[str, int]]) -> None:
    out = check(checkout, "junit", "--junit-family", "xunit1").stdout
    validate_junit(out, "xunit1")
    root = ElementTree.fromstring(out)
    cases = root.findall("testsuite/testcase")
    failed = [case for case in cases if case.find("failure") is not None]
    assert [(case.get("name"), case.get("file")) for case in failed] == [
        ("64bit", PAGE),
        ("Intel HVM", PAGE),
    ]
    assert {place for case in failed for place in located(_failure(case))} == faults
    assert all((checkout / case.get("file")).is_file() for case in cases)


def _failure(case: ElementTree.Element) -> str:
    failure = case.find("failure")
    assert failure is not None and failure.text is not None
    return failure.text


def test_gitlab_names_the_same_two_places(checkout: Path, faults: set[tuple[str, int]]) -> None:
    issues = json.loads(check(checkout, "gitlab").stdout)
    majors = [i for i in issues if i["severity"] == "major"]
    located = {(i["location"]["path"], i["location"]["lines"]["begin"]) for i in majors}
    assert len(majors) == 2 and located == faults
