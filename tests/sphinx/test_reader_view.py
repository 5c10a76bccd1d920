"""What readers see of the tables, in real builds of a copy of ``tests/roots/test-rst``.

The register picture drawn from the page's own table (and redrawn when the
table changes), the numbers table's yes and no cells, its names (breakable
in html, whole to the search and in other output), the hypercall index by
name and by number, and the release the executed rows ran against. The
pictures' drawing: tests/model/test_pictures.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sphinx.search.en import SearchEnglish
from sphinx.util.console import strip_colors

from support.building import Build, build_root, copy_root

PICTURE = "\n.. xenabi-register-picture::\n"
# The build writes the pages although the edited table drifts: the picture is under test.
LENIENT = {"xenabi_drift": "warning", "xenabi_execute_tables": False}


def _root_with(tmp_path: Path, name: str, after: str, directive: str) -> Path:
    """A copy of the rst root with ``directive`` written after the line ``after`` of its ABI page."""
    root = copy_root("rst", tmp_path / name)
    page = root / "guest/abi.rst"
    text = page.read_text(encoding="utf-8")
    assert after in text
    page.write_text(text.replace(after, after + "\n" + directive, 1), encoding="utf-8")
    return root


def _svgs(page: Path) -> list[str]:
    return re.findall(r"<svg .*?</svg>", page.read_text(encoding="utf-8"), re.S)


def _desc(svg: str) -> str:
    found = re.search(r"<desc id=\"[^\"]+\">(.*?)</desc>", svg)
    assert found is not None
    return found.group(1)


def test_the_register_picture_is_drawn_from_the_page_table_and_follows_it(
    tmp_path: Path,
) -> None:
    root = _root_with(
        tmp_path, "rst", ".. [#params] Xen 4.17 stopped passing a sixth parameter.", PICTURE
    )
    build = build_root(root, tmp_path / "html", confoverrides=LENIENT)
    assert build.statuscode == 0 and strip_colors(build.warnings) == ""
    (svg,) = _svgs(build.outdir / "guest/abi.html")
    assert 'role="img"' in svg and "<title id=" in svg
    assert _desc(svg).startswith(
        "64bit: number in RAX; parameters 1 to 5 in RDI, RSI, RDX, R10, R8"
    )
    page = (build.outdir / "guest/abi.html").read_text(encoding="utf-8")
    assert re.search(r'<figure class="xenabi-figure[^"]*" id="xenabi-picture-\d+">', page)
    assert "<figcaption>" in page and "The registers of each ABI, by parameter position" in page

    # The table changes (RCX for R10): the picture changes with it.
    abi = root / "guest/abi.rst"
    abi.write_text(
        abi.read_text(encoding="utf-8").replace("RDI RSI RDX R10 R8\n", "RDI RSI RDX RCX R8\n", 1),
        encoding="utf-8",
    )
    changed = build_root(root, tmp_path / "html-changed", confoverrides=LENIENT)
    assert "64bit parameter 4 is RCX" in strip_colors(changed.warnings)  # drift, a warning here
    (redrawn,) = _svgs(changed.outdir / "guest/abi.html")
    assert redrawn != svg
    assert "RDI, RSI, RDX, RCX, R8" in _desc(redrawn) and ">R10<" not in redrawn


def test_the_register_picture_is_drawn_in_a_markdown_page(tmp_path: Path) -> None:
    # MyST runs the directive with a state of its own: its placeholder is found all the same.
    root = copy_root("myst", tmp_path / "myst")
    page = root / "guest/abi.md"
    note = "[^params]: Xen 4.17 stopped passing a sixth parameter.\n"
    text = page.read_text(encoding="utf-8")
    assert note in text
    page.write_text(text.replace(note, note + "\n```{xenabi-register-picture}\n```\n", 1))
    build = build_root(root, tmp_path / "html", confoverrides=LENIENT)
    assert build.statuscode == 0 and strip_colors(build.warnings) == ""
    (svg,) = _svgs(build.outdir / "guest/abi.html")
    assert _desc(svg).startswith(
        "64bit: number in RAX; parameters 1 to 5 in RDI, RSI, RDX, R10, R8"
    )


def test_a_release_picks_the_table_of_that_release(tmp_path: Path) -> None:
    directive = ".. xenabi-register-picture::\n   :release: 4.16\n   :caption: Six parameters\n"
    root = _root_with(tmp_path, "rst", "     - EBX ECX EDX ESI EDI EBP\n     - EAX\n", directive)
    build = build_root(root, tmp_path / "html")
    assert build.statuscode == 0 and strip_colors(build.warnings) == ""
    (svg,) = _svgs(build.outdir / "guest/abi.html")
    desc = _desc(svg)
    assert "parameters 1 to 6 in RDI, RSI, RDX, R10, R8, R9" in desc
    assert "1 to 5" not in desc  # the 4.22 table is not 4.16's
    assert '<title id="xenabi-picture-0-title">Six parameters</title>' in svg


def test_a_picture_without_its_table_is_a_located_error(tmp_path: Path) -> None:
    directive = ".. xenabi-register-picture::\n   :release: 4.18\n"
    root = _root_with(tmp_path, "rst", "History\n-------\n", directive)
    build = build_root(root, tmp_path / "html")
    errors = [
        line for line in strip_colors(build.warnings).splitlines() if "xenabi.directive" in line
    ]
    assert len(errors) == 1
    assert re.search(
        r"guest/abi\.rst:\d+: ERROR: xenabi-register-picture: this page has no registers "
        r"table for Xen 4\.18 to draw \[xenabi\.directive\]$",
        errors[0],
    )
    assert _svgs(build.outdir / "guest/abi.html") == []


def _rst_site(tmp_path: Path) -> Build:
    return build_root(copy_root("rst", tmp_path / "rst"), tmp_path / "html")


def test_numbers_cells_are_marked_and_names_break_after_underscores(tmp_path: Path) -> None:
    build = _rst_site(tmp_path)
    page = (build.outdir / "guest/numbers.html").read_text(encoding="utf-8")
    assert '<table class="xenabi-numbers docutils' in page
    row = re.search(
        r'<tr class="xenabi-hypercall[^"]*" id="hypercall-set_trap_table">(.*?)</tr>', page, re.S
    )
    assert row is not None
    cells = re.findall(
        r'<td( class="[^"]*")?><p>(?:<span[^>]*></span>)?(.*?)</p></td>', row.group(1)
    )
    assert cells == [
        ("", "0"),
        ("", "set_<wbr>trap_<wbr>table"),
        (' class="xenabi-yes"', "yes"),
        (' class="xenabi-yes"', "yes"),
        (' class="xenabi-no"', "no"),
        (' class="xenabi-no"', "no"),
    ]


# Names from the numbers table of tests/roots/test-rst/guest/numbers.rst.
NAMES = ("set_trap_table", "memory_op", "sched_op_compat")  # each fits a text-table cell


def test_the_search_finds_a_hypercall_name_whole(tmp_path: Path) -> None:
    # The names break after their underscores in html, but the search index
    # holds each name as one word for the page, as plain Sphinx's does.
    build = _rst_site(tmp_path)
    text = (build.outdir / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    page = index["docnames"].index("guest/numbers")
    english = SearchEnglish(options={})
    for name in NAMES:
        found = index["terms"].get(english.stem(name), [])
        assert page in (found if isinstance(found, list) else [found]), name
    assert not [term for term in index["terms"] if term.endswith("_")]


def test_text_output_writes_the_names_as_text(tmp_path: Path) -> None:
    build = build_root(copy_root("rst", tmp_path / "rst"), tmp_path / "text", buildername="text")
    page = (build.outdir / "guest/numbers.txt").read_text(encoding="utf-8")
    for name in NAMES:
        assert re.search(rf"\b{name}\b", page), name
    assert "wbr" not in page


def test_latex_output_writes_the_names_as_text(tmp_path: Path) -> None:
    # One doctree for the whole document, its pages inlined into the root's.
    build = build_root(copy_root("rst", tmp_path / "rst"), tmp_path / "tex", buildername="latex")
    [document] = build.outdir.glob("*.tex")
    lines = document.read_text(encoding="utf-8").splitlines()
    for name in NAMES:
        # The name cell: the row's index entry, then the name itself.
        written = name.replace("_", "\\_")
        cells = [line for line in lines if line.startswith(f"\\index{{{written} (hypercall")]
        assert len(cells) == 1 and cells[0].endswith(f"}}{written}"), (name, cells)
    assert not [line for line in lines if "wbr" in line]


def test_the_hypercall_index_looks_up_by_name_and_by_number(tmp_path: Path) -> None:
    build = _rst_site(tmp_path)
    page = (build.outdir / "xenabi-hypercallindex.html").read_text(encoding="utf-8")
    by_name = re.search(r'<ul class="xenabi-by-name">(.*?)</ul>', page, re.S)
    assert by_name is not None
    items = re.findall(
        r'<li><a [^>]*href="#number-(\d+)">.*?<span class="pre">(\w+)</span>', by_name.group(1)
    )
    names = [name for _, name in items]
    assert names == sorted(names) and len(names) > 10
    # Each name leads to its row of the table by number, which has that id.
    for number, _name in items:
        assert f'<tr id="number-{number}">' in page
    # The columns a phone stacks say what they are.
    assert page.count('<td data-label="May be called by">') == len(items)
    assert page.count('<td data-label="Stub offset">') == len(items)


def test_the_evidence_names_the_release_the_rows_ran_against(tmp_path: Path) -> None:
    build = _rst_site(tmp_path)
    page = (build.outdir / "guest/abi.html").read_text(encoding="utf-8")
    captions = re.findall(r'<p class="xenabi-evidence-caption">(.*?)</p>', page)
    assert captions == [
        "Executed on the emulated CPU, against the model of Xen 4.22:",
        "Executed on the emulated CPU, against the model of Xen 4.22:",
        "Executed on the emulated CPU, against the model of Xen 4.13 (the first of Xen 4.13 "
        "to 4.16):",
    ]
