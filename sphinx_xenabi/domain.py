"""The ``xenabi`` domain: per-document table records and the registry link.

Records are stored per document so that Sphinx's incremental and parallel
reading keep them exact: ``clear_doc`` drops a re-read or deleted document's
records and ``merge_domaindata`` takes a parallel reader's.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from typing import TYPE_CHECKING, Any, ClassVar, cast

from docutils import nodes
from sphinx.domains import Domain
from sphinx.roles import XRefRole
from sphinx.util.osutil import relative_uri

from sphinx_xenabi.extraction import Problem
from sphinx_xenabi.model.registry import REGISTRY_FILENAME, TableRecord, sort_tables

if TYPE_CHECKING:
    from sphinx.addnodes import pending_xref
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment


def xenabi_domain(env: BuildEnvironment) -> XenAbiDomain:
    return cast(XenAbiDomain, env.domains["xenabi"])


class XenAbiDomain(Domain):
    """Holds the ABI tables read from each document."""

    name = "xenabi"
    label = "Xen hypercall ABI"
    roles = {"registry": XRefRole()}
    initial_data: ClassVar[dict[str, Any]] = {"tables": {}, "problems": {}}
    data_version = 1

    @property
    def tables(self) -> dict[str, tuple[TableRecord, ...]]:
        return self.data.setdefault("tables", {})

    @property
    def problems(self) -> dict[str, tuple[Problem, ...]]:
        """Faults found in recognised tables, kept so tools can count them."""
        return self.data.setdefault("problems", {})

    def note_document(
        self, docname: str, tables: Iterable[TableRecord], problems: Iterable[Problem]
    ) -> None:
        records, faults = tuple(tables), tuple(problems)
        # Only documents with something to say are stored: most have no tables.
        if records:
            self.tables[docname] = records
        else:
            self.tables.pop(docname, None)
        if faults:
            self.problems[docname] = faults
        else:
            self.problems.pop(docname, None)

    def all_tables(self) -> list[TableRecord]:
        return sort_tables(t for records in self.tables.values() for t in records)

    def clear_doc(self, docname: str) -> None:
        self.tables.pop(docname, None)
        self.problems.pop(docname, None)

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for key, store in (("tables", self.tables), ("problems", self.problems)):
            for docname, values in otherdata.get(key, {}).items():
                if docname in docnames:
                    store[docname] = values

    def resolve_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        typ: str,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> nodes.reference | None:
        """``:xenabi:registry:`text``` links to the published registry JSON."""
        if typ != "registry":
            return None
        uri = relative_uri(builder.get_target_uri(fromdocname), REGISTRY_FILENAME)
        reference = nodes.reference("", "", internal=False, refuri=uri)
        reference += contnode
        return reference

    def resolve_any_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> list[tuple[str, nodes.reference]]:
        return []
