"""The ABI diff: what changed for guests between two ABI descriptions.

One comparison, :func:`diff_specs`, takes two :class:`AbiSpec` (the model's,
the docs' registry's or a Xen source tree's: any two) and gives one
:class:`Change` per difference, each with a stable :class:`Rule` id, the
rule's :class:`Severity`, a one-line message and where each side states the
fact (a table cell, a source line). Like oasdiff's rules and ``buf
breaking``, a rule's id and severity never depend on the input.

:func:`compare` runs that comparison on two :class:`DiffSide`: the release
each side describes and, when both are docs, every release their ranged
tables state ("Registers in Xen 4.13 to 4.16"), so a change to a history
table shows too.

No Sphinx or docutils import.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from sphinx_xenabi.model.abi import TransferGuest, normalise_instruction
from sphinx_xenabi.model.registry import Registry
from sphinx_xenabi.model.spec import (
    AbiSpec,
    Convention,
    Evidence,
    GuestType,
    Hypercall,
    Release,
    evidence_key,
)


class Severity(StrEnum):
    """What a change means for guests, worst first."""

    BREAKING = "breaking"
    COMPATIBLE = "compatible"
    DOCUMENTATION = "documentation"

    @property
    def rank(self) -> int:
        """2 for breaking, 1 for compatible, 0 for documentation only."""
        return {"breaking": 2, "compatible": 1, "documentation": 0}[self.value]


class Rule(StrEnum):
    """The rules of the ABI diff: a stable id, a fixed severity, what triggers it."""

    _value_: str
    severity: Severity

    def __new__(cls, value: str, severity: Severity, doc: str) -> Rule:
        member = str.__new__(cls, value)
        member._value_ = value
        member.severity = severity
        member.__doc__ = doc
        return member

    @classmethod
    def of(cls, rule_id: str) -> Rule:
        """The rule whose id is ``rule_id``; ValueError for an unknown id."""
        for rule in cls:
            if rule.value == rule_id:
                return rule
        raise ValueError(f"unknown ABI diff rule {rule_id!r}")

    ABI_REMOVED = (
        "abi-removed",
        Severity.BREAKING,
        "A register ABI (64bit or 32bit) is no longer stated: guests of that width "
        "have no convention left.",
    )
    ABI_ADDED = (
        "abi-added",
        Severity.COMPATIBLE,
        "A register ABI is stated that was not before.",
    )
    PARAMETER_REMOVED = (
        "parameter-removed",
        Severity.BREAKING,
        "An ABI passes one parameter fewer: a guest that passes it is no longer heard.",
    )
    PARAMETER_ADDED = (
        "parameter-added",
        Severity.COMPATIBLE,
        "An ABI passes one parameter more; guests that pass fewer are unaffected.",
    )
    PARAMETER_REPLACED = (
        "parameter-replaced",
        Severity.BREAKING,
        "A parameter moved to another register.",
    )
    PARAMETERS_REORDERED = (
        "parameters-reordered",
        Severity.BREAKING,
        "An ABI passes its parameters in the same registers, in another order.",
    )
    PARAMETER_COUNT_REDUCED = (
        "parameter-count-reduced",
        Severity.BREAKING,
        'The most parameters a hypercall takes (the N of "Parameters (1 - N)") went down.',
    )
    PARAMETER_COUNT_INCREASED = (
        "parameter-count-increased",
        Severity.COMPATIBLE,
        "The most parameters a hypercall takes went up.",
    )
    INDEX_REGISTER_CHANGED = (
        "index-register-changed",
        Severity.BREAKING,
        "An ABI takes the hypercall number from another register.",
    )
    RESULT_REGISTER_CHANGED = (
        "result-register-changed",
        Severity.BREAKING,
        "An ABI returns the result in another register.",
    )
    TRANSFER_CHANGED = (
        "transfer-changed",
        Severity.BREAKING,
        "A guest enters Xen with another instruction (spellings of one instruction, "
        "such as int $0x82 and INT 0x82, are the same).",
    )
    TRANSFER_REMOVED = (
        "transfer-removed",
        Severity.BREAKING,
        "A guest's transfer instruction is no longer stated.",
    )
    TRANSFER_ADDED = (
        "transfer-added",
        Severity.COMPATIBLE,
        "A guest's transfer instruction is stated that was not before.",
    )
    HYPERCALL_ADDED = (
        "hypercall-added",
        Severity.COMPATIBLE,
        "A hypercall number is defined that was not before.",
    )
    HYPERCALL_REMOVED = (
        "hypercall-removed",
        Severity.BREAKING,
        "A hypercall number is no longer defined: calling it returns -ENOSYS.",
    )
    HYPERCALL_RENUMBERED = (
        "hypercall-renumbered",
        Severity.BREAKING,
        "A hypercall keeps its name under another number.",
    )
    HYPERCALL_RENAMED = (
        "hypercall-renamed",
        Severity.BREAKING,
        "A hypercall number keeps its place under another name.",
    )
    AVAILABILITY_GAINED = (
        "availability-gained",
        Severity.COMPATIBLE,
        "A guest type may make a hypercall it could not make before.",
    )
    AVAILABILITY_LOST = (
        "availability-lost",
        Severity.BREAKING,
        "A guest type may no longer make a hypercall: it returns -ENOSYS.",
    )
    RELEASE_RANGE_CHANGED = (
        "release-range-changed",
        Severity.BREAKING,
        'A table states other releases in its title ("Registers in Xen 4.13 to 4.16"): '
        "guests of the releases in between are told another ABI.",
    )
    PAGE_STUB_CHANGED = (
        "page-stub-changed",
        Severity.BREAKING,
        "The bytes Xen writes into a guest's hypercall page changed (an ordinary stub "
        "or the iret stub); read from Xen source trees only.",
    )
    TABLE_MOVED = (
        "table-moved",
        Severity.DOCUMENTATION,
        "A table moved to another page or line, stating the same.",
    )
    FOOTNOTE_CHANGED = (
        "footnote-changed",
        Severity.DOCUMENTATION,
        "A footnote that a table's cells cite was added, removed or reworded.",
    )


@dataclass(frozen=True)
class Change:
    """One difference between the two sides, located on both."""

    rule: Rule
    message: str
    # The fact changed, spelled like an evidence key ("convention/64bit/parameters/6").
    subject: str
    before: str | None  # the old value as text; None where the old side lacks the fact
    after: str | None
    old: Evidence | None  # where the old side states it (or the table it is missing from)
    new: Evidence | None
    # The release the sides were compared at, when it is not the one they describe.
    release: Release | None = None

    @property
    def severity(self) -> Severity:
        return self.rule.severity


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


# -- the comparison -------------------------------------------------------------------


@dataclass(frozen=True)
class _Pair:
    """The two specs, and how to make a located change between them."""

    old: AbiSpec
    new: AbiSpec

    def change(
        self,
        rule: Rule,
        message: str,
        key: tuple[object, ...],
        before: object,
        after: object,
        table: str | None,
        new_key: tuple[object, ...] | None = None,
    ) -> Change:
        """A change of the fact at ``key`` (``new_key`` on the new side, when it moved)."""
        return Change(
            rule,
            message,
            evidence_key(*key),
            None if before is None else str(before),
            None if after is None else str(after),
            locate(self.old, key, table),
            locate(self.new, new_key or key, table),
        )


def locate(spec: AbiSpec, key: Sequence[object], table: str | None = None) -> Evidence | None:
    """Where ``spec`` states the fact at ``key``: its own evidence, else that of the
    nearest fact it is part of (``convention/64bit/parameters`` for parameter 6),
    else the ``table`` it belongs to."""
    for length in range(len(key), 0, -1):
        found = spec.evidence.get(evidence_key(*key[:length]))
        if found is not None:
            return found
    return spec.evidence.get(evidence_key("table", table)) if table else None


def diff_specs(old: AbiSpec, new: AbiSpec) -> tuple[Change, ...]:
    """Every change from ``old`` to ``new``, in the order the rules are listed."""
    pair = _Pair(old, new)
    return (
        *_conventions(pair),
        *_parameter_count(pair),
        *_transfers(pair),
        *_hypercalls(pair),
        *_stubs(pair),
        *_ranges(pair),
        *_tables(pair),
        *_footnotes(pair),
    )


def _words(registers: Sequence[str]) -> str:
    return " ".join(registers) if registers else "(none)"


def _conventions(pair: _Pair) -> Iterator[Change]:
    # "64bit" before "32bit", as the tables list them.
    for abi in sorted(pair.old.conventions.keys() | pair.new.conventions.keys(), reverse=True):
        old, new = pair.old.conventions.get(abi), pair.new.conventions.get(abi)
        if old is None or new is None:
            present = new or old
            assert present is not None
            stated = _convention_text(present)
            rule = Rule.ABI_ADDED if old is None else Rule.ABI_REMOVED
            verb = "added" if old is None else "removed"
            yield pair.change(
                rule,
                f"{abi} register ABI {verb} ({stated})",
                ("convention", abi),
                None if old is None else stated,
                None if new is None else stated,
                "registers",
            )
            continue
        if old.index != new.index:
            yield pair.change(
                Rule.INDEX_REGISTER_CHANGED,
                f"{abi} hypercall index register changed from {old.index} to {new.index}",
                ("convention", abi, "index"),
                old.index,
                new.index,
                "registers",
            )
        yield from _parameters(pair, abi, old.parameters, new.parameters)
        if old.result != new.result:
            yield pair.change(
                Rule.RESULT_REGISTER_CHANGED,
                f"{abi} result register changed from {old.result} to {new.result}",
                ("convention", abi, "result"),
                old.result,
                new.result,
                "registers",
            )


def _convention_text(convention: Convention) -> str:
    return (
        f"index {convention.index}, parameters {_words(convention.parameters)}, "
        f"result {convention.result}"
    )


def _parameters(
    pair: _Pair, abi: str, old: tuple[str, ...], new: tuple[str, ...]
) -> Iterator[Change]:
    if old == new:
        return
    if sorted(old) == sorted(new):
        yield pair.change(
            Rule.PARAMETERS_REORDERED,
            f"{abi} parameters reordered from {_words(old)} to {_words(new)}",
            ("convention", abi, "parameters"),
            _words(old),
            _words(new),
            "registers",
        )
        return
    # By position: parameter N is what a guest puts in the Nth register.
    for position in range(max(len(old), len(new))):
        number = position + 1
        key = ("convention", abi, "parameters", number)
        if position >= len(new):
            yield pair.change(
                Rule.PARAMETER_REMOVED,
                f"{abi} parameter {number} ({old[position]}) removed",
                key,
                old[position],
                None,
                "registers",
            )
        elif position >= len(old):
            yield pair.change(
                Rule.PARAMETER_ADDED,
                f"{abi} parameter {number} ({new[position]}) added",
                key,
                None,
                new[position],
                "registers",
            )
        elif old[position] != new[position]:
            yield pair.change(
                Rule.PARAMETER_REPLACED,
                f"{abi} parameter {number} changed from {old[position]} to {new[position]}",
                key,
                old[position],
                new[position],
                "registers",
            )


def _parameter_count(pair: _Pair) -> Iterator[Change]:
    if not pair.old.conventions or not pair.new.conventions:
        return  # an ABI added or removed says it all
    old, new = pair.old.parameter_count, pair.new.parameter_count
    if old != new:
        rule = Rule.PARAMETER_COUNT_REDUCED if new < old else Rule.PARAMETER_COUNT_INCREASED
        verb = "reduced" if new < old else "increased"
        yield pair.change(
            rule,
            f"parameter count {verb} from {old} to {new}",
            ("parameter-count",),
            old,
            new,
            "registers",
        )


def _transfer_order(label: str) -> tuple[int, str]:
    """The transfer table's own row order (32bit PV, 64bit PV, Intel HVM, AMD HVM)."""
    order = [guest.value for guest in TransferGuest]
    return (order.index(label), label) if label in order else (len(order), label)


def _same_instruction(old: str, new: str) -> bool:
    try:
        return normalise_instruction(old) == normalise_instruction(new)
    except ValueError:
        return old == new


def _transfers(pair: _Pair) -> Iterator[Change]:
    labels = pair.old.transfers.keys() | pair.new.transfers.keys()
    for label in sorted(labels, key=_transfer_order):
        old, new = pair.old.transfers.get(label), pair.new.transfers.get(label)
        key = ("transfer", label)
        if new is None:
            yield pair.change(
                Rule.TRANSFER_REMOVED,
                f"{label} transfer instruction ({old}) removed",
                key,
                old,
                None,
                "transfer",
            )
        elif old is None:
            yield pair.change(
                Rule.TRANSFER_ADDED,
                f"{label} transfer instruction ({new}) added",
                key,
                None,
                new,
                "transfer",
            )
        elif not _same_instruction(old, new):
            yield pair.change(
                Rule.TRANSFER_CHANGED,
                f"{label} transfer instruction changed from {old} to {new}",
                key,
                old,
                new,
                "transfer",
            )


def _guests(available: frozenset[GuestType]) -> str:
    if available == frozenset(GuestType):
        return "all guest types"
    return ", ".join(g.label for g in GuestType if g in available) or "no guest type"


def _hypercalls(pair: _Pair) -> Iterator[Change]:
    old, new = pair.old.hypercalls, pair.new.hypercalls
    old_numbers = {h.name: h.number for h in old.values()}
    new_numbers = {h.name: h.number for h in new.values()}
    # A name under another number is one renumbering, not a removal and an addition.
    moved = {
        name: (number, new_numbers[name])
        for name, number in old_numbers.items()
        if name in new_numbers and new_numbers[name] != number
    }
    moved_from = {a for a, _ in moved.values()}
    moved_to = {b for _, b in moved.values()}
    matched: list[tuple[Hypercall, Hypercall]] = []
    for number in sorted(old.keys() | new.keys()):
        was, now = old.get(number), new.get(number)
        if was is not None and number not in moved_from:
            if now is not None and number not in moved_to:
                matched.append((was, now))
                if was.name != now.name:
                    yield pair.change(
                        Rule.HYPERCALL_RENAMED,
                        f"hypercall {number} renamed from {was.name} to {now.name}",
                        ("hypercall", number, "name"),
                        was.name,
                        now.name,
                        "numbers",
                    )
            else:
                yield pair.change(
                    Rule.HYPERCALL_REMOVED,
                    f"hypercall {number} ({was.name}) removed",
                    ("hypercall", number),
                    was.name,
                    None,
                    "numbers",
                )
        if was is not None and was.name in moved:
            first, second = moved[was.name]
            matched.append((was, new[second]))
            yield pair.change(
                Rule.HYPERCALL_RENUMBERED,
                f"hypercall {was.name} renumbered from {first} to {second}",
                ("hypercall", first),
                first,
                second,
                "numbers",
                new_key=("hypercall", second),
            )
        if now is not None and number not in moved_to and (was is None or number in moved_from):
            yield pair.change(
                Rule.HYPERCALL_ADDED,
                f"hypercall {number} ({now.name}) added, available to {_guests(now.available)}",
                ("hypercall", number),
                None,
                now.name,
                "numbers",
            )
    for was, now in matched:
        yield from _availability(pair, was, now)


def _availability(pair: _Pair, was: Hypercall, now: Hypercall) -> Iterator[Change]:
    for guest in GuestType:
        before, after = guest in was.available, guest in now.available
        if before == after:
            continue
        rule = Rule.AVAILABILITY_GAINED if after else Rule.AVAILABILITY_LOST
        what = "now available to" if after else "no longer available to"
        yield pair.change(
            rule,
            f"{now.name} (hypercall {now.number}) {what} {guest.label} guests",
            ("available", was.number, guest.value),
            _yes_no(before),
            _yes_no(after),
            "numbers",
            new_key=("available", now.number, guest.value),
        )


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _stubs(pair: _Pair) -> Iterator[Change]:
    # Only sources state stubs; a guest on one side only is a transfer change.
    for label in sorted(pair.old.stubs.keys() & pair.new.stubs.keys(), key=_transfer_order):
        old, new = pair.old.stubs[label], pair.new.stubs[label]
        for which, before, after in (
            ("hypercall page stub", old.ordinary, new.ordinary),
            ("hypercall page iret stub", old.iret, new.iret),
        ):
            if before != after:
                part = "iret" if "iret" in which else "ordinary"
                yield pair.change(
                    Rule.PAGE_STUB_CHANGED,
                    f"{label} {which} changed from {before} to {after}",
                    ("stub", label, part),
                    before,
                    after,
                    None,
                )


def _tables_on_both(pair: _Pair) -> list[str]:
    """The table kinds both sides locate: only docs state ranges, places and footnotes."""
    kinds = ("registers", "transfer", "numbers")
    return [
        kind
        for kind in kinds
        if evidence_key("table", kind) in pair.old.evidence
        and evidence_key("table", kind) in pair.new.evidence
    ]


def _ranges(pair: _Pair) -> Iterator[Change]:
    for kind in _tables_on_both(pair):
        old, new = pair.old.ranges.get(kind), pair.new.ranges.get(kind)
        if old != new:
            before = str(old) if old is not None else "the documented release"
            after = str(new) if new is not None else "the documented release"
            yield pair.change(
                Rule.RELEASE_RANGE_CHANGED,
                f"{kind} table now describes {after} (was {before})",
                ("table", kind),
                before,
                after,
                kind,
            )


def _tables(pair: _Pair) -> Iterator[Change]:
    for kind in _tables_on_both(pair):
        old = pair.old.evidence[evidence_key("table", kind)]
        new = pair.new.evidence[evidence_key("table", kind)]
        if (old.file, old.line) != (new.file, new.line):
            # The locations say where; the message says what moved, briefly.
            where = (
                f"from line {old.line} to line {new.line}"
                if old.file == new.file
                else f"from {old.file} to {new.file}"
            )
            yield pair.change(
                Rule.TABLE_MOVED,
                f"{kind} table moved {where}",
                ("table", kind),
                str(old),
                str(new),
                kind,
            )


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def _footnotes(pair: _Pair) -> Iterator[Change]:
    for kind in _tables_on_both(pair):
        old = pair.old.footnotes.get(kind, ())
        new = pair.new.footnotes.get(kind, ())
        old_texts, new_texts = [e.text for e in old], [e.text for e in new]
        if old_texts == new_texts:
            continue
        removed = [e for e in old if e.text not in new_texts]
        added = [e for e in new if e.text not in old_texts]
        if added and not removed and len(added) == 1:
            what = f"footnote added: \u201c{_shorten(added[0].text)}\u201d"
        elif removed and not added and len(removed) == 1:
            what = f"footnote removed: \u201c{_shorten(removed[0].text)}\u201d"
        elif len(added) == len(removed) == 1:
            what = f"footnote reworded: \u201c{_shorten(added[0].text)}\u201d"
        else:
            what = f"footnotes changed ({len(added)} added, {len(removed)} removed or reordered)"
        table = pair.old.evidence[evidence_key("table", kind)]
        new_table = pair.new.evidence[evidence_key("table", kind)]
        yield Change(
            Rule.FOOTNOTE_CHANGED,
            f"{kind} table {what}",
            evidence_key("footnotes", kind),
            "\n".join(old_texts) or None,
            "\n".join(new_texts) or None,
            removed[0] if removed else (old[0] if old else table),
            added[0] if added else (new[0] if new else new_table),
        )


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


def rules_by_severity() -> Mapping[Severity, tuple[Rule, ...]]:
    """Every rule, grouped by severity (for the docs' rules table)."""
    return {s: tuple(r for r in Rule if r.severity is s) for s in Severity}
