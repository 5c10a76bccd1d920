"""The ABI diff: what changed for guests between two ABI descriptions.

The comparison is :func:`~sphinx_xenabi.model.abi_compare.diff_specs` (two
:class:`AbiSpec`, any two: the model's, the docs' registry's, a Xen source
tree's), whose :class:`Change` records carry a :class:`Rule` of
:mod:`~sphinx_xenabi.model.abi_rules`; all three are importable from here.

:func:`compare` runs that comparison on two :class:`DiffSide`: the release
each side describes and, when both are docs, every release their ranged
tables state ("Registers in Xen 4.13 to 4.16"), so a change to a history
table shows too; :class:`AbiDiff` is the result, worst first.

A kind of table only one side has (Xen's own docs state no hypercall
numbers) states facts the other side is silent on, not an ABI change: those
facts are left out of the comparison and the diff says so
(:class:`NotCompared`, "not compared: NEW has no numbers table").

No Sphinx or docutils import.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sphinx_xenabi.model.abi_compare import Change, diff_specs, locate
from sphinx_xenabi.model.abi_rules import Rule, Severity, rules_by_severity
from sphinx_xenabi.model.records import TableKind

if TYPE_CHECKING:
    from sphinx_xenabi.model.registry import Registry
    from sphinx_xenabi.model.spec import AbiSpec, Evidence, Release

__all__ = [
    "AbiDiff",
    "Change",
    "DiffSide",
    "NotCompared",
    "Rule",
    "Severity",
    "compare",
    "diff_specs",
    "locate",
    "rules_by_severity",
]


@dataclass(frozen=True)
class NotCompared:
    """A kind of table one side has and the other has not: its facts were not compared."""

    kind: TableKind
    missing_on: str  # "OLD" or "NEW", as the command line names the sides

    @property
    def text(self) -> str:
        """``not compared: NEW has no numbers table``."""
        return f"not compared: {self.missing_on} has no {self.kind.value} table"


@dataclass(frozen=True)
class AbiDiff:
    """Every change from ``old`` to ``new`` (how each side names itself), worst first.

    ``hidden`` counts the documentation-only changes :meth:`shown` left out;
    ``not_compared`` names the kinds of table only one side has.
    """

    old: str
    new: str
    changes: tuple[Change, ...]
    hidden: int = 0
    not_compared: tuple[NotCompared, ...] = ()

    def shown(self, documentation: bool = False) -> AbiDiff:
        """The diff as reported: documentation-only changes only when asked for."""
        if documentation:
            return self
        kept = tuple(c for c in self.changes if c.severity is not Severity.DOCUMENTATION)
        return replace(self, changes=kept, hidden=self.hidden + len(self.changes) - len(kept))

    def count(self, severity: Severity) -> int:
        return sum(1 for c in self.changes if c.severity is severity)

    def fails(self, threshold: Severity) -> bool:
        """Whether any change is at least as severe as ``threshold``."""
        return any(c.severity.rank >= threshold.rank for c in self.changes)

    @property
    def abi_changed(self) -> bool:
        return any(c.severity is not Severity.DOCUMENTATION for c in self.changes)

    @property
    def summary(self) -> str:
        """ "no ABI change", or the counts: "3 breaking changes, 1 compatible change"."""
        parts = [
            _counted(self.count(severity), f"{severity.value} change")
            for severity in Severity
            if self.count(severity)
        ]
        if not self.abi_changed:
            parts.insert(0, "no ABI change")
        return ", ".join(parts)

    def located_under(self, old_root: str | None, new_root: str | None) -> AbiDiff:
        """The diff with each side's evidence paths joined to where that side lives."""

        def move(evidence: Evidence | None, root: str | None) -> Evidence | None:
            if evidence is None or root is None:
                return evidence
            return replace(evidence, file=posixpath.normpath(posixpath.join(root, evidence.file)))

        return replace(
            self,
            changes=tuple(
                replace(c, old=move(c.old, old_root), new=move(c.new, new_root))
                for c in self.changes
            ),
        )


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- two sides, every release they state --------------------------------------------


@dataclass(frozen=True)
class DiffSide:
    """One side of a diff: how it names itself, the ABI it describes, and, for docs,
    the ABI it states for any other release (``spec_at``) and the releases its
    ranged tables start at."""

    name: str
    spec: AbiSpec
    spec_at: Callable[[Release], AbiSpec] | None = None
    stated_releases: tuple[Release, ...] = field(default=())
    # The kinds of table whose facts this side states: a Xen source states them all.
    kinds: frozenset[TableKind] = frozenset(TableKind)

    @classmethod
    def of_registry(cls, registry: Registry, name: str) -> DiffSide:
        stated = sorted({t.releases.first for t in registry.tables if t.releases is not None})
        kinds = frozenset(t.kind for t in registry.tables)
        return cls(name, registry.spec_for(), registry.spec_for, tuple(stated), kinds)


def _without(spec: AbiSpec, kinds: frozenset[TableKind]) -> AbiSpec:
    """``spec`` less the facts the given kinds of table state."""
    if not kinds:
        return spec
    registers = TableKind.REGISTERS in kinds
    transfer = TableKind.TRANSFER in kinds
    return replace(
        spec,
        conventions={} if registers else spec.conventions,
        stated_parameter_count=None if registers else spec.stated_parameter_count,
        transfers={} if transfer else spec.transfers,
        stubs={} if transfer else spec.stubs,  # a source's page stubs belong to the transfers
        hypercalls={} if TableKind.NUMBERS in kinds else spec.hypercalls,
    )


def _one_sided(old: DiffSide, new: DiffSide) -> tuple[NotCompared, ...]:
    """The kinds of table one side has and the other has not, in table order."""
    return tuple(
        NotCompared(kind, missing_on)
        for kind in TableKind
        for missing_on, lacking, having in (("OLD", old, new), ("NEW", new, old))
        if kind not in lacking.kinds and kind in having.kinds
    )


def _identity(change: Change) -> tuple[object, ...]:
    return (change.rule, change.subject, change.before, change.after)


def compare(old: DiffSide, new: DiffSide) -> AbiDiff:
    """The diff of two sides: at the releases they describe, then (both docs) at
    every release a ranged table of either states, each change reported once; the
    facts of a kind of table only one side has are not compared (``not_compared``)."""
    not_compared = _one_sided(old, new)
    skipped = frozenset(n.kind for n in not_compared)

    def differences(before: AbiSpec, after: AbiSpec) -> tuple[Change, ...]:
        return diff_specs(_without(before, skipped), _without(after, skipped))

    changes = list(differences(old.spec, new.spec))
    seen = {_identity(c) for c in changes}
    if old.spec_at is not None and new.spec_at is not None:
        for release in sorted({*old.stated_releases, *new.stated_releases}):
            for change in differences(old.spec_at(release), new.spec_at(release)):
                if _identity(change) in seen:
                    continue
                seen.add(_identity(change))
                changes.append(
                    replace(change, message=f"Xen {release}: {change.message}", release=release)
                )
    # Worst first; within a severity, in the order the rules found them.
    changes.sort(key=lambda c: -c.severity.rank)
    return AbiDiff(old.name, new.name, tuple(changes), not_compared=not_compared)
