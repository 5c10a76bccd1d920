"""Requirement items as objects of the domain, and ``:xenabi:requirement:``.

Each requirement item (``model/requirements.py``) read from a document
becomes an object with an anchor on its section. References name an item by
its id, with or without the revision (``XenProd~vcpus~1`` or
``XenProd~vcpus``: the latest revision written); the link reads as the id
of the item it reaches. An unknown id is a warning of type
``xenabi.unknown-requirement`` under ``-n`` (nitpicky), as unknown targets
of Sphinx's own roles are.

Kept apart from the domain class so that the index, which the domain
registers, reads the objects without importing the domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

from docutils import nodes
from sphinx.util.logging import get_node_location
from sphinx.util.nodes import make_refnode

from sphinx_xenabi.domain.object_types import REQUIREMENT
from sphinx_xenabi.log import warn
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.requirements import (
    NAME_PATTERN,
    RequirementId,
    RequirementItem,
    item_order,
)

if TYPE_CHECKING:
    from sphinx import addnodes
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.domains import Domain

ANCHOR_PREFIX = "requirement"


@dataclass(frozen=True, slots=True)
class RequirementObject:
    """One requirement item and the anchor on its section."""

    item: RequirementItem
    anchor: str

    @property
    def docname(self) -> str:
        return self.item.docname

    @property
    def name(self) -> str:
        return str(self.item.id)


@dataclass(frozen=True)
class RequirementLookup:
    """What references reach: the first item of each id, the latest revision of each name.

    "First" is by document name, then line, so the answer does not depend
    on reading order (``-j``) or on what was re-read.
    """

    by_id: dict[RequirementId, RequirementObject]
    latest: dict[tuple[str, str], RequirementObject]

    @classmethod
    def build(cls, objects: Iterable[RequirementObject]) -> RequirementLookup:
        by_id: dict[RequirementId, RequirementObject] = {}
        latest: dict[tuple[str, str], RequirementObject] = {}
        for obj in sorted(objects, key=lambda o: item_order(o.item)):
            item_id = obj.item.id
            first = by_id.setdefault(item_id, obj)
            newest = latest.get(item_id.key)
            if newest is None or newest.item.id.revision < item_id.revision:
                latest[item_id.key] = first
        return cls(by_id, latest)

    def find(self, target: str) -> RequirementObject | None:
        """``XenProd~vcpus~1`` (that revision) or ``XenProd~vcpus`` (the latest)."""
        target = target.strip()
        try:
            return self.by_id.get(RequirementId.parse(target))
        except ValueError:
            pass
        match = NAME_PATTERN.fullmatch(target)
        return None if match is None else self.latest.get((match["type"], match["name"]))

    def objects(self) -> list[RequirementObject]:
        """Every item references reach, by id."""
        return sorted(self.by_id.values(), key=lambda o: o.item.id)


class HasRequirements(Protocol):
    """What the index and the missing-reference handler need of the domain."""

    @property
    def requirement_lookup(self) -> RequirementLookup: ...

    def requirement_status(self, name: str) -> str: ...


def requirement_reference(
    lookup: RequirementLookup,
    builder: Builder,
    fromdocname: str,
    target: str,
    node: addnodes.pending_xref,
    contnode: nodes.Element,
) -> nodes.reference | None:
    """The link to the item ``target`` names, reading as its id unless titled."""
    obj = lookup.find(target)
    if obj is None:
        return None
    text = contnode
    if not node.get("refexplicit"):
        # Without the revision the target still reads as the item's whole id.
        text = contnode.deepcopy()
        text.clear()
        text += nodes.Text(obj.name)
    return make_refnode(builder, fromdocname, obj.docname, obj.anchor, text, obj.item.title)


def warn_unknown_requirement(
    app: Sphinx, domain: Domain | None, node: addnodes.pending_xref
) -> bool | None:
    """``warn-missing-reference``: say what a requirement target should have been."""
    if domain is None or domain.name != "xenabi" or node.get("reftype") != REQUIREMENT:
        return None
    target = node["reftarget"].strip()
    lookup = cast(HasRequirements, domain).requirement_lookup
    match = NAME_PATTERN.match(target)
    found = "no item has that id"
    if match is None:
        found = "it is no id"
    else:
        newest = lookup.latest.get((match["type"], match["name"]))
        if newest is not None:
            found = f"{newest.name} is the latest revision written"
    warn(
        WarningSubtype.UNKNOWN_REQUIREMENT,
        f"unknown requirement {target!r}: expected the id of a requirement item "
        f"(TYPE~NAME~REVISION, or TYPE~NAME for its latest revision); {found}",
        get_node_location(node),
    )
    return True
