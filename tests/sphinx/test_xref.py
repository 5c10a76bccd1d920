"""Hypercalls as Sphinx objects: roles, anchors, the indices, warnings, rebuilds.

Each scenario has a small root: ``test-xref`` (a full numbers table and pages
that refer to it in reST and MyST), ``test-xref-unknown``,
``test-xref-duplicate`` and ``test-xref-consumer`` (another project that
links in through intersphinx). Builds are real Sphinx builds, nitpicky as
``sphinx-build -n``. The site's hypercall index and links: tests/site/test_site.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sphinx.util.console import strip_colors

from sphinx_xenabi.domain.objects import HypercallLookup, HypercallObject
from sphinx_xenabi.model.abi import HYPERCALLS
from sphinx_xenabi.model.location import Location
from support.building import Build, build_root, copy_root
from support.html_tables import hypercall_links, read_links, read_row_ids, read_tables
from support.paths import ROOTS

REFERENCE_PAGES = ("by-name", "by-number", "calls", "any")


def touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def warning_lines(build: Build) -> list[str]:
    return [line for line in strip_colors(build.warnings).splitlines() if line.strip()]


@pytest.fixture(scope="module")
def xref(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """test-xref, built once for the read-only tests."""
    src = ROOTS / "test-xref"
    result = build_root(src, tmp_path_factory.mktemp("xref") / "html")
    assert result.statuscode == 0
    assert result.warnings == ""
    return result


# -- links ---------------------------------------------------------------------------


def test_references_by_name_and_number_resolve_to_the_rows_anchor(xref: Build) -> None:
    guide = xref.outdir / "guide"
    version, iret, sched = (
        "numbers.html#hypercall-xen_version",
        "numbers.html#hypercall-iret",
        "numbers.html#hypercall-sched_op",
    )
    assert hypercall_links(guide / "by-name.html") == [
        (version, "xen_version"),
        (iret, "iret"),
        (version, "xen_version (hypercall 17)"),
        (version, "the version call"),
    ]
    # a number links to the same row and reads as the name; 0x17 is 23
    assert hypercall_links(guide / "by-number.html") == [
        (version, "xen_version"),
        (iret, "iret"),
        (sched, "sched_op (29)"),
    ]
    assert hypercall_links(guide / "calls.html") == [  # MyST
        (version, "xen_version"),
        (iret, "iret"),
        (sched, "sched_op (29)"),
    ]
    assert hypercall_links(guide / "any.html") == [(version, "xen_version")]


def test_placeholders_render_the_name_as_code_and_the_number_as_text(xref: Build) -> None:
    page = (xref.outdir / "guide/by-number.html").read_text(encoding="utf-8")
    assert (
        '<span><code class="xref xenabi xenabi-hypercall docutils literal notranslate">'
        '<span class="pre">sched_op</span></code> (29)</span>'
    ) in page


def test_every_numbers_row_carries_its_anchor(xref: Build) -> None:
    rows = read_row_ids(xref.outdir / "guide/numbers.html")
    anchored = {id_: cell for id_, cell in rows.items() if id_.startswith("hypercall-")}
    assert len(anchored) == 44
    assert anchored["hypercall-xen_version"] == "17"
    assert anchored["hypercall-paging_domctl_cont"] == "49"
    assert anchored == {f"hypercall-{h.name}": str(n) for n, h in HYPERCALLS.items()}


def test_general_index_has_an_entry_per_hypercall(xref: Build) -> None:
    links = read_links(xref.outdir / "genindex.html")
    assert ("guide/numbers.html#hypercall-xen_version", "xen_version (hypercall 17)") in links
    entries = [text for href, text in links if "#hypercall-" in href]
    # One each: the list by name is the hypercall index.
    assert sorted(entries) == sorted(f"{h.name} (hypercall {n})" for n, h in HYPERCALLS.items())


def test_hypercall_index_lists_number_name_callers_and_stub_offset(xref: Build) -> None:
    page = xref.outdir / "xenabi-hypercallindex.html"
    (table,) = [t for t in read_tables(page) if "xenabi-hypercall-index" in str(t["classes"])]
    header, *rows = table["rows"]  # type: ignore[misc]
    assert header == ["Number", "Hypercall", "May be called by", "Stub offset"]
    assert len(rows) == 44
    by_number = {int(row[0]): row for row in rows}
    assert by_number[17] == ["17", "xen_version", "PV 32, PV 64, HVM 32, HVM 64", "0x220"]
    assert by_number[23] == ["23", "iret", "PV 32, PV 64", "0x2e0"]
    assert by_number[38] == ["38", "tmem_op", "none", "0x4c0"]
    assert [int(row[0]) for row in rows] == sorted(HYPERCALLS)
    links = [(h, t) for h, t in read_links(page) if "#hypercall-" in h]
    assert ("guide/numbers.html#hypercall-xen_version", "xen_version") in links
    assert len(links) == 44
    # the index is a label, as Python's module index is
    assert ("xenabi-hypercallindex.html", "Hypercall index") in read_links(
        xref.outdir / "index.html"
    )


# -- warnings --------------------------------------------------------------------------


def test_unknown_target_warns_at_its_line_under_nitpicky_only(tmp_path: Path) -> None:
    src = ROOTS / "test-xref-unknown"
    nitpicky = build_root(src, tmp_path / "nitpicky")
    assert warning_lines(nitpicky) == [
        f"{src}/calls.md:3: WARNING: unknown hypercall 'no_such_call': expected the name or "
        "number of a row of a hypercall numbers table, found no row named 'no_such_call' "
        "[xenabi.unknown-hypercall]",
        f"{src}/refs.rst:4: WARNING: unknown hypercall 'xen_verson': expected the name or "
        "number of a row of a hypercall numbers table, found no row named 'xen_verson' "
        "(did you mean 'xen_version'?) [xenabi.unknown-hypercall]",
        f"{src}/refs.rst:6: WARNING: unknown hypercall '11': expected the name or number of a "
        "row of a hypercall numbers table, found no row with number 11 "
        "[xenabi.unknown-hypercall]",
    ]
    # the unknown ones stay text; the known one links
    assert hypercall_links(nitpicky.outdir / "refs.html") == [
        ("numbers.html#hypercall-iret", "iret")
    ]
    assert "xen_verson" in (nitpicky.outdir / "refs.html").read_text(encoding="utf-8")

    lenient = build_root(src, tmp_path / "lenient", confoverrides={"nitpicky": False})
    assert lenient.statuscode == 0
    assert lenient.warnings == ""
    assert hypercall_links(lenient.outdir / "refs.html") == [
        ("numbers.html#hypercall-iret", "iret")
    ]


def test_nitpick_ignore_silences_one_hypercall_target(tmp_path: Path) -> None:
    src = ROOTS / "test-xref-unknown"
    result = build_root(
        src, tmp_path / "out", confoverrides={"nitpick_ignore": [("xenabi:hypercall", "11")]}
    )
    assert "'11'" not in result.warnings
    assert "'xen_verson'" in result.warnings


def test_duplicate_definition_warns_at_the_second_table(tmp_path: Path) -> None:
    src = copy_root("xref-duplicate", tmp_path / "test-xref-duplicate")
    out = tmp_path / "out"
    expected = [
        f"{src}/b.rst:9: WARNING: hypercall 17 is version_of_xen here, but a.rst:9 names it "
        "xen_version: a number names one hypercall; references to 17 go to xen_version "
        "[xenabi.duplicate-hypercall]",
        f"{src}/b.rst:13: WARNING: xen_version is hypercall 24 here, but a.rst:9 defines it as "
        "hypercall 17: a hypercall has one number; references to xen_version go to the first "
        "[xenabi.duplicate-hypercall]",
    ]
    first = build_root(src, out)
    assert warning_lines(first) == expected  # b.rst's restated "23 iret" is no conflict
    assert hypercall_links(first.outdir / "refs.html") == [
        ("a.html#hypercall-xen_version", "xen_version"),
        ("a.html#hypercall-xen_version", "xen_version"),
        ("a.html#hypercall-iret", "iret"),
        ("b.html#hypercall-version_of_xen", "version_of_xen"),
        ("b.html#hypercall-xen_version", "xen_version"),
    ]
    # the tables still disagree on a rebuild that reads nothing
    again = build_root(src, out, freshenv=False)
    assert "0 added, 0 changed, 0 removed" in again.status
    assert warning_lines(again) == expected


# -- rebuilds ----------------------------------------------------------------------------


@pytest.mark.parametrize("parallel", [0, 2], ids=["serial", "parallel"])
def test_deleting_the_defining_page_leaves_references_warning(
    tmp_path: Path, parallel: int
) -> None:
    src = copy_root("xref", tmp_path / "test-xref")
    out = tmp_path / "out"
    first = build_root(src, out, parallel=parallel)
    assert first.warnings == ""
    assert hypercall_links(out / "guide/by-name.html")

    (src / "guide/numbers.md").unlink()
    index = src / "guide/index.rst"
    text = index.read_text(encoding="utf-8")
    index.write_text(text.replace("   numbers\n", ""), encoding="utf-8")
    touch_later(index)

    second = build_root(src, out, parallel=parallel, freshenv=False)
    assert "0 added, 1 changed, 1 removed" in second.status
    # the unchanged pages were written again: no link to the deleted rows is left ...
    for page in REFERENCE_PAGES:
        assert not [h for h, _ in read_links(out / f"guide/{page}.html") if "numbers.html" in h]
    # ... and each reference says so where it stands
    located = re.findall(
        r"^(.*?):(\d+): WARNING: (.*?) \[(.*?)\]$", strip_colors(second.warnings), re.M
    )
    assert {(Path(f).name, int(line), kind) for f, line, _, kind in located} == {
        ("by-name.rst", 4, "xenabi.unknown-hypercall"),
        ("by-name.rst", 6, "xenabi.unknown-hypercall"),
        ("by-name.rst", 8, "xenabi.unknown-hypercall"),
        ("by-name.rst", 10, "xenabi.unknown-hypercall"),
        ("by-number.rst", 4, "xenabi.unknown-hypercall"),
        ("by-number.rst", 6, "xenabi.unknown-hypercall"),
        ("by-number.rst", 8, "xenabi.unknown-hypercall"),
        ("calls.md", 3, "xenabi.unknown-hypercall"),
        ("calls.md", 5, "xenabi.unknown-hypercall"),
        ("calls.md", 7, "xenabi.unknown-hypercall"),
        ("any.rst", 4, "ref.any"),  # Sphinx's own warning for :any:
    }
    inventory = inventory_listing(out / "objects.inv")
    assert "xenabi:hypercall" not in inventory


def test_moving_the_table_relinks_the_pages_that_did_not_change(tmp_path: Path) -> None:
    src = copy_root("xref", tmp_path / "test-xref")
    out = tmp_path / "out"
    build_root(src, out)
    (src / "guide/numbers.md").rename(src / "guide/table.md")
    index = src / "guide/index.rst"
    index.write_text(
        index.read_text(encoding="utf-8").replace("   numbers\n", "   table\n"), encoding="utf-8"
    )
    touch_later(index)

    moved = build_root(src, out, freshenv=False)
    assert moved.warnings == ""
    assert "1 added, 1 changed, 1 removed" in moved.status
    assert hypercall_links(out / "guide/by-number.html") == [
        ("table.html#hypercall-xen_version", "xen_version"),
        ("table.html#hypercall-iret", "iret"),
        ("table.html#hypercall-sched_op", "sched_op (29)"),
    ]
    fresh = build_root(src, tmp_path / "fresh")
    for page in REFERENCE_PAGES:
        assert read_links(out / f"guide/{page}.html") == read_links(
            fresh.outdir / f"guide/{page}.html"
        )


def test_parallel_and_serial_builds_give_the_same_links(tmp_path: Path) -> None:
    src = ROOTS / "test-xref"
    serial = build_root(src, tmp_path / "serial", parallel=1)
    parallel = build_root(src, tmp_path / "parallel", parallel=2)
    assert serial.warnings == parallel.warnings == ""
    # the parallel build really read in other processes
    env = parallel.app.env
    pids = {env.metadata[doc]["test_reader_pid"] for doc in env.found_docs}
    assert os.getpid() not in pids and len(pids) >= 2
    pages = sorted(p.relative_to(serial.outdir) for p in serial.outdir.rglob("*.html"))
    assert Path("xenabi-hypercallindex.html") in pages
    for page in pages:
        assert read_links(parallel.outdir / page) == read_links(serial.outdir / page), page
    assert inventory_listing(parallel.outdir / "objects.inv") == inventory_listing(
        serial.outdir / "objects.inv"
    )


# -- other projects ------------------------------------------------------------------------


def inventory_listing(inventory: Path) -> str:
    """What ``python -m sphinx.ext.intersphinx OBJECTS.INV`` prints."""
    run = subprocess.run(
        [sys.executable, "-m", "sphinx.ext.intersphinx", str(inventory)],
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout


def test_another_project_links_to_hypercalls_through_objects_inv(
    xref: Build, tmp_path: Path
) -> None:
    inventory = xref.outdir / "objects.inv"
    listing = inventory_listing(inventory)
    section = listing.split("xenabi:hypercall\n", 1)[1]
    entries = dict(re.findall(r"^\s+(\S+)\s.*?: (\S+)$", section, re.M))
    for number, hypercall in HYPERCALLS.items():
        assert entries[hypercall.name] == f"guide/numbers.html#hypercall-{hypercall.name}"
        assert entries[str(number)] == entries[hypercall.name]  # numbers resolve too
    assert "xenabi-hypercallindex" in listing.split("std:label\n", 1)[1]

    src = ROOTS / "test-xref-consumer"
    base = "https://xen.example.org/docs/"
    consumer = build_root(
        src,
        tmp_path / "consumer",
        confoverrides={"intersphinx_mapping": {"xen": (base, str(inventory))}},
    )
    assert consumer.statuscode == 0
    assert consumer.warnings == ""
    numbers = f"{base}guide/numbers.html"
    assert hypercall_links(consumer.outdir / "index.html") == [
        (f"{numbers}#hypercall-xen_version", "xen_version"),  # xen:xen_version
        (f"{numbers}#hypercall-iret", "iret"),  # the plain form
        (f"{numbers}#hypercall-sched_op", "sched_op"),  # xen:29, by number
        (f"{numbers}#hypercall-vcpu_op", "vcpu_op"),  # :external+xen:
    ]


# -- the lookup ------------------------------------------------------------------------------


def _object(name: str, number: int, docname: str, line: int) -> HypercallObject:
    return HypercallObject(
        name, number, docname, f"hypercall-{name}", Location(f"{docname}.rst", line), None
    )


def test_lookup_keeps_the_first_definition_and_names_conflicts() -> None:
    first = _object("xen_version", 17, "a", 9)
    restated = _object("xen_version", 17, "b", 9)
    renamed = _object("version_of_xen", 17, "b", 11)
    renumbered = _object("xen_version", 18, "b", 13)
    lookup = HypercallLookup.build([first, restated, renamed, renumbered])
    assert lookup.find("xen_version") is first
    assert lookup.find("17") is lookup.find("0x11") is first
    assert lookup.find(" 17 ") is first
    assert lookup.find("18") is renumbered
    assert lookup.find("version_of_xen") is renamed
    assert lookup.find("017") is None and lookup.find("Xen_Version") is None
    assert lookup.conflicts == ((renamed, first), (renumbered, first))
    assert lookup.objects() == [renamed, first, renumbered]
    assert first.stub_offset == 17 * 32 and _object("x", 200, "a", 1).stub_offset is None
