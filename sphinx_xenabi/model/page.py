"""The hypercall page Xen writes for each transfer-table guest, byte for byte.

Stdlib only: no Sphinx or docutils.
"""

from __future__ import annotations

from functools import cache

from .abi import IRET_INDEX, PAGE_FILLER, PAGE_SIZE, STUB_COUNT, STUB_SIZE, TransferGuest

_MOV_EAX_IMM32 = b"\xb8"  # followed by the index, little-endian 32-bit

# Per guest: (bytes before "mov eax, i", bytes after it) for an ordinary stub.
# 64-bit PV saves RCX and R11 around SYSCALL because SYSCALL clobbers them.
_STUB_FRAMES: dict[TransferGuest, tuple[bytes, bytes]] = {
    TransferGuest.PV64: (bytes.fromhex("51 41 53"), bytes.fromhex("0F 05 41 5B 59 C3")),
    TransferGuest.PV32: (b"", bytes.fromhex("CD 82 C3")),
    TransferGuest.INTEL_HVM: (b"", bytes.fromhex("0F 01 C1 C3")),
    TransferGuest.AMD_HVM: (b"", bytes.fromhex("0F 01 D9 C3")),
}

# iret is jumped to, not called, so its stub never returns; HVM has no PV
# iret and gets ud2 (the docs' "ud2a", same bytes).
_IRET_STUBS: dict[TransferGuest, bytes] = {
    TransferGuest.PV64: bytes.fromhex("51 41 53 50 B8 17 00 00 00 0F 05"),
    TransferGuest.PV32: bytes.fromhex("50 B8 17 00 00 00 CD 82"),
    TransferGuest.INTEL_HVM: bytes.fromhex("0F 0B"),
    TransferGuest.AMD_HVM: bytes.fromhex("0F 0B"),
}


def _coerce(guest: TransferGuest | str) -> TransferGuest:
    return guest if isinstance(guest, TransferGuest) else TransferGuest.parse(guest)


def _check_index(index: int) -> None:
    if not 0 <= index < STUB_COUNT:
        raise ValueError(f"stub index {index} is outside the page (0 to {STUB_COUNT - 1})")


@cache
def stub_bytes(guest: TransferGuest | str, index: int) -> bytes:
    """The code of stub ``index`` (without the 0xCC padding)."""
    guest = _coerce(guest)
    _check_index(index)
    if index == IRET_INDEX:
        return _IRET_STUBS[guest]
    before, after = _STUB_FRAMES[guest]
    return before + _MOV_EAX_IMM32 + index.to_bytes(4, "little") + after


@cache
def hypercall_page(guest: TransferGuest | str) -> bytes:
    """The whole 4096-byte page: 0xCC filler, stub i at offset i * 32."""
    guest = _coerce(guest)
    page = bytearray([PAGE_FILLER]) * PAGE_SIZE
    for index in range(STUB_COUNT):
        code = stub_bytes(guest, index)
        assert len(code) <= STUB_SIZE
        page[index * STUB_SIZE : index * STUB_SIZE + len(code)] = code
    return bytes(page)
