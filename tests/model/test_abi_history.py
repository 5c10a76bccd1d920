"""The ABI's history: the model's and Xen sources' histories, and the diff's JSON schema.

Their directives in real builds: tests/sphinx/test_history_directives.py; on
the site: tests/site/test_generated_docs.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sphinx_xenabi.model.abi import revision_for
from sphinx_xenabi.model.abi_compare import diff_specs
from sphinx_xenabi.model.abi_diff import Rule, Severity
from sphinx_xenabi.model.abi_history import history, model_history, model_releases, summarise
from sphinx_xenabi.model.diff_report import DiffFormatError, diff_schema, load
from sphinx_xenabi.model.spec import Release
from sphinx_xenabi.model.xen_source import read_xen_source
from support.abi_facts import MODEL_HISTORY
from support.xen_trees import c_tables_tree, hypercall_defs_tree


def test_the_model_history_release_by_release() -> None:
    assert model_releases()[0] == Release(4, 13) and model_releases()[-1] == Release(4, 22)
    lines = [
        (str(entry.release), line.severity.value, line.text)
        for entry in model_history()
        for line in entry.lines
    ]
    assert lines == MODEL_HISTORY


def test_one_line_tells_the_sixth_parameter_of_both_abis_and_the_count() -> None:
    (entry,) = history([revision_for(Release(4, 16)), revision_for(Release(4, 17))])
    (line,) = entry.lines  # the count went down because the parameter went: one change
    assert [c.message for c in line.changes] == [
        "64bit parameter 6 (R9) removed",
        "32bit parameter 6 (EBP) removed",
        "parameter count reduced from 6 to 5",
    ]
    assert line.text == "parameter 6 (R9, EBP) removed; at most 5 parameters (was 6)"
    assert line.where is None and line.places == ()  # the model locates nothing


def test_a_count_change_alone_keeps_its_own_line() -> None:
    # Six parameters stated, but no register removed: nothing to fold the count into.
    old, new = revision_for(Release(4, 16)), revision_for(Release(4, 17))
    changes = [c for c in diff_specs(old, new) if c.rule is not Rule.PARAMETER_REMOVED]
    assert [line.text for line in summarise(changes, new.hypercalls)] == [
        "parameter count reduced from 6 to 5"
    ]


def test_the_history_of_two_source_trees_is_located(tmp_path: Path) -> None:
    old = read_xen_source(c_tables_tree(tmp_path / "4.13")).spec()
    new = read_xen_source(hypercall_defs_tree(tmp_path / "4.19")).spec()
    (entry,) = history([new, old])  # any order: by release
    assert (entry.previous, entry.release) == (Release(4, 13), Release(4, 19))
    (line,) = entry.lines
    assert line.text == "parameter 6 (R9, EBP) removed; at most 5 parameters (was 6)"
    assert str(line.where) == "xen/arch/x86/pv/hypercall.c:16"
    assert [str(place) for place in line.places] == [
        "xen/arch/x86/pv/hypercall.c:16",  # R9
        "xen/arch/x86/pv/hypercall.c:28",  # EBP
        "xen/scripts/gen_hypercall.awk:3",  # the count
    ]


def test_the_schema_names_every_rule_and_severity() -> None:
    change = diff_schema()["$defs"]["change"]["properties"]
    assert change["rule"]["enum"] == [rule.value for rule in Rule]
    assert change["severity"]["enum"] == [severity.value for severity in Severity]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d.pop("hidden"), "'hidden' is a required property"),
        (lambda d: d["changes"][0].update(rule="parameter-gone"), "/changes/0/rule"),
        (lambda d: d["changes"][0].update(severity="compatible"), "is breaking, not compatible"),
        (lambda d: d.update(format="other 1"), "/format"),
    ],
)
def test_a_diff_file_that_is_not_one_the_command_wrote_is_refused(
    tmp_path: Path, edit: Any, words: str
) -> None:
    from sphinx_xenabi.model.abi_diff import DiffSide, compare
    from sphinx_xenabi.model.diff_report import to_data

    diff = compare(
        DiffSide("old", revision_for(Release(4, 16))), DiffSide("new", revision_for(Release(4, 17)))
    )
    data = to_data(diff)
    edit(data)
    path = tmp_path / "diff.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DiffFormatError, match="diff.json") as raised:
        load(path)
    assert words in str(raised.value)
