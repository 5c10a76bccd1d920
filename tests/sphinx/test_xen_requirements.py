"""Xen's own requirements: a copy of the head tree's docs, read with Xen's conf.py.

``../shared/xen-src/head/docs`` is copied (Xen's files are never edited) and
read as ``sphinx-xenabi check`` reads a tree: Xen's ``conf.py`` with the
extension added (``read_tree``), and built to html the same way for the
objects and ``objects.inv``. Every item of ``docs/fusa/reqs`` (found here
with a plain scan of the files, independent of the extraction) must be an
object with its ``Covers`` and ``Needs``; the findings are the ones really
there: 14 product items that no design item covers. Skipped where
``../shared`` is absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sphinx_xenabi.cli.reading import TreeReading, read_tree
from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.problems import WarningSubtype
from support.building import Build, run_sphinx
from support.xen_trees import real_docs

pytestmark = pytest.mark.site

REQS = "fusa/reqs"
_ID_LINE = re.compile(r"^`(\w+~[\w.-]+~\d+)`$")
_COVERS_LINE = re.compile(r"^ - `(\w+~[\w.-]+~\d+)`$")
_NEEDS_LINE = re.compile(r"^ - (\w+)$")

# What Xen's head says: product items that need design items none covers.
UNCOVERED = [
    ("product-reqs/arm64/reqs.rst", 61, "XenProd~arm64_linux_kernel_image~1"),
    ("product-reqs/arm64/reqs.rst", 80, "XenProd~arm64_linux_kernel_gzip_image~1"),
    ("product-reqs/arm64/reqs.rst", 98, "XenProd~arm64_kernel_uimage~1"),
    ("product-reqs/arm64/reqs.rst", 117, "XenProd~arm64_gzip_kernel_uimage~1"),
    ("product-reqs/arm64/reqs.rst", 142, "XenProd~arm64_spis~1"),
    ("product-reqs/arm64/reqs.rst", 161, "XenProd~arm64_virtual_pl011~1"),
    ("product-reqs/reqs.rst", 24, "XenProd~kernel_cmd_line_args~1"),
    ("product-reqs/reqs.rst", 44, "XenProd~ramdisk~1"),
    ("product-reqs/reqs.rst", 62, "XenProd~memory~1"),
    ("product-reqs/reqs.rst", 80, "XenProd~vcpus~1"),
    ("product-reqs/reqs.rst", 100, "XenProd~credit2_cpu_pool_scheduler~1"),
    ("product-reqs/reqs.rst", 121, "XenProd~nul_cpu_pool_scheduler~1"),
    ("product-reqs/reqs.rst", 140, "XenProd~assign_iomem~1"),
    ("product-reqs/reqs.rst", 158, "XenProd~forward_irqs~1"),
]


def scan(docs: Path) -> dict[str, dict[str, object]]:
    """Each item of docs/fusa/reqs as a plain reading of the lines finds it."""
    items: dict[str, dict[str, object]] = {}
    for path in sorted((docs / REQS).rglob("*.rst")):
        current: dict[str, object] | None = None
        field = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if found := _ID_LINE.match(line):
                current = {"file": path.relative_to(docs).as_posix(), "line": number}
                current.update(covers=[], needs=[])
                items[found[1]] = current
            elif line.rstrip(":") in ("Covers", "Needs", "Description", "Rationale", "Comments"):
                field = line.rstrip(":")
            elif current is not None and field == "Covers" and (link := _COVERS_LINE.match(line)):
                current["covers"].append((link[1], number))  # type: ignore[attr-defined]
            elif current is not None and field == "Needs" and (need := _NEEDS_LINE.match(line)):
                current["needs"].append((need[1], number))  # type: ignore[attr-defined]
    return items


@pytest.fixture(scope="module")
def xen_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("xen") / "docs"
    shutil.copytree(real_docs("head"), copy)
    return copy


@pytest.fixture(scope="module")
def reading(xen_docs: Path) -> TreeReading:
    return read_tree(xen_docs, None, {"xenabi_execute_tables": False})


@pytest.fixture(scope="module")
def html(xen_docs: Path, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """Xen's conf.py (it loads no extension) with the extension added, as read_tree adds it."""
    return run_sphinx(
        xen_docs,
        tmp_path_factory.mktemp("xen-html") / "html",
        confdir=xen_docs,
        confoverrides={"extensions": ["sphinx_xenabi"], "nitpicky": False},
    )


def test_every_item_of_xens_requirements_is_read_with_its_links(
    xen_docs: Path, reading: TreeReading
) -> None:
    scanned = scan(xen_docs)
    trace = reading.result.requirements
    assert {str(i.id) for i in trace.items} == set(scanned)
    for item in trace.items:
        expected = scanned[str(item.id)]
        assert item.location == Location(str(expected["file"]), int(str(expected["line"])))
        assert [(str(c.target), c.location.line) for c in item.covers] == expected["covers"]
        assert [(n.artifact_type, n.location.line) for n in item.needs] == expected["needs"]
        assert item.title and item.text("Description")  # every item of Xen's states one


def test_the_figures_of_xens_requirements(reading: TreeReading) -> None:
    trace = reading.result.requirements
    assert len(trace.items) == 61
    assert trace.by_type() == {"XenMkt": 6, "XenProd": 23, "XenSwdgn": 32}
    assert trace.links == 64
    needs = Counter(n.artifact_type for i in trace.items for n in i.needs)
    assert needs == {"XenProd": 6, "XenSwdgn": 23}
    # Every market item and 9 of the 23 product items are covered at their revision.
    assert len(trace.covered_by) == 6 + 9


def test_the_findings_really_there_are_the_uncovered_product_items(reading: TreeReading) -> None:
    findings = [p for p in reading.problems if p.location and p.location.file.startswith(REQS)]
    assert [(p.subtype, p.location) for p in findings] == [
        (WarningSubtype.UNCOVERED_REQUIREMENT, Location(f"{REQS}/{file}", line))
        for file, line, _ in UNCOVERED
    ]
    for problem, (_, _, item_id) in zip(findings, UNCOVERED, strict=True):
        assert problem.message.startswith(f"{item_id} needs XenSwdgn, but no XenSwdgn item")
    assert list(reading.result.requirements.problems) == findings


def test_xens_items_are_objects_in_the_index_and_objects_inv(
    html: Build, reading: TreeReading
) -> None:
    lookup = xenabi_domain(html.app.env).requirement_lookup
    ids = {str(i.id) for i in reading.result.requirements.items}
    assert {o.name for o in lookup.objects()} == ids
    listing = subprocess.run(
        [sys.executable, "-m", "sphinx.ext.intersphinx", str(html.outdir / "objects.inv")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    section = listing.split("xenabi:requirement\n", 1)[1]
    listed = set(re.findall(r"^\s+(\S+~\d+)\s", section, re.M))
    assert listed == ids
    index = (html.outdir / "xenabi-requirementindex.html").read_text(encoding="utf-8")
    # Xen writes no xenabi-verifies block
    assert index.count("<strong>? unverified:</strong>") == 61
    page = (html.outdir / REQS / "product-reqs/reqs.html").read_text(encoding="utf-8")
    assert 'id="requirement-XenProd-vcpus-1"' in page
