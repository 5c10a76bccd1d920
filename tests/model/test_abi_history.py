"""The ABI's history and the diff's directives: the model's and sources' histories,
rendered by real Sphinx builds of ``tests/roots/test-history`` and of small trees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sphinx.util.console import strip_colors

from conftest import Build
from html_tables import read_tables
from sphinx_xenabi.model.abi import revision_for
from sphinx_xenabi.model.abi_diff import Rule, Severity
from sphinx_xenabi.model.abi_history import history, model_history, model_releases
from sphinx_xenabi.model.diff_report import DiffFormatError, diff_schema, load
from sphinx_xenabi.model.spec import Release
from sphinx_xenabi.model.xen_source import read_xen_source
from xen_trees import c_tables_tree, hypercall_defs_tree

MODEL_HISTORY = [
    ("4.14", "compatible", "hypercall 42 (hypfs_op) added, available to all guest types"),
    ("4.14", "compatible", "multicall (13) now available to HVM 32 and HVM 64 guests"),
    ("4.14", "compatible", "vm_assist (21) now available to HVM 32 and HVM 64 guests"),
    ("4.17", "breaking", "parameter 6 (R9, EBP) removed"),
    ("4.17", "breaking", "parameter count reduced from 6 to 5"),
    ("4.22", "breaking", "xenoprof_op (31) no longer available to PV 32 and PV 64 guests"),
]


def test_the_model_history_release_by_release() -> None:
    assert model_releases()[0] == Release(4, 13) and model_releases()[-1] == Release(4, 22)
    lines = [
        (str(entry.release), line.severity.value, line.text)
        for entry in model_history()
        for line in entry.lines
    ]
    assert lines == MODEL_HISTORY


def test_one_line_tells_the_sixth_parameter_of_both_abis() -> None:
    (entry,) = history([revision_for(Release(4, 16)), revision_for(Release(4, 17))])
    line = entry.lines[0]
    assert [c.message for c in line.changes] == [
        "64bit parameter 6 (R9) removed",
        "32bit parameter 6 (EBP) removed",
    ]
    assert line.where is None  # the model locates nothing


def test_the_history_of_two_source_trees_is_located(tmp_path: Path) -> None:
    old = read_xen_source(c_tables_tree(tmp_path / "4.13")).spec()
    new = read_xen_source(hypercall_defs_tree(tmp_path / "4.19")).spec()
    (entry,) = history([new, old])  # any order: by release
    assert (entry.previous, entry.release) == (Release(4, 13), Release(4, 19))
    assert [(line.text, str(line.where)) for line in entry.lines] == [
        ("parameter 6 (R9, EBP) removed", "xen/arch/x86/pv/hypercall.c:16"),
        ("parameter count reduced from 6 to 5", "xen/scripts/gen_hypercall.awk:3"),
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


# -- the directives in real builds --------------------------------------------------


@pytest.mark.sphinx("html", testroot="history", freshenv=True)
def test_the_history_and_diff_directives_render(app: Any) -> None:
    app.build()
    assert app.statuscode == 0
    assert strip_colors(app.warning.getvalue()) == ""
    outdir = Path(app.outdir)
    (table,) = read_tables(outdir / "history.html")
    assert "ABI changes, Xen 4.13 to 4.22 (the reference model)" in str(table["caption"])
    rows = table["rows"]
    assert rows[0] == ["Release", "For guests", "Change"]  # type: ignore[index]
    assert rows[1] == ["4.13", "", "first release shown: 6 parameters, 43 hypercall numbers"]  # type: ignore[index]
    # The release cell spans its lines: later lines of a release have two cells.
    assert rows[5] == ["4.17", "breaking", "parameter 6 (R9, EBP) removed"]  # type: ignore[index]
    assert rows[6] == ["breaking", "parameter count reduced from 6 to 5"]  # type: ignore[index]
    tables = read_tables(outdir / "diff.html")
    (diff_table,) = tables  # the Markdown output, parsed into a real table
    assert diff_table["rows"][0] == ["Severity", "Change", "Rule"]  # type: ignore[index]
    assert diff_table["rows"][1] == [
        "breaking",
        "64bit parameter 6 (R9) removed",
        "parameter-removed",
    ]  # type: ignore[index]
    page = (outdir / "diff.html").read_text(encoding="utf-8")
    assert "| Severity | Change | Rule |" in page  # :source: shows the Markdown too
    assert "xenabi diff: the model, Xen 4.13 -&gt; the model, Xen 4.14" in page  # :format: text
    for rule in Rule:
        assert f'<span class="pre">{rule.value}</span>' in page


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


CONF = 'extensions = ["myst_parser", "sphinx_xenabi"]\nrelease = "4.22"\n'


def test_the_history_from_source_trees_has_a_where_column(make_app: Any, tmp_path: Path) -> None:
    c_tables_tree(tmp_path / "xen-4.13")
    hypercall_defs_tree(tmp_path / "xen-4.19")
    srcdir = _tree(
        tmp_path / "docs",
        {"conf.py": CONF, "index.rst": "History\n=======\n\n.. xenabi-abi-history::\n"},
    )
    app = make_app(
        "html",
        srcdir=srcdir,
        freshenv=True,
        confoverrides={"xenabi_history_sources": ["../xen-4.19", "../xen-4.13"]},
    )
    app.build()
    assert app.statuscode == 0, app.warning.getvalue()
    (table,) = read_tables(Path(app.outdir) / "index.html")
    assert "Xen 4.13 to 4.19 (the Xen source, all)" in str(table["caption"])
    assert table["rows"][0] == ["Release", "For guests", "Change", "Where"]  # type: ignore[index]
    assert table["rows"][2] == [  # type: ignore[index]
        "4.19",
        "breaking",
        "parameter 6 (R9, EBP) removed",
        "xen/arch/x86/pv/hypercall.c:16",
    ]


@pytest.mark.parametrize(
    ("files", "overrides", "words"),
    [
        (
            {"index.rst": "T\n=\n\n.. xenabi-abi-diff:: 4.16 4.17\n"},
            {},
            "renders only in a Markdown (MyST) page",
        ),
        ({"index.rst": "T\n=\n\n.. xenabi-abi-diff:: 4.12 4.17\n"}, {}, "Xen 4.12 is not modelled"),
        (
            {"index.rst": "T\n=\n\n.. xenabi-abi-history::\n"},
            {"xenabi_history_sources": ["nowhere-a", "nowhere-b"]},
            "cannot read the Xen source in xenabi_history_sources",
        ),
    ],
)
def test_a_misused_directive_is_one_located_error(
    make_app: Any, tmp_path: Path, files: dict[str, str], overrides: dict[str, Any], words: str
) -> None:
    srcdir = _tree(tmp_path / "docs", {"conf.py": CONF, **files})
    app = make_app("html", srcdir=srcdir, freshenv=True, confoverrides=overrides)
    app.build()
    errors = [line for line in strip_colors(app.warning.getvalue()).splitlines() if line]
    assert len(errors) == 1, errors
    assert "index.rst:4: ERROR:" in errors[0] and words in errors[0]
    assert errors[0].endswith(("[xenabi.directive]", "[xenabi.source]"))


# -- the real site (built once per session by conftest) -------------------------------


def test_the_site_shows_the_history_and_the_generated_example(site: Build) -> None:
    tables = read_tables(site.outdir / "guest-guide/x86/hypercall-abi.html")
    (history_table,) = [t for t in tables if "xenabi-abi-history" in str(t["classes"])]
    texts = [row[-1] for row in history_table["rows"][1:]]  # type: ignore[index]
    assert texts == ["first release shown: 6 parameters, 43 hypercall numbers"] + [
        text for _, _, text in MODEL_HISTORY
    ]
    tables = read_tables(site.outdir / "tooling/abi-diff.html")
    example = next(t for t in tables if t["rows"] and t["rows"][0][0] == "Severity")  # type: ignore[index]
    assert [row[1] for row in example["rows"][1:]] == [  # type: ignore[index]
        "64bit parameter 6 (R9) removed",
        "32bit parameter 6 (EBP) removed",
        "parameter count reduced from 6 to 5",
    ]
    page = (site.outdir / "tooling/abi-diff.html").read_text(encoding="utf-8")
    assert "abi_diff.schema.json" in page and '"sphinx-xenabi abi-diff 1"' in page
