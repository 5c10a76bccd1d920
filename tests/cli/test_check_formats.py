"""``check --format json|github|junit|gitlab`` and ``--quiet``: what CI tools read (the tables)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from defusedxml import ElementTree

from sphinx_xenabi.cli import main
from sphinx_xenabi.cli.check_formats import line_text, report_schema
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.problems import Problem, WarningSubtype
from support.junit import junit_schema, located, validate_junit
from support.lines import line_of, line_starting, nth_line_of
from support.paths import ROOTS

# The test-rst root's tables: today's registers, transfer, 4.13-4.16 registers, numbers.
ROWS = [("registers", 2), ("transfer", 4), ("registers", 2), ("numbers", 44)]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small reST root as ``docs/`` of a checkout that is the working directory."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOTS / "test-rst", docs)
    monkeypatch.chdir(tmp_path)
    return docs


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", "docs", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_github_prints_one_workflow_command_per_finding(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, "--release", "4.16", "--format", "github")
    assert code == 1
    lines = out.splitlines()
    abi = tree / "guest" / "abi.rst"
    header = line_starting(abi, "     - Parameters (1 - 5)")
    assert (
        f"::error file=docs/guest/abi.rst,line={header},title=xenabi.drift::header announces 5 "
        "parameters; Xen 4.13 to 4.16 passes 6"
    ) in lines
    commands = lines[:-1]
    assert commands and all(x.startswith("::error file=docs/guest/") for x in commands)
    assert all(",line=" in x and "title=xenabi." in x for x in commands)
    assert lines[-1].startswith("xenabi check: ")  # the summary stays a plain log line


def test_github_escapes_what_would_end_a_command() -> None:
    from sphinx_xenabi.cli.check_formats import _escape_data, _escape_property

    assert _escape_data("50% done\nnext") == "50%25 done%0Anext"
    assert _escape_property("a:b,c") == "a%3Ab%2Cc"


def test_junit_has_one_test_case_per_table_row(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, "--format", "junit")
    assert code == 0
    validate_junit(out)  # xunit2, the default: junit-10.xsd's rules
    root = ElementTree.fromstring(out)
    assert root.tag == "testsuites" and root.get("skipped") is None
    suites = root.findall("testsuite")
    assert [(s.get("name").rsplit(" ", 1)[1], len(s.findall("testcase"))) for s in suites] == ROWS
    for suite in suites:
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(cases)) and suite.get("failures") == "0"
        # the table's file, relative to the working directory, as in every format
        assert suite.get("file", "").startswith("docs/guest/") and Path(suite.get("file")).is_file()
        for case in cases:
            assert case.get("classname") == f"xenabi.{suite.get('name').rsplit(' ', 1)[1]}." + (
                suite.get("file")
            )
            assert case.get("name") and set(case.keys()) == {"classname", "name"}
            assert list(case) == []  # passed: no failure element
    assert root.get("tests") == str(sum(n for _, n in ROWS)) and root.get("failures") == "0"


def test_junit_xunit1_names_each_case_s_file_and_line(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, "--format", "junit", "--junit-family", "xunit1")
    assert code == 0
    validate_junit(out, "xunit1")
    root = ElementTree.fromstring(out)
    assert root.get("skipped") == "0"
    suites = root.findall("testsuite")
    assert [(s.get("name").rsplit(" ", 1)[1], len(s.findall("testcase"))) for s in suites] == ROWS
    abi = tree / "guest" / "abi.rst"
    for suite in suites:
        for case in suite.findall("testcase"):
            # relative to the working directory, as in every format
            assert case.get("file", "").startswith("docs/guest/") and int(case.get("line")) > 0
            assert Path(case.get("file")).is_file() and suite.get("file") == case.get("file")
    first = suites[0].find("testcase")
    assert (first.get("file"), first.get("line")) == (
        "docs/guest/abi.rst",
        str(nth_line_of(abi, "* - 64bit")),
    )


def test_each_junit_family_holds_to_its_own_schema(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, xunit2, _ = check(capsys, "--release", "4.16", "--format", "junit")
    _, xunit1, _ = check(
        capsys, "--release", "4.16", "--format", "junit", "--junit-family", "xunit1"
    )
    validate_junit(xunit2, "xunit2")
    validate_junit(xunit1, "xunit1")
    # junit-10.xsd refuses what only xunit1 writes: a case's file and line, the root's skipped
    with pytest.raises(xmlschema.XMLSchemaValidationError, match="file|line|skipped"):
        junit_schema("xunit2").validate(xunit1)
    # the families differ by those attributes alone
    root = ElementTree.fromstring(xunit1)
    del root.attrib["skipped"]
    for case in root.iter("testcase"):
        del case.attrib["file"], case.attrib["line"]
    assert ElementTree.tostring(root) == ElementTree.tostring(ElementTree.fromstring(xunit2))


def test_junit_fails_the_rows_whose_cells_disagree(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, "--release", "4.16", "--format", "junit")
    assert code == 1
    validate_junit(out)
    root = ElementTree.fromstring(out)
    registers = next(s for s in root.findall("testsuite") if s.get("name").endswith(" registers"))
    cases = {c.get("name"): c for c in registers.findall("testcase")}
    failure = cases["64bit"].find("failure")
    assert failure is not None and failure.get("type") == "xenabi.drift"
    assert (
        failure.get("message") == "64bit parameter 6 is missing; Xen 4.13 to 4.16 passes it in R9"
    )
    # the failure's text says where: the path relative to the working directory, the line
    abi = tree / "guest" / "abi.rst"
    assert failure.text == (
        f"docs/guest/abi.rst:{line_of(abi, '- RDI RSI RDX R10 R8')}: "
        "64bit parameter 6 is missing; Xen 4.13 to 4.16 passes it in R9"
    )
    # the header's finding belongs to the table, not to a row
    whole = cases["(whole table)"].find("failure")
    assert whole is not None and "header announces 5 parameters" in whole.get("message")
    assert registers.get("failures") == "3"
    assert int(root.get("failures")) >= 3
    for failed in root.iter("failure"):
        assert all(Path(path).is_file() and line > 0 for path, line in located(failed.text))


def test_junit_family_is_one_of_two_and_only_for_junit(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        check(capsys, "--format", "junit", "--junit-family", "xunit3")
    assert exit_.value.code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith(
            "error: argument --junit-family: invalid choice: 'xunit3' "
            "(choose from 'xunit2', 'xunit1')"
        )
    )
    assert check(capsys, "--format", "json", "--junit-family", "xunit1") == (
        2,
        "",
        "error: --junit-family xunit1: only --format junit has a JUnit family "
        "(the format is json)\n",
    )


def test_json_loads_back_against_its_schema(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(capsys, "--release", "4.16", "--format", "json")
    assert code == 1
    data = json.loads(out)
    jsonschema.validate(data, report_schema())
    assert data["exit_code"] == 1
    assert data["checked_against"] == "the reference model for Xen 4.16 (--release)"
    assert data["summary"].startswith("xenabi check: ")
    by_kind = {t["kind"]: t for t in reversed(data["tables"])}  # the first table of each kind
    rows = {r["name"]: r for r in by_kind["registers"]["rows"]}
    assert rows["64bit"]["status"] == "fail"
    assert rows["64bit"]["messages"] == [
        "64bit parameter 6 is missing; Xen 4.13 to 4.16 passes it in R9"
    ]
    assert {r["status"] for r in by_kind["transfer"]["rows"]} == {"pass"}
    (first, *_) = data["messages"]
    assert first["level"] == "error" and first["subtype"] == "drift"
    assert first["file"] == "docs/guest/abi.rst"  # relative to working_dir, as in every format
    assert data["working_dir"] == str(tree.parent.resolve())
    # and a clean tree validates too
    code, out, _ = check(capsys, "--format", "json")
    clean = json.loads(out)
    jsonschema.validate(clean, report_schema())
    assert (code, clean["exit_code"], clean["messages"]) == (0, 0, [])
    assert clean["requirements"] == []  # no requirement item in this tree


def test_quiet_prints_nothing_when_clean_and_progress_goes_to_stderr(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(capsys, "--quiet") == (0, "", "")
    code, out, err = check(capsys)
    assert code == 0 and out.startswith("xenabi check: 4 table(s) agree")
    assert err.splitlines()[0] == (
        f"xenabi check: reading {tree.resolve()} with Sphinx (conf.py in {tree.resolve()}) ..."
    )
    assert "read 6 document(s), 4 ABI table(s) in " in err
    code, out, err = check(capsys, "--quiet", "--release", "4.16")
    assert code == 1 and err == ""
    assert out.splitlines()[-1].startswith("xenabi check: ")  # findings still end in a verdict


def test_a_problem_prints_as_sphinx_prints_it() -> None:
    docs = Path("/d")
    drift = Problem(WarningSubtype.DRIFT, "64bit parameter 6 is R9", Location("a.rst", 12), "error")
    assert line_text(drift, docs) == "/d/a.rst:12: ERROR: 64bit parameter 6 is R9 [xenabi.drift]"
    orphan = Problem(WarningSubtype.ORPHAN, "in no guide", Location("b.rst", 0))
    assert line_text(orphan, docs) == "/d/b.rst: WARNING: in no guide [xenabi.orphan]"
    unlocated = Problem(WarningSubtype.SOURCE, "the Xen source contradicts itself: x")
    assert line_text(unlocated, docs) == (
        "WARNING: the Xen source contradicts itself: x [xenabi.source]"
    )
    assert drift.fails and not unlocated.fails  # informs; never a failing test case


# GitLab's Code Quality report as its documentation specifies it (the fields
# GitLab reads; a custom tool's report is "an array of objects" with these).
GITLAB_CODE_QUALITY = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def test_gitlab_gives_one_code_quality_issue_per_finding(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, "--release", "4.16", "--format", "gitlab")
    assert code == 1
    issues = json.loads(out)
    jsonschema.validate(issues, GITLAB_CODE_QUALITY)
    _, text, _ = check(capsys, "--release", "4.16")
    findings = [line for line in text.splitlines() if line.endswith("]") and ": " in line]
    assert len(issues) == len(findings) > 0
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    abi = tree / "guest" / "abi.rst"
    header = line_starting(abi, "     - Parameters (1 - 5)")
    first = issues[0]
    assert (first["location"], first["check_name"], first["severity"]) == (
        {"path": "docs/guest/abi.rst", "lines": {"begin": header}},
        "xenabi.drift",
        "major",
    )
    assert first["description"] == "header announces 5 parameters; Xen 4.13 to 4.16 passes 6"
    assert all(Path(i["location"]["path"]).is_file() for i in issues)  # relative to the cwd
