"""The ABI the docs' tables state, as the same :class:`AbiSpec` the model and a Xen tree give.

The spec's evidence locates each fact at its table cell (keys as
:func:`~sphinx_xenabi.model.spec.evidence_key` spells them), so the docs are
located as a Xen source is: a comparison with the docs on one side
(:func:`~sphinx_xenabi.model.abi_compare.diff_specs`) says which cell states
each fact it reports. ``ranges`` and ``footnotes`` hold what the tables'
titles and footnotes state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sphinx_xenabi.model.records import (
    Cell,
    NumberRow,
    RegisterRow,
    TableKind,
    TableRecord,
    TransferRow,
)
from sphinx_xenabi.model.spec import (
    AbiSpec,
    Convention,
    Evidence,
    Hypercall,
    Release,
    ReleaseRange,
    evidence_key,
)


def evidence_of(cell: Cell[Any]) -> Evidence:
    """A cell as evidence: its place, and its value as the docs write it."""
    value = cell.value
    text = " ".join(value) if isinstance(value, tuple) else str(value)
    return Evidence(cell.file, cell.line, text)


def spec_of_tables(release: Release, tables: Iterable[TableRecord]) -> AbiSpec:
    """The ABI ``tables`` state, as a spec of ``release``.

    Rows that appear twice keep their first occurrence (the extraction
    already warned about duplicates), the first table of a kind speaks for
    its range, and every table's footnotes count (an x86 and an Arm table
    of one kind each cite their own).
    """
    facts = _Facts()
    for table in tables:
        facts.add_table(table)
    return facts.spec(release)


@dataclass
class _Facts:
    """The facts read so far, each with the cell that states it."""

    evidence: dict[str, Evidence] = field(default_factory=dict)
    ranges: dict[str, ReleaseRange] = field(default_factory=dict)
    footnotes: dict[str, tuple[Evidence, ...]] = field(default_factory=dict)
    conventions: dict[str, Convention] = field(default_factory=dict)
    transfers: dict[str, str] = field(default_factory=dict)
    hypercalls: dict[int, Hypercall] = field(default_factory=dict)
    parameter_count: int | None = None

    def locate(self, cell: Cell[Any], *key: object) -> None:
        self.evidence.setdefault(evidence_key(*key), evidence_of(cell))

    def add_table(self, table: TableRecord) -> None:
        kind = table.kind.value
        key = evidence_key("table", kind)
        if key not in self.evidence:
            self.evidence[key] = Evidence(table.location.file, table.location.line, table.title)
            if table.releases is not None:
                self.ranges[kind] = table.releases
        if table.footnotes:
            cited = tuple(evidence_of(c) for c in table.footnotes)
            self.footnotes[kind] = self.footnotes.get(kind, ()) + cited
        if table.kind is TableKind.REGISTERS:
            self._add_registers(table)
        for row in table.rows:
            if isinstance(row, TransferRow):
                self.transfers.setdefault(row.guest.value, row.instruction.value)
                self.locate(row.instruction, "transfer", row.guest.value)
            elif isinstance(row, NumberRow):
                self._add_number(row)

    def _add_registers(self, table: TableRecord) -> None:
        if len(table.header) > 2:
            self.locate(table.header[2], "parameter-count")
        if self.parameter_count is None:
            self.parameter_count = table.parameter_count
        for row in table.rows:
            assert isinstance(row, RegisterRow)
            abi = row.abi.value
            self.conventions.setdefault(
                abi, Convention(abi, row.index.value, row.parameters.value, row.result.value)
            )
            self.locate(row.abi, "convention", abi)
            self.locate(row.index, "convention", abi, "index")
            self.locate(row.parameters, "convention", abi, "parameters")
            self.locate(row.result, "convention", abi, "result")

    def _add_number(self, row: NumberRow) -> None:
        number = row.number.value
        available = frozenset(g for g, cell in row.availability.items() if cell.value)
        self.hypercalls.setdefault(number, Hypercall(number, row.name.value, available))
        self.locate(row.number, "hypercall", number)
        self.locate(row.name, "hypercall", number, "name")
        for guest, cell in row.availability.items():
            self.locate(cell, "available", number, guest.value)

    def spec(self, release: Release) -> AbiSpec:
        return AbiSpec(
            release,
            self.conventions,
            self.transfers,
            self.hypercalls,
            evidence=MappingProxyType(self.evidence),
            ranges=MappingProxyType(self.ranges),
            footnotes=MappingProxyType(self.footnotes),
            stated_parameter_count=self.parameter_count,
        )
