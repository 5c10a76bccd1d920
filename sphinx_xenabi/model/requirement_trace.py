"""A build's requirement items linked: the record :func:`~sphinx_xenabi.model.requirements.trace_requirements` makes.

Apart from the rest of ``requirements.py`` so that a build of docs without
requirement items (most trees, Xen's own releases before the fusa
documents) holds an empty trace without loading the requirement code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx_xenabi.model.problems import Problem
    from sphinx_xenabi.model.requirements import RequirementId, RequirementItem


@dataclass(frozen=True)
class RequirementTrace:
    """Every item of a build, the links between them and what breaks them."""

    items: tuple[RequirementItem, ...]
    # Each item's valid incoming coverage: the items that cover it at its revision.
    covered_by: Mapping[RequirementId, tuple[RequirementId, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    problems: tuple[Problem, ...] = ()

    @property
    def links(self) -> int:
        """How many ``Covers`` links are written."""
        return sum(len(item.covers) for item in self.items)

    def by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.id.artifact_type] = counts.get(item.id.artifact_type, 0) + 1
        return counts
