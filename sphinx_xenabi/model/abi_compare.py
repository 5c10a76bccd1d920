"""The one comparison of two ABI descriptions: what differs, fact by fact.

:func:`diff_specs` takes two :class:`AbiSpec` (the model's, the docs', a Xen
source tree's: any two) and gives one :class:`Change` per difference, each
with its :class:`Rule`, a one-line message, the values on both sides and
where each side states the fact (a table cell, a source line). The ABI diff
(:mod:`.abi_diff`) reports these changes between two revisions; the drift
check (:mod:`.drift`) phrases them as the docs' disagreements with the
reference. No Sphinx or docutils import.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from sphinx_xenabi.model.abi import TransferGuest, normalise_instruction
from sphinx_xenabi.model.abi_rules import Rule, Severity
from sphinx_xenabi.model.spec import (
    AbiSpec,
    Convention,
    Evidence,
    GuestType,
    Hypercall,
    Release,
    evidence_key,
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
class _Pair:
    """The two specs, and how to make a located change between them."""

    old: AbiSpec
    new: AbiSpec
    by_name: bool = True

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


def diff_specs(old: AbiSpec, new: AbiSpec, *, by_name: bool = True) -> tuple[Change, ...]:
    """Every change from ``old`` to ``new``, in the order the rules are listed.

    ``by_name`` follows a hypercall's name to another number (one
    renumbering); without it each number is compared with the same number on
    the other side, as a table row is with the reference (a removal and an
    addition).
    """
    pair = _Pair(old, new, by_name)
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
        yield from _register_change(pair, abi, "index", old.index, new.index)
        yield from _parameters(pair, abi, old.parameters, new.parameters)
        yield from _register_change(pair, abi, "result", old.result, new.result)


def _convention_text(convention: Convention) -> str:
    return (
        f"index {convention.index}, parameters {_words(convention.parameters)}, "
        f"result {convention.result}"
    )


_REGISTER_RULES = {
    "index": (Rule.INDEX_REGISTER_CHANGED, "hypercall index register"),
    "result": (Rule.RESULT_REGISTER_CHANGED, "result register"),
}


def _register_change(pair: _Pair, abi: str, part: str, old: str, new: str) -> Iterator[Change]:
    """The index or result register of a convention, when it changed."""
    if old != new:
        rule, what = _REGISTER_RULES[part]
        message = f"{abi} {what} changed from {old} to {new}"
        yield pair.change(rule, message, ("convention", abi, part), old, new, "registers")


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


def _states_parameters(spec: AbiSpec) -> bool:
    """Whether ``spec`` says anything about parameters: an ABI row or a stated count."""
    return bool(spec.conventions) or spec.stated_parameter_count is not None


def _parameter_count(pair: _Pair) -> Iterator[Change]:
    if not _states_parameters(pair.old) or not _states_parameters(pair.new):
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


def _renumbered(pair: _Pair) -> Mapping[str, tuple[int, int]]:
    """Names under another number on the new side: name -> (old number, new number)."""
    if not pair.by_name:
        return {}
    new_numbers = {h.name: h.number for h in pair.new.hypercalls.values()}
    return {
        h.name: (h.number, new_numbers[h.name])
        for h in pair.old.hypercalls.values()
        if h.name in new_numbers and new_numbers[h.name] != h.number
    }


def _hypercalls(pair: _Pair) -> Iterator[Change]:
    old, new = pair.old.hypercalls, pair.new.hypercalls
    # A name under another number is one renumbering, not a removal and an addition.
    moved = _renumbered(pair)
    moved_from = {a for a, _ in moved.values()}
    moved_to = {b for _, b in moved.values()}
    matched: list[tuple[Hypercall, Hypercall]] = []
    for number in sorted(old.keys() | new.keys()):
        was, now = old.get(number), new.get(number)
        if was is not None and number not in moved_from:
            if now is not None and number not in moved_to:
                matched.append((was, now))
                yield from _renamed(pair, was, now)
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


def _renamed(pair: _Pair, was: Hypercall, now: Hypercall) -> Iterator[Change]:
    if was.name != now.name:
        yield pair.change(
            Rule.HYPERCALL_RENAMED,
            f"hypercall {was.number} renamed from {was.name} to {now.name}",
            ("hypercall", was.number, "name"),
            was.name,
            now.name,
            "numbers",
        )


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
            yes_no(before),
            yes_no(after),
            "numbers",
            new_key=("available", now.number, guest.value),
        )


def yes_no(value: bool) -> str:
    """How the numbers table writes availability, and how changes quote it."""
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
