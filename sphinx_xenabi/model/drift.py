"""The drift check: compare the guides' tables with a reference ABI.

The reference is the built-in model or, when a Xen tree is at hand, that
tree's source (:mod:`sphinx_xenabi.model.xen_source`); both are an
:class:`AbiSpec`, so this is one comparison. Each table is compared with the
reference of every release it describes: its own stated range, else the
release the docs describe. A source tree replaces the model for its own
release's revision (and for every table that states no range). Every
disagreement becomes a :class:`Finding` at the offending cell, saying what
the docs state, what the reference says and, for a source, the source line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sphinx_xenabi.model.abi import (
    FIRST_MODELLED_RELEASE,
    REVISIONS,
    TRANSFER_INSTRUCTIONS,
    TransferGuest,
    normalise_instruction,
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
from sphinx_xenabi.model.spec import AbiSpec, Release, ReleaseRange, evidence_key


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


def _source_covers(source: AbiSpec, release: Release) -> bool:
    """Whether ``source`` stands in for the model revision of ``release``."""
    return release >= FIRST_MODELLED_RELEASE and source.release in revision_range(release)


def check_registry(
    registry: Registry, default: Release, source: AbiSpec | None = None
) -> list[Finding]:
    """All findings for the registry; ``default`` is the described release.

    With ``source`` (a spec read from a Xen tree), tables that state no
    release, and ranged tables that include the source's release, are
    compared with the source; the rest of a range still with the model.
    """
    findings: dict[Finding, None] = {}  # deduplicated, in the order found
    for table in registry.tables:
        releases = releases_to_check(table, default)
        if source is not None and (table.releases is None or source.release in table.releases):
            findings.update(dict.fromkeys(check_table(table, source)))
            covered = table.releases is None
            releases = [] if covered else [r for r in releases if not _source_covers(source, r)]
        for release in releases:
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


def _cite(model: AbiSpec, *key: object) -> str:
    """`` (xen/arch/x86/pv/hypercall.c:58)`` when the reference has evidence for ``key``."""
    evidence = model.evidence.get(evidence_key(*key))
    if evidence is None:
        return ""
    return f" ({evidence}: {evidence.note})" if evidence.note else f" ({evidence})"


def _check_registers(table: TableRecord, model: AbiSpec) -> Iterator[Finding]:
    xen = model.origin or str(revision_range(model.release))
    counts = {len(c.parameters) for c in model.conventions.values()}
    if table.parameter_count is not None and table.parameter_count not in counts:
        header = table.header[2]
        yield Finding(
            header.location,
            f"header announces {table.parameter_count} parameters; {xen} passes "
            f"{' or '.join(map(str, sorted(counts)))}"
            + _cite(model, "convention", "64bit", "parameters"),
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
                f"{abi} hypercall index is {row.index.value}; {xen} uses {convention.index}"
                + _cite(model, "convention", abi, "index"),
            )
        docs, want = row.parameters.value, convention.parameters
        cited = _cite(model, "convention", abi, "parameters")
        for position in range(max(len(docs), len(want))):
            number = position + 1
            if position >= len(want):
                yield Finding(
                    row.parameters.location,
                    f"{abi} parameter {number} is {docs[position]}; {xen} passes only "
                    f"{len(want)} parameters{cited}",
                )
            elif position >= len(docs):
                yield Finding(
                    row.parameters.location,
                    f"{abi} parameter {number} is missing; {xen} passes it in "
                    f"{want[position]}{cited}",
                )
            elif docs[position] != want[position]:
                yield Finding(
                    row.parameters.location,
                    f"{abi} parameter {number} is {docs[position]}; {xen} uses "
                    f"{want[position]}{cited}",
                )
        if row.result.value != convention.result:
            yield Finding(
                row.result.location,
                f"{abi} result is {row.result.value}; {xen} returns it in {convention.result}"
                + _cite(model, "convention", abi, "result"),
            )
    stated = {r.abi.value for r in rows}
    for abi in sorted(set(model.conventions) - stated):
        convention = model.conventions[abi]
        yield Finding(
            table.location,
            f"registers table has no {abi} row; {xen} uses index {convention.index}, "
            f"parameters {' '.join(convention.parameters)}, result {convention.result}",
        )


def _same_instruction(written: str, expected: str) -> bool:
    try:
        return normalise_instruction(written) == normalise_instruction(expected)
    except ValueError:
        return False


def _check_transfer(table: TableRecord, model: AbiSpec) -> Iterator[Finding]:
    rows = [r for r in table.rows if isinstance(r, TransferRow)]
    for row in rows:
        guest = TransferGuest(row.guest.value)
        expected = model.transfers.get(guest.value)
        if expected is None:
            continue  # a source build without this guest type states no instruction
        if not _same_instruction(row.instruction.value, expected):
            known = TRANSFER_INSTRUCTIONS[guest]
            encoding = known.encoding_hex if known.matches(expected) else ""
            how = f" ({encoding})" if encoding and not model.origin else ""
            yield Finding(
                row.instruction.location,
                f"{guest.value} transfer instruction is {row.instruction.value}; "
                f"{model.origin or 'Xen'} uses {expected}{how}"
                + _cite(model, "transfer", guest.value),
            )
    stated = {r.guest.value for r in rows}
    for label in sorted(set(model.transfers) - stated):
        yield Finding(
            table.location,
            f"transfer table has no {label} row; {model.origin or 'Xen'} uses "
            f"{model.transfers[label]}",
        )


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _check_numbers(table: TableRecord, model: AbiSpec) -> Iterator[Finding]:
    xen = model.origin or f"Xen {model.release}"
    rows = [r for r in table.rows if isinstance(r, NumberRow)]
    number_of = {h.name: h.number for h in model.hypercalls.values()}
    for row in rows:
        number, name = row.number.value, row.name.value
        hypercall = model.hypercalls.get(number)
        if hypercall is None:
            also = f"; {xen} numbers {name} {number_of[name]}" if name in number_of else ""
            also += _cite(model, "hypercall", number_of[name]) if name in number_of else ""
            yield Finding(
                row.number.location,
                f"hypercall number {number} ({name}) is not defined in {xen}{also}",
            )
            continue
        if name != hypercall.name:
            also = f" and numbers {name} {number_of[name]}" if name in number_of else ""
            yield Finding(
                row.name.location,
                f"hypercall {number} is named {name}; {xen} names it {hypercall.name}{also}"
                + _cite(model, "hypercall", number),
            )
            continue
        for guest, cell in sorted(row.availability.items()):
            expected = guest in hypercall.available
            if cell.value != expected:
                yield Finding(
                    cell.location,
                    f"{guest.label} availability of {name} is {_yes_no(cell.value)}; "
                    f"in {xen} it is {_yes_no(expected)}"
                    + ("" if expected else " (the call returns -ENOSYS)")
                    + _cite(model, "available", number, guest.value),
                )
    stated = {r.number.value for r in rows}
    for number in sorted(set(model.hypercalls) - stated):
        yield Finding(
            table.location,
            f"numbers table has no row for hypercall {number} ({model.hypercalls[number].name}), "
            f"which {xen} defines" + _cite(model, "hypercall", number),
        )
