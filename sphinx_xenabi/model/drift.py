"""The drift check: compare the guides' tables with the reference model.

Each table is compared with the model revision of every release it
describes: its own stated range, else the release the docs describe. Every
disagreement becomes a :class:`Finding` at the offending cell, saying what
the docs state and what the model says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sphinx_xenabi.model.abi import (
    FIRST_MODELLED_RELEASE,
    REVISIONS,
    TRANSFER_INSTRUCTIONS,
    TransferGuest,
)
from sphinx_xenabi.model.abi import revision_for as model_revision_for
from sphinx_xenabi.model.registry import (
    Location,
    NumberRow,
    RegisterRow,
    Registry,
    TableKind,
    TableRecord,
    TransferRow,
)
from sphinx_xenabi.model.spec import AbiSpec, Release, ReleaseRange


@dataclass(frozen=True, order=True)
class Finding:
    """One disagreement (``drift``) or a table the model cannot judge (``unchecked``)."""

    location: Location
    message: str
    subtype: str = "drift"


def revision_range(release: Release) -> ReleaseRange:
    """The model revision's release range containing ``release`` (for messages)."""
    for revision in REVISIONS:
        if release in revision.releases:
            return revision.releases
    raise ValueError(f"Xen {release} is not modelled")


def releases_to_check(table: TableRecord, default: Release) -> list[Release]:
    """One release per model revision the table's range overlaps.

    A table stating "Xen 4.13 to 4.18" must agree with every revision in that
    span, so it is compared with each revision's first release inside it.
    """
    if table.releases is None:
        return [default]
    first, last = table.releases.first, table.releases.last
    releases = [first]
    for revision in REVISIONS:
        start = revision.releases.first
        if first < start and (last is None or start <= last):
            releases.append(start)
    return releases


def check_registry(registry: Registry, default: Release) -> list[Finding]:
    """All findings for the registry; ``default`` is the described release."""
    findings: dict[Finding, None] = {}  # deduplicated, in the order found
    for table in registry.tables:
        for release in releases_to_check(table, default):
            if release < FIRST_MODELLED_RELEASE:
                findings.setdefault(
                    Finding(
                        table.location,
                        f"{table.kind.value} table describes Xen {release}, which the model "
                        f"does not cover (it starts at Xen {FIRST_MODELLED_RELEASE}); not checked",
                        "unchecked",
                    )
                )
                continue
            findings.update(dict.fromkeys(check_table(table, model_revision_for(release))))
    # By cell; within a cell in the order found (parameter 6 before parameter 10).
    return sorted(findings, key=lambda finding: finding.location)


def check_table(table: TableRecord, model: AbiSpec) -> Iterator[Finding]:
    if table.kind is TableKind.REGISTERS:
        yield from _check_registers(table, model)
    elif table.kind is TableKind.TRANSFER:
        yield from _check_transfer(table, model)
    else:
        yield from _check_numbers(table, model)


def _check_registers(table: TableRecord, model: AbiSpec) -> Iterator[Finding]:
    xen = str(revision_range(model.release))
    counts = {len(c.parameters) for c in model.conventions.values()}
    if table.parameter_count is not None and table.parameter_count not in counts:
        header = table.header[2]
        yield Finding(
            header.location,
            f"header announces {table.parameter_count} parameters; {xen} passes "
            f"{' or '.join(map(str, sorted(counts)))}",
        )
    rows = [r for r in table.rows if isinstance(r, RegisterRow)]
    for row in rows:
        abi = row.abi.value
        convention = model.conventions.get(abi)
        if convention is None:
            yield Finding(row.abi.location, f"ABI {abi} is not part of {xen}")
            continue
        if row.index.value != convention.index:
            yield Finding(
                row.index.location,
                f"{abi} hypercall index is {row.index.value}; {xen} uses {convention.index}",
            )
        docs, want = row.parameters.value, convention.parameters
        for position in range(max(len(docs), len(want))):
            number = position + 1
            if position >= len(want):
                yield Finding(
                    row.parameters.location,
                    f"{abi} parameter {number} is {docs[position]}; {xen} passes only "
                    f"{len(want)} parameters",
                )
            elif position >= len(docs):
                yield Finding(
                    row.parameters.location,
                    f"{abi} parameter {number} is missing; {xen} passes it in {want[position]}",
                )
            elif docs[position] != want[position]:
                yield Finding(
                    row.parameters.location,
                    f"{abi} parameter {number} is {docs[position]}; {xen} uses {want[position]}",
                )
        if row.result.value != convention.result:
            yield Finding(
                row.result.location,
                f"{abi} result is {row.result.value}; {xen} returns it in {convention.result}",
            )
    stated = {r.abi.value for r in rows}
    for abi in sorted(set(model.conventions) - stated):
        convention = model.conventions[abi]
        yield Finding(
            table.location,
            f"registers table has no {abi} row; {xen} uses index {convention.index}, "
            f"parameters {' '.join(convention.parameters)}, result {convention.result}",
        )


def _check_transfer(table: TableRecord, model: AbiSpec) -> Iterator[Finding]:
    rows = [r for r in table.rows if isinstance(r, TransferRow)]
    for row in rows:
        guest = TransferGuest(row.guest.value)
        expected = TRANSFER_INSTRUCTIONS[guest]
        if not expected.matches(row.instruction.value):
            yield Finding(
                row.instruction.location,
                f"{guest.value} transfer instruction is {row.instruction.value}; "
                f"Xen uses {expected.mnemonic} ({expected.encoding_hex})",
            )
    stated = {r.guest.value for r in rows}
    for label in sorted(set(model.transfers) - stated):
        yield Finding(
            table.location,
            f"transfer table has no {label} row; Xen uses {model.transfers[label]}",
        )


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _check_numbers(table: TableRecord, model: AbiSpec) -> Iterator[Finding]:
    xen = f"Xen {model.release}"
    rows = [r for r in table.rows if isinstance(r, NumberRow)]
    number_of = {h.name: h.number for h in model.hypercalls.values()}
    for row in rows:
        number, name = row.number.value, row.name.value
        hypercall = model.hypercalls.get(number)
        if hypercall is None:
            also = f"; {xen} numbers {name} {number_of[name]}" if name in number_of else ""
            yield Finding(
                row.number.location,
                f"hypercall number {number} ({name}) is not defined in {xen}{also}",
            )
            continue
        if name != hypercall.name:
            also = f" and numbers {name} {number_of[name]}" if name in number_of else ""
            yield Finding(
                row.name.location,
                f"hypercall {number} is named {name}; {xen} names it {hypercall.name}{also}",
            )
            continue
        for guest, cell in sorted(row.availability.items()):
            expected = guest in hypercall.available
            if cell.value != expected:
                yield Finding(
                    cell.location,
                    f"{guest.label} availability of {name} is {_yes_no(cell.value)}; "
                    f"in {xen} it is {_yes_no(expected)}"
                    + ("" if expected else " (the call returns -ENOSYS)"),
                )
    stated = {r.number.value for r in rows}
    for number in sorted(set(model.hypercalls) - stated):
        yield Finding(
            table.location,
            f"numbers table has no row for hypercall {number} ({model.hypercalls[number].name}), "
            f"which {xen} defines",
        )
