"""``.. xenabi-hypercall-page:: GUEST``: a guest type's hypercall page as a table.

The listing is generated from the model (page bytes, hypercall names) and
disassembled with capstone, so the guide shows exactly the bytes the model
writes, in objdump's shape: a label line per stub, then one line per
instruction with its page offset, bytes and text. Each hypercall name links
to its numbers-table row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from sphinx_xenabi.domain.role import generated_reference
from sphinx_xenabi.domain.xenabi import directive_error
from sphinx_xenabi.model.abi import (
    HYPERCALLS,
    IRET_INDEX,
    PAGE_FILLER,
    STUB_COUNT,
    STUB_SIZE,
    TRANSFER_INSTRUCTIONS,
    TransferGuest,
)
from sphinx_xenabi.model.page import stub_bytes
from sphinx_xenabi.model.problems import WarningSubtype

if TYPE_CHECKING:
    pass

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


def parse_indices(text: str) -> list[int]:
    """``"0-55"``, ``"17, 23"``, ``"0-3,17"`` to a sorted list of stub indices."""
    indices: set[int] = set()
    for part in text.split(","):
        match = _RANGE.match(part)
        if match is None:
            raise ValueError(f"{part.strip()!r} is not an index or a range such as 0-55")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first:
            raise ValueError(f"{part.strip()!r} is a range that ends before it starts")
        if not 0 <= first <= last < STUB_COUNT:
            raise ValueError(f"{part.strip()!r} is outside the page's stubs 0-{STUB_COUNT - 1}")
        indices.update(range(first, last + 1))
    return sorted(indices)


def _listing_lines(guest: TransferGuest, indices: list[int]) -> Iterator[tuple[int | None, str]]:
    """(stub index, "") for a stub's label line, (None, text) for the others."""
    from sphinx_xenabi.model.disassembly import instructions  # capstone: only when listing

    stubs = [(index, instructions(guest, stub_bytes(guest, index))) for index in indices]
    width = max(len(insn.encoding) for _, code in stubs for insn in code) * 3 + 1
    for position, (index, code) in enumerate(stubs):
        if position:
            yield None, ""
        yield index, ""
        start = index * STUB_SIZE
        for insn in code:
            yield (
                None,
                f"  {start + insn.offset:#05x}:  {insn.encoding.hex(' '):<{width}}{insn.text}",
            )


def stub_label(index: int) -> str:
    """``stub 17 <xen_version>:``; the instruction lines carry the page offsets."""
    hypercall = HYPERCALLS.get(index)
    return (
        f"stub {index} <{hypercall.name}>:" if hypercall is not None else f"stub {index} (unused):"
    )


def page_listing(
    guest: TransferGuest,
    indices: list[int],
    reference: Callable[[str], nodes.Node] | None = None,
) -> nodes.container:
    """A captioned literal block, as ``code-block`` with ``:caption:`` renders;
    ``reference`` makes the node a hypercall's name is shown as."""
    # A rawsource other than the text makes Sphinx write a parsed literal (links
    # kept, no highlighting), as for ``parsed-literal``.
    block = nodes.literal_block(f"xenabi-hypercall-page {guest.value}", classes=["xenabi-listing"])
    for number, (index, line) in enumerate(_listing_lines(guest, indices)):
        if number:
            block += nodes.Text("\n")
        hypercall = HYPERCALLS.get(index) if index is not None else None
        if index is None:
            block += nodes.Text(line)
        elif hypercall is None or reference is None:
            block += nodes.Text(stub_label(index))
        else:
            block += nodes.Text(f"stub {index} <")
            block += reference(hypercall.name)
            block += nodes.Text(">:")
    instruction = TRANSFER_INSTRUCTIONS[guest]
    caption_text = f"Hypercall page: {guest.value} ({instruction.mnemonic})"
    container = nodes.container(
        "", literal_block=True, classes=["literal-block-wrapper", "xenabi-hypercall-page"]
    )
    container += nodes.caption(caption_text, "", nodes.Text(caption_text))
    container += block
    return container


class HypercallPageDirective(SphinxDirective):
    """Render the model's hypercall page for one transfer-table guest."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, object]] = {"indices": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        try:
            # Arm guests issue HVC inline: only x86 guests have a hypercall page.
            guest = TransferGuest.parse(self.arguments[0], TransferGuest.with_pages())
        except ValueError as exc:
            directive_error(self, WarningSubtype.DIRECTIVE, f"{self.name}: {exc}")
            return []
        try:
            indices = parse_indices(self.options.get("indices", f"0-{STUB_COUNT - 1}"))
        except ValueError as exc:
            directive_error(self, WarningSubtype.DIRECTIVE, f"{self.name} :indices: {exc}")
            return []
        docname = self.env.docname

        def reference(name: str) -> nodes.Node:
            return generated_reference(docname, name)

        note = nodes.paragraph(
            "",
            f"Each stub is {STUB_SIZE} bytes long; the bytes after its code are "
            f"0x{PAGE_FILLER:02X} (int3). Stub {IRET_INDEX} is the ",
            reference(HYPERCALLS[IRET_INDEX].name),
            nodes.Text(" stub."),
        )
        return [page_listing(guest, indices, reference), note]
