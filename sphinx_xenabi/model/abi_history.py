"""The ABI's history: each release's changes from the one before, in one line each.

The history is :func:`~sphinx_xenabi.model.abi_compare.diff_specs` run on
consecutive specs: the model's revisions release by release
(:func:`model_history`) or specs read from Xen source trees. Changes that
differ only in ABI or guest type are told once: "parameter 6 (R9, EBP)
removed", "multicall (13) now available to HVM 32 and HVM 64 guests"; the
parameter count that a removed or added parameter changes is told on its line.

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
# A count change is told on the line of the parameter removed or added with it.
_COUNT_RULES = {
    Rule.PARAMETER_COUNT_REDUCED: Rule.PARAMETER_REMOVED,
    Rule.PARAMETER_COUNT_INCREASED: Rule.PARAMETER_ADDED,
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

    @property
    def places(self) -> tuple[Evidence, ...]:
        """Every place the newer release states the line's changes, each once."""
        return tuple(dict.fromkeys(c.new for c in self.changes if c.new is not None))


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
    _fold_count_changes(groups)
    for group in groups.values():
        first = group[0]
        if first.rule in _PARAMETER_RULES:
            position = first.subject.split("/")[3]
            if first.rule is Rule.PARAMETER_REPLACED:
                moves = ", ".join(f"{c.before} to {c.after}" for c in group)
                text = f"parameter {position} changed ({moves})"
            else:
                parameters = [c for c in group if c.rule is first.rule]
                registers = ", ".join(str(c.before or c.after) for c in parameters)
                text = f"parameter {position} ({registers}) {_PARAMETER_RULES[first.rule]}"
                text += "".join(
                    f"; at most {c.after} parameters (was {c.before})"
                    for c in group
                    if c.rule in _COUNT_RULES
                )
        elif first.rule in _AVAILABILITY_RULES:
            number = int(first.subject.split("/")[1])
            name = hypercalls[number].name if number in hypercalls else f"hypercall {number}"
            guests = [GuestType(c.subject.split("/")[2]).label for c in group]
            text = f"{name} ({number}) {_AVAILABILITY_RULES[first.rule]} {_and(guests)} guests"
        else:
            text = first.message
        yield HistoryLine(first.severity, text, tuple(group))


def _fold_count_changes(groups: dict[tuple[object, ...], list[Change]]) -> None:
    """Tell a parameter count change with the parameter removed or added beside it.

    "parameter 6 removed" and "count reduced from 6 to 5" are one change for a
    guest: the count joins the removal's group (its line says the new count).
    """
    for count_rule, parameter_rule in _COUNT_RULES.items():
        counts = [key for key, group in groups.items() if group[0].rule is count_rule]
        partners = [key for key in groups if key[0] is parameter_rule]
        if len(counts) == 1 and partners:
            groups[partners[-1]].extend(groups.pop(counts[0]))


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
