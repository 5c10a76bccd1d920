"""``.. xenabi-hypercall-page:: GUEST``: a guest type's hypercall page as a table.

The table is generated from the model (page bytes, hypercall names) and
disassembled with capstone, so the guide shows exactly the bytes the model
writes: one row per stub with its index, hypercall, offset, bytes and
instructions. Each hypercall name links to its numbers-table row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from sphinx_xenabi.hypercall_role import generated_reference
from sphinx_xenabi.messages import error
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

if TYPE_CHECKING:
    from sphinx.application import Sphinx

COLUMNS = ("Stub", "Hypercall", "Offset", "Bytes", "Disassembly")
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


def _cell(text: str, literal: bool = False) -> nodes.entry:
    paragraph = nodes.paragraph()
    paragraph += nodes.literal(text, text) if literal else nodes.Text(text)
    return nodes.entry("", paragraph)


def _row(*cells: nodes.entry) -> nodes.row:
    row = nodes.row()
    row.extend(cells)
    return row


def stub_name(index: int) -> str:
    hypercall = HYPERCALLS.get(index)
    return hypercall.name if hypercall is not None else "(unused)"


def _name_cell(index: int, reference: Callable[[str], nodes.Node] | None) -> nodes.entry:
    hypercall = HYPERCALLS.get(index)
    if hypercall is None or reference is None:
        return _cell(stub_name(index))
    return nodes.entry("", nodes.paragraph("", "", reference(hypercall.name)))


def page_table(
    guest: TransferGuest,
    indices: list[int],
    reference: Callable[[str], nodes.Node] | None = None,
) -> nodes.table:
    """The listing; ``reference`` makes the node a hypercall's name is shown as."""
    from sphinx_xenabi.model.disassembly import disassemble  # capstone: only when listing

    instruction = TRANSFER_INSTRUCTIONS[guest]
    table = nodes.table(classes=["xenabi-hypercall-page"])
    table += nodes.title("", f"Hypercall page: {guest.value} ({instruction.mnemonic})")
    group = nodes.tgroup(cols=len(COLUMNS))
    table += group
    for width in (6, 24, 8, 40, 40):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row(*(_cell(c) for c in COLUMNS))
    group += head
    body = nodes.tbody()
    for index in indices:
        code = stub_bytes(guest, index)
        body += _row(
            _cell(str(index)),
            _name_cell(index, reference),
            _cell(f"0x{index * STUB_SIZE:03x}", literal=True),
            _cell(code.hex(" ").upper(), literal=True),
            _cell("; ".join(disassemble(guest, code)), literal=True),
        )
    group += body
    return table


class HypercallPageDirective(SphinxDirective):
    """Render the model's hypercall page for one transfer-table guest."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, object]] = {"indices": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        try:
            guest = TransferGuest.parse(self.arguments[0])
        except ValueError as exc:
            error("directive", f"{self.name}: {exc}", self.get_location())
            return []
        try:
            indices = parse_indices(self.options.get("indices", f"0-{STUB_COUNT - 1}"))
        except ValueError as exc:
            error("directive", f"{self.name} :indices: {exc}", self.get_location())
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
        return [page_table(guest, indices, reference), note]


def setup_directives(app: Sphinx) -> None:
    app.add_directive("xenabi-hypercall-page", HypercallPageDirective)
