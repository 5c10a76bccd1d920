"""The ``xenabi`` domain: per-document records, hypercall objects and their links.

Records are stored per document so that Sphinx's incremental and parallel
reading keep them exact: ``clear_doc`` drops a re-read or deleted document's
records and ``merge_domaindata`` takes a parallel reader's.

Every row of a hypercall numbers table declares a hypercall object (see
``domain/anchors.py``). The domain resolves ``:xenabi:hypercall:`` by name or
number, lists the objects in ``objects.inv`` and in the hypercall index, and
says when two tables define a hypercall differently.

Every requirement item declares a requirement object (see
``domain/requirement_sections.py``), resolved by ``:xenabi:requirement:``
(``domain/requirements.py``) and listed in ``objects.inv`` and in the
requirement index.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping, Set
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from docutils import nodes
from sphinx.domains import Domain, ObjType
from sphinx.locale import _
from sphinx.roles import XRefRole
from sphinx.util.nodes import make_refnode
from sphinx.util.osutil import relative_uri

from sphinx_xenabi.domain.index import HypercallIndex
from sphinx_xenabi.domain.object_types import HYPERCALL, REQUIREMENT
from sphinx_xenabi.domain.packed_store import PackedByDocument
from sphinx_xenabi.domain.requirement_index import RequirementIndex
from sphinx_xenabi.domain.role import HypercallRole
from sphinx_xenabi.extraction.table_walk import has_table
from sphinx_xenabi.log import error, location_string, log_problem, warn
from sphinx_xenabi.model.problems import Problem, WarningSubtype, capped
from sphinx_xenabi.model.published_files import REGISTRY_FILENAME

if TYPE_CHECKING:
    from sphinx.addnodes import pending_xref
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment
    from sphinx.util.docutils import SphinxDirective

    from sphinx_xenabi.domain.objects import HypercallLookup, HypercallObject
    from sphinx_xenabi.domain.requirements import RequirementLookup, RequirementObject
    from sphinx_xenabi.model.records import TableRecord
    from sphinx_xenabi.model.requirements import RequirementItem
    from sphinx_xenabi.model.verification import ExampleBlock


_T = TypeVar("_T")
# An inventory line of get_objects: name, display name, type, document, anchor, priority.
InventoryLine = tuple[str, str, str, str, str, int]
# The stores whose records the views are computed from.
_VIEWED_STORES = ("hypercalls", "requirements")
# The views' entry that names the code they were computed by.
_VIEWS_CODE = "code"
# What the guide map reads of the documents, digested (results/result_key.py).
GUIDE_MAP_KEY = "guide_map_key"


def xenabi_domain(env: BuildEnvironment) -> XenAbiDomain:
    return cast(XenAbiDomain, env.domains["xenabi"])


class XenAbiDomain(Domain):
    """Holds the ABI tables read from each document and the hypercalls they define."""

    name = "xenabi"
    label = "Xen hypercall ABI"
    object_types: ClassVar[dict[str, ObjType]] = {
        HYPERCALL: ObjType(_("hypercall"), HYPERCALL),
        REQUIREMENT: ObjType(_("requirement"), REQUIREMENT),
    }
    roles = {"registry": XRefRole(), HYPERCALL: HypercallRole(), REQUIREMENT: XRefRole()}
    indices = [HypercallIndex, RequirementIndex]
    # The per-document stores of records, each value kept pickled (domain/packed_store.py).
    RECORD_STORES = (
        "tables",
        "problems",
        "hypercalls",
        "references",
        "directive_errors",
        "requirements",
        "requirement_problems",
        "verifications",
    )
    # The per-document stores: clear_doc and merge_domaindata keep each exact.
    # "content_keys": what a document put in the record stores, as one digest
    # (results/result_key.py).
    STORES = (*RECORD_STORES, "content_keys")
    initial_data: ClassVar[dict[str, Any]] = {
        **{store: PackedByDocument() for store in RECORD_STORES},
        "content_keys": {},
    }
    # 2: hypercall objects and the references to them. 3: requirement items and
    # the xenabi-verifies blocks. 4: each document's content key. 5: sorted references.
    # 6: the record stores kept pickled. 7: their values' digests kept with them.
    data_version = 7

    _lookup: HypercallLookup | None = None
    _requirement_lookup: RequirementLookup | None = None

    @property
    def tables(self) -> PackedByDocument[tuple[TableRecord, ...]]:
        return self._records("tables")

    @property
    def problems(self) -> PackedByDocument[tuple[Problem, ...]]:
        """Faults found in recognised tables, kept so tools can count them."""
        return self._records("problems")

    @property
    def directive_errors(self) -> PackedByDocument[tuple[Problem, ...]]:
        """The extension's directives that could not render, kept for the build result."""
        return self._records("directive_errors")

    def note_directive_error(self, docname: str, problem: Problem) -> None:
        self.directive_errors[docname] = (*self.directive_errors.get(docname, ()), problem)

    @property
    def verifications(self) -> PackedByDocument[tuple[ExampleBlock, ...]]:
        """Each document's ``xenabi-verifies`` blocks, in document order."""
        return self._records("verifications")

    def note_verification(self, docname: str, block: ExampleBlock) -> None:
        self.verifications[docname] = (*self.verifications.get(docname, ()), block)

    def all_verifications(self) -> list[ExampleBlock]:
        """Every block, by document (Sphinx's reading order) then as written."""
        return [b for docname in sorted(self.verifications) for b in self.verifications[docname]]

    @property
    def hypercalls(self) -> PackedByDocument[tuple[HypercallObject, ...]]:
        """Each document's hypercall definitions, in document order."""
        return self._records("hypercalls")

    @property
    def references(self) -> PackedByDocument[tuple[str, ...]]:
        """The targets of each document's hypercall (and ``any``) references, sorted.

        A sorted tuple, not a set: a set pickles in the order of its strings'
        hashes, which differs between processes, and the document's content
        key (``results/result_key.py``) is digested from its pickle.
        """
        return self._records("references")

    @property
    def requirements(self) -> PackedByDocument[tuple[RequirementObject, ...]]:
        """Each document's requirement items, in document order."""
        return self._records("requirements")

    @property
    def requirement_problems(self) -> PackedByDocument[tuple[Problem, ...]]:
        """Faults found reading each document's requirement items (logged as read)."""
        return self._records("requirement_problems")

    def note_requirements(
        self, docname: str, objects: Iterable[RequirementObject], problems: Iterable[Problem]
    ) -> None:
        kept = tuple(objects)
        if kept or docname in self.requirements:
            self._forget_views()
        _store(self.requirements, docname, kept)
        _store(self.requirement_problems, docname, tuple(problems))
        self._requirement_lookup = None

    def note_requirement_statuses(self, statuses: Mapping[str, str]) -> None:
        """Each requirement's verdict as the build's result states it, for the index."""
        if self.data.get("requirement_statuses") != statuses:
            self.data["requirement_statuses"] = dict(statuses)
            self._forget_views()

    def requirement_status(self, name: str) -> str:
        return str(self.data.get("requirement_statuses", {}).get(name, "unverified"))

    def all_requirements(self) -> list[RequirementItem]:
        """Every item read, duplicates included, by document."""
        return [o.item for docname in sorted(self.requirements) for o in self.requirements[docname]]

    @property
    def requirement_lookup(self) -> RequirementLookup:
        if self._requirement_lookup is None:
            from sphinx_xenabi.domain.requirements import RequirementLookup

            self._requirement_lookup = RequirementLookup.build(
                o for objects in self.requirements.values() for o in objects
            )
        return self._requirement_lookup

    def note_document(
        self, docname: str, tables: Iterable[TableRecord], problems: Iterable[Problem]
    ) -> None:
        records, faults = tuple(tables), tuple(problems)
        # Only documents with something to say are stored: most have no tables.
        _store(self.tables, docname, records)
        _store(self.problems, docname, faults)

    def note_hypercalls(self, docname: str, objects: Iterable[HypercallObject]) -> None:
        kept = tuple(objects)
        if kept or docname in self.hypercalls:
            self._forget_views()
        _store(self.hypercalls, docname, kept)
        self._lookup = None

    def note_references(self, docname: str, targets: Iterable[str]) -> None:
        _store(self.references, docname, tuple(sorted(set(targets))))

    def all_tables(self) -> list[TableRecord]:
        from sphinx_xenabi.model.records import sort_tables

        return sort_tables(t for records in self.tables.values() for t in records)

    @property
    def lookup(self) -> HypercallLookup:
        if self._lookup is None:
            # The objects' code loads with the first lookup: builds without hypercalls skip it.
            from sphinx_xenabi.domain.objects import HypercallLookup

            self._lookup = HypercallLookup.build(
                obj for docname in sorted(self.hypercalls) for obj in self.hypercalls[docname]
            )
        return self._lookup

    def _records(self, store: str) -> PackedByDocument[Any]:
        records: PackedByDocument[Any] = self.data.setdefault(store, PackedByDocument())
        return records

    def view(self, name: str, compute: Callable[[], _T]) -> _T:
        """A view of the records, kept in the environment until they change.

        Sphinx asks for the objects (``objects.inv``), the indices' content
        and the conflicts on every html build. Computing them decodes every
        document's hypercalls and requirements; kept as plain tuples, they
        are computed again only when those records or the requirements'
        statuses change, so a rebuild that read no such document decodes none.
        """
        views = self._views()
        if name not in views:
            views[name] = compute()
        return cast(_T, views[name])

    def _views(self) -> dict[str, Any]:
        """The kept views, dropped when the package's code is not theirs (they hold its text)."""
        from sphinx_xenabi.model.code_key import code_key

        views: dict[str, Any] | None = self.data.get("views")
        code = code_key()
        if views is None or views.get(_VIEWS_CODE) != code:
            views = self.data["views"] = {_VIEWS_CODE: code}
        return views

    def keep_views(self) -> bool:
        """Compute every view now: the environment is pickled after ``env-updated``.

        True when any view had to be computed (none was kept, or another
        code's).
        """
        kept = set(self._views())
        self.hypercall_conflicts()
        self.inventory()
        for index in self.indices:
            index(self).generate()
        from sphinx_xenabi.domain.index import index_rows

        index_rows(self)
        return set(self._views()) != kept

    def _forget_views(self) -> None:
        self.data.pop("views", None)

    def _forget_views_of(self, docnames: Iterable[str], data: Mapping[str, Any]) -> None:
        stores = [data.get(store, ()) for store in _VIEWED_STORES]
        if any(docname in store for docname in docnames for store in stores):
            self._forget_views()

    def forget_guide_map_key(self) -> None:
        self.data.pop(GUIDE_MAP_KEY, None)

    def clear_doc(self, docname: str) -> None:
        self._forget_views_of((docname,), self.data)
        self.forget_guide_map_key()
        for key in self.STORES:
            self.data.setdefault(key, {}).pop(docname, None)
        self._lookup = None
        self._requirement_lookup = None

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        self._forget_views_of(docnames, otherdata)
        self.forget_guide_map_key()
        for key in self.RECORD_STORES:
            store, other = self._records(key), otherdata.get(key, {})
            for docname in docnames & other.keys():
                store.adopt(other, docname)
        keys, other_keys = (
            self.data.setdefault("content_keys", {}),
            otherdata.get("content_keys", {}),
        )
        for docname in docnames & other_keys.keys():
            keys[docname] = other_keys[docname]
        self._lookup = None
        self._requirement_lookup = None

    def warn_conflicts(self) -> None:
        """Two tables that pair a name and a number differently: warn at the later one."""
        for message, location in self.hypercall_conflicts():
            warn(WarningSubtype.DUPLICATE_HYPERCALL, message, location)

    def hypercall_conflicts(self) -> tuple[tuple[str, str], ...]:
        """Each conflict's message and location (a view)."""
        return self.view("conflicts", self._hypercall_conflicts)

    def _hypercall_conflicts(self) -> tuple[tuple[str, str], ...]:
        if not self.hypercalls:
            return ()
        found: list[tuple[str, str]] = []
        for later, first in self.lookup.conflicts:
            if later.name == first.name:
                message = (
                    f"{later.name} is hypercall {later.number} here, but {first.location} "
                    f"defines it as hypercall {first.number}: a hypercall has one number; "
                    f"references to {later.name} go to the first"
                )
            else:
                message = (
                    f"hypercall {later.number} is {later.name} here, but {first.location} "
                    f"names it {first.name}: a number names one hypercall; references to "
                    f"{later.number} go to {first.name}"
                )
            found.append((message, location_string(self.env.srcdir, later.location)))
        return tuple(found)

    def get_objects(self) -> Iterator[InventoryLine]:
        """Names for objects.inv and the search index; numbers as unsearched aliases."""
        return iter(self.inventory())

    def inventory(self) -> tuple[InventoryLine, ...]:
        """What :meth:`get_objects` lists (a view)."""
        return self.view("inventory", lambda: tuple(self._inventory()))

    def _inventory(self) -> Iterator[InventoryLine]:
        # A project without hypercalls or requirements never loads their lookups' code.
        if self.hypercalls:
            lookup = self.lookup
            for name, obj in sorted(lookup.by_name.items()):
                yield name, name, HYPERCALL, obj.docname, obj.anchor, 1
            for number, obj in sorted(lookup.by_number.items()):
                # Priority -1 keeps "17" out of the search index, but another
                # project's intersphinx still resolves :xenabi:hypercall:`17`.
                yield str(number), obj.name, HYPERCALL, obj.docname, obj.anchor, -1
        if not self.requirements:
            return
        requirements = self.requirement_lookup
        for item in requirements.objects():
            yield item.name, item.name, REQUIREMENT, item.docname, item.anchor, 1
        for (kind, name), item in sorted(requirements.latest.items()):
            # The id without its revision reaches the latest revision, here and elsewhere.
            yield f"{kind}~{name}", item.name, REQUIREMENT, item.docname, item.anchor, -1

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
        if typ == "registry":
            # ``:xenabi:registry:`text``` links to the published registry JSON.
            uri = relative_uri(builder.get_target_uri(fromdocname), REGISTRY_FILENAME)
            reference = nodes.reference("", "", internal=False, refuri=uri)
            reference += contnode
            return reference
        if typ == HYPERCALL:
            return self._hypercall_reference(builder, fromdocname, target, node, contnode)
        if typ == REQUIREMENT:
            from sphinx_xenabi.domain.requirements import requirement_reference

            return requirement_reference(
                self.requirement_lookup, builder, fromdocname, target, node, contnode
            )
        return None

    def resolve_any_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> list[tuple[str, nodes.reference]]:
        found = []
        reference = self._hypercall_reference(builder, fromdocname, target, node, contnode)
        if reference is not None:
            found.append((f"{self.name}:{HYPERCALL}", reference))
        from sphinx_xenabi.domain.requirements import requirement_reference

        lookup = self.requirement_lookup
        reference = requirement_reference(lookup, builder, fromdocname, target, node, contnode)
        if reference is not None:
            found.append((f"{self.name}:{REQUIREMENT}", reference))
        return found

    def _hypercall_reference(
        self,
        builder: Builder,
        fromdocname: str,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> nodes.reference | None:
        obj = self.lookup.find(target)
        if obj is None:
            return None
        from sphinx_xenabi.domain.role import link_text

        text = link_text(node, contnode, obj.name, obj.number)
        return make_refnode(builder, fromdocname, obj.docname, obj.anchor, text, obj.title)

    def hypercall_link(
        self, builder: Builder, fromdocname: str, name: str, child: nodes.Node
    ) -> nodes.reference | None:
        """A link made after references are resolved (the evidence column)."""
        obj = self.lookup.find(name)
        if obj is None:
            return None
        return make_refnode(builder, fromdocname, obj.docname, obj.anchor, child, obj.title)

    def link_signature(self, targets: Iterable[str]) -> tuple[tuple[str, object, object], ...]:
        """What ``targets`` resolve to now: a document whose signature changed is rewritten."""
        lookup = self.lookup
        # Docs without requirement items load none of the requirement code.
        requirements = self.requirement_lookup if self.requirements else None
        signature: list[tuple[str, object, object]] = []
        for target in sorted(set(targets)):
            obj = lookup.find(target)
            item = None if requirements is None else requirements.find(target)
            signature.append(
                (
                    target,
                    None if obj is None else (obj.docname, obj.anchor, obj.name, obj.number),
                    None if item is None else (item.docname, item.anchor, item.name),
                )
            )
        return tuple(signature)


def _store(store: MutableMapping[str, Any], docname: str, values: Collection[Any]) -> None:
    if values:
        store[docname] = values
    else:
        store.pop(docname, None)


def read_tables(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: the document's ABI tables extracted, their problems logged, kept here."""
    if not has_table(doctree):
        return  # most pages: no table, and no extraction code to load (a no-op reads none)
    from sphinx_xenabi.extraction.cells import relativiser
    from sphinx_xenabi.extraction.document import extract_tables

    env = app.env
    docname = env.docname
    relativise = relativiser(app.srcdir)
    extraction = extract_tables(
        doctree, docname, relativise(os.fspath(env.doc2path(docname))), relativise
    )
    for problem in capped(extraction.problems):
        log_problem(problem, app)
    xenabi_domain(env).note_document(docname, extraction.tables, extraction.problems)


def warn_hypercall_conflicts(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-updated``, which runs on every build, as the drift gate does.

    Not ``check_consistency``: Sphinx skips that when nothing was read, and
    the warning must stand for as long as the tables disagree.
    """
    xenabi_domain(env).warn_conflicts()


def directive_error(directive: SphinxDirective, subtype: WarningSubtype, message: str) -> None:
    """Log an error at a directive's line and keep it, so ``check`` reports it too."""
    from sphinx_xenabi.extraction.cells import relativiser
    from sphinx_xenabi.model.location import Location

    error(subtype, message, directive.get_location())
    source, line = directive.get_source_info()
    env = directive.env
    location = Location(relativiser(env.srcdir)(source), line or 0)
    xenabi_domain(env).note_directive_error(
        env.docname, Problem(subtype, message, location, level="error")
    )
