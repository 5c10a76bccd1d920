"""Hypercall page stubs from the byte stores that write them.

Xen writes each guest's page in C, one store per field::

    *(u8  *)(p+ 3) = 0xb8;    /* mov  $<i>,%eax */
    *(u32 *)(p+ 4) = i;
    *(u16 *)(p+ 8) = 0x050f;  /* syscall */

in ``pv_ring3_init_hypercall_page`` (64-bit PV), ``pv_ring1_init_hypercall_page``
(32-bit PV), ``vmx_init_hypercall_page`` (Intel) and ``svm_init_hypercall_page``
(AMD); until spring 2019 the PV ones were ``hypercall_page_initialise_ring3_kernel``
and ``hypercall_page_initialise_ring1_kernel``. Running the stores of the
loop over the page for an index gives that stub's bytes, which capstone
then decodes: the ``mov`` of the index names the index register, the
instruction after it is the transfer instruction.

iret's stub is written in one of two forms, and each function is read in its
own: the stores before the ``continue`` of ``if ( unlikely(i ==
__HYPERVISOR_iret) ) { ... }`` inside the loop (from spring 2019), or, where
the loop skips iret (``if ( i == __HYPERVISOR_iret ) continue;``), the stores
after the loop into iret's slot (``p = hypercall_page + (__HYPERVISOR_iret *
32);`` or ``*(u16 *)(hypercall_page + (__HYPERVISOR_iret * 32)) = 0x0b0f;``).

The values are C constant expressions over ``i``, ``__HYPERVISOR_iret`` and
``HYPERCALL_VECTOR``; they are evaluated with Python's own parser restricted
to integer arithmetic (no C expression evaluator exists as a library; pcpp's
works on preprocessor tokens only).
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sphinx_xenabi.model.abi import (
    IRET_INDEX,
    PAGE_FILLER,
    STUB_SIZE,
    TransferGuest,
    normalise_instruction,
)
from sphinx_xenabi.model.spec import Evidence
from sphinx_xenabi.model.xen_source.c_syntax import closing
from sphinx_xenabi.model.xen_source.paths import PV_HYPERCALL_C, SVM_C, VMX_C
from sphinx_xenabi.model.xen_source.tree import SourceError, XenTree

# Each guest's stub writer: its file and the function's names, newest first.
STUB_FUNCTIONS: Mapping[TransferGuest, tuple[str, tuple[str, ...]]] = {
    TransferGuest.PV64: (
        PV_HYPERCALL_C,
        ("pv_ring3_init_hypercall_page", "hypercall_page_initialise_ring3_kernel"),
    ),
    TransferGuest.PV32: (
        PV_HYPERCALL_C,
        ("pv_ring1_init_hypercall_page", "hypercall_page_initialise_ring1_kernel"),
    ),
    TransferGuest.INTEL_HVM: (VMX_C, ("vmx_init_hypercall_page",)),
    TransferGuest.AMD_HVM: (SVM_C, ("svm_init_hypercall_page",)),
}
_VECTOR_HEADERS = ("irq-vectors.h", "mach-default/irq_vectors.h")

# iret's slot of the page, as the writers before spring 2019 address it.
_IRET_SLOT = r"hypercall_page\s*\+\s*\(\s*__HYPERVISOR_iret\s*\*\s*32\s*\)"
# "*(u8 *)(p + 3) = 0xb8;", or a store into iret's slot by its address.
_STORE = re.compile(
    rf"\*\s*\(\s*u(8|16|32)\s*\*\s*\)\s*\(?\s*(?:p|{_IRET_SLOT})"
    r"\s*(?:\+\s*(\d+)\s*)?\)?\s*=\s*([^;]+);"
)
_LOOP = re.compile(r"\bfor\s*\(")
_BLOCK = re.compile(r"\s*\{")
_IRET_IN_LOOP = re.compile(r"i\s*==\s*__HYPERVISOR_iret[^{;]*\{(.*?)\bcontinue\s*;", re.S)
_OPERATORS: Mapping[type[ast.AST], Callable[[int, int], int]] = {
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.Add: operator.add,
    ast.Sub: operator.sub,
}


@dataclass(frozen=True)
class Store:
    offset: int
    size: int  # bytes
    expression: str
    line: int
    text: str  # the store as written, blanks collapsed


@dataclass(frozen=True)
class StubSource:
    """One guest's stub writer: ordinary and iret stores, and their evidence."""

    guest: TransferGuest
    ordinary: tuple[Store, ...]
    iret: tuple[Store, ...]
    evidence: Evidence  # the function's first line
    symbols: Mapping[str, int]  # __HYPERVISOR_iret, HYPERCALL_VECTOR

    def stub(self, index: int) -> bytes:
        """The code of stub ``index`` (without the 0xCC padding)."""
        stores = self.iret if index == IRET_INDEX and self.iret else self.ordinary
        code = bytearray([PAGE_FILLER]) * STUB_SIZE
        end = 0
        for store in stores:
            value = _evaluate(store.expression, {**self.symbols, "i": index})
            code[store.offset : store.offset + store.size] = (
                value % (1 << 8 * store.size)
            ).to_bytes(store.size, "little")
            end = max(end, store.offset + store.size)
        return bytes(code[:end])


def _evaluate(expression: str, symbols: Mapping[str, int]) -> int:
    cleaned = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", expression.strip())

    def value(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name) and node.id in symbols:
            return symbols[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        raise ValueError(ast.dump(node))

    try:
        return value(ast.parse(cleaned, mode="eval").body)
    except (SyntaxError, ValueError) as exc:
        raise ValueError(f"cannot evaluate {expression.strip()!r}") from exc


def _function_body(text: str, name: str) -> tuple[int, int] | None:
    """(start, end) offsets of the body of C function ``name``."""
    match = re.search(rf"\b{name}\s*\([^)]*\)\s*\{{", text)
    if match is None:
        return None
    return match.start(), _closing_brace(text, match.end())


def hypercall_vector(tree: XenTree) -> tuple[int, Evidence]:
    """``HYPERCALL_VECTOR``: from its header, else the dispatch's own comment.

    The sparse trees of 4.13 to 4.18 lack the vector header; there the
    comment "PV guests use SYSCALL or INT $0x82" in pv/hypercall.c is the
    source's own statement of the vector, cited as such.
    """
    for name in _VECTOR_HEADERS:
        try:
            relative = tree.asm_header(name)
        except SourceError:
            continue
        macro = tree.preprocessed(relative, ()).macros.get("HYPERCALL_VECTOR")
        if macro is not None:
            return _evaluate(macro.value, {}), tree.source_line(relative, macro.line)
    text = tree.text(PV_HYPERCALL_C)
    comment = re.search(r"\bINT\s+\$(0x[0-9a-fA-F]+)", text)
    if comment is None:
        raise SourceError(
            f"{tree.root / 'xen/arch/x86/include/asm/irq-vectors.h'}: missing, and "
            f"{PV_HYPERCALL_C} does not state the vector (expected HYPERCALL_VECTOR)"
        )
    line = text.count("\n", 0, comment.start()) + 1
    note = "HYPERCALL_VECTOR's header is not in this tree; the dispatch comment states it"
    return int(comment.group(1), 16), tree.source_line(PV_HYPERCALL_C, line, note)


def _find_writer(tree: XenTree, guest: TransferGuest) -> tuple[str, str, str, tuple[int, int]]:
    """(file, function, text, body span) of the guest's stub writer, by any of its names."""
    relative, names = STUB_FUNCTIONS[guest]
    text = tree.text(relative)
    for function in names:
        span = _function_body(text, function)
        if span is not None:
            return relative, function, text, span
    raise SourceError(
        f"{tree.root / relative}: no function {' or '.join(names)} (expected the "
        f"{guest.value} hypercall page writer)"
    )


def _split_stores(
    tree: XenTree, relative: str, function: str, text: str, span: tuple[int, int]
) -> tuple[list[Store], list[Store]]:
    """(ordinary, iret) stores of a writer, in whichever form it writes iret's stub."""
    start, end = span
    line = text.count("\n", 0, start) + 1
    where = f"{tree.root / relative}:{line}"
    loop = _LOOP.search(text, start, end)
    header_end = closing(text, loop.end() - 1) if loop is not None else -1
    body = _BLOCK.match(text, header_end) if header_end > 0 else None
    if body is None:
        raise SourceError(
            f"{where}: {function} has no 'for ( ... ) {{' loop over the page's stubs "
            "(expected one stub written per index i)"
        )
    loop_end = _closing_brace(text, body.end())
    iret_block = _IRET_IN_LOOP.search(text, body.end(), loop_end)
    split = iret_block.end() if iret_block else body.end()
    ordinary: list[Store] = []
    iret: list[Store] = []
    for match in _STORE.finditer(text, start, end):
        store = Store(
            int(match.group(2) or 0),
            int(match.group(1)) // 8,
            match.group(3),
            text.count("\n", 0, match.start()) + 1,
            " ".join(match.group(0).split()),
        )
        after_loop = match.start() >= loop_end
        (iret if match.start() < split or after_loop else ordinary).append(store)
    after = text[loop_end:end]
    if iret_block is None and _STORE.search(after) and not re.search(_IRET_SLOT, after):
        raise SourceError(
            f"{where}: {function} stores after its loop, but not into iret's slot "
            "(expected p = hypercall_page + (__HYPERVISOR_iret * 32) before iret's stub)"
        )
    return ordinary, iret


def _closing_brace(text: str, position: int) -> int:
    """The offset just past the brace closing the block opened before ``position``."""
    depth = 1
    while depth and position < len(text):
        depth += {"{": 1, "}": -1}.get(text[position], 0)
        position += 1
    return position


def read_stub_sources(
    tree: XenTree, iret_number: int, vector: int
) -> dict[TransferGuest, StubSource]:
    """Every guest's stub writer."""
    symbols = {"__HYPERVISOR_iret": iret_number, "HYPERCALL_VECTOR": vector}
    sources: dict[TransferGuest, StubSource] = {}
    for guest in STUB_FUNCTIONS:
        relative, function, text, span = _find_writer(tree, guest)
        ordinary, iret = _split_stores(tree, relative, function, text, span)
        if not ordinary:
            raise SourceError(
                f"{tree.root / relative}: {function} has no '*(u8 *)(p + N) = ...;' stores "
                "(expected the stub's bytes)"
            )
        source = StubSource(
            guest,
            tuple(ordinary),
            tuple(iret),
            tree.source_line(relative, text.count("\n", 0, span[0]) + 1),
            symbols,
        )
        try:
            source.stub(IRET_INDEX)
            source.stub(0)
        except ValueError as exc:
            raise SourceError(f"{tree.root / relative}: {function}: {exc}") from None
        sources[guest] = source
    return sources


@dataclass(frozen=True)
class DecodedStub:
    """What an ordinary stub does: which register takes the index, which instruction enters Xen."""

    index_register: str
    transfer: str  # as the docs spell it: "SYSCALL", "INT 0x82"
    evidence: Evidence  # the store that writes the transfer instruction


_PROBE_INDEX = 0x2A  # an index whose immediate cannot be mistaken for other bytes


def decode(source: StubSource, width: int) -> DecodedStub:
    """Disassemble an ordinary stub (capstone) into its index register and transfer."""
    from sphinx_xenabi.model.disassembly import engine  # capstone, loaded when decoding

    code = source.stub(_PROBE_INDEX)
    instructions = list(engine(width).disasm(code, 0))
    for position, instruction in enumerate(instructions[:-1]):
        operands = [part.strip() for part in instruction.op_str.split(",")]
        if instruction.mnemonic == "mov" and operands[1:] == [hex(_PROBE_INDEX)]:
            register = operands[0].upper()
            if width == 64 and register.startswith("E"):
                register = "R" + register[1:]  # writing EAX zero-extends into RAX
            transfer = instructions[position + 1]
            text = f"{transfer.mnemonic} {transfer.op_str}".strip()
            store = _store_at(source, transfer.address)
            evidence = (
                Evidence(source.evidence.file, store.line, store.text)
                if store is not None
                else source.evidence
            )
            return DecodedStub(register, normalise_instruction(text), evidence)
    raise SourceError(
        f"{source.evidence.file}:{source.evidence.line}: the {source.guest.value} stub "
        f"({code.hex(' ')}) loads the index with no 'mov REG, imm32'"
    )


def _store_at(source: StubSource, offset: int) -> Store | None:
    for store in source.ordinary:
        if store.offset <= offset < store.offset + store.size:
            return store
    return None
