"""The hypercall page as nodes: the stub listing in objdump's shape and one stub explained.

What ``xenabi-hypercall-page`` renders (``directives/hypercall_page.py``),
generated from the model (page bytes, hypercall names) and disassembled with
capstone. Loaded when the first such directive runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from docutils import nodes

from sphinx_xenabi.directives import table_nodes
from sphinx_xenabi.model.abi import (
    HYPERCALLS,
    IRET_INDEX,
    STUB_COUNT,
    STUB_SIZE,
    TRANSFER_INSTRUCTIONS,
    TransferGuest,
)

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")
# A decimal operand as capstone writes small ones ("mov eax, 9"); not part of a
# register name (r11) or a hex number (0x82).
_DECIMAL_OPERAND = re.compile(r"(?<![\w.])(\d+)(?![\w.])")
# Reference is a function making the node a hypercall name is shown as.
Reference = Callable[[str], nodes.Node]


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
    from sphinx_xenabi.model.page import stub_bytes

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
                f"  {start + insn.offset:#05x}:  {insn.encoding.hex(' '):<{width}}"
                f"{hex_operands(insn.text)}",
            )


def hex_operands(text: str) -> str:
    """``mov eax, 9`` as ``mov eax, 0x9``: capstone writes immediates below 10 in
    decimal, the rest in hex; a listing reads better in one base."""
    mnemonic, _, operands = text.partition(" ")
    operands = _DECIMAL_OPERAND.sub(lambda m: f"{int(m.group(1)):#x}", operands)
    return f"{mnemonic} {operands}".strip()


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


# What each instruction of a stub does, by its text (immediates in hex).
_NOTES = {
    "push rcx": "save RCX: SYSCALL overwrites it with the return address",
    "push r11": "save R11: SYSCALL overwrites it with the flags",
    "pop r11": "restore R11",
    "pop rcx": "restore RCX",
    "push rax": "save RAX: Xen's iret takes it from the stack",
    "ud2": "invalid opcode: HVM guests have no iret to call",
}


def _result_register(guest: TransferGuest) -> str:
    return {TransferGuest.PV64: "RAX", TransferGuest.PV32: "EAX"}.get(guest, "RAX or EAX")


def _note(guest: TransferGuest, index: int, text: str, reference: Reference) -> list[nodes.Node]:
    """What one instruction of stub ``index`` does, as the nodes of a table cell."""
    instruction = TRANSFER_INSTRUCTIONS[guest]
    if text.startswith("mov eax, "):
        hypercall = HYPERCALLS.get(index)
        named = (
            []
            if hypercall is None
            else [nodes.Text(" ("), reference(hypercall.name), nodes.Text(")")]
        )
        return [nodes.Text(f"the hypercall number, {index}"), *named, nodes.Text(", in EAX")]
    if instruction.matches(text):
        returns = "; Xen returns here" if index != IRET_INDEX else "; it does not return"
        return [nodes.Text(f"enter Xen with {instruction.mnemonic}{returns}")]
    if text == "ret":
        return [nodes.Text(f"back to the caller, the result in {_result_register(guest)}")]
    return [nodes.Text(_NOTES.get(text, ""))]


def annotated_stub(guest: TransferGuest, index: int, reference: Reference) -> nodes.table:
    """Stub ``index`` as a table: offset, bytes, instruction and what it does, then its filler."""
    from sphinx_xenabi.model.disassembly import instructions  # capstone: only when listing
    from sphinx_xenabi.model.page import stub_bytes  # the page is assembled on use

    code = stub_bytes(guest, index)
    hypercall = HYPERCALLS.get(index)
    name = f" ({hypercall.name})" if hypercall is not None else " (unused)"
    title = f"Stub {index}{name} of the {guest.value} page, explained"
    table, body = table_nodes.table(
        title, ["Offset", "Bytes", "Instruction", "What it does"], [8, 14, 14, 40],
        ["xenabi-stub"],
    )  # fmt: skip
    start = index * STUB_SIZE
    for insn in instructions(guest, code):
        text = hex_operands(insn.text)
        note = nodes.entry("", nodes.paragraph("", "", *_note(guest, index, text, reference)))
        body += table_nodes.row(
            table_nodes.entry(f"{start + insn.offset:#05x}", literal=True),
            table_nodes.entry(insn.encoding.hex(" "), literal=True),
            table_nodes.entry(text, literal=True),
            note,
        )
    filler = STUB_SIZE - len(code)
    if filler:
        body += table_nodes.row(
            table_nodes.entry(f"{start + len(code):#05x}", literal=True),
            table_nodes.entry(f"cc \u00d7 {filler}", literal=True),
            table_nodes.entry("int3", literal=True),
            table_nodes.entry(f"filler up to the next stub, at {start + STUB_SIZE:#05x}"),
        )
    return table
