"""The hypercall page listings in the guide equal the model's pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Build, run_sphinx
from html_tables import read_tables
from sphinx_xenabi.directives import parse_indices
from sphinx_xenabi.model.abi import PAGE_FILLER, STUB_COUNT, STUB_SIZE, TransferGuest
from sphinx_xenabi.model.page import hypercall_page


def _listings(site: Build) -> dict[TransferGuest, list[list[str]]]:
    tables = read_tables(site.outdir / "guest-guide/x86/hypercall-pages.html")
    found: dict[TransferGuest, list[list[str]]] = {}
    for table in tables:
        caption = str(table["caption"])
        for guest in TransferGuest:
            if f": {guest.value} (" in caption:
                found[guest] = table["rows"]  # type: ignore[assignment]
    return found


@pytest.mark.parametrize("guest", list(TransferGuest))
def test_listing_bytes_equal_the_model_page(site: Build, guest: TransferGuest) -> None:
    rows = _listings(site)[guest]
    assert rows[0] == ["Stub", "Hypercall", "Offset", "Bytes", "Disassembly"]
    body = rows[1:]
    assert [int(r[0]) for r in body] == list(range(STUB_COUNT))
    page = hypercall_page(guest)
    for index, _name, offset, shown, _code in body:
        start = int(index) * STUB_SIZE
        assert int(offset, 16) == start
        code = bytes.fromhex(shown)
        assert page[start : start + len(code)] == code
        # Everything after the listed code, up to the next stub, is filler.
        assert set(page[start + len(code) : start + STUB_SIZE]) == {PAGE_FILLER}


def test_listing_names_and_disassembly(site: Build) -> None:
    listings = _listings(site)
    pv64 = {int(r[0]): r for r in listings[TransferGuest.PV64][1:]}
    assert pv64[17][1] == "xen_version"
    assert pv64[17][4] == "push rcx; push r11; mov eax, 0x11; syscall; pop r11; pop rcx; ret"
    assert pv64[23][4].endswith("syscall")  # the iret stub never returns
    assert pv64[11][1] == "(unused)"
    pv32 = {int(r[0]): r for r in listings[TransferGuest.PV32][1:]}
    assert pv32[17][4] == "mov eax, 0x11; int 0x82; ret"
    for hvm, insn in ((TransferGuest.INTEL_HVM, "vmcall"), (TransferGuest.AMD_HVM, "vmmcall")):
        rows = {int(r[0]): r for r in listings[hvm][1:]}
        assert rows[17][4] == f"mov eax, 0x11; {insn}; ret"
        assert rows[23][3] == "0F 0B" and rows[23][4] == "ud2"


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
