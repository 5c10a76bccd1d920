"""The drift check: the docs' ABI differs from the reference ABI.

The reference is the built-in model or, when a Xen tree is at hand, that
tree's source (:mod:`sphinx_xenabi.model.xen_source`); the docs' tables are
read as the same :class:`AbiSpec` (:func:`~.docs_spec.spec_of_tables`), so
drift is the ABI diff's one comparison,
:func:`~sphinx_xenabi.model.abi_compare.diff_specs`, from the reference to a
table, each number compared with the same number. Every change becomes a
:class:`~sphinx_xenabi.model.problems.Problem` (``drift``) at the cell the
docs' side locates it at, phrased as what the docs state and what the
reference says, citing the reference's evidence (for a source, the source
line).

Each table is compared with the reference of every release it describes:
its own stated range, else the release the docs describe. A source tree
replaces the model for its own release's revision (and for every table that
states no range).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sphinx_xenabi.model.abi import (
    FIRST_MODELLED_RELEASE,
    REVISIONS,
    TRANSFER_INSTRUCTIONS,
    TransferGuest,
)
from sphinx_xenabi.model.abi import revision_for as model_revision_for
from sphinx_xenabi.model.abi_compare import Change, diff_specs, yes_no
from sphinx_xenabi.model.abi_rules import Rule
from sphinx_xenabi.model.docs_spec import spec_of_tables
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.problems import Problem, WarningSubtype
from sphinx_xenabi.model.records import RegisterRow, TableRecord, TransferRow
from sphinx_xenabi.model.spec import (
    AbiSpec,
    Architecture,
    Evidence,
    GuestType,
    Release,
    ReleaseRange,
    abi_architecture,
    evidence_key,
    transfer_architecture,
)

if TYPE_CHECKING:
    from sphinx_xenabi.model.registry import Registry


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
) -> list[Problem]:
    """All findings for the registry; ``default`` is the described release.

    With ``source`` (a spec read from a Xen tree), tables that state no
    release, and ranged tables that include the source's release, are
    compared with the source; the rest of a range still with the model.
    """
    findings: dict[Problem, None] = {}  # deduplicated, in the order found
    for table in registry.tables:
        releases = releases_to_check(table, default)
        if source is not None and (table.releases is None or source.release in table.releases):
            findings.update(dict.fromkeys(check_table(table, source)))
            covered = table.releases is None
            releases = [] if covered else [r for r in releases if not _source_covers(source, r)]
        for release in releases:
            if release < FIRST_MODELLED_RELEASE:
                findings.setdefault(
                    Problem(
                        WarningSubtype.UNCHECKED,
                        f"{table.kind.value} table describes Xen {release}, which the model "
                        f"does not cover (it starts at Xen {FIRST_MODELLED_RELEASE}); not checked",
                        table.location,
                    )
                )
                continue
            findings.update(dict.fromkeys(check_table(table, model_revision_for(release))))
    # By cell; within a cell in the order found (parameter 6 before parameter 10).
    return sorted(findings, key=_cell_of)


_COUNT_RULES = frozenset({Rule.PARAMETER_COUNT_REDUCED, Rule.PARAMETER_COUNT_INCREASED})
_REGISTER_RULES = _COUNT_RULES | {
    Rule.ABI_ADDED,
    Rule.ABI_REMOVED,
    Rule.INDEX_REGISTER_CHANGED,
    Rule.RESULT_REGISTER_CHANGED,
    Rule.PARAMETER_ADDED,
    Rule.PARAMETER_REMOVED,
    Rule.PARAMETER_REPLACED,
    Rule.PARAMETERS_REORDERED,
}
_TRANSFER_RULES = frozenset({Rule.TRANSFER_ADDED, Rule.TRANSFER_REMOVED, Rule.TRANSFER_CHANGED})
# No renumbering: drift compares each number with the same number (by_name=False).
_NUMBER_RULES = frozenset(
    {
        Rule.HYPERCALL_ADDED,
        Rule.HYPERCALL_REMOVED,
        Rule.HYPERCALL_RENAMED,
        Rule.AVAILABILITY_GAINED,
        Rule.AVAILABILITY_LOST,
    }
)


def _cell_of(finding: Problem) -> Location:
    assert finding.location is not None  # every drift finding is at a cell or a table
    return finding.location


def _architectures(table: TableRecord) -> frozenset[Architecture]:
    """The architectures a table's rows are of (x86 when it names none it knows):
    an x86 registers table is not missing Arm's rows, nor the reverse."""
    found: set[Architecture | None] = set()
    for row in table.rows:
        if isinstance(row, RegisterRow):
            found.add(abi_architecture(row.abi.value))
        elif isinstance(row, TransferRow):
            found.add(transfer_architecture(row.guest.value))
    found.discard(None)
    return frozenset(a for a in found if a is not None) or frozenset({Architecture.X86})


def check_table(table: TableRecord, reference: AbiSpec) -> Iterator[Problem]:
    """The table's disagreements with ``reference``: the changes from the
    reference's part for this kind of table to what the table states."""
    docs = spec_of_tables(reference.release, (table,))
    part = reference.part(table.kind.value, _architectures(table))
    changes = diff_specs(part, docs, by_name=False)
    drift = _Drift(reference, docs, table.location)
    # The header's count first, as the header comes before the rows.
    for change in sorted(changes, key=lambda c: c.rule not in _COUNT_RULES):
        yield from drift.findings(change)


def _cited(evidence: Evidence | None) -> str:
    """`` (xen/arch/x86/pv/hypercall.c:58)`` for the reference's evidence, if any."""
    if evidence is None:
        return ""
    return f" ({evidence}: {evidence.note})" if evidence.note else f" ({evidence})"


@dataclass(frozen=True)
class _Drift:
    """Changes from the reference to one table, phrased as the docs' drift."""

    reference: AbiSpec
    docs: AbiSpec
    table: Location

    def findings(self, change: Change) -> Iterator[Problem]:
        at = change.new
        location = self.table if at is None else Location(at.file, at.line)
        for message in self._messages(change):
            yield Problem(WarningSubtype.DRIFT, message, location)

    def _cite(self, *key: object) -> str:
        return _cited(self.reference.evidence.get(evidence_key(*key)))

    def _messages(self, change: Change) -> Iterator[str]:
        if change.rule in _REGISTER_RULES:
            yield from self._registers(change)
        elif change.rule in _TRANSFER_RULES:
            yield from self._transfer(change)
        elif change.rule in _NUMBER_RULES:
            yield from self._numbers(change)
        # Ranges, stubs, places and footnotes: no table states them against a reference.

    def _registers(self, change: Change) -> Iterator[str]:
        rule, reference = change.rule, self.reference
        xen = reference.origin or str(revision_range(reference.release))
        abi = change.subject.split("/")[1] if change.subject.startswith("convention/") else ""
        cited = _cited(change.old)
        if rule in _COUNT_RULES:
            # Only a header's count is the docs' claim; the rows speak for themselves.
            if self.docs.stated_parameter_count is not None:
                yield (
                    f"header announces {change.after} parameters; {xen} passes {change.before}"
                    + self._cite("convention", "64bit", "parameters")
                )
        elif rule is Rule.ABI_ADDED:
            yield f"ABI {abi} is not part of {xen}"
        elif rule is Rule.ABI_REMOVED:
            yield f"registers table has no {abi} row; {xen} uses {change.before}"
        elif rule is Rule.INDEX_REGISTER_CHANGED:
            yield f"{abi} hypercall index is {change.after}; {xen} uses {change.before}{cited}"
        elif rule is Rule.RESULT_REGISTER_CHANGED:
            yield f"{abi} result is {change.after}; {xen} returns it in {change.before}{cited}"
        else:
            yield from self._parameters(change, abi, xen)

    def _parameters(self, change: Change, abi: str, xen: str) -> Iterator[str]:
        cited = _cited(change.old)
        want = self.reference.conventions[abi].parameters
        if change.rule is Rule.PARAMETERS_REORDERED:
            # One change to the diff; each moved register is a cell's error to the docs.
            docs = self.docs.conventions[abi].parameters
            for position, (wrote, passed) in enumerate(zip(docs, want, strict=True), 1):
                if wrote != passed:
                    yield f"{abi} parameter {position} is {wrote}; {xen} uses {passed}{cited}"
            return
        number = change.subject.rsplit("/", 1)[1]
        if change.rule is Rule.PARAMETER_ADDED:
            yield (
                f"{abi} parameter {number} is {change.after}; {xen} passes only "
                f"{len(want)} parameters{cited}"
            )
        elif change.rule is Rule.PARAMETER_REMOVED:
            yield f"{abi} parameter {number} is missing; {xen} passes it in {change.before}{cited}"
        else:
            yield f"{abi} parameter {number} is {change.after}; {xen} uses {change.before}{cited}"

    def _transfer(self, change: Change) -> Iterator[str]:
        label = change.subject.split("/", 1)[1]
        xen = self.reference.origin or "Xen"
        if change.rule is Rule.TRANSFER_REMOVED:
            yield f"transfer table has no {label} row; {xen} uses {change.before}"
        elif change.rule is Rule.TRANSFER_CHANGED:
            expected = change.before or ""
            known = TRANSFER_INSTRUCTIONS[TransferGuest(label)]
            encoding = known.encoding_hex if known.matches(expected) else ""
            how = f" ({encoding})" if encoding and not self.reference.origin else ""
            yield (
                f"{label} transfer instruction is {change.after}; {xen} uses {expected}{how}"
                + _cited(change.old)
            )
        # Added: a source build without this guest type states no instruction.

    def _numbers(self, change: Change) -> Iterator[str]:
        rule, reference = change.rule, self.reference
        xen = reference.origin or f"Xen {reference.release}"
        number = int(change.subject.split("/")[1])
        number_of = {h.name: h.number for h in reference.hypercalls.values()}
        if rule is Rule.HYPERCALL_ADDED:
            name = self.docs.hypercalls[number].name
            also = ""
            if name in number_of:
                also = f"; {xen} numbers {name} {number_of[name]}"
                also += self._cite("hypercall", number_of[name])
            yield f"hypercall number {number} ({name}) is not defined in {xen}{also}"
        elif rule is Rule.HYPERCALL_RENAMED:
            name = change.after or ""
            also = f" and numbers {name} {number_of[name]}" if name in number_of else ""
            yield (
                f"hypercall {number} is named {name}; {xen} names it {change.before}{also}"
                + self._cite("hypercall", number)
            )
        elif rule is Rule.HYPERCALL_REMOVED:
            yield (
                f"numbers table has no row for hypercall {number} ({change.before}), "
                f"which {xen} defines" + self._cite("hypercall", number)
            )
        else:
            yield from self._availability(change, number, xen)

    def _availability(self, change: Change, number: int, xen: str) -> Iterator[str]:
        name = self.docs.hypercalls[number].name
        if change.subject not in self.docs.evidence:
            return  # a guest-type column the table does not have states nothing
        if name != self.reference.hypercalls[number].name:
            return  # the name's finding says it: these are another hypercall's cells
        guest = change.subject.rsplit("/", 1)[1]
        expected = change.before == yes_no(True)
        yield (
            f"{GuestType(guest).label} availability of {name} is {change.after}; in {xen} it is "
            f"{change.before}"
            + ("" if expected else " (the call returns -ENOSYS)")
            + _cited(change.old)
        )
