"""The real site: the guides, the hypercall pages, their tables, the theme, the hypercall links."""

from __future__ import annotations

import json
import re

from support.building import Build
from support.html_tables import hypercall_links, read_links, read_row_ids, read_tables
from support.paths import DOCS

GUIDES = (
    "admin-guide/index",
    "guest-guide/index",
    "hypervisor-guide/index",
    "requirements/index",
)


def test_site_builds_without_warnings(site: Build) -> None:
    assert site.statuscode == 0
    assert site.warnings == ""


def test_theme_is_read_the_docs(site: Build) -> None:
    index = (site.outdir / "index.html").read_text(encoding="utf-8")
    assert "wy-nav-content" in index  # sphinx-rtd-theme's page skeleton
    assert "The Xen Hypervisor documentation" in index


def test_guides_and_hypercall_pages_are_built(site: Build) -> None:
    for docname in (
        *GUIDES,
        "guest-guide/x86/index",
        "guest-guide/x86/hypercall-abi",
        "guest-guide/x86/hypercall-numbers",
        "hypervisor-guide/code-coverage",
        "admin-guide/introduction",
    ):
        assert (site.outdir / f"{docname}.html").is_file(), docname


def test_every_page_is_reachable_from_a_guide(site: Build) -> None:
    registry = json.loads(site.registry_json.read_text(encoding="utf-8"))
    listed = {g["docname"] for g in registry["guides"]}
    assert set(GUIDES) <= listed
    in_guides = {page for guide in registry["guides"] for page in guide["pages"]}
    sources = {
        str(p.relative_to(DOCS).with_suffix("")).replace("\\", "/")
        for p in DOCS.rglob("*")
        if p.suffix in (".rst", ".md")
    }
    assert sources - {"index"} == in_guides


def _rows_with_header(tables: list[dict[str, object]], first: str) -> list[dict[str, object]]:
    return [t for t in tables if t["rows"] and t["rows"][0] and t["rows"][0][0] == first]  # type: ignore[index]


def test_abi_tables_render_as_tables(site: Build) -> None:
    tables = read_tables(site.outdir / "guest-guide/x86/hypercall-abi.html")
    registers = _rows_with_header(tables, "ABI")
    assert len(registers) == 2
    current = next(t for t in registers if not t["caption"])
    history = next(t for t in registers if t["caption"])
    rows = current["rows"]
    assert rows[0][:2] == ["ABI", "Hypercall Index"]  # type: ignore[index]
    assert rows[0][2].startswith("Parameters (1 - 5)")  # type: ignore[index]
    assert rows[1][:3] == ["64bit", "RAX", "RDI RSI RDX R10 R8"]  # type: ignore[index]
    assert rows[2][:3] == ["32bit", "EAX", "EBX ECX EDX ESI EDI"]  # type: ignore[index]
    assert "Xen 4.13 to 4.16" in str(history["caption"])
    assert history["rows"][1][2] == "RDI RSI RDX R10 R8 R9"  # type: ignore[index]
    assert history["rows"][2][2] == "EBX ECX EDX ESI EDI EBP"  # type: ignore[index]
    transfer = _rows_with_header(tables, "Guest")
    assert len(transfer) == 1
    assert [r[:2] for r in transfer[0]["rows"][1:]] == [  # type: ignore[index]
        ["32bit PV", "INT 0x82"],
        ["64bit PV", "SYSCALL"],
        ["Intel HVM", "VMCALL"],
        ["AMD HVM", "VMMCALL"],
    ]
    page = (site.outdir / "guest-guide/x86/hypercall-abi.html").read_text(encoding="utf-8")
    assert "call hypercall_page + index * 32" in page


def test_myst_numbers_table_renders_as_table(site: Build) -> None:
    tables = read_tables(site.outdir / "guest-guide/x86/hypercall-numbers.html")
    numbers = _rows_with_header(tables, "Index")
    assert len(numbers) == 1
    rows = numbers[0]["rows"]
    assert rows[0][:6] == ["Index", "Name", "PV 32", "PV 64", "HVM 32", "HVM 64"]  # type: ignore[index]
    by_number = {int(r[0]): r for r in rows[1:]}  # type: ignore[index]
    assert len(by_number) == 44
    assert by_number[17][1:6] == ["xen_version", "yes", "yes", "yes", "yes"]
    assert by_number[23][1:6] == ["iret", "yes", "yes", "no", "no"]
    assert 11 not in by_number


def test_coverage_page_keeps_the_arm_warning(site: Build) -> None:
    page = (site.outdir / "hypervisor-guide/code-coverage.html").read_text(encoding="utf-8")
    assert "admonition warning" in page
    assert "exceeds 2MB in size" in " ".join(page.split())


def test_the_api_page_documents_the_public_model_api(site: Build) -> None:
    """Generated from the docstrings (sphinx.ext.autodoc): load, Dispatcher, the model."""
    page = (site.outdir / "tooling" / "api.html").read_text(encoding="utf-8")
    for name in (
        "sphinx_xenabi.model.registry.load",
        "sphinx_xenabi.model.registry.Registry.spec_for",
        "sphinx_xenabi.model.dispatcher.Dispatcher.dispatch",
        "sphinx_xenabi.model.spec.Release.parse",
        "sphinx_xenabi.model.abi.revision_for",
        "sphinx_xenabi.model.page.hypercall_page",
    ):
        assert f'id="{name}"' in page, name
    assert "Read and validate a registry JSON file" in page  # load's docstring


def test_the_abi_pages_root_holds_every_table_of_the_site(
    site: Build, abi_pages_build: Build
) -> None:
    """The tests that build the ABI pages alone (test-abi-pages) see the site's tables."""
    assert abi_pages_build.statuscode == 0
    assert abi_pages_build.warnings == ""
    small = json.loads(abi_pages_build.registry_json.read_text(encoding="utf-8"))
    whole = json.loads(site.registry_json.read_text(encoding="utf-8"))
    assert small["tables"] == whole["tables"]  # the same tables, cells, lines and guide
    assert (small["release"], small["generator"]) == (whole["release"], whole["generator"])
    # and only the guides differ: the site has more of them
    assert [g for g in whole["guides"] if g["docname"] == "guest-guide/index"] == [
        g for g in small["guides"] if g["docname"] == "guest-guide/index"
    ]


# -- the hypercall index and the links to hypercalls -------------------------------


def test_site_index_lists_every_hypercall_of_the_numbers_table(site: Build) -> None:
    assert site.statuscode == 0 and site.warnings == ""  # built with -n; -W would pass
    registry = site.app.env.domains["xenabi"]
    numbers = {
        row.number.value: row.name.value
        for table in registry.all_tables()  # type: ignore[attr-defined]
        if table.kind == "numbers"
        for row in table.rows
    }
    assert len(numbers) == 44
    page = site.outdir / "xenabi-hypercallindex.html"
    (table,) = [t for t in read_tables(page) if "xenabi-hypercall-index" in str(t["classes"])]
    listed = {int(row[0]): row[1] for row in table["rows"][1:]}  # type: ignore[index]
    assert listed == numbers
    anchors = read_row_ids(site.outdir / "guest-guide/x86/hypercall-numbers.html")
    for href, _ in read_links(page):
        if "#hypercall-" in href:
            assert href.startswith("guest-guide/x86/hypercall-numbers.html#")
            assert href.split("#")[1] in anchors


def test_site_pages_link_their_hypercalls(site: Build) -> None:
    guide = site.outdir / "guest-guide/x86"
    abi = hypercall_links(guide / "hypercall-abi.html")
    assert ("hypercall-numbers.html#hypercall-xen_version", "xen_version (hypercall 17)") in abi
    assert ("hypercall-numbers.html#hypercall-iret", "iret") in abi
    # the Executed evidence names the hypercall it ran
    page = (guide / "hypercall-abi.html").read_text(encoding="utf-8")
    assert re.search(
        r'arrived in RDI RSI RDX R10 R8 for <a class="reference internal" '
        r'href="hypercall-numbers.html#hypercall-xen_version"[^>]*>xen_version</a>',
        page,
    )
    # every named stub of the four listings links to its row: 44 names, 4 pages; then the
    # iret notes and the explained stubs' number lines (xen_version), one of each a page
    listings = hypercall_links(guide / "hypercall-pages.html")
    assert len([link for link in listings if link[1] != "xen_version (index 17)"]) == 4 * 44 + 8
    assert ("hypercall-numbers.html#hypercall-mca", "mca") in listings
    numbers = hypercall_links(guide / "hypercall-numbers.html")
    assert ("#hypercall-tmem_op", "tmem_op (38)") in numbers


def test_site_navigation_links_the_indices(site: Build) -> None:
    for page in ("index.html", "guest-guide/x86/hypercall-pages.html"):
        links = read_links(site.outdir / page)
        prefix = "../../" if "/" in page else ""
        assert (f"{prefix}xenabi-hypercallindex.html", "Hypercall index") in links
        assert (f"{prefix}genindex.html", "General index") in links
