"""The ``xenabi-hypercall-page`` directive: its arguments, what it renders (one stub explained,
the whole page collapsed), and its errors in the build and in check.

What it lists on the site: tests/site/test_page_listing.py.
"""

from __future__ import annotations

import gc
import html
import re
import weakref
from pathlib import Path

import pytest

from sphinx_xenabi.directives.page_listing import hex_operands, parse_indices
from support.building import run_sphinx


def test_parse_indices() -> None:
    assert parse_indices("0-3, 17") == [0, 1, 2, 3, 17]
    with pytest.raises(ValueError, match="outside"):
        parse_indices("120-130")
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_indices("5-2")
    with pytest.raises(ValueError, match="not an index"):
        parse_indices("a-b")


def test_bad_directive_argument_is_a_located_error(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_xenabi"]\nrelease = "4.22"\n')
    (src / "index.rst").write_text(
        "Pages\n=====\n\n.. xenabi-hypercall-page:: ARM HVM\n\n"
        ".. xenabi-hypercall-page:: 64bit PV\n   :indices: 3-200\n"
    )
    build = run_sphinx(src, tmp_path / "out", confdir=src)
    assert (
        "index.rst:4: ERROR: xenabi-hypercall-page: unknown transfer-table guest 'ARM HVM'"
        in build.warnings
    )
    assert (
        "index.rst:6: ERROR: xenabi-hypercall-page :indices: '3-200' is outside the page's "
        "stubs 0-127 [xenabi.directive]" in build.warnings
    )


def test_check_reports_the_directive_errors_the_build_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # They come from the build result (kept by the domain), not from the log.
    from sphinx_xenabi.cli import main

    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_xenabi"]\nrelease = "4.22"\n')
    (src / "index.rst").write_text(
        "Pages\n=====\n\n.. xenabi-hypercall-page:: ARM HVM\n\n"
        ".. xenabi-hypercall-page:: 64bit PV\n   :indices: 3-200\n"
    )
    main(["check", "--quiet", str(src)])
    printed = [
        line for line in capsys.readouterr().out.splitlines() if "[xenabi.directive]" in line
    ]
    assert printed == [
        f"{src / 'index.rst'}:4: ERROR: xenabi-hypercall-page: unknown transfer-table guest "
        "'ARM HVM' (expected one of '32bit PV', '64bit PV', 'Intel HVM', 'AMD HVM') "
        "[xenabi.directive]",
        f"{src / 'index.rst'}:6: ERROR: xenabi-hypercall-page :indices: '3-200' is outside the "
        "page's stubs 0-127 [xenabi.directive]",
    ]


def test_hex_operands() -> None:
    assert hex_operands("mov eax, 9") == "mov eax, 0x9"
    assert hex_operands("mov eax, 0x11") == "mov eax, 0x11"
    assert hex_operands("int 0x82") == "int 0x82"
    assert hex_operands("push r11") == "push r11"
    assert hex_operands("ret") == "ret"


def _pages(tmp_path: Path, text: str, buildername: str = "html") -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_xenabi"]\nrelease = "4.22"\n')
    (src / "index.rst").write_text("Pages\n=====\n\n" + text)
    build = run_sphinx(src, tmp_path / "out", confdir=src, buildername=buildername)
    assert build.statuscode == 0 and build.warnings == "", build.warnings
    return build.outdir


def _stub_rows(page: str) -> list[list[str]]:
    """The explained stubs' rows, each cell's text."""
    rows = []
    for table in re.findall(r'<table class="xenabi-stub.*?</table>', page, re.S):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1], re.S):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def test_one_stub_is_explained_and_the_whole_page_is_collapsed(tmp_path: Path) -> None:
    out = _pages(tmp_path, ".. xenabi-hypercall-page:: 64bit PV\n")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Stub 17 (xen_version) of the 64bit PV page, explained" in page
    assert _stub_rows(page) == [
        ["0x220", "51", "push rcx", "save RCX: SYSCALL overwrites it with the return address"],
        ["0x221", "41 53", "push r11", "save R11: SYSCALL overwrites it with the flags"],
        [
            "0x223",
            "b8 11 00 00 00",
            "mov eax, 0x11",
            "the hypercall number, 17 (xen_version), in EAX",
        ],
        ["0x228", "0f 05", "syscall", "enter Xen with SYSCALL; Xen returns here"],
        ["0x22a", "41 5b", "pop r11", "restore R11"],
        ["0x22c", "59", "pop rcx", "restore RCX"],
        ["0x22d", "c3", "ret", "back to the caller, the result in RAX"],
        ["0x22e", "cc \u00d7 18", "int3", "filler up to the next stub, at 0x240"],
    ]
    collapsed = re.search(
        r'<details class="xenabi-details"><summary>(.*?)</summary>(.*?)</details>', page, re.S
    )
    assert collapsed is not None
    assert collapsed.group(1) == "The whole 64bit PV page: 128 stubs, 4096 bytes"
    listing = collapsed.group(2)
    assert "Hypercall page: 64bit PV (SYSCALL)" in listing
    assert listing.count("stub ") == 128
    # One base for immediates: capstone writes 9 in decimal and 10 in hex.
    assert "mov eax, 0x9\n" in listing and "mov eax, 0xa\n" in listing
    assert "mov eax, 9\n" not in listing


def test_chosen_stubs_are_listed_open_and_the_example_may_be_iret(tmp_path: Path) -> None:
    out = _pages(
        tmp_path, ".. xenabi-hypercall-page:: AMD HVM\n   :indices: 17, 23\n   :example: 23\n"
    )
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<details" not in page  # an author who picks stubs wants them seen
    assert "Stub 23 (iret) of the AMD HVM page, explained" in page
    assert _stub_rows(page)[0] == [
        "0x2e0", "0f 0b", "ud2", "invalid opcode: HVM guests have no iret to call"
    ]  # fmt: skip


def test_other_builders_show_the_collapsed_listing_as_it_is(tmp_path: Path) -> None:
    out = _pages(tmp_path, ".. xenabi-hypercall-page:: 32bit PV\n", buildername="text")
    text = (out / "index.txt").read_text(encoding="utf-8")
    assert "stub 127 (unused):" in text and "int 0x82" in text
    assert "The whole 32bit PV page" not in text  # the summary is html's


def test_a_translator_needs_no_cycle_collector_to_be_freed(tmp_path: Path) -> None:
    # Sphinx binds an extension's node visitors onto every translator it
    # creates, a reference cycle per page that only the collector frees; the
    # collapsed block is raw html and needs none.
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_xenabi"]\nrelease = "4.22"\n')
    (src / "index.rst").write_text("Pages\n=====\n\n.. xenabi-hypercall-page:: 64bit PV\n")
    build = run_sphinx(src, tmp_path / "out", confdir=src)
    assert "<details" in (build.outdir / "index.html").read_text(encoding="utf-8")
    assert not any(build.app.registry.translation_handlers.values())
    doctree = build.app.env.get_doctree("index")
    doctree.settings = build.app.builder.docsettings  # as the builder writes a page
    gc.disable()
    try:
        translator = build.app.builder.create_translator(doctree, build.app.builder)
        assert type(translator).__name__ == "HTML5Translator"
        freed = weakref.ref(translator)
        del translator
        assert freed() is None
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("example", "words"),
    [("130", "'130' is outside the page's stubs 0-127"), ("3-4", "'3-4' names 2 stubs; name one")],
)
def test_a_bad_example_is_a_located_error(tmp_path: Path, example: str, words: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["sphinx_xenabi"]\nrelease = "4.22"\n')
    (src / "index.rst").write_text(
        f"Pages\n=====\n\n.. xenabi-hypercall-page:: 64bit PV\n   :example: {example}\n"
    )
    build = run_sphinx(src, tmp_path / "out", confdir=src)
    assert (
        f"index.rst:4: ERROR: xenabi-hypercall-page :example: {words} [xenabi.directive]"
        in build.warnings
    )
