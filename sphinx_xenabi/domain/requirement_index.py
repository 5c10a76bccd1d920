"""The requirement index: every requirement item by artifact type, with its status and title.

Sphinx writes it as ``xenabi-requirementindex.html`` and makes it a label
(``:ref:`xenabi-requirementindex```), in the generic domain index form: one
group per artifact type (``XenMkt``, ``XenProd``, ``XenSwdgn``), each item's
id linked to its section, then its status (``✔ verified``, ``✘ failed``,
``? unverified``, or ``– not checked`` in a build that runs no examples)
and its title. A build without requirement items has no index page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from sphinx.domains import Index, IndexEntry
from sphinx.locale import _

if TYPE_CHECKING:
    from sphinx_xenabi.domain.requirements import HasRequirements, RequirementObject
    from sphinx_xenabi.domain.xenabi import XenAbiDomain


class RequirementIndex(Index):
    name = "requirementindex"
    localname = _("Requirement index")
    shortname = _("requirements")

    @classmethod
    def page_name(cls) -> str:
        return f"xenabi-{cls.name}"

    def objects(self, docnames: Iterable[str] | None = None) -> list[RequirementObject]:
        if not self.domain.data.get("requirements"):
            return []  # most projects: nothing to list, nothing to load
        wanted = None if docnames is None else frozenset(docnames)
        return [
            obj
            for obj in cast("HasRequirements", self.domain).requirement_lookup.objects()
            if wanted is None or obj.docname in wanted
        ]

    def generate(
        self, docnames: Iterable[str] | None = None
    ) -> tuple[list[tuple[str, list[IndexEntry]]], bool]:
        if docnames is None:  # the whole index, written on every html build: a view
            return cast("XenAbiDomain", self.domain).view(self.name, self._generate)
        return self._generate(docnames)

    def _generate(
        self, docnames: Iterable[str] | None = None
    ) -> tuple[list[tuple[str, list[IndexEntry]]], bool]:
        from sphinx_xenabi.model.verdicts import marked

        groups: dict[str, list[IndexEntry]] = {}
        domain = cast("HasRequirements", self.domain)
        for obj in self.objects(docnames):
            item = obj.item
            status = domain.requirement_status(str(item.id))  # the build's verdict
            groups.setdefault(item.id.artifact_type, []).append(
                IndexEntry(
                    name=obj.name,
                    subtype=0,
                    docname=obj.docname,
                    anchor=obj.anchor,
                    extra="",  # the group names the type
                    qualifier=marked(status),  # bold, before the title: "✔ verified: ..."
                    descr=item.title,
                )
            )
        return sorted(groups.items()), False
