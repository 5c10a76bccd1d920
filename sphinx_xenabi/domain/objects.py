"""Hypercalls as objects: what a numbers row declares, and how references find them.

Kept apart from the domain class so that the role and the index, which the
domain registers, read hypercalls without importing the domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sphinx_xenabi.extraction.rows import parse_number
from sphinx_xenabi.model.abi import STUB_COUNT, STUB_SIZE

if TYPE_CHECKING:
    from sphinx_xenabi.model.location import Location
    from sphinx_xenabi.model.spec import GuestType


@dataclass(frozen=True, slots=True)
class HypercallObject:
    """One hypercall as a numbers-table row declares it, and where its anchor is."""

    name: str
    number: int
    docname: str
    anchor: str
    location: Location  # the row's number cell: duplicate warnings point here
    # The guest types the row says yes to; None when the table has no guest columns.
    callers: tuple[GuestType, ...] | None

    @property
    def title(self) -> str:
        return f"{self.name} (hypercall {self.number})"

    @property
    def stub_offset(self) -> int | None:
        """Where its stub starts in the hypercall page, if the page has one."""
        return self.number * STUB_SIZE if self.number < STUB_COUNT else None

    @property
    def callers_text(self) -> str:
        if self.callers is None:
            return "not stated"
        return ", ".join(g.label for g in self.callers) or "none"


@dataclass(frozen=True)
class HypercallLookup:
    """The objects references go to: the first definition of each name and number.

    "First" is by document name, then order within the document, so the
    answer does not depend on reading order (``-j``) or on what was re-read.
    """

    by_name: dict[str, HypercallObject]
    by_number: dict[int, HypercallObject]
    # (later definition, the first one it contradicts), in definition order.
    conflicts: tuple[tuple[HypercallObject, HypercallObject], ...]

    @classmethod
    def build(cls, definitions: Iterable[HypercallObject]) -> HypercallLookup:
        by_name: dict[str, HypercallObject] = {}
        by_number: dict[int, HypercallObject] = {}
        conflicts: list[tuple[HypercallObject, HypercallObject]] = []
        for obj in definitions:
            first_named = by_name.setdefault(obj.name, obj)
            first_numbered = by_number.setdefault(obj.number, obj)
            # A table that restates a hypercall (name and number) agrees with
            # the first: only a different pairing is a conflict.
            if first_named.number != obj.number:
                conflicts.append((obj, first_named))
            elif first_numbered.name != obj.name:
                conflicts.append((obj, first_numbered))
        return cls(by_name, by_number, tuple(conflicts))

    def find(self, target: str) -> HypercallObject | None:
        """A name (``xen_version``) or a number (``17``, ``0x11``)."""
        target = target.strip()
        number = parse_number(target)
        if number is not None:
            return self.by_number.get(number)
        return self.by_name.get(target)

    def objects(self) -> list[HypercallObject]:
        """Every distinct hypercall, by number then name."""
        distinct = {id(o): o for o in (*self.by_name.values(), *self.by_number.values())}
        return sorted(distinct.values(), key=lambda o: (o.number, o.name))


class HasHypercalls(Protocol):
    """What the role and the index need of the domain: its lookup."""

    @property
    def lookup(self) -> HypercallLookup: ...
