"""The hypercall page listings in the guide equal the model's pages.

The directive's arguments and errors: tests/sphinx/test_hypercall_page_directive.py.
"""

from __future__ import annotations

import re

import pytest

from sphinx_xenabi.model.abi import PAGE_FILLER, STUB_COUNT, STUB_SIZE, TransferGuest
from sphinx_xenabi.model.page import hypercall_page
from support.building import Build
from support.html_tables import read_listings

_LABEL = re.compile(r"^stub (\d+) (?:<(\w+)>|\(unused\)):$")
_INSN = re.compile(r"^  (0x[0-9a-f]{3}):  ((?:[0-9a-f]{2} )+) *(\S.*)$")


def _listings(site: Build) -> dict[TransferGuest, list[dict[str, object]]]:
    """Per guest, the stubs as listed: index, name and (offset, bytes, text) per line."""
    listings = read_listings(site.outdir / "guest-guide/x86/hypercall-pages.html")
    found: dict[TransferGuest, list[dict[str, object]]] = {}
    for caption, text in listings.items():
        (guest,) = (g for g in TransferGuest if f": {g.value} (" in caption)
        stubs: list[dict[str, object]] = []
        for line in text.splitlines():
            if not line:
                continue
            label = _LABEL.match(line)
            if label is not None:
                index, name = label.groups()
                stubs.append({"index": int(index), "name": name, "code": []})
                continue
            insn = _INSN.match(line)
            assert insn is not None, f"not in objdump's shape: {line!r}"
            code = stubs[-1]["code"]
            assert isinstance(code, list)
            code.append((int(insn[1], 16), bytes.fromhex(insn[2]), insn[3]))
        found[guest] = stubs
    return found


@pytest.mark.parametrize("guest", TransferGuest.with_pages())
def test_listing_bytes_equal_the_model_page(site: Build, guest: TransferGuest) -> None:
    stubs = _listings(site)[guest]
    assert [s["index"] for s in stubs] == list(range(STUB_COUNT))
    page = hypercall_page(guest)
    for stub in stubs:
        start = int(stub["index"]) * STUB_SIZE  # type: ignore[call-overload]
        position = start
        for offset, encoding, _text in stub["code"]:  # type: ignore[attr-defined]
            assert offset == position  # one line per instruction, at its page offset
            assert page[offset : offset + len(encoding)] == encoding
            position += len(encoding)
        # Everything after the listed code, up to the next stub, is filler.
        assert set(page[position : start + STUB_SIZE]) == {PAGE_FILLER}


def _code(stub: dict[str, object]) -> list[str]:
    return [text for _offset, _bytes, text in stub["code"]]  # type: ignore[attr-defined]


def test_listing_names_and_disassembly(site: Build) -> None:
    listings = _listings(site)
    pv64 = listings[TransferGuest.PV64]
    assert pv64[17]["name"] == "xen_version"
    assert _code(pv64[17]) == [
        "push rcx", "push r11", "mov eax, 0x11", "syscall", "pop r11", "pop rcx", "ret"
    ]  # fmt: skip
    assert _code(pv64[23])[-1] == "syscall"  # the iret stub never returns
    assert pv64[11]["name"] is None  # "stub 11 (unused):"
    assert _code(listings[TransferGuest.PV32][17]) == ["mov eax, 0x11", "int 0x82", "ret"]
    for hvm, insn in ((TransferGuest.INTEL_HVM, "vmcall"), (TransferGuest.AMD_HVM, "vmmcall")):
        stubs = listings[hvm]
        assert _code(stubs[17]) == ["mov eax, 0x11", insn, "ret"]
        assert stubs[23]["code"] == [(23 * STUB_SIZE, bytes.fromhex("0f0b"), "ud2")]


def test_listing_lines_fit_a_phone(site: Build) -> None:
    """A listing line stays short: 400 px of monospace, without scrolling sideways."""
    for text in read_listings(site.outdir / "guest-guide/x86/hypercall-pages.html").values():
        assert max(len(line) for line in text.splitlines()) <= 44


def test_the_pages_page_shows_a_map_and_collapses_the_listings(site: Build) -> None:
    """The whole listings are one click away, so the page stays short; the map and one
    explained stub per guest type are what a reader sees first."""
    page = (site.outdir / "guest-guide/x86/hypercall-pages.html").read_text(encoding="utf-8")
    summaries = re.findall(r'<details class="xenabi-details"><summary>(.*?)</summary>', page)
    assert summaries == [
        f"The whole {guest} page: 128 stubs, 4096 bytes"
        for guest in ("64bit PV", "32bit PV", "Intel HVM", "AMD HVM")  # as the page orders them
    ]
    assert page.count('<table class="xenabi-stub') == 4
    (svg,) = re.findall(r"<svg [^>]*xenabi-page-map.*?</svg>", page, re.S)
    assert 'role="img"' in svg and "<desc id=" in svg
    assert svg.count("<g><title>") == STUB_COUNT
