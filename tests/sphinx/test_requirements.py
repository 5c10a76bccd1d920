"""Requirement items in a Sphinx build: objects, role, index, link checks, rebuilds.

Two roots in Xen's format (``docs/fusa/reqs``), reST and MyST:
``test-requirements`` (a whole chain of market, product and design items
and references to them) and ``test-requirements-broken`` (every link check,
a duplicate, malformed ids and entries, references to no item). Builds are
real Sphinx builds, nitpicky as ``sphinx-build -n``. Xen's own requirements:
tests/sphinx/test_xen_requirements.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sphinx_xenabi.cli.reading import read_tree
from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.results.build_result import BuildResult
from sphinx_xenabi.results.state import build_state
from support.building import Build, build_root, build_test_root, copy_root
from support.html_tables import read_links
from support.messages import xenabi_warnings
from support.paths import ROOTS

# Each document's items in the order written.
CHAIN = {
    "XenMkt~run_domains~1": ("market-reqs/reqs", "Run domains"),
    "XenMkt~version_hypercall~1": ("market-reqs/reqs", "Version hypercall"),
    "XenProd~version_hyp_version_cmd~2": ("product-reqs/reqs", "Version command"),
    "XenProd~emulated_timer~1": ("product-reqs/reqs", "Emulated timer"),
    "XenSwdgn~timer_read_freq~1": ("design-reqs/timer", "Read system counter frequency"),
    "XenSwdgn~version~1": ("design-reqs/version", "Version"),
}


def anchor(item_id: str) -> str:
    return "requirement-" + item_id.replace("~", "-")


def result_of(build: Build) -> BuildResult:
    result = build_state(build.app)
    assert result is not None
    return result


def objects_of(build: Build) -> dict[str, tuple[str, str]]:
    """Every requirement object of the build: id -> (docname, anchor)."""
    lookup = xenabi_domain(build.app.env).requirement_lookup
    return {o.name: (o.docname, o.anchor) for o in lookup.objects()}


def inventory_listing(inventory: Path) -> str:
    """What ``python -m sphinx.ext.intersphinx OBJECTS.INV`` prints."""
    run = subprocess.run(
        [sys.executable, "-m", "sphinx.ext.intersphinx", str(inventory)],
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout


def touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """test-requirements, built once for the read-only tests."""
    build = build_root(ROOTS / "test-requirements", tmp_path_factory.mktemp("reqs") / "html")
    assert build.statuscode == 0
    assert build.warnings == ""
    return build


# -- objects, anchors, links ------------------------------------------------------------


def test_every_item_is_an_object_anchored_on_its_section(chain: Build) -> None:
    assert objects_of(chain) == {
        item_id: (docname, anchor(item_id)) for item_id, (docname, _) in CHAIN.items()
    }
    for item_id, (docname, title) in CHAIN.items():
        page = (chain.outdir / f"{docname}.html").read_text(encoding="utf-8")
        assert re.search(rf'<span id="{anchor(item_id)}"></span><h\d>{title}<', page), item_id


def test_the_build_result_holds_the_items_and_their_links(chain: Build) -> None:
    trace = result_of(chain).requirements
    # by document, then line: the order does not depend on reading
    assert [str(i.id) for i in trace.items] == sorted(CHAIN, key=lambda i: CHAIN[i][0])
    assert trace.by_type() == {"XenMkt": 2, "XenProd": 2, "XenSwdgn": 2}
    assert trace.links == 4
    assert trace.problems == ()
    product = next(i for i in trace.items if i.id.name == "version_hyp_version_cmd")
    assert product.location == Location("product-reqs/reqs.md", 5)
    assert product.text("Comments") == (
        "The minor number is encoded in the 16 least significant bits."
    )


def test_the_role_links_by_id_with_or_without_revision_and_reads_as_the_id(chain: Build) -> None:
    version = f"product-reqs/reqs.html#{anchor('XenProd~version_hyp_version_cmd~2')}"
    links = [
        link for link in read_links(chain.outdir / "references.html") if "#requirement-" in link[0]
    ]
    assert links == [
        (version, "XenProd~version_hyp_version_cmd~2"),
        (version, "XenProd~version_hyp_version_cmd~2"),  # written without the revision
        (f"market-reqs/reqs.html#{anchor('XenMkt~version_hypercall~1')}", "the market need"),
        (f"design-reqs/version.html#{anchor('XenSwdgn~version~1')}", "XenSwdgn~version~1"),
    ]
    timer = [
        link
        for link in read_links(chain.outdir / "design-reqs/timer.html")
        if "#requirement-" in link[0]
    ]
    emulated_timer = (
        f"../product-reqs/reqs.html#{anchor('XenProd~emulated_timer~1')}",
        "XenProd~emulated_timer~1",
    )
    # MyST: the role's link, then the item's Covers entry, which its page links too.
    assert timer == [emulated_timer, emulated_timer]


def test_the_requirement_index_lists_each_id_by_type_with_status_and_title(chain: Build) -> None:
    page = (chain.outdir / "xenabi-requirementindex.html").read_text(encoding="utf-8")
    rows = re.findall(
        r'<a href="([^"]+)"><code class="xref">([^<]+)</code></a></td><td>'
        r"<strong>([^<]+):</strong>\s*<em>([^<]+)</em>",
        page,
    )
    assert rows == [
        (f"{docname}.html#{anchor(i)}", i, "? unverified", title)
        for i, (docname, title) in sorted(CHAIN.items())
    ]
    groups = re.findall(r'<tr class="cap" id="cap-(\w+)">', page)
    assert groups == ["XenMkt", "XenProd", "XenSwdgn"]


def test_objects_inv_lists_each_item_and_its_unrevised_name(chain: Build) -> None:
    listing = inventory_listing(chain.outdir / "objects.inv")
    section = listing.split("xenabi:requirement\n", 1)[1].split("\n\n", 1)[0]
    entries = dict(re.findall(r"^\s+(\S+)\s.*?: (\S+)$", section, re.M))
    for item_id, (docname, _) in CHAIN.items():
        assert entries[item_id] == f"{docname}.html#{anchor(item_id)}"
        assert entries[item_id.rsplit("~", 1)[0]] == entries[item_id]
    assert "xenabi-requirementindex" in listing.split("std:label\n", 1)[1]


def test_a_build_without_items_has_no_requirement_index(tmp_path: Path) -> None:
    build = build_test_root("xref", tmp_path)
    assert not (build.outdir / "xenabi-requirementindex.html").exists()
    assert result_of(build).requirements.items == ()


# -- the link checks ----------------------------------------------------------------------

BROKEN = [
    ("market.rst", 29, "bad-requirement"),  # `XenMkt~malformed~one`
    ("product.md", 41, "bad-requirement"),  # Needs: 2XenTest
    ("product.md", 52, "bad-requirement"),  # Covers: `XenMkt run domains`
    ("design.rst", 32, "duplicate-requirement"),
    ("design.rst", 27, "covers-unwanted"),
    ("product.md", 24, "covers-outdated"),
    ("product.md", 37, "covers-predated"),
    ("product.md", 51, "covers-unknown"),
    ("market.rst", 24, "uncovered-requirement"),
    ("references.rst", 4, "unknown-requirement"),
    ("references.rst", 6, "unknown-requirement"),
]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return build_root(
        ROOTS / "test-requirements-broken", tmp_path_factory.mktemp("broken") / "html"
    )


def test_each_link_check_is_a_typed_warning_at_its_line(broken: Build) -> None:
    found = [(w["file"], w["line"], w["type"]) for w in xenabi_warnings(broken)]
    assert found == [(file, line, f"xenabi.{kind}") for file, line, kind in BROKEN]
    messages = {w["type"]: w["message"] for w in xenabi_warnings(broken)}
    assert messages["xenabi.covers-outdated"] == (
        "XenProd~outdated~1 covers XenMkt~run_domains~1, but that item is at revision 2: "
        "review XenProd~outdated~1 against the new revision and cover XenMkt~run_domains~2"
    )
    assert messages["xenabi.unknown-requirement"].endswith(
        "XenMkt~run_domains~2 is the latest revision written"
    )


def test_the_result_reports_the_findings_check_prints(broken: Build) -> None:
    result = result_of(broken)
    trace = result.requirements
    assert [str(i.id) for i in trace.items].count("XenSwdgn~good~1") == 2
    expected = [
        (WarningSubtype(kind), Location(file, line))
        for file, line, kind in BROKEN
        if kind != "unknown-requirement"  # a reference, resolved when pages are written
    ]
    assert [(p.subtype, p.location) for p in result.reports] == expected
    assert [(p.subtype, p.location) for p in trace.problems] == expected[3:]
    reading = read_tree(ROOTS / "test-requirements-broken", None)
    assert [(p.subtype, p.location) for p in reading.problems][: len(expected)] == expected


def test_a_suppressed_check_is_silent_and_kept_in_the_trace(tmp_path: Path) -> None:
    build = build_test_root(
        "requirements-broken",
        tmp_path,
        confoverrides={"suppress_warnings": ["xenabi.uncovered-requirement"]},
    )
    assert "uncovered-requirement" not in build.warnings
    result = result_of(build)
    assert WarningSubtype.UNCOVERED_REQUIREMENT not in {p.subtype for p in result.reports}
    assert WarningSubtype.UNCOVERED_REQUIREMENT in {p.subtype for p in result.requirements.problems}


# -- rebuilds -----------------------------------------------------------------------------


def test_parallel_and_serial_builds_give_the_same_objects(tmp_path: Path) -> None:
    src = ROOTS / "test-requirements"
    serial = build_root(src, tmp_path / "serial", parallel=1)
    parallel = build_root(src, tmp_path / "parallel", parallel=2)
    assert serial.warnings == parallel.warnings == ""
    env = parallel.app.env
    pids = {env.metadata[doc]["test_reader_pid"] for doc in env.found_docs}
    assert os.getpid() not in pids and len(pids) >= 2
    assert objects_of(parallel) == objects_of(serial)
    assert result_of(parallel).requirements == result_of(serial).requirements
    assert inventory_listing(parallel.outdir / "objects.inv") == inventory_listing(
        serial.outdir / "objects.inv"
    )


@pytest.mark.parametrize("parallel", [0, 2], ids=["serial", "parallel"])
def test_a_new_revision_rebuilt_incrementally_matches_a_fresh_build(
    tmp_path: Path, parallel: int
) -> None:
    src = copy_root("requirements", tmp_path / "test-requirements")
    out = tmp_path / "out"
    assert build_root(src, out, parallel=parallel).warnings == ""
    product = src / "product-reqs/reqs.md"
    product.write_text(
        product.read_text(encoding="utf-8").replace(
            "version_hyp_version_cmd~2", "version_hyp_version_cmd~3"
        ),
        encoding="utf-8",
    )
    touch_later(product)

    again = build_root(src, out, parallel=parallel, freshenv=False)
    assert "0 added, 1 changed, 0 removed" in again.status
    found = [(w["file"], w["line"], w["type"]) for w in xenabi_warnings(again)]
    assert found == [
        ("design-reqs/version.rst", 16, "xenabi.covers-outdated"),  # not re-read
        ("product-reqs/reqs.md", 20, "xenabi.uncovered-requirement"),  # ~3: no design covers it
        ("references.rst", 4, "xenabi.unknown-requirement"),  # ~2 is gone: written again
    ]
    fresh = build_root(src, tmp_path / "fresh", parallel=parallel)
    assert objects_of(again) == objects_of(fresh)
    assert result_of(again).requirements == result_of(fresh).requirements
    # the page that names the item without its revision now links to revision 3
    assert read_links(out / "references.html") == read_links(fresh.outdir / "references.html")
    assert "XenProd~version_hyp_version_cmd~3" in dict(read_links(out / "references.html")).values()


def test_deleting_a_page_removes_its_items(tmp_path: Path) -> None:
    src = copy_root("requirements", tmp_path / "test-requirements")
    out = tmp_path / "out"
    build_root(src, out)
    (src / "design-reqs/timer.md").unlink()
    index = src / "index.rst"
    index.write_text(
        index.read_text(encoding="utf-8").replace("   design-reqs/timer\n", ""), encoding="utf-8"
    )
    touch_later(index)

    again = build_root(src, out, freshenv=False)
    assert "XenSwdgn~timer_read_freq~1" not in objects_of(again)
    found = [(w["file"], w["line"], w["type"]) for w in xenabi_warnings(again)]
    assert found == [("product-reqs/reqs.md", 37, "xenabi.uncovered-requirement")]
