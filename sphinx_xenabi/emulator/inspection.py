"""Reading guest code back: listings and diagnostics, and a page's transfer sites."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from ..model.abi import STUB_COUNT, STUB_SIZE


def _decode(code: bytes, address: int, bits: int) -> Iterator[str]:
    """Intel-syntax lines, from the package's one capstone engine cache.

    Deferred: capstone loads on first use, as only diagnostics and listings
    need it (``model.disassembly`` imports it at its top).
    """
    from ..model.disassembly import engine

    return (f"{i.mnemonic} {i.op_str}".strip() for i in engine(bits).disasm(code, address))


def listing(code: bytes, address: int, bits: int) -> tuple[str, ...]:
    """``code``, placed at ``address``, as Intel-syntax lines."""
    return tuple(_decode(code, address, bits))


def first_instruction(code: bytes, address: int, bits: int) -> str:
    """The first instruction of ``code`` (at ``address``), or its first bytes if none decodes."""
    return next(_decode(code, address, bits), None) or f"bytes {code[:4].hex(' ')}"


@functools.cache
def transfer_sites(page: bytes, encoding: bytes) -> tuple[int, ...]:
    """Page offsets of the transfer instruction in each stub, from the page's bytes.

    A byte search is exact for these stubs: the only operand before the
    instruction is the index, a 32-bit immediate below 128, whose bytes
    cannot form an encoding that starts with 0F or CD. Cached, as every
    harness maps the same few pages.
    """
    sites: list[int] = []
    for base in range(0, STUB_COUNT * STUB_SIZE, STUB_SIZE):
        found = page.find(encoding, base, base + STUB_SIZE)
        if found >= 0:
            sites.append(found)
    return tuple(sites)
