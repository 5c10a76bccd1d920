"""The site's own requirements (docs/requirements): linked, and each verified by its examples.

The pages write market, product and design items in Xen's notation, each
followed by ``xenabi-verifies`` blocks that the html build runs against the
reference (the model of the site's release). Here: the items and their
levels, the links between them, and every item's verdict from its blocks and
the values its description and comments state.
"""

from __future__ import annotations

from collections import Counter

from sphinx_xenabi.model.claims import claims
from sphinx_xenabi.model.requirements import RequirementItem
from sphinx_xenabi.model.verification import Status, verify_requirement
from sphinx_xenabi.results.build_result import BuildResult
from sphinx_xenabi.results.state import build_state
from support.building import Build
from support.requirement_pages import read_items

PAGES = {
    "requirements/market": ("XenabiMkt",),
    "requirements/product": ("XenabiProd",),
    "requirements/x86": ("XenabiSwdgn",),
    "requirements/arm": ("XenabiSwdgn",),
    "requirements/version": ("XenabiSwdgn",),
}


def _result(site: Build) -> BuildResult:
    result = build_state(site.app)
    assert result is not None
    return result


def _text(item: RequirementItem) -> str:
    """What the claims are read from: the item's description and comments."""
    return f"{item.text('Description')}\n{item.text('Comments')}"


def test_every_item_is_on_a_requirements_page_at_its_level(site: Build) -> None:
    trace = _result(site).requirements
    assert trace.by_type() == {"XenabiMkt": 2, "XenabiProd": 6, "XenabiSwdgn": 23}
    for item in trace.items:
        assert item.id.artifact_type in PAGES[item.docname], item.id
    assert {item.docname for item in trace.items} == set(PAGES)


def test_the_items_link_up_the_levels_without_a_finding(site: Build) -> None:
    trace = _result(site).requirements
    assert trace.problems == ()
    for item in trace.items:
        kind = item.id.artifact_type
        assert [link.target.artifact_type for link in item.covers] == {
            "XenabiMkt": [],
            "XenabiProd": ["XenabiMkt"] * len(item.covers),
            "XenabiSwdgn": ["XenabiProd"] * len(item.covers),
        }[kind], item.id
        if kind != "XenabiMkt":
            assert item.covers, item.id
        if kind != "XenabiSwdgn":
            assert item.needed_types, item.id


def test_every_item_is_verified_by_the_examples_on_its_page(site: Build) -> None:
    result = _result(site)
    assert result.verifications and all(o.passed for o in result.verifications)
    assert all(o.block.location.file.startswith("requirements/") for o in result.verifications)
    verdicts = {
        str(item.id): verify_requirement(str(item.id), _text(item), result.verifications)
        for item in result.requirements.items
    }
    assert {
        name: v.reasons for name, v in verdicts.items() if v.status is not Status.VERIFIED
    } == {}
    # every block names an item of the site
    named = {name for o in result.verifications for name in o.block.ids}
    assert named == set(verdicts)


def test_the_design_items_state_the_values_of_the_abi(site: Build) -> None:
    """The claims the examples must assert: registers, immediates, numbers, sizes."""
    items = {str(i.id): i for i in _result(site).requirements.items}
    stated = Counter(c.kind.value for i in items.values() for c in claims(_text(i)))
    assert sum(stated.values()) == 30
    values = {name: [c.value for c in claims(_text(item))] for name, item in items.items()}
    assert values["XenabiSwdgn~arm64_hyp_num~1"] == ["x16"]
    assert values["XenabiSwdgn~arm32_hyp_param~1"] == ["r0-r4", "r0"]
    assert values["XenabiSwdgn~arm_hyp_instr~1"] == [0xEA1]
    assert values["XenabiSwdgn~arm_hyp_debug_poison~1"] == [0xDEADBEEF, "x16", "r12", "x0", "r0"]
    assert values["XenabiSwdgn~x86_pv32_instr~1"] == [0x82]
    assert values["XenabiSwdgn~version_capabilities_buffer~1"] == [3, 17, 1024]


def test_each_items_page_shows_it_verified_with_its_examples_and_the_models_evidence(
    site: Build,
) -> None:
    shown = {
        anchor: view
        for page in PAGES
        for anchor, view in read_items(site.outdir / f"{page}.html").items()
    }
    assert len(shown) == 31
    for anchor, view in shown.items():
        assert view.status == "\u2714 verified", anchor
        assert view.line("\u2714 verified") == (
            "\u2714 verified against the built-in model of Xen 4.22"
        ), anchor
        # Its blocks, linked to where the page shows them.
        links = view.line_links("Examples:")
        assert links and all(h.startswith("#xenabi-verifies-") for h, _ in links), anchor
        assert "\u2714 passed" in view.line("Examples:") and "failed" not in view.line("Examples:")
        assert view.line("Evidence:").startswith(
            "Evidence: the built-in model of Xen 4.22 backs the examples; no Xen source was read."
        ), anchor
        assert view.line("Why:") == view.line("Failed:") == ""
    # The links both ways: each product item names the design items that cover it.
    product = read_items(site.outdir / "requirements/product.html")
    covered = product["requirement-XenabiProd-arm64_abi-1"].line_links("Covered by:")
    assert ("arm.html#requirement-XenabiSwdgn-arm64_hyp_num-1", "XenabiSwdgn~arm64_hyp_num~1") in (
        covered
    )
