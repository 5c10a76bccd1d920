"""The drift check's findings as cells of one architecture, each with the source line it contradicts.

``history`` checks the docs of a commit against the source of the same
commit with the build's own check (:func:`~sphinx_xenabi.model.drift.check_registry`)
and needs, for each finding, more than its message: which fact the cell
states (its evidence key, stable while lines move), which architecture's
table it is in, and the reference's evidence for that fact. The docs' side
comes from :func:`~sphinx_xenabi.model.docs_spec.spec_of_tables`, which
locates each fact at its cell; the source's side from the reference spec's
evidence under the same key.

No Sphinx or docutils import.
"""

from __future__ import annotations

from sphinx_xenabi.model.docs_spec import spec_of_tables
from sphinx_xenabi.model.drift import check_registry
from sphinx_xenabi.model.history import Disagreement
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.records import NumberRow, RegisterRow, TableRecord, TransferRow
from sphinx_xenabi.model.registry import Registry
from sphinx_xenabi.model.spec import (
    AbiSpec,
    Architecture,
    Evidence,
    GuestType,
    Release,
    abi_architecture,
    evidence_key,
    transfer_architecture,
)


def table_architectures(table: TableRecord) -> frozenset[Architecture]:
    """The architectures a table states facts of (x86 when its rows name none it knows)."""
    found: set[Architecture] = set()
    for row in table.rows:
        if isinstance(row, RegisterRow):
            architecture = abi_architecture(row.abi.value)
            if architecture is not None:
                found.add(architecture)
        elif isinstance(row, TransferRow):
            found.add(transfer_architecture(row.guest.value))
        elif isinstance(row, NumberRow):
            found.update(guest.architecture for guest in row.availability)
    return frozenset(found) or frozenset({Architecture.X86})


def registry_architectures(registry: Registry) -> frozenset[Architecture]:
    """Every architecture some table of the docs states facts of."""
    return frozenset(a for table in registry.tables for a in table_architectures(table))


def _subject_architecture(subject: str, table: frozenset[Architecture]) -> Architecture:
    """The architecture a cell's fact is of: its ABI, guest or guest type, else the table's."""
    parts = subject.split("/")
    if parts[0] == "convention" and len(parts) > 1:
        found = abi_architecture(parts[1])
        if found is not None:
            return found
    elif parts[0] == "transfer" and len(parts) > 1:
        return transfer_architecture(parts[1])
    elif parts[0] == "available" and len(parts) == 3 and parts[2] in set(GuestType):
        return GuestType(parts[2]).architecture
    return min(table)


def _source_line(subject: str, reference: AbiSpec, table: TableRecord) -> Evidence | None:
    """The reference's evidence for the cell's fact.

    The header's "Parameters (1 - N)" cites, as the drift message does,
    where the source passes the first ABI's parameters; an ABI cell, where
    it passes that ABI's.
    """
    if subject == "parameter-count":
        abi = next((row.abi.value for row in table.rows if isinstance(row, RegisterRow)), None)
        subject = evidence_key("convention", abi or "64bit", "parameters")
    elif subject.startswith("convention/") and subject.count("/") == 1:
        subject += "/parameters"
    return reference.evidence.get(subject)


def _subjects_by_cell(table: TableRecord, release: Release) -> dict[Location, str]:
    """Each cell of the table with the evidence key of the fact it states (the first one)."""
    docs = spec_of_tables(release, (table,))
    cells: dict[Location, str] = {}
    # Longest key first: a parameters cell is "convention/64bit/parameters", not its ABI cell.
    for key, evidence in sorted(docs.evidence.items(), key=lambda item: -len(item[0])):
        cells.setdefault(Location(evidence.file, evidence.line), key)
    return cells


def disagreements(
    registry: Registry, default: Release, reference: AbiSpec, docs_prefix: str = ""
) -> tuple[Disagreement, ...]:
    """The drift findings of every table against ``reference``, as located disagreements.

    ``default`` is the release tables that state none describe (as the
    build's gate takes it); ``docs_prefix`` is put before each cell's file
    (the docs directory, relative to the repository's top).
    """
    found: list[Disagreement] = []
    for table in registry.tables:
        alone = Registry(registry.release, (), (table,))
        problems = [
            p
            for p in check_registry(alone, default, reference)
            if p.subtype is WarningSubtype.DRIFT and p.location is not None
        ]
        if not problems:
            continue
        subjects = _subjects_by_cell(table, reference.release)
        architectures = table_architectures(table)
        # One disagreement per cell: a cell that says two wrong things says them together.
        by_cell: dict[Location, list[str]] = {}
        for problem in problems:
            assert problem.location is not None
            by_cell.setdefault(problem.location, []).append(problem.message)
        for cell, messages in by_cell.items():
            subject = subjects.get(cell, evidence_key("table", table.kind.value))
            found.append(
                Disagreement(
                    _subject_architecture(subject, architectures).value,
                    subject,
                    Location(docs_prefix + cell.file, cell.line),
                    "; ".join(messages),
                    _source_line(subject, reference, table),
                )
            )
    return tuple(found)
