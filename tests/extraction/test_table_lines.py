"""Cells located where docutils or MyST gave them no line of their own (issue 23).

One build of ``tests/roots/test-table-lines``: MyST pipe tables inside
directives (built apart from the document, so their rows carried no line),
list-tables with a table nested in a cell (whose rows were paired with the
outer table's items), simple tables with a row docutils makes up of a
doubled border (whose empty cells were placed one line after another), and
a grid table in an included file. Every finding stands at the line of its
cell, or of its table.
"""

from __future__ import annotations

import pytest
from docutils import nodes
from docutils.parsers.rst import states
from myst_parser.mdit_to_docutils.base import DocutilsRenderer

from sphinx_xenabi.extraction.cells import located_text
from support.building import Build, build_root, copy_root
from support.lines import line_in, nth_line_of
from support.messages import xenabi_warnings

# What each finding is, by its message, and where: (line, subtype, message start).
Finding = tuple[int, str, str]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    tmp = tmp_path_factory.mktemp("table-lines")
    return build_root(copy_root("table-lines", tmp / "table-lines"), tmp / "html")


def assert_findings(build: Build, file: str, expected: list[Finding]) -> None:
    """The page's findings are these: same lines and subtypes, messages that start so."""
    found = sorted(
        (w["line"], w["type"].removeprefix("xenabi."), w["message"])
        for w in xenabi_warnings(build)
        if w["file"] == file
    )
    assert [f[:2] for f in found] == [e[:2] for e in sorted(expected)], found
    for (line, subtype, message), (_, _, start) in zip(found, sorted(expected)):
        assert message.startswith(start), (line, subtype, message)


def test_the_build_succeeds_with_findings_only_on_these_pages(build: Build) -> None:
    assert build.statuscode == 0, build.warnings
    files = {w["file"] for w in xenabi_warnings(build)}
    assert files == {
        "titled.md",
        "nested.rst",
        "nested_md.md",
        "synthesised.rst",
        "including.rst",
        "parts/grid.txt",
    }


def test_pipe_tables_inside_directives_are_located_on_their_rows(build: Build) -> None:
    def line(text: str, occurrence: int = 1) -> int:
        return line_in(build.srcdir, "titled.md", text, occurrence)

    # {table}: the title states the releases; the rows stand on their lines.
    title = line("```{table} Transfer in Xen 4.18 to 4.14")
    # note: the table stands at its header row
    in_note = line("| Guest | Transfer instruction |", 2)
    # a list-table cell: the same, indented
    in_cell = line("- | Guest | Transfer instruction |")
    missing = "transfer table has no {} row"
    assert_findings(
        build,
        "titled.md",
        [
            (title, "release-range", "table title states Xen 4.18 to 4.14, a range that ends"),
            (title, "drift", missing.format("32bit PV")),
            (title, "drift", missing.format("AMD HVM")),
            (line("|  | VMMCALL |"), "empty-cell", "empty 'Guest' cell"),
            (in_note, "drift", missing.format("32bit PV")),
            (in_note, "drift", missing.format("Intel HVM")),
            (in_note, "drift", missing.format("AMD HVM")),
            # One report for the one mistake: the run's failure rides on the drift finding.
            (line("| 64bit PV | SYSCAL |"), "drift", "64bit PV transfer instruction is SYSCAL"),
            (line("| Intel HVM |  |"), "empty-cell", "empty 'Transfer instruction' cell"),
            (in_cell, "drift", missing.format("32bit PV")),
            (in_cell, "drift", missing.format("Intel HVM")),
            (in_cell, "drift", missing.format("AMD HVM")),
            (line("| AMD HVM |  |"), "empty-cell", "empty 'Transfer instruction' cell"),
        ],
    )


def _outer_rows_of_a_nested_table(build: Build, file: str) -> None:
    def line(text: str) -> int:
        return line_in(build.srcdir, file, text)

    header = line("* - Guest")
    missing = "transfer table has no {} row"
    assert_findings(
        build,
        file,
        [
            (header, "drift", missing.format(guest))
            for guest in ("32bit PV", "64bit PV", "Intel HVM", "AMD HVM")
        ]
        + [
            (line("* - 16bit PV"), "unknown-guest", "unknown transfer-table guest '16bit PV'"),
            # the rows after the nested table, each at its own item
            (line("* -"), "empty-cell", "empty 'Guest' cell"),
            (line("* - AMD HVM") + 1, "empty-cell", "empty 'Transfer instruction' cell"),
        ],
    )


def test_rows_after_a_table_nested_in_a_list_table_cell_keep_their_lines(build: Build) -> None:
    _outer_rows_of_a_nested_table(build, "nested.rst")


def test_rows_after_a_pipe_table_nested_in_a_myst_list_table_cell_keep_their_lines(
    build: Build,
) -> None:
    _outer_rows_of_a_nested_table(build, "nested_md.md")


@pytest.mark.parametrize("docname", ["nested", "including"])  # list-tables; grid tables
def test_only_entries_whose_text_carries_no_line_get_a_line_of_their_own(
    build: Build, docname: str
) -> None:
    # A line on every entry would give each its own attribute dictionary, kept
    # with the doctrees for the whole build: the extraction reads the text's.
    entries = list(build.app.env.get_doctree(docname).findall(nodes.entry))
    empty = [entry for entry in entries if not entry.astext().strip()]
    written = [entry for entry in entries if entry.astext().strip()]
    assert empty and written
    assert all(entry.line for entry in empty)
    assert all(located_text(entry) is not None and entry.line is None for entry in written)


def test_a_row_docutils_makes_of_a_doubled_border_stands_on_that_border(build: Build) -> None:
    page = build.srcdir / "synthesised.rst"
    # A header and no body: the empty row is the doubled border closing the table.
    header_only = nth_line_of(page, "=====  ====================", 3)
    # In the body: the second of two span lines.
    doubled_span = nth_line_of(page, "---------  --------------------", 2)
    first, second = (
        nth_line_of(page, "Guest  Transfer instruction"),
        line_in(build.srcdir, "synthesised.rst", "Guest      Transfer instruction"),
    )
    missing = "transfer table has no {} row"
    assert_findings(
        build,
        "synthesised.rst",
        [
            (header_only, "empty-cell", "empty 'Guest' cell"),
            (header_only, "empty-cell", "empty 'Transfer instruction' cell"),
            (doubled_span, "empty-cell", "empty 'Guest' cell"),
            (doubled_span, "empty-cell", "empty 'Transfer instruction' cell"),
        ]
        + [
            (first, "drift", missing.format(guest))
            for guest in ("32bit PV", "64bit PV", "Intel HVM", "AMD HVM")
        ]
        + [(second, "drift", missing.format(guest)) for guest in ("32bit PV", "AMD HVM")],
    )


def test_a_grid_table_in_an_included_file_is_located_in_that_file(build: Build) -> None:
    included = "parts/grid.txt"
    empty = line_in(build.srcdir, included, "| Intel HVM |                      |")
    header = line_in(build.srcdir, included, "| Guest     | Transfer instruction |")
    missing = "transfer table has no {} row"
    assert_findings(
        build,
        "parts/grid.txt",
        [(empty, "empty-cell", "empty 'Transfer instruction' cell")]
        + [(header, "drift", missing.format(g)) for g in ("32bit PV", "Intel HVM", "AMD HVM")],
    )
    own_empty = line_in(build.srcdir, "including.rst", "|           | VMCALL               |")
    own_header = line_in(build.srcdir, "including.rst", "| Guest     | Transfer instruction |")
    assert_findings(
        build,
        "including.rst",
        [(own_empty, "empty-cell", "empty 'Guest' cell")]
        + [(own_header, "drift", missing.format(g)) for g in ("32bit PV", "Intel HVM", "AMD HVM")],
    )


def test_the_row_builders_are_their_own_again_after_the_build(build: Build) -> None:
    # Wrapped from builder-inited to build-finished only (functools.wraps marks a wrapper).
    assert not hasattr(states.Body.build_table_row, "__wrapped__")
    assert not hasattr(DocutilsRenderer.render_table_row, "__wrapped__")
