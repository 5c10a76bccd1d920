"""The ABI's history: each release's changes from the one before, in one line each.

The history is :func:`~sphinx_xenabi.model.abi_compare.diff_specs` run on
consecutive specs: the model's revisions release by release
(:func:`model_history`) or specs read from Xen source trees. Changes that
differ only in ABI or guest type are told once: "parameter 6 (R9, EBP)
removed", "multicall (13) now available to HVM 32 and HVM 64 guests".

No Sphinx or docutils import.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise

from sphinx_xenabi.model.abi import FIRST_MODELLED_RELEASE, NEWEST_MODELLED_RELEASE, revision_for
from sphinx_xenabi.model.abi_compare import Change, diff_specs
from sphinx_xenabi.model.abi_rules import Rule, Severity
from sphinx_xenabi.model.spec import AbiSpec, Evidence, GuestType, Hypercall, Release

_PARAMETER_RULES = {
    Rule.PARAMETER_REMOVED: "removed",
    Rule.PARAMETER_ADDED: "added",
    Rule.PARAMETER_REPLACED: "changed",
}
_AVAILABILITY_RULES = {
    Rule.AVAILABILITY_GAINED: "now available to",
    Rule.AVAILABILITY_LOST: "no longer available to",
}


@dataclass(frozen=True)
class HistoryLine:
    """One line of a release's history, and the changes it tells."""

    severity: Severity
    text: str
    changes: tuple[Change, ...]

    @property
    def where(self) -> Evidence | None:
        """Where the newer release states it (a source line), when it is located."""
        return next((c.new for c in self.changes if c.new is not None), None)


@dataclass(frozen=True)
class HistoryEntry:
    """What ``spec``'s release changed for guests, compared with ``previous``."""

    spec: AbiSpec
    previous: Release
    changes: tuple[Change, ...]

    @property
    def release(self) -> Release:
        return self.spec.release

    @property
    def lines(self) -> tuple[HistoryLine, ...]:
        return tuple(summarise(self.changes, self.spec.hypercalls))


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def summarise(
    changes: Iterable[Change], hypercalls: Mapping[int, Hypercall]
) -> Iterator[HistoryLine]:
    """The changes as history lines, in order; one line per parameter position
    (all ABIs) and per hypercall's availability (all guest types), which
    ``hypercalls`` (the newer side's) names."""
    groups: dict[tuple[object, ...], list[Change]] = {}
    for change in changes:
        parts = change.subject.split("/")
        if change.rule in _PARAMETER_RULES and len(parts) == 4:
            key: tuple[object, ...] = (change.rule, parts[3])
        elif change.rule in _AVAILABILITY_RULES and len(parts) == 3:
            key = (change.rule, int(parts[1]))
        else:
            key = (id(change),)
        groups.setdefault(key, []).append(change)
    for group in groups.values():
        first = group[0]
        if first.rule in _PARAMETER_RULES:
            position = first.subject.split("/")[3]
            if first.rule is Rule.PARAMETER_REPLACED:
                moves = ", ".join(f"{c.before} to {c.after}" for c in group)
                text = f"parameter {position} changed ({moves})"
            else:
                registers = ", ".join(str(c.before or c.after) for c in group)
                text = f"parameter {position} ({registers}) {_PARAMETER_RULES[first.rule]}"
        elif first.rule in _AVAILABILITY_RULES:
            number = int(first.subject.split("/")[1])
            name = hypercalls[number].name if number in hypercalls else f"hypercall {number}"
            guests = [GuestType(c.subject.split("/")[2]).label for c in group]
            text = f"{name} ({number}) {_AVAILABILITY_RULES[first.rule]} {_and(guests)} guests"
        else:
            text = first.message
        yield HistoryLine(first.severity, text, tuple(group))


def history(specs: Iterable[AbiSpec]) -> tuple[HistoryEntry, ...]:
    """The releases among ``specs`` that changed the ABI, each against the one before.

    Documentation-only changes are left out: a history tells what guests saw.
    """
    ordered = sorted(specs, key=lambda spec: spec.release)
    entries = []
    for before, after in pairwise(ordered):
        changes = tuple(
            c for c in diff_specs(before, after) if c.severity is not Severity.DOCUMENTATION
        )
        if changes:
            entries.append(HistoryEntry(after, before.release, changes))
    return tuple(entries)


def model_releases() -> tuple[Release, ...]:
    """Every release the model states, oldest first: 4.13 to 4.22."""
    first, last = FIRST_MODELLED_RELEASE, NEWEST_MODELLED_RELEASE
    assert first.major == last.major, "Xen releases are numbered 4.x so far"
    return tuple(Release(first.major, minor) for minor in range(first.minor, last.minor + 1))


def model_history() -> tuple[HistoryEntry, ...]:
    """The model's history, release by release."""
    return history(revision_for(release) for release in model_releases())


def baseline(spec: AbiSpec) -> str:
    """What the first release of a history states, in one short line."""
    return (
        f"first release shown: {spec.parameter_count} parameters, "
        f"{len(spec.hypercalls)} hypercall numbers"
    )
