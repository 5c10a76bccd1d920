"""Hypercall page stubs from the byte stores that write them.

Xen writes each guest's page in C, one store per field::

    *(u8  *)(p+ 3) = 0xb8;    /* mov  $<i>,%eax */
    *(u32 *)(p+ 4) = i;
    *(u16 *)(p+ 8) = 0x050f;  /* syscall */

in ``pv_ring3_init_hypercall_page`` (64-bit PV), ``pv_ring1_init_hypercall_page``
(32-bit PV), ``vmx_init_hypercall_page`` (Intel) and ``svm_init_hypercall_page``
(AMD). Running the stores for an index gives that stub's bytes, which
capstone then decodes: the ``mov`` of the index names the index register,
the instruction after it is the transfer instruction. The stores before the
``continue`` of ``if ( unlikely(i == __HYPERVISOR_iret) )`` are iret's stub.

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
from sphinx_xenabi.model.xen_source.tree import (
    PV_HYPERCALL_C,
    SVM_C,
    VMX_C,
    SourceError,
    XenTree,
)

STUB_FUNCTIONS: Mapping[TransferGuest, tuple[str, str]] = {
    TransferGuest.PV64: (PV_HYPERCALL_C, "pv_ring3_init_hypercall_page"),
    TransferGuest.PV32: (PV_HYPERCALL_C, "pv_ring1_init_hypercall_page"),
    TransferGuest.INTEL_HVM: (VMX_C, "vmx_init_hypercall_page"),
    TransferGuest.AMD_HVM: (SVM_C, "svm_init_hypercall_page"),
}
_VECTOR_HEADERS = ("irq-vectors.h", "mach-default/irq_vectors.h")

_STORE = re.compile(
    r"\*\s*\(\s*u(8|16|32)\s*\*\s*\)\s*\(?\s*p\s*(?:\+\s*(\d+)\s*)?\)?\s*=\s*([^;]+);"
)
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
    depth, position = 1, match.end()
    while depth and position < len(text):
        depth += {"{": 1, "}": -1}.get(text[position], 0)
        position += 1
    return match.start(), position


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


def read_stub_sources(
    tree: XenTree, iret_number: int, vector: int
) -> dict[TransferGuest, StubSource]:
    """Every guest's stub writer."""
    symbols = {"__HYPERVISOR_iret": iret_number, "HYPERCALL_VECTOR": vector}
    sources: dict[TransferGuest, StubSource] = {}
    for guest, (relative, function) in STUB_FUNCTIONS.items():
        text = tree.text(relative)
        span = _function_body(text, function)
        if span is None:
            raise SourceError(
                f"{tree.root / relative}: no function {function} (expected the {guest.value} "
                "hypercall page writer)"
            )
        start, end = span
        iret_block = re.search(
            r"i\s*==\s*__HYPERVISOR_iret[^{]*\{(.*?)\bcontinue\s*;", text[start:end], re.S
        )
        split = start + iret_block.end() if iret_block else start
        stores: dict[bool, list[Store]] = {True: [], False: []}
        for match in _STORE.finditer(text, start, end):
            store = Store(
                int(match.group(2) or 0),
                int(match.group(1)) // 8,
                match.group(3),
                text.count("\n", 0, match.start()) + 1,
                " ".join(match.group(0).split()),
            )
            stores[match.start() < split].append(store)
        if not stores[False]:
            raise SourceError(
                f"{tree.root / relative}: {function} has no '*(u8 *)(p + N) = ...;' stores "
                "(expected the stub's bytes)"
            )
        source = StubSource(
            guest,
            tuple(stores[False]),
            tuple(stores[True]),
            tree.source_line(relative, text.count("\n", 0, start) + 1),
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
