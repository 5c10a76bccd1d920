"""Rewrite the pages whose hypercall links now resolve differently.

Sphinx rewrites only the documents it re-read, so a page that links to
``xen_version`` would keep a link to a deleted or renamed row. After
reading, each page's hypercall targets (its roles, its page listings, the
hypercalls its evidence names) are resolved against the current tables;
a page whose answers differ from the last build's is written again, and
there an unresolved reference warns as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx_xenabi.domain import xenabi_domain
from sphinx_xenabi.evidence import executes, outcomes_by_document
from sphinx_xenabi.state import build_state

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

# Runs after the extension's env-updated (priority 500), which runs the tables.
PRIORITY = 600
_LINKS = "links"


def referenced_hypercalls(app: Sphinx, env: BuildEnvironment) -> dict[str, set[str]]:
    """Every document's hypercall targets, the evidence column's included."""
    targets = {docname: set(found) for docname, found in xenabi_domain(env).references.items()}
    state = build_state(app)
    if state is not None and executes(app):
        for docname, outcomes in outcomes_by_document(env, state.outcomes).items():
            for outcome in outcomes:
                targets.setdefault(docname, set()).update(outcome.hypercalls)
    return targets


def relinked_documents(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``: the documents to write again for their links' sake."""
    domain = xenabi_domain(env)
    current = {
        docname: domain.link_signature(targets)
        for docname, targets in referenced_hypercalls(app, env).items()
    }
    previous = domain.data.get(_LINKS, {})
    domain.data[_LINKS] = current
    return sorted(d for d, signature in current.items() if previous.get(d) != signature)
