"""The hypercall page listings in the guide equal the model's pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import Build, run_sphinx
from html_tables import read_listings
from sphinx_xenabi.directives.hypercall_page import parse_indices
from sphinx_xenabi.model.abi import PAGE_FILLER, STUB_COUNT, STUB_SIZE, TransferGuest
from sphinx_xenabi.model.page import hypercall_page

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


@pytest.mark.parametrize("guest", list(TransferGuest))
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
