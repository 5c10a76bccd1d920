"""Requirement items as Xen writes them, and the checks of their links.

Xen's functional-safety requirements (``docs/fusa/reqs``) use OpenFastTrace's
notation: each item has an id ``type~name~revision`` (``XenProd~vcpus~1``),
a description, a rationale and comments, the ids it ``Covers`` (its parents)
and the artifact types it ``Needs`` (the types of the items that must cover
it). A :class:`RequirementItem` is one item as written, every field with its
place; :func:`trace_requirements` links the items of a build and says, as
located problems, where the links break, with OpenFastTrace's meanings:

- a ``Covers`` id that no item has (OpenFastTrace: *orphaned*);
- a ``Covers`` id whose item is at a later revision (*outdated*) or only at
  earlier ones (*predated*);
- a ``Covers`` link to an item that does not need the covering item's type
  (*unwanted*);
- a needed type that no item of that type covers (*uncovered*): an item
  that nothing covers where its ``Needs`` asks for coverage;
- an id given to two items (*duplicate*).

No Sphinx or docutils here: the extraction makes the records, the domain
keeps them, the build's result holds the :class:`RequirementTrace`. A later
check (verification) sets each item's :class:`RequirementStatus` beyond the
links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from sphinx_xenabi.model.problems import Problem, WarningSubtype
from sphinx_xenabi.model.requirement_trace import RequirementTrace

if TYPE_CHECKING:
    from sphinx_xenabi.model.location import Location

# OpenFastTrace's id grammar: letters; a letter then word characters and
# dashes, in dot-separated parts; digits.
_TYPE = r"[^\W\d_]+"
_NAME = r"[^\W\d_][\w-]*(?:\.[\w-]+)*"
ID_PATTERN = re.compile(rf"(?P<type>{_TYPE})~(?P<name>{_NAME})~(?P<revision>\d+)")
# An id without its revision, as a reference may name an item.
NAME_PATTERN = re.compile(rf"(?P<type>{_TYPE})~(?P<name>{_NAME})")
TYPE_PATTERN = re.compile(_TYPE)

# The fields of an item, in the order Xen's REQUIREMENTS-STYLE lists them.
DESCRIPTION, RATIONALE, COMMENTS, COVERS, NEEDS = (
    "Description",
    "Rationale",
    "Comments",
    "Covers",
    "Needs",
)
FIELD_NAMES = (DESCRIPTION, RATIONALE, COMMENTS, COVERS, NEEDS)


@dataclass(frozen=True, order=True, slots=True)
class RequirementId:
    """``XenProd~vcpus~1``: artifact type, name and revision."""

    artifact_type: str
    name: str
    revision: int

    @classmethod
    def parse(cls, text: str) -> RequirementId:
        """The id ``text`` spells, or ValueError saying why it is none."""
        text = text.strip()
        match = ID_PATTERN.fullmatch(text)
        if match is None:
            raise ValueError(id_fault(text))
        return cls(match["type"], match["name"], int(match["revision"]))

    @property
    def key(self) -> tuple[str, str]:
        """The item without its revision: type and name."""
        return self.artifact_type, self.name

    def __str__(self) -> str:
        return f"{self.artifact_type}~{self.name}~{self.revision}"


def id_fault(text: str) -> str:
    """Why ``text`` is not an OpenFastTrace id ``type~name~revision``."""
    parts = text.split("~")
    expected = "expected TYPE~NAME~REVISION (XenProd~vcpus~1)"
    if len(parts) != 3:
        return f"{text!r} is not an id: {expected}, found {len(parts)} part(s)"
    kind, name, revision = parts
    if not TYPE_PATTERN.fullmatch(kind):
        return f"{text!r} is not an id: the type {kind!r} must be letters only"
    if not re.fullmatch(_NAME, name):
        return (
            f"{text!r} is not an id: the name {name!r} must start with a letter and hold only "
            "letters, digits, '_', '-' and '.'"
        )
    if not revision.isdigit():
        return f"{text!r} is not an id: the revision {revision!r} must be a number"
    return f"{text!r} is not an id: {expected}"


def looks_like_id(text: str) -> bool:
    """Whether ``text`` (a literal standing alone) was meant as an id: it has a ``~``."""
    return "~" in text and not any(c.isspace() for c in text.strip())


@dataclass(frozen=True, slots=True)
class FieldText:
    """A text field (``Description``, ``Rationale``, ``Comments``) and where it starts."""

    name: str
    text: str
    location: Location


@dataclass(frozen=True, slots=True)
class CoverLink:
    """One id of a ``Covers`` list, at its item's line."""

    target: RequirementId
    location: Location


@dataclass(frozen=True, slots=True)
class NeededType:
    """One artifact type of a ``Needs`` list, at its item's line."""

    artifact_type: str
    location: Location


@dataclass(frozen=True, slots=True)
class RequirementItem:
    """One requirement item as written: a section whose first paragraph is its id."""

    id: RequirementId
    title: str
    docname: str
    location: Location  # the id paragraph
    fields: tuple[FieldText, ...] = ()
    covers: tuple[CoverLink, ...] = ()
    needs: tuple[NeededType, ...] = ()
    # Where the Covers and Needs fields start (None when not written).
    covers_location: Location | None = None
    needs_location: Location | None = None

    def field(self, name: str) -> FieldText | None:
        return next((f for f in self.fields if f.name == name), None)

    def text(self, name: str) -> str:
        found = self.field(name)
        return "" if found is None else found.text

    @property
    def needed_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n.artifact_type for n in self.needs))


def item_order(item: RequirementItem) -> tuple[str, str, int]:
    """Document order: by document, then line (reading order must not matter)."""
    return item.docname, item.location.file, item.location.line


def sort_items(items: Iterable[RequirementItem]) -> list[RequirementItem]:
    return sorted(items, key=item_order)


def trace_requirements(items: Iterable[RequirementItem]) -> RequirementTrace:
    """Link ``items`` and check every link, as OpenFastTrace traces them."""
    ordered = sort_items(items)
    first: dict[RequirementId, RequirementItem] = {}
    revisions: dict[tuple[str, str], set[int]] = {}
    problems: list[Problem] = []
    for item in ordered:
        earlier = first.setdefault(item.id, item)
        if earlier is not item:
            problems.append(
                Problem(
                    WarningSubtype.DUPLICATE_REQUIREMENT,
                    f"{item.id} is already the id of the item at {earlier.location}: an id "
                    "names one item; links and references go to the first",
                    item.location,
                )
            )
        revisions.setdefault(item.id.key, set()).add(item.id.revision)
    covered_by: dict[RequirementId, list[RequirementId]] = {}
    for item in ordered:
        for link in item.covers:
            problem = _check_link(item, link, first, revisions)
            if problem is None:
                covered_by.setdefault(link.target, []).append(item.id)
            else:
                problems.append(problem)
    existing_types = {item.id.artifact_type for item in ordered}
    for item in ordered:
        if first[item.id] is item:
            problems.extend(_uncovered(item, covered_by.get(item.id, []), existing_types))
    return RequirementTrace(
        items=tuple(ordered),
        covered_by=MappingProxyType({k: tuple(v) for k, v in covered_by.items()}),
        problems=tuple(problems),
    )


def _check_link(
    item: RequirementItem,
    link: CoverLink,
    first: Mapping[RequirementId, RequirementItem],
    revisions: Mapping[tuple[str, str], set[int]],
) -> Problem | None:
    """The problem with one ``Covers`` link, or None when it covers its target."""
    target = link.target
    covered = first.get(target)
    if covered is None:
        known = sorted(revisions.get(target.key, ()))
        if not known:
            return Problem(
                WarningSubtype.COVERS_UNKNOWN,
                f"{item.id} covers {target}, but no item has that id"
                + _close_hint(target, revisions),
                link.location,
            )
        latest = known[-1]
        written = ", ".join(str(r) for r in known)
        if latest > target.revision:
            return Problem(
                WarningSubtype.COVERS_OUTDATED,
                f"{item.id} covers {target}, but that item is at revision {latest}: review "
                f"{item.id} against the new revision and cover "
                f"{target.artifact_type}~{target.name}~{latest}",
                link.location,
            )
        return Problem(
            WarningSubtype.COVERS_PREDATED,
            f"{item.id} covers {target}, a revision not written yet (the item is at revision "
            f"{written}): cover the revision that exists",
            link.location,
        )
    wanted = covered.needed_types
    if item.id.artifact_type not in wanted:
        needs = ", ".join(wanted) if wanted else "nothing"
        return Problem(
            WarningSubtype.COVERS_UNWANTED,
            f"{item.id} covers {target}, which needs {needs}, not {item.id.artifact_type}: add "
            f"{item.id.artifact_type} to its Needs or cover another item",
            link.location,
        )
    return None


def _close_hint(target: RequirementId, revisions: Mapping[tuple[str, str], set[int]]) -> str:
    """`` (did you mean XenProd~vcpus~1?)`` for a slip of the type's or name's case."""
    folded = (target.artifact_type.lower(), target.name.lower())
    for kind, name in sorted(revisions):
        if (kind.lower(), name.lower()) == folded:
            return f" (did you mean {kind}~{name}~{max(revisions[(kind, name)])}?)"
    return ""


def _uncovered(
    item: RequirementItem, covering: Iterable[RequirementId], existing_types: set[str]
) -> Iterator[Problem]:
    """One problem per needed type that no item of that type covers."""
    covering_types = {c.artifact_type for c in covering}
    seen: set[str] = set()
    for needed in item.needs:
        kind = needed.artifact_type
        if kind in covering_types or kind in seen:
            continue
        seen.add(kind)
        none_of_type = "" if kind in existing_types else f" (the docs have no {kind} item)"
        yield Problem(
            WarningSubtype.UNCOVERED_REQUIREMENT,
            f"{item.id} needs {kind}, but no {kind} item covers it{none_of_type}: write the "
            f"{kind} item that covers {item.id}, or remove {kind} from its Needs",
            needed.location,
        )
