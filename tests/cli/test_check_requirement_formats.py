"""``check`` reports each requirement item in every format, and exits by them.

The ``test-requirements-export`` root (no ABI table) has one item of each
verdict: ``XenSwdgn~arm64_hyp_num~1`` verified, ``~arm64_ret_val~1``
failed (its example expects ``'X1'``), ``~arm64_hyp_param~1`` unverified by
a claim (``x4``) and ``XenProd~arm64_hypercalls~1`` unverified, no block
naming it. Its ``xenabi_drift = "warning"`` makes the failing example a
warning, as the html build logs it; ``check`` exits 1 on it all the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from defusedxml import ElementTree

from sphinx_xenabi.cli import main
from sphinx_xenabi.cli.check_formats import report_schema
from support.junit import located, validate_junit
from support.lines import line_of, nth_line_of, replace_once
from support.paths import ROOTS

PRODUCT = "XenProd~arm64_hypercalls~1"
NUM = "XenSwdgn~arm64_hyp_num~1"
PARAM = "XenSwdgn~arm64_hyp_param~1"
RET = "XenSwdgn~arm64_ret_val~1"
WRONG = """spec.conventions["arm64"].result expected "'X1'", got "'X0'\""""
CITED = "the reference says arm64 result register = X0 (the built-in model)"
FAILED = f"example verifying XenSwdgn~arm64_ret_val~1 failed: {WRONG}; {CITED}"
SUMMARY = (
    "xenabi check: 1 of 3 xenabi-verifies block(s) failed against the reference model for Xen "
    "4.22 (release in conf.py); 4 requirement(s): 1 verified, 1 failed, 2 unverified"
)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The root as ``docs/`` of a checkout that is the working directory."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOTS / "test-requirements-export", docs)
    monkeypatch.chdir(tmp_path)
    return docs


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", "docs", "-q", *args])
    return code, capsys.readouterr().out


def lines(docs: Path) -> dict[str, int]:
    return {
        "claim": nth_line_of(docs / "design.md", "Description:", 2),  # the field's first line
        "failing": line_of(docs / "design.md", '>>> spec.conventions["arm64"].result'),
        "product": line_of(docs / "index.rst", f"`{PRODUCT}`"),
        "ret": line_of(docs / "design.md", f"`{RET}`"),
    }


def test_text_names_the_failing_example_and_warns_of_each_unverified_item(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = check(capsys)
    at = lines(tree)
    docs = "docs"  # relative to the working directory, as in every format
    assert code == 1
    assert out.splitlines() == [
        f"{docs}/design.md:{at['claim']}: WARNING: x0 - x4 in {PARAM} is not verified (no passing "
        "example mentions x4) [xenabi.unverified-claim]",
        f"{docs}/design.md:{at['failing']}: WARNING: {FAILED} [xenabi.verification]",
        f"{docs}/index.rst:{at['product']}: WARNING: {PRODUCT} is unverified: no example "
        f"verifies {PRODUCT} [xenabi.unverified-requirement]",
        SUMMARY,
    ]


def test_unverified_items_alone_leave_check_clean(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace_once(tree / "design.md", "'X1'\n```", "'X0'\n```")
    code, out = check(capsys)
    assert code == 0  # unverified is a warning, not a failure
    assert [line.rsplit("[", 1)[1] for line in out.splitlines()] == [
        "xenabi.unverified-claim]",
        "xenabi.unverified-requirement]",
    ]  # -q: no summary line when clean
    code = main(["check", "docs"])
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == (
        "xenabi check: 0 table(s), 3 xenabi-verifies block(s) agree with the reference model for "
        "Xen 4.22 (release in conf.py); 4 requirement(s): 2 verified, 2 unverified"
    )


def test_json_lists_each_requirement_with_its_status(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = check(capsys, "--format", "json")
    data = json.loads(out)
    jsonschema.validate(data, report_schema())
    assert (code, data["exit_code"], data["summary"]) == (1, 1, SUMMARY)
    at = lines(tree)
    items = {r["id"]: r for r in data["requirements"]}
    assert list(items) == [NUM, PARAM, RET, PRODUCT]
    assert items[RET] == {
        "id": RET,
        "type": "XenSwdgn",
        "title": "Return value",
        "file": "docs/design.md",
        "line": at["ret"],
        "status": "failed",
        "reasons": [f"design.md:{at['failing']}: {WRONG}; {CITED}"],
        "failed": True,
        "messages": [FAILED],
    }
    assert (items[NUM]["status"], items[NUM]["failed"], items[NUM]["messages"]) == (
        "verified",
        False,
        [],
    )
    assert (items[PRODUCT]["status"], items[PRODUCT]["failed"]) == ("unverified", False)
    assert items[PRODUCT]["messages"] == [f"{PRODUCT} is unverified: no example verifies {PRODUCT}"]
    subtypes = [m["subtype"] for m in data["messages"]]
    assert subtypes == ["unverified-claim", "verification", "unverified-requirement"]


def test_github_annotates_each_requirement_finding(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = check(capsys, "--format", "github")
    at = lines(tree)
    assert code == 1
    assert out.splitlines()[1:] == [
        f"::warning file=docs/design.md,line={at['failing']},title=xenabi.verification::" + FAILED,
        f"::warning file=docs/index.rst,line={at['product']},title=xenabi.unverified-requirement"
        f"::{PRODUCT} is unverified: no example verifies {PRODUCT}",
        SUMMARY,
    ]


def test_gitlab_gives_the_failure_its_severity_and_the_unverified_info(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = check(capsys, "--format", "gitlab")
    at = lines(tree)
    issues = [
        (i["check_name"], i["severity"], i["location"]["path"], i["location"]["lines"]["begin"])
        for i in json.loads(out)
    ]
    assert code == 1
    assert issues == [
        ("xenabi.unverified-claim", "info", "docs/design.md", at["claim"]),
        ("xenabi.verification", "minor", "docs/design.md", at["failing"]),  # a warning here
        ("xenabi.unverified-requirement", "info", "docs/index.rst", at["product"]),
    ]


def test_junit_has_one_case_per_requirement(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(capsys, "--format", "junit")
    validate_junit(out)
    assert code == 1
    root = ElementTree.fromstring(out)
    (suite,) = root.findall("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (
        "requirements",
        "4",
        "1",
        "2",
    )
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == [NUM, PARAM, RET, PRODUCT]
    assert list(cases[NUM]) == []  # passed
    assert cases[RET].get("classname") == "xenabi.requirement.XenSwdgn"
    at = lines(tree)
    assert cases[RET].get("file") is None  # xunit2: junit-10 has no file on a case
    (failure,) = cases[RET]
    assert (failure.tag, failure.get("type"), failure.get("message")) == (
        "failure",
        "xenabi.verification",
        FAILED,
    )
    assert failure.text == f"docs/design.md:{at['failing']}: {FAILED}"
    for name in (PARAM, PRODUCT):
        assert [child.tag for child in cases[name]] == ["skipped", "system-out"]
    skipped = cases[PRODUCT].find("skipped")
    assert skipped.get("message") == f"no example verifies {PRODUCT}"
    # where the unverified item is, relative to the working directory: its text says it
    assert skipped.text == f"docs/index.rst:{at['product']}: no example verifies {PRODUCT}"
    texts = [e.text for e in suite.iter() if e.tag in ("failure", "skipped", "system-out")]
    assert all(Path(path).is_file() for text in texts for path, _ in located(text))


def test_junit_xunit1_names_each_item_s_file_and_line(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = check(capsys, "--format", "junit", "--junit-family", "xunit1")
    validate_junit(out, "xunit1")
    assert code == 1
    root = ElementTree.fromstring(out)
    assert root.get("skipped") == "2"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    at = lines(tree)
    assert (cases[RET].get("file"), cases[RET].get("line")) == ("docs/design.md", str(at["ret"]))
    assert (cases[PRODUCT].get("file"), cases[PRODUCT].get("line")) == (
        "docs/index.rst",
        str(at["product"]),
    )
    assert all(Path(case.get("file")).is_file() for case in cases.values())
    assert cases[PRODUCT].find("skipped").text is None  # the attributes say where


def test_broken_links_fail_check_and_are_failed_cases(capsys: pytest.CaptureFixture[str]) -> None:
    docs = ROOTS / "test-requirements-broken"
    code = main(["check", str(docs), "-q", "--format", "junit"])
    out = capsys.readouterr().out
    validate_junit(out)
    assert code == 1
    suites = {s.get("name"): s for s in ElementTree.fromstring(out).findall("testsuite")}
    # the malformed entries, in no item, are findings of their own
    assert len(suites["other findings"].findall("testcase")) == 3
    cases = suites["requirements"].findall("testcase")
    failed = {
        c.get("name"): sorted(f.get("type") for f in c.findall("failure"))
        for c in cases
        if c.find("failure") is not None
    }
    assert failed == {
        "XenSwdgn~good~1": ["xenabi.duplicate-requirement"],  # the later of the two
        "XenSwdgn~unwanted~1": ["xenabi.covers-unwanted"],
        "XenProd~outdated~1": ["xenabi.covers-outdated"],
        "XenProd~predated~1": ["xenabi.covers-predated"],
        "XenProd~orphaned~1": ["xenabi.covers-unknown"],
    }
    # a need no item covers yet is work to do, as an unverified item is: a warning
    (forgotten,) = [c for c in cases if c.get("name") == "XenMkt~forgotten~1"]
    assert [child.tag for child in forgotten] == ["skipped", "system-out"]  # one output
    (uncovered, unverified) = forgotten[1].text.splitlines()
    assert "no XenProd item covers it" in uncovered and "is unverified" in unverified
    assert "[xenabi" not in forgotten[1].text
    code = main(["check", str(docs), "-q"])
    assert code == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "xenabi check: 8 requirement finding(s) in 9 requirement(s): 9 unverified, 1 uncovered need(s)"
    )
