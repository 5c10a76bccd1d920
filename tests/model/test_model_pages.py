"""The hypercall pages, byte for byte against the facts (section 3)."""

from __future__ import annotations

import pytest

from sphinx_xenabi.model.abi import TransferGuest
from sphinx_xenabi.model.page import hypercall_page, stub_bytes


def _le32(i: int) -> bytes:
    return i.to_bytes(4, "little")


# Written out from the facts' tables, independently of the model's code.
ORDINARY_STUB = {
    TransferGuest.PV64: lambda i: (
        bytes.fromhex("51 41 53 B8") + _le32(i) + bytes.fromhex("0F 05 41 5B 59 C3")
    ),
    TransferGuest.PV32: lambda i: bytes.fromhex("B8") + _le32(i) + bytes.fromhex("CD 82 C3"),
    TransferGuest.INTEL_HVM: lambda i: (
        bytes.fromhex("B8") + _le32(i) + bytes.fromhex("0F 01 C1 C3")
    ),
    TransferGuest.AMD_HVM: lambda i: bytes.fromhex("B8") + _le32(i) + bytes.fromhex("0F 01 D9 C3"),
}
IRET_STUB = {
    TransferGuest.PV64: bytes.fromhex("51 41 53 50 B8 17 00 00 00 0F 05"),
    TransferGuest.PV32: bytes.fromhex("50 B8 17 00 00 00 CD 82"),
    TransferGuest.INTEL_HVM: bytes.fromhex("0F 0B"),
    TransferGuest.AMD_HVM: bytes.fromhex("0F 0B"),
}


@pytest.mark.parametrize("guest", TransferGuest.with_pages(), ids=lambda g: g.value)
def test_whole_page_matches_facts(guest: TransferGuest) -> None:
    page = hypercall_page(guest)
    assert isinstance(page, bytes)
    assert len(page) == 4096

    for i in range(128):
        slot = page[i * 32 : (i + 1) * 32]
        code = IRET_STUB[guest] if i == 23 else ORDINARY_STUB[guest](i)
        assert slot[: len(code)] == code, f"stub {i}"
        assert slot[len(code) :] == b"\xcc" * (32 - len(code)), f"padding after stub {i}"
        assert stub_bytes(guest, i) == code

    # And the whole page once more, assembled in one go.
    expected = b"".join(
        (IRET_STUB[guest] if i == 23 else ORDINARY_STUB[guest](i)).ljust(32, b"\xcc")
        for i in range(128)
    )
    assert page == expected


def test_page_is_cached_and_accepts_labels() -> None:
    assert hypercall_page(TransferGuest.PV64) is hypercall_page(TransferGuest.PV64)
    assert hypercall_page("intel hvm") == hypercall_page(TransferGuest.INTEL_HVM)
    assert hypercall_page(TransferGuest.INTEL_HVM) != hypercall_page(TransferGuest.AMD_HVM)


def test_stub_index_out_of_range() -> None:
    with pytest.raises(ValueError, match="0 to 127"):
        stub_bytes(TransferGuest.PV64, 128)
    with pytest.raises(ValueError):
        stub_bytes(TransferGuest.PV32, -1)
