"""The windows of a history, from verdicts written by hand (no git, no Sphinx)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from sphinx_xenabi.model.history import (
    Closure,
    Commit,
    Disagreement,
    HistoryFormatError,
    HistoryReport,
    Unchecked,
    Verdict,
    find_windows,
    load,
    schema,
)
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.spec import Evidence

START = datetime(2021, 12, 1, 12, tzinfo=UTC)


def commit(day: int) -> Commit:
    when = START + timedelta(days=day)
    return Commit(f"{day:040x}", when, when.isoformat(), f"commit of day {day}")


def cell(architecture: str, subject: str, line: int) -> Disagreement:
    source = Evidence("xen/arch/x86/pv/hypercall.c", 100 + line, "call_handlers_pv64(...)")
    return Disagreement(architecture, subject, Location("docs/abi.rst", line), "wrong", source)


R9 = cell("x86", "convention/64bit/parameters", 26)
EBP = cell("x86", "convention/32bit/parameters", 31)
X5 = cell("arm", "convention/arm64/parameters", 40)
X86 = frozenset({"x86"})


def verdict(day: int, *found: Disagreement, archs: frozenset[str] = X86) -> Verdict:
    return Verdict(commit(day), archs, found)


def test_a_window_opens_at_the_first_disagreement_and_closes_at_the_first_agreement() -> None:
    verdicts = [
        verdict(0),
        verdict(1),
        verdict(5, R9),
        verdict(9, R9, EBP),
        verdict(30),
        verdict(31),
    ]
    (window,) = find_windows(verdicts)
    assert (window.opened, window.last, window.closed) == (commit(5), commit(9), commit(30))
    assert window.closure is Closure.AGREED
    assert (window.days, window.commits, window.unchecked) == (25, 2, 0)
    # Each cell once, as first seen; the cells at the last disagreeing commit too.
    assert window.disagreements == (R9, EBP)
    assert window.at_last == (R9, EBP)
    assert not window.is_open and not window.opened_before_range


def test_a_cell_that_moves_is_one_cell_shown_where_it_first_stood() -> None:
    moved = Disagreement("x86", R9.subject, Location("docs/abi.rst", 28), "wrong", R9.source)
    (window,) = find_windows([verdict(0), verdict(1, R9), verdict(2, moved), verdict(3)])
    assert window.disagreements == (R9,)
    assert window.at_last == (moved,)


def test_unreadable_commits_carry_the_state_and_are_counted() -> None:
    unreadable = Verdict(commit(3), unchecked="no dispatch found")
    verdicts = [verdict(0), unreadable, verdict(2, R9), unreadable, verdict(4, R9), verdict(6)]
    (window,) = find_windows(verdicts)
    assert (window.opened, window.closed) == (commit(2), commit(6))
    assert (window.commits, window.unchecked) == (3, 1)


def test_an_open_window_and_one_open_from_the_range_start() -> None:
    (window,) = find_windows([verdict(0, R9), verdict(1), verdict(2)])
    assert window.opened_before_range and window.closed == commit(1)
    (window,) = find_windows([verdict(0), verdict(1, R9), verdict(4, EBP)])
    assert window.is_open and window.closure is None
    assert window.last == commit(4) and window.days == 3
    assert window.disagreements == (R9, EBP) and window.at_last == (EBP,)


def test_tables_removed_close_a_window_and_commits_without_tables_open_none() -> None:
    verdicts = [verdict(0, archs=frozenset()), verdict(1, R9), verdict(2, archs=frozenset())]
    (window,) = find_windows(verdicts)
    assert window.closure is Closure.TABLES_REMOVED and window.closed == commit(2)


def test_each_architecture_has_its_own_windows() -> None:
    both = frozenset({"x86", "arm"})
    verdicts = [
        verdict(0, archs=both),
        verdict(1, X5, archs=both),
        verdict(2, X5, R9, archs=both),
        verdict(3, R9, archs=both),
        verdict(4, archs=both),
    ]
    arm, x86 = find_windows(verdicts)
    assert (arm.architecture, arm.opened, arm.closed) == ("arm", commit(1), commit(3))
    assert (x86.architecture, x86.opened, x86.closed) == ("x86", commit(2), commit(4))
    assert arm.disagreements == (X5,) and x86.disagreements == (R9,)


def _report(verdicts: list[Verdict]) -> HistoryReport:
    return HistoryReport(
        repository="xen",
        docs="docs",
        range="HEAD",
        first=verdicts[0].commit,
        last=verdicts[-1].commit,
        commits=len(verdicts),
        checked_from=verdicts[0].commit,
        docs_reads=2,
        source_reads=3,
        windows=find_windows(verdicts),
        unchecked=(Unchecked(commit(3), "no dispatch found"),),
        architectures=("x86",),
    )


def test_the_json_form_is_valid_and_reads_back(tmp_path: Path) -> None:
    report = _report([verdict(0), verdict(1, R9, EBP), verdict(2)])
    data = json.loads(report.to_json())
    jsonschema.validate(data, schema())
    path = tmp_path / "history.json"
    path.write_text(report.to_json(), encoding="utf-8")
    assert load(path) == report
    assert data["windows"][0]["days"] == 1 and data["ends_in_disagreement"] is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{", "not JSON"),
        ('{"format": "sphinx-xenabi history 1"}', "at the top: 'repository' is a required"),
        ("[]", "at the top: [] is not of type 'object'"),
    ],
)
def test_a_file_that_is_not_a_history_says_where(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HistoryFormatError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value)


def test_a_wrong_field_is_named_by_its_path(tmp_path: Path) -> None:
    data = json.loads(_report([verdict(0), verdict(1, R9), verdict(2)]).to_json())
    data["windows"][0]["opened"]["sha"] = "not a sha"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(
        HistoryFormatError, match=r"at windows/0/opened/sha: 'not a sha' does not match"
    ):
        load(path)
