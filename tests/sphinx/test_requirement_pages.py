"""A requirement item's page shows its verdict: status, links both ways, examples, evidence.

The root (tests/roots/test-verifies): Arm64 items in reST and MyST, each
verified by a block against the build's reference, the model of Xen 4.22
here, the head Xen tree in the tests marked ``site``. The pages are read as
a reader sees them (``support/requirement_pages.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.building import Build, build_root, copy_root
from support.lines import line_of, replace_once
from support.requirement_pages import ItemView, read_items, read_page
from support.xen_trees import copy_real_tree

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

NUM = "requirement-XenSwdgn-arm64_hyp_num-1"
VERSION_CMD = "requirement-XenProd-version_hyp_version_cmd-1"
VERSION = "requirement-XenSwdgn-version-1"
RET_VAL = "requirement-XenSwdgn-arm64_ret_val-1"
X16_EXPECTED = """>>> spec.conventions["arm64"].index
   'X16'"""
NUM_FACTS = (
    "arm64 hypercall number register = X16; arm64 argument registers = X0 X1 X2 X3 X4; "
    "arm64 result register = X0; hypercall 17 = xen_version; "
    "xen_version (17) for Arm 64 guests = available; arm64 hypercall instruction = HVC 0xea1"
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_root("verifies", tmp_path / "verifies")


def _build(root: Path, **options: object) -> Build:
    return build_root(root, root.parent / "out", **options)


def _items(build: Build, page: str = "index.html") -> dict[str, ItemView]:
    return read_items(build.outdir / page)


def test_a_verified_item_shows_its_status_examples_and_the_models_facts(root: Path) -> None:
    build = _build(root)
    assert build.statuscode == 0, build.warnings
    num = _items(build)[NUM]
    # Beside the id, readable at a glance, and styled by its class.
    assert (num.status, num.status_classes) == (
        "\u2714 verified",
        ["xenabi-req-status", "xenabi-req-verified"],
    )
    assert "xenabi-req-verified" in num.panel.classes
    assert num.line("\u2714 verified") == "\u2714 verified against the built-in model of Xen 4.22"
    line = line_of(root / "index.rst", ".. xenabi-verifies:: XenSwdgn~arm64_hyp_num~1")
    anchor = "xenabi-verifies-XenSwdgn-arm64_hyp_num-1"
    assert num.line("Examples:") == f"Examples: index.rst:{line} (4 examples, \u2714 passed)"
    assert num.line_links("Examples:") == [(f"#{anchor}", f"index.rst:{line}")]
    # The link reaches the block, which the page shows.
    (block,) = [
        e for e in read_page(build.outdir / "index.html").iter() if e.attrs.get("id") == anchor
    ]
    assert "xenabi-verifies" in block.classes
    assert num.line("Evidence:") == (
        "Evidence: the built-in model of Xen 4.22 backs the examples; no Xen source was read. "
        f"They read: {NUM_FACTS}."
    )
    assert num.line("Why:") == num.line("Failed:") == num.line("Covered by:") == ""


def test_an_item_links_what_it_covers_and_what_covers_it(root: Path) -> None:
    build = _build(root)
    items = _items(build, "version.html")
    # XenSwdgn~version~1 covers the product item (MyST): both ways, linked.
    assert items[VERSION_CMD].line("Covered by:") == "Covered by: XenSwdgn~version~1"
    assert items[VERSION_CMD].line_links("Covered by:") == [(f"#{VERSION}", "XenSwdgn~version~1")]
    covers = [link for link in items[VERSION].section.links() if link[0] == f"#{VERSION_CMD}"]
    assert covers == [(f"#{VERSION_CMD}", "XenProd~version_hyp_version_cmd~1")]


def test_a_needed_but_missing_cover_is_said_in_the_panel(root: Path) -> None:
    replace_once(
        root / "version.md", " - `XenProd~version_hyp_version_cmd~1`", " - `XenProd~other~1`"
    )
    build = _build(root)
    assert _items(build, "version.html")[VERSION_CMD].line("Covered by:") == (
        "Covered by: no item yet (it needs XenSwdgn)"
    )


def test_a_failing_example_fails_its_item_on_the_page_citing_the_reference(root: Path) -> None:
    replace_once(root / "index.rst", X16_EXPECTED, X16_EXPECTED.replace("'X16'", "'X17'"))
    build = _build(root)
    assert build.statuscode == 1
    num = _items(build)[NUM]
    assert (num.status, num.status_classes[-1]) == ("\u2718 failed", "xenabi-req-failed")
    assert "xenabi-req-failed" in num.panel.classes
    line = line_of(root / "index.rst", ".. xenabi-verifies:: XenSwdgn~arm64_hyp_num~1")
    example = line_of(root / "index.rst", '>>> spec.conventions["arm64"].index')
    assert num.line("Examples:") == f"Examples: index.rst:{line} (4 examples, \u2718 failed)"
    assert num.line("Failed:") == "Failed:"
    assert num.list_items("xenabi-req-reasons") == [
        f'index.rst:{example}: spec.conventions["arm64"].index expected "\'X17\'", got '
        "\"'X16'\"; the reference says arm64 hypercall number register = X16 (the built-in model)"
    ]
    # Only the first example ran: the evidence is what it read.
    assert num.line("Evidence:").endswith("They read: arm64 hypercall number register = X16.")


def test_an_unasserted_claim_leaves_its_item_unverified_saying_why(root: Path) -> None:
    replace_once(
        root / "index.rst",
        "Xen shall read x16 to obtain the hypercall number.",
        "Xen shall read x17 to obtain the hypercall number.",
    )
    num = _items(_build(root))[NUM]
    assert (num.status, num.status_classes[-1]) == ("? unverified", "xenabi-req-unverified")
    assert num.line("Why:") == "Why:"
    assert num.list_items("xenabi-req-reasons") == [
        "x17 in XenSwdgn~arm64_hyp_num~1 is not verified"
    ]


def test_a_build_that_runs_no_examples_says_so_instead_of_a_verdict(root: Path) -> None:
    build = _build(root, confoverrides={"xenabi_execute_tables": False})
    num = _items(build)[NUM]
    assert (num.status, num.status_classes[-1]) == ("\u2013 not checked", "xenabi-req-not-checked")
    assert num.line("\u2013 not checked") == "\u2013 not checked (this build runs no examples)"
    assert num.line("Examples:") == num.line("Evidence:") == ""


def test_a_verdict_changed_by_another_page_rewrites_the_items_page(root: Path) -> None:
    build = _build(root)
    assert _items(build, "version.html")[RET_VAL].status == "\u2714 verified"
    # A block on index.rst, the only page read again, fails the item on version.md.
    with (root / "index.rst").open("a", encoding="utf-8") as page:
        page.write(
            "\n.. xenabi-verifies:: XenSwdgn~arm64_ret_val~1\n\n"
            '   >>> spec.conventions["arm64"].result\n'
            "   'X1'\n"
        )
    build = build_root(root, root.parent / "out", freshenv=False)
    status = _ANSI.sub("", build.status)
    assert re.findall(r"reading sources\.\.\. \[[^\]]*\] (\S+)", status) == ["index"]
    ret_val = _items(build, "version.html")[RET_VAL]
    assert ret_val.status == "\u2718 failed"
    assert "index.rst:" in ret_val.line("Examples:")


@pytest.mark.site
def test_the_xen_source_lines_back_the_items_and_a_contradicting_one_is_cited(
    root: Path, tmp_path: Path
) -> None:
    source = copy_real_tree("head", tmp_path / "xen")
    build = _build(root, confoverrides={"xenabi_xen_source": str(source)})
    assert build.statuscode == 0, build.warnings
    num = _items(build)[NUM]
    assert num.status == "\u2714 verified"
    name = next(p for p in num.panel.find_all("p") if p.text().startswith("\u2714")).text()
    assert re.fullmatch(
        r"\u2714 verified against the Xen [\w.-]+ source \(built with every hypercall enabled\)",
        name,
    )
    assert num.line("Evidence:").endswith(
        "source (built with every hypercall enabled) that the examples read:"
    )
    assert num.list_items("xenabi-req-evidence")[:2] == [
        "xen/arch/arm/traps.c:2126 do_trap_hypercall(regs, &regs->x16, hsr); "
        "\u2192 arm64 hypercall number register = X16",
        "xen/arch/arm/traps.c:1393 #define HYPERCALL_ARG1(r) (r)->x0 "
        "\u2192 arm64 argument registers = X0 X1 X2 X3 X4",
    ]

    replace_once(source / "xen/arch/arm/traps.c", "&regs->x16", "&regs->x17")
    build = _build(root, confoverrides={"xenabi_xen_source": str(source)})
    num = _items(build)[NUM]
    assert num.status == "\u2718 failed"
    example = line_of(root / "index.rst", '>>> spec.conventions["arm64"].index')
    assert num.list_items("xenabi-req-reasons") == [
        f'index.rst:{example}: spec.conventions["arm64"].index expected "\'X16\'", got '
        "\"'X17'\"; the reference says arm64 hypercall number register = X17 "
        "(xen/arch/arm/traps.c:2126: do_trap_hypercall(regs, &regs->x17, hsr);)"
    ]
    assert num.list_items("xenabi-req-evidence") == [
        "xen/arch/arm/traps.c:2126 do_trap_hypercall(regs, &regs->x17, hsr); "
        "\u2192 arm64 hypercall number register = X17"
    ]


def test_examples_that_read_no_fact_say_so(root: Path) -> None:
    replace_once(
        root / "index.rst", "   >>> hvc(GuestType.ARM64, 17, 0).transfer\n   'HVC 0xea1'\n", ""
    )
    instr = _items(_build(root))["requirement-XenSwdgn-arm64_hyp_instr-1"]
    assert instr.status == "\u2714 verified"
    assert instr.line("Evidence:") == (
        "Evidence: the built-in model of Xen 4.22 backs the examples; no Xen source was read. "
        "They read none of its facts by name."
    )


def test_a_builder_that_writes_no_pages_renders_no_verdicts(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # check runs the dummy builder: what a page would show of the verdicts is
    # not worth computing there, but the verdicts and the status are the same.
    from sphinx_xenabi.results import requirement_status

    rendered: list[str] = []
    render = requirement_status.render_requirements

    def counting(app: object, doctree: object, docname: str) -> None:
        rendered.append(docname)
        render(app, doctree, docname)  # type: ignore[arg-type]

    monkeypatch.setattr(requirement_status, "render_requirements", counting)
    dummy = _build(root, buildername="dummy")
    assert rendered == []
    html = build_root(root, root.parent / "html")
    assert "index" in rendered
    assert (dummy.statuscode, dummy.warnings) == (html.statuscode, html.warnings)
