"""Requirement ids and the link checks, on records written here (no Sphinx).

The checks follow OpenFastTrace's meanings: a ``Covers`` id no item has
(orphaned), an earlier or later revision than the one written (outdated,
predated), a link the covered item does not need (unwanted), a needed type
nothing covers (uncovered) and an id given twice (duplicate).
"""

from __future__ import annotations

import pytest

from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.requirements import (
    CoverLink,
    NeededType,
    RequirementId,
    RequirementItem,
    looks_like_id,
    trace_requirements,
)

FILE = "reqs.rst"


def rid(text: str) -> RequirementId:
    return RequirementId.parse(text)


def item(
    text: str, line: int, covers: tuple[str, ...] = (), needs: tuple[str, ...] = ()
) -> RequirementItem:
    """An item at ``line``, its Covers entries at the lines after it, then its Needs."""
    links = tuple(CoverLink(rid(c), Location(FILE, line + 1 + i)) for i, c in enumerate(covers))
    wanted = tuple(
        NeededType(n, Location(FILE, line + 1 + len(covers) + i)) for i, n in enumerate(needs)
    )
    return RequirementItem(
        rid(text), text, "reqs", Location(FILE, line), covers=links, needs=wanted
    )


# -- ids ------------------------------------------------------------------------


def test_an_id_is_type_name_and_revision() -> None:
    parsed = rid("XenProd~version_hyp_version_cmd~1")
    assert (parsed.artifact_type, parsed.name, parsed.revision) == (
        "XenProd",
        "version_hyp_version_cmd",
        1,
    )
    assert str(parsed) == "XenProd~version_hyp_version_cmd~1"
    assert parsed.key == ("XenProd", "version_hyp_version_cmd")


@pytest.mark.parametrize(
    "text", ["dsn~SR.AB.1.1.1~1", "req~validate-password~12", "utest~utf-8.compatible.äöü~333"]
)
def test_openfasttrace_names_with_dots_dashes_and_letters_of_any_script(text: str) -> None:
    assert str(rid(text)) == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("XenProd~vcpus", "found 2 part(s)"),
        ("XenProd~vcpus~1~2", "found 4 part(s)"),
        ("Xen2Prod~vcpus~1", "the type 'Xen2Prod' must be letters only"),
        ("XenProd~1vcpus~1", "the name '1vcpus' must start with a letter"),
        ("XenProd~vcpus~one", "the revision 'one' must be a number"),
        ("XenProd~~1", "the name '' must start with a letter"),
    ],
)
def test_a_malformed_id_says_which_part_is_wrong(text: str, why: str) -> None:
    with pytest.raises(ValueError, match="is not an id") as raised:
        rid(text)
    assert why in str(raised.value)


def test_only_a_word_with_a_tilde_was_meant_as_an_id() -> None:
    # intro.rst's skeleton writes `unique_tag` where an id goes: not an attempt.
    assert not looks_like_id("unique_tag")
    assert looks_like_id("XenProd~vcpus")
    assert not looks_like_id("see ~ this")


# -- links ----------------------------------------------------------------------

MARKET = item("XenMkt~run~1", 1, needs=("XenProd",))
PRODUCT = item("XenProd~vcpus~1", 10, covers=("XenMkt~run~1",), needs=("XenSwdgn",))
DESIGN = item("XenSwdgn~vcpu_count~1", 20, covers=("XenProd~vcpus~1",))


def test_a_complete_chain_has_no_problem_and_records_its_coverage() -> None:
    trace = trace_requirements([DESIGN, PRODUCT, MARKET])
    assert trace.problems == ()
    assert trace.links == 2
    assert trace.by_type() == {"XenMkt": 1, "XenProd": 1, "XenSwdgn": 1}
    assert trace.covered_by[rid("XenMkt~run~1")] == (rid("XenProd~vcpus~1"),)
    assert trace.covered_by[rid("XenProd~vcpus~1")] == (rid("XenSwdgn~vcpu_count~1"),)


def test_a_needed_type_nothing_covers_is_uncovered_at_its_needs_entry() -> None:
    trace = trace_requirements([MARKET, PRODUCT])
    [problem] = trace.problems
    assert problem.subtype is WarningSubtype.UNCOVERED_REQUIREMENT
    assert problem.location == Location(FILE, 12)  # PRODUCT's Needs entry
    assert problem.message.startswith(
        "XenProd~vcpus~1 needs XenSwdgn, but no XenSwdgn item covers it (the docs have no "
        "XenSwdgn item)"
    )


def test_an_item_nothing_covers_is_uncovered_for_each_type_it_needs() -> None:
    lonely = item("XenMkt~alone~1", 1, needs=("XenProd", "XenSwdgn"))
    trace = trace_requirements([lonely, DESIGN])
    assert [(p.subtype, p.location) for p in trace.problems] == [
        (WarningSubtype.COVERS_UNKNOWN, Location(FILE, 21)),
        (WarningSubtype.UNCOVERED_REQUIREMENT, Location(FILE, 2)),
        (WarningSubtype.UNCOVERED_REQUIREMENT, Location(FILE, 3)),
    ]


def test_covers_naming_no_item_is_unknown_with_a_hint_for_a_slip_of_case() -> None:
    design = item("XenSwdgn~d~1", 20, covers=("XenProd~VCPUS~1", "XenProd~nothing~1"))
    trace = trace_requirements([MARKET, PRODUCT, design])
    unknown = [p for p in trace.problems if p.subtype is WarningSubtype.COVERS_UNKNOWN]
    assert [(p.location.line, p.message) for p in unknown if p.location] == [
        (
            21,
            "XenSwdgn~d~1 covers XenProd~VCPUS~1, but no item has that id "
            "(did you mean XenProd~vcpus~1?)",
        ),
        (22, "XenSwdgn~d~1 covers XenProd~nothing~1, but no item has that id"),
    ]


def test_covering_an_earlier_revision_is_outdated_and_does_not_count_as_coverage() -> None:
    product = item("XenProd~vcpus~2", 10, covers=("XenMkt~run~1",), needs=("XenSwdgn",))
    trace = trace_requirements([MARKET, product, DESIGN])
    subtypes = [(p.subtype, p.location) for p in trace.problems]
    assert subtypes == [
        (WarningSubtype.COVERS_OUTDATED, Location(FILE, 21)),
        (WarningSubtype.UNCOVERED_REQUIREMENT, Location(FILE, 12)),
    ]
    assert "that item is at revision 2" in trace.problems[0].message


def test_covering_a_later_revision_than_written_is_predated() -> None:
    design = item("XenSwdgn~vcpu_count~1", 20, covers=("XenProd~vcpus~3",))
    trace = trace_requirements([MARKET, PRODUCT, design])
    assert trace.problems[0].subtype is WarningSubtype.COVERS_PREDATED
    assert trace.problems[0].location == Location(FILE, 21)


def test_covering_an_item_that_needs_another_type_is_unwanted() -> None:
    # The market item needs XenProd, not a design item.
    design = item("XenSwdgn~shortcut~1", 20, covers=("XenMkt~run~1",))
    trace = trace_requirements([MARKET, PRODUCT, DESIGN, design])
    [problem] = trace.problems
    assert problem.subtype is WarningSubtype.COVERS_UNWANTED
    assert problem.message.startswith(
        "XenSwdgn~shortcut~1 covers XenMkt~run~1, which needs XenProd, not XenSwdgn"
    )


def test_a_duplicate_id_is_reported_at_the_later_item_and_links_go_to_the_first() -> None:
    again = item("XenProd~vcpus~1", 40, covers=("XenMkt~run~1",))
    trace = trace_requirements([again, MARKET, PRODUCT, DESIGN])
    [problem] = trace.problems
    assert problem.subtype is WarningSubtype.DUPLICATE_REQUIREMENT
    assert problem.location == Location(FILE, 40)
    assert f"the item at {FILE}:10" in problem.message


def test_the_trace_does_not_depend_on_the_order_items_are_given() -> None:
    items = [MARKET, PRODUCT, DESIGN, item("XenSwdgn~x~1", 30, covers=("XenProd~y~1",))]
    assert trace_requirements(items) == trace_requirements(reversed(items))
