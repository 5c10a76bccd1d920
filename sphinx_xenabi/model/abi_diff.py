"""The ABI diff: what changed for guests between two ABI descriptions.

The comparison is :func:`~sphinx_xenabi.model.abi_compare.diff_specs` (two
:class:`AbiSpec`, any two: the model's, the docs' registry's, a Xen source
tree's), whose :class:`Change` records carry a :class:`Rule` of
:mod:`~sphinx_xenabi.model.abi_rules`; all three are importable from here.

:func:`compare` runs that comparison on two :class:`DiffSide`: the release
each side describes and, when both are docs, every release their ranged
tables state ("Registers in Xen 4.13 to 4.16"), so a change to a history
table shows too; :class:`AbiDiff` is the result, worst first.

No Sphinx or docutils import.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sphinx_xenabi.model.abi_compare import Change, diff_specs, locate
from sphinx_xenabi.model.abi_rules import Rule, Severity, rules_by_severity
from sphinx_xenabi.model.registry import Registry
from sphinx_xenabi.model.spec import AbiSpec, Evidence, Release

__all__ = [
    "AbiDiff",
    "Change",
    "DiffSide",
    "Rule",
    "Severity",
    "compare",
    "diff_specs",
    "locate",
    "rules_by_severity",
]


@dataclass(frozen=True)
class AbiDiff:
    """Every change from ``old`` to ``new`` (how each side names itself), worst first.

    ``hidden`` counts the documentation-only changes :meth:`shown` left out.
    """

    old: str
    new: str
    changes: tuple[Change, ...]
    hidden: int = 0

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

    @classmethod
    def of_registry(cls, registry: Registry, name: str) -> DiffSide:
        stated = sorted({t.releases.first for t in registry.tables if t.releases is not None})
        return cls(name, registry.spec_for(), registry.spec_for, tuple(stated))


def _identity(change: Change) -> tuple[object, ...]:
    return (change.rule, change.subject, change.before, change.after)


def compare(old: DiffSide, new: DiffSide) -> AbiDiff:
    """The diff of two sides: at the releases they describe, then (both docs) at
    every release a ranged table of either states, each change reported once."""
    changes = list(diff_specs(old.spec, new.spec))
    seen = {_identity(c) for c in changes}
    if old.spec_at is not None and new.spec_at is not None:
        for release in sorted({*old.stated_releases, *new.stated_releases}):
            for change in diff_specs(old.spec_at(release), new.spec_at(release)):
                if _identity(change) in seen:
                    continue
                seen.add(_identity(change))
                changes.append(
                    replace(change, message=f"Xen {release}: {change.message}", release=release)
                )
    # Worst first; within a severity, in the order the rules found them.
    changes.sort(key=lambda c: -c.severity.rank)
    return AbiDiff(old.name, new.name, tuple(changes))
