"""Requirement items read from doctrees, as Xen writes them in reST and MyST.

The pages are parsed with docutils (and myst-parser) alone, in Xen's own
format (``docs/fusa/reqs``): a section, its id alone in backticks, then
``Description:``, ``Rationale:``, ``Comments:``, ``Covers:`` and ``Needs:``.
"""

from __future__ import annotations

import pytest
from docutils import nodes
from docutils.core import publish_doctree
from hypothesis import given
from hypothesis import strategies as st

from sphinx_xenabi.extraction.id_nodes import ID_NODES, has_backticked_tilde
from sphinx_xenabi.extraction.requirements import RequirementExtraction, extract_requirements
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.requirements import (
    COMMENTS,
    DESCRIPTION,
    RATIONALE,
    RequirementId,
    trace_requirements,
)

RST = """\
.. SPDX-License-Identifier: CC-BY-4.0

Version hypercall
=================

The requirements of the version hypercall.

Version command
---------------

`XenProd~version_hyp_version_cmd~1`

Description:
Xen shall provide a command (num 0) for hypercall (num 17) to retrieve Xen's
version in the domain's register 0.

Rationale:

Comments:
Xen version is composed of major and minor number.

The minor number is encoded in the 16 least significant bits.

Covers:
 - `XenMkt~version_hypercall~1`

Needs:
 - XenSwdgn

Return value
------------

`XenSwdgn~arm64_ret_val~1`

Description:
Xen shall store the return value in x0.

Rationale:
-EFAULT is one of the error codes.

Comments:

Covers:
 - `XenProd~version_hyp_version_cmd~1`
 - `XenProd~hyp_err_ret_val~1`

| [1] https://example.org/errno.h
"""

MYST = """\
# Version hypercall

## Version command

`XenProd~version_hyp_version_cmd~1`

Description:
Xen shall provide a command (num 0) for hypercall (num 17) to retrieve Xen's
version in the domain's register 0.

Rationale:

Comments:
Xen version is composed of major and minor number.

The minor number is encoded in the 16 least significant bits.

Covers:
 - `XenMkt~version_hypercall~1`

Needs:
 - XenSwdgn
"""

FILE = "reqs.rst"


def parse(text: str, markdown: bool = False) -> nodes.document:
    settings = {"report_level": 5, "doctitle_xform": False}
    if markdown:
        from myst_parser.parsers.docutils_ import Parser

        return publish_doctree(text, parser=Parser(), settings_overrides=settings)
    return publish_doctree(text, settings_overrides=settings)


def extract(text: str, markdown: bool = False) -> RequirementExtraction:
    file = "reqs.md" if markdown else FILE
    return extract_requirements(parse(text, markdown), "reqs", file, lambda source: file)


def test_a_section_with_an_id_paragraph_is_an_item_with_its_fields_and_lines() -> None:
    extraction = extract(RST)
    assert extraction.problems == ()
    product, design = (f.item for f in extraction.found)
    assert product.id == RequirementId("XenProd", "version_hyp_version_cmd", 1)
    assert product.title == "Version command"
    assert product.docname == "reqs"
    assert product.location == Location(FILE, 11)
    assert [(f.name, f.location.line) for f in product.fields] == [
        (DESCRIPTION, 13),
        (RATIONALE, 17),
        (COMMENTS, 19),
    ]
    assert product.text(DESCRIPTION) == (
        "Xen shall provide a command (num 0) for hypercall (num 17) to retrieve Xen's "
        "version in the domain's register 0."
    )
    assert product.text(RATIONALE) == ""
    assert product.text(COMMENTS) == (
        "Xen version is composed of major and minor number.\n\n"
        "The minor number is encoded in the 16 least significant bits."
    )
    assert [(str(c.target), c.location.line) for c in product.covers] == [
        ("XenMkt~version_hypercall~1", 25)
    ]
    assert [(n.artifact_type, n.location.line) for n in product.needs] == [("XenSwdgn", 28)]
    assert (product.covers_location, product.needs_location) == (
        Location(FILE, 24),
        Location(FILE, 27),
    )
    # The rationale's "-EFAULT" is text; the footnote after the list is no field's.
    assert design.text(RATIONALE) == "-EFAULT is one of the error codes."
    assert [str(c.target) for c in design.covers] == [
        "XenProd~version_hyp_version_cmd~1",
        "XenProd~hyp_err_ret_val~1",
    ]
    assert design.needs == ()
    assert design.needs_location is None


def test_the_section_node_is_returned_for_its_anchor() -> None:
    [found, _] = extract(RST).found
    assert isinstance(found.section, nodes.section)
    assert found.section.children[0].astext() == "Version command"


def test_myst_reads_the_same_item_on_its_own_lines() -> None:
    [found] = extract(MYST, markdown=True).found
    [rst] = [f.item for f in extract(RST).found][:1]
    item = found.item
    assert item.id == rst.id and item.title == rst.title
    assert [(f.name, f.text) for f in item.fields] == [(f.name, f.text) for f in rst.fields]
    assert item.location == Location("reqs.md", 5)
    assert [(str(c.target), c.location.line) for c in item.covers] == [
        ("XenMkt~version_hypercall~1", 19)
    ]
    assert [(n.artifact_type, n.location.line) for n in item.needs] == [("XenSwdgn", 22)]


def test_sections_without_an_id_paragraph_are_not_items() -> None:
    text = """\
Title of the requirement
========================

`unique_tag`

Description:
This shall describe the requirement.

Another
=======

Prose with `XenProd~vcpus~1` inside a sentence is a mention, not an id.
"""
    assert extract(text) == RequirementExtraction((), ())


def test_a_malformed_id_is_a_located_problem_and_no_item() -> None:
    text = "Bad\n===\n\n`XenProd~vcpus~one`\n\nDescription:\nXen shall.\n"
    extraction = extract(text)
    assert extraction.found == ()
    [problem] = extraction.problems
    assert problem.subtype is WarningSubtype.BAD_REQUIREMENT
    assert problem.location == Location(FILE, 4)
    assert "the revision 'one' must be a number" in problem.message


@pytest.mark.parametrize("markdown", [False, True])
def test_covers_may_name_its_ids_on_its_own_line(markdown: bool) -> None:
    # "Covers: `id`, `id`" in one paragraph, as "Needs: XenSwdgn" may be.
    title = "# Item\n" if markdown else "Item\n====\n"
    text = title + "\n`XenProd~vcpus~1`\n\nCovers: `XenMkt~run~1`, `XenMkt~stop~2`\n"
    extraction = extract(text, markdown)
    [found] = extraction.found
    assert [str(c.target) for c in found.item.covers] == ["XenMkt~run~1", "XenMkt~stop~2"]
    assert extraction.problems == ()


@pytest.mark.parametrize(
    ("text", "markdown", "expected"),
    [
        (RST, False, True),
        (MYST, True, True),
        ("Shell\n=====\n\n::\n\n  [root@host ~]# xl info\n\nA ~ in prose.\n", False, False),
        ("# Shell\n\n```\n[root@host ~]# xl info\n```\n\nHome is ~.\n", True, False),
        ("Bad\n===\n\n`~`\n", False, True),  # no id, but a fault to report
    ],
)
def test_only_a_backticked_word_with_a_tilde_makes_a_page_worth_reading(
    text: str, markdown: bool, expected: bool
) -> None:
    assert has_backticked_tilde(parse(text, markdown)) is expected


_FRAGMENTS = ["`a~b`", "``c~d``", "*e~f*", "~", "`plain`", "**`g~h`**", ":ref:`i~j`", "text"]


@given(
    st.lists(st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=4), max_size=4),
    st.booleans(),
)
def test_the_tilde_walk_finds_what_a_search_of_every_text_node_finds(
    paragraphs: list[list[str]], quoted: bool
) -> None:
    # The walk by hand against the plain definition: a Text node with a ``~``
    # whose parent is a title reference or a literal.
    body = "\n\n".join(("> " if quoted else "") + " ".join(words) for words in paragraphs)
    doctree = parse(f"Page\n====\n\n{body}\n", False)
    expected = any(
        "~" in text and isinstance(text.parent, ID_NODES) for text in doctree.findall(nodes.Text)
    )
    assert has_backticked_tilde(doctree) is expected


def test_malformed_fields_are_located_problems_and_the_item_stays() -> None:
    text = """\
Item
====

`XenProd~vcpus~1`

Description:
Xen shall.

Covers:
 - `XenMkt~run~1`
 - `XenMkt run 1`

Needs:
 - Xen Swdgn
 - XenSwdgn

Description:
Again.
"""
    extraction = extract(text)
    [found] = extraction.found
    assert [str(c.target) for c in found.item.covers] == ["XenMkt~run~1"]
    assert [n.artifact_type for n in found.item.needs] == ["XenSwdgn"]
    assert found.item.text(DESCRIPTION) == "Xen shall."
    assert [(p.subtype, p.location.line if p.location else None) for p in extraction.problems] == [
        (WarningSubtype.BAD_REQUIREMENT, 11),
        (WarningSubtype.BAD_REQUIREMENT, 14),
        (WarningSubtype.BAD_REQUIREMENT, 17),
    ]
    assert "Needs: 'Xen Swdgn' is not an artifact type" in extraction.problems[1].message
    assert "Description is given twice (first at line 6)" in extraction.problems[2].message


def test_a_list_field_without_a_list_is_a_problem() -> None:
    text = "Item\n====\n\n`XenMkt~run~1`\n\nDescription:\nXen shall.\n\nNeeds:\n\nComments:\n"
    extraction = extract(text)
    [problem] = extraction.problems
    assert problem.location == Location(FILE, 9)
    assert "Needs: lists no artifact types" in problem.message


def test_inline_needs_and_text_before_the_first_field_as_openfasttrace_reads_them() -> None:
    text = "Item\n====\n\n`XenMkt~run~1`\n\nXen shall run.\n\nNeeds: XenProd, XenSwdgn\n"
    [found] = extract(text).found
    assert found.item.text(DESCRIPTION) == "Xen shall run."
    assert found.item.needed_types == ("XenProd", "XenSwdgn")


def test_a_document_whose_only_section_became_its_title_is_read() -> None:
    # docutils alone lifts a lone section to the document title (Sphinx does not).
    text = "Error Return Value\n------------------\n\n`XenProd~hyp_err_ret_val~1`\n"
    doctree = publish_doctree(text, settings_overrides={"report_level": 5})
    [found] = extract_requirements(doctree, "reqs", FILE, lambda s: FILE).found
    assert found.item.title == "Error Return Value"


# -- never a traceback --------------------------------------------------------------

_FRAGMENTS = [
    "Item\n====",
    "Sub\n---",
    "`XenProd~vcpus~1`",
    "`XenMkt~run~2`",
    "`XenProd~vcpus~one`",
    "`~`",
    "`XenProd~~`",
    "``XenSwdgn~a.b-c~7``",
    "Description:",
    "Description:\nXen shall.",
    "Rationale:",
    "Comments:\nA comment.",
    "Covers:",
    "Needs:",
    "Needs: XenProd, 2Bad",
    "Covers: `XenMkt~run~2`, `XenMkt run`",
    " - `XenMkt~run~2`",
    " - `XenMkt run 2`",
    " - XenSwdgn",
    " - Xen Swdgn",
    " -",
    " - - nested",
    "   indented text",
    ".. note:: a note",
    ".. comment",
    "| [1] a line block",
    "* item",
    "Covers:\n - `XenProd~vcpus~1`\n\n   - `XenProd~deep~1`",
    "Term\n   Definition.",
]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=25), st.booleans())
def test_any_page_gives_records_and_located_problems_never_a_traceback(
    fragments: list[str], markdown: bool
) -> None:
    text = "\n\n".join(fragments) + "\n"
    if markdown:
        text = text.replace("Item\n====", "# Item").replace("Sub\n---", "## Sub")
    extraction = extract(text, markdown)
    trace = trace_requirements(f.item for f in extraction.found)
    for problem in (*extraction.problems, *trace.problems):
        assert problem.location is not None and problem.location.line >= 0
