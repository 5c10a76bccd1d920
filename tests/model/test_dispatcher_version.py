"""The reference dispatcher's xen_version: the version, and the buffer commands in guest memory.

A later verification example asserts facts such as "XENVER_capabilities
fills a char[1024] buffer with 'xen-3.0-aarch64 '"; these tests hold the
dispatcher to the model's facts (:mod:`sphinx_xenabi.model.version`).
"""

from __future__ import annotations

import pytest

from sphinx_xenabi.model import abi
from sphinx_xenabi.model.dispatcher import (
    Dispatcher,
    DispatchError,
    GuestMemory,
    HandlerContext,
)
from sphinx_xenabi.model.spec import GuestType, Release
from sphinx_xenabi.model.version import XenBuild

SPEC = abi.revision_for(Release(4, 22))
BUFFER = 0x8000


def _capabilities(guest: str, build: XenBuild, registers: dict[str, int]) -> tuple[int, bytes]:
    memory = GuestMemory({BUFFER: 1024})
    result = Dispatcher(SPEC, build=build).dispatch(guest, registers, memory=memory)
    return result.result, memory.read(BUFFER, 1024)


@pytest.mark.parametrize(
    ("aarch32", "text"),
    [(False, b"xen-3.0-aarch64 "), (True, b"xen-3.0-aarch64 xen-3.0-armv7l ")],
)
def test_capabilities_fill_a_char_1024_buffer_on_arm(aarch32: bool, text: bytes) -> None:
    build = XenBuild(aarch32=aarch32)
    result, data = _capabilities("arm64", build, {"X16": 17, "X0": 3, "X1": BUFFER})
    assert result == 0
    assert data == text + bytes(1024 - len(text))
    # An AArch32 guest of the same Xen reads the same string through r0 and r1.
    assert _capabilities("arm32", build, {"R12": 17, "R0": 3, "R1": BUFFER}) == (0, data)


def test_a_buffer_not_all_mapped_is_efault_and_left_alone() -> None:
    memory = GuestMemory({BUFFER: 1023})
    d = Dispatcher(SPEC, build=XenBuild(aarch32=False))
    result = d.dispatch("arm64", {"X16": 17, "X0": 3, "X1": BUFFER}, memory=memory)
    assert result.result == -14
    assert result.registers["X0"] == 2**64 - 14
    assert memory.read(BUFFER, 1023) == bytes(1023)


@pytest.mark.parametrize(
    ("cmd", "build", "size", "text"),
    [
        (1, XenBuild(extraversion=".0"), 16, b".0"),
        (1, XenBuild(extraversion="-unstable-and-longer"), 16, b"-unstable-and-l"),
        (4, XenBuild(changeset="Tue Aug 18 12:50:11 2026 git:c447b7308b"), 64, None),
    ],
    ids=["extraversion", "extraversion-cut-to-15", "changeset"],
)
def test_extraversion_and_changeset_are_the_builds(
    cmd: int, build: XenBuild, size: int, text: bytes | None
) -> None:
    memory = GuestMemory({BUFFER: size})
    result = Dispatcher(SPEC, build=build).dispatch(
        "pv64", {"RAX": 17, "RDI": cmd, "RSI": BUFFER}, memory=memory
    )
    assert result.result == 0
    expected = text if text is not None else (build.changeset or "").encode()
    assert memory.read(BUFFER, size) == expected + bytes(size - len(expected))


def test_what_the_model_does_not_know_is_refused_not_invented() -> None:
    memory = GuestMemory({BUFFER: 1024})
    d = Dispatcher(SPEC)
    with pytest.raises(DispatchError, match="x86's XENVER_capabilities"):
        d.dispatch("pv64", {"RAX": 17, "RDI": 3, "RSI": BUFFER}, memory=memory)
    with pytest.raises(DispatchError, match=r"build=XenBuild\(aarch32="):
        d.dispatch("arm64", {"X16": 17, "X0": 3, "X1": BUFFER}, memory=memory)
    with pytest.raises(DispatchError, match=r"build=XenBuild\(extraversion="):
        d.dispatch("pv64", {"RAX": 17, "RDI": 1, "RSI": BUFFER}, memory=memory)


def test_without_memory_only_xenver_version_answers() -> None:
    d = Dispatcher(SPEC, build=XenBuild(extraversion=".0", changeset="x", aarch32=True))
    assert d.dispatch("arm64", {"X16": 17, "X0": 0}).result == 0x40016
    for cmd in (1, 3, 4):
        assert d.dispatch("arm64", {"X16": 17, "X0": cmd, "X1": BUFFER}).result == -38
    # Commands the model has no string for stay -ENOSYS with a memory too.
    memory = GuestMemory({BUFFER: 1024})
    assert d.dispatch("arm64", {"X16": 17, "X0": 9, "X1": BUFFER}, memory=memory).result == -38


def test_guest_memory_maps_reads_and_refuses_overlaps() -> None:
    memory = GuestMemory({0x1000: 16})
    assert memory.copy_to_guest(0x1004, b"abcd")
    assert memory.read(0x1000, 8) == b"\0\0\0\0abcd"
    assert not memory.copy_to_guest(0x100E, b"abcd")
    with pytest.raises(ValueError, match="overlaps"):
        memory.map(0x100F, 4)
    with pytest.raises(ValueError, match="not mapped"):
        memory.read(0x2000, 1)


def test_handler_context_defaults_are_unchanged() -> None:
    ctx = HandlerContext(GuestType.HVM32, Release(4, 22))
    assert (ctx.memory, ctx.build) == (None, None)
