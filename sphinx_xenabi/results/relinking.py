"""Rewrite the pages whose hypercall and requirement links now resolve differently.

Sphinx rewrites only the documents it re-read, so a page that links to
``xen_version`` would keep a link to a deleted or renamed row (and one that
links to ``XenProd~vcpus`` to an item's old revision). Each document's
targets are noted when it is read (its ``:xenabi:hypercall:``,
``:xenabi:requirement:`` and ``:any:`` references, its page listings); after
reading, they and the hypercalls its evidence names are resolved against
the current tables, and a page whose answers differ from the last build's
is written again, where an unresolved reference warns as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from sphinx import addnodes

from sphinx_xenabi.domain.object_types import HYPERCALL, REQUIREMENT
from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.model.content_key import value_digest
from sphinx_xenabi.results.state import build_state, executes

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

_LINKS = "links"
_TYPES = frozenset({HYPERCALL, REQUIREMENT})


def hypercall_targets(doctree: nodes.Node) -> set[str]:
    """The targets of the references that could name a hypercall or a requirement item.

    One walk of the tree per document, a few milliseconds for the whole
    site: references are inline, so no part of the tree can be skipped.
    """
    targets: set[str] = set()
    stack: list[nodes.Node] = [doctree]
    while stack:
        node = stack.pop()
        if isinstance(node, addnodes.pending_xref):
            if node.get("reftype") == "any" or (
                node.get("refdomain") == "xenabi" and node.get("reftype") in _TYPES
            ):
                targets.add(node["reftarget"])
        elif type(node) is not nodes.Text:
            stack.extend(node.children)
    return targets


def note_references(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: what this document links to, for the rewrite check."""
    xenabi_domain(app.env).note_references(app.env.docname, hypercall_targets(doctree))


def referenced_hypercalls(app: Sphinx, env: BuildEnvironment) -> dict[str, set[str]]:
    """Every document's hypercall targets, the evidence column's included."""
    targets = {docname: set(found) for docname, found in xenabi_domain(env).references.items()}
    state = build_state(app)
    if state is not None and executes(app):
        from sphinx_xenabi.results.evidence_column import outcomes_by_document

        for docname, outcomes in outcomes_by_document(env, state.outcomes).items():
            for outcome in outcomes:
                targets.setdefault(docname, set()).update(outcome.hypercalls)
    return targets


def relinked_documents(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``: the documents to write again for their links' sake."""
    domain = xenabi_domain(env)
    # Digests, not the signatures: the environment keeps them, and every build loads it.
    current = {
        docname: value_digest(domain.link_signature(targets))
        for docname, targets in referenced_hypercalls(app, env).items()
    }
    previous = domain.data.get(_LINKS, {})
    domain.data[_LINKS] = current
    return sorted(d for d, signature in current.items() if previous.get(d) != signature)
