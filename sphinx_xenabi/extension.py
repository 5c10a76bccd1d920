"""The Sphinx glue: events, domain and configuration wired together.

Reading: ``doctree-read`` extracts each document's tables into the domain
(in parallel readers too). After reading, ``env-updated`` turns the
environment into the build's one result (``build_result.py``: registry,
drift findings, executed rows, whether the build fails) on every build, so a
no-op rebuild of drifted docs still fails; it also withdraws the last
build's registry before any page is written. ``build-finished`` publishes
the registry JSON when the build succeeded (``publishing.py``).

Hypercalls: numbers-table rows become objects after extraction
(``hypercall_rows``), unknown targets warn in the extension's terms
(``hypercall_role``), pages whose links moved are rewritten
(``hypercall_links``) and the index page is a table (``hypercall_index``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from docutils import nodes

from sphinx_xenabi._version import __version__
from sphinx_xenabi.results.doctest_namespace import setup_doctest_namespace
from sphinx_xenabi.results.evidence_column import evidence_changed, executes, on_doctree_resolved
from sphinx_xenabi.results.publishing import publish_registry, watch_warnings, withdraw_registry
from sphinx_xenabi.results.release import check_release_setting
from sphinx_xenabi.results.build_result import produce_result, report_result
from sphinx_xenabi.results.store import set_build_state
from sphinx_xenabi.config import add_config_values
from sphinx_xenabi.directives.abi_diff import setup_diff_directives
from sphinx_xenabi.directives.abi_history import setup_history
from sphinx_xenabi.directives.hypercall_page import setup_directives
from sphinx_xenabi.domain.anchors import PRIORITY as ROWS_PRIORITY
from sphinx_xenabi.domain.anchors import declare_hypercalls
from sphinx_xenabi.domain.index import add_html_assets, on_html_page_context
from sphinx_xenabi.domain.relinking import PRIORITY as LINKS_PRIORITY
from sphinx_xenabi.domain.relinking import note_references, relinked_documents
from sphinx_xenabi.domain.role import warn_unknown_hypercall
from sphinx_xenabi.domain.xenabi import XenAbiDomain, warn_hypercall_conflicts, xenabi_domain
from sphinx_xenabi.extraction.document import extract_tables, relativiser
from sphinx_xenabi.extraction.located_entries import setup_located_tables
from sphinx_xenabi.log import capped, location_string, warn

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata


# Bump when the stored records or doctree stamps change shape: Sphinx then
# re-reads everything. 2: doctrees carry the row stamps the evidence column reads.
# 3: numbers rows carry hypercall anchors and index entries.
# 4: cells are located by their entries' own lines (empty cells, pipe tables).
ENV_VERSION = 4


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    relativise = relativiser(app.srcdir)
    extraction = extract_tables(
        doctree, docname, relativise(os.fspath(env.doc2path(docname))), relativise
    )
    for subtype, message, location in capped(
        (p.subtype, p.message, p.location) for p in extraction.problems
    ):
        warn(subtype, message, location_string(app.srcdir, location))
    xenabi_domain(env).note_document(docname, extraction.tables, extraction.problems)


def on_env_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """After reading: the build's one result, reported at its cells; pages to rewrite."""
    withdraw_registry(app)  # pages are written next: the old registry would contradict them
    result = produce_result(app, env)
    set_build_state(app, result)
    report_result(app, result)
    return evidence_changed(env, result.outcomes) if executes(app) else []


def setup(app: Sphinx) -> ExtensionMetadata:
    add_config_values(app)
    app.connect("config-inited", check_release_setting)
    app.add_domain(XenAbiDomain)
    app.connect("doctree-read", on_doctree_read)
    app.connect("env-updated", on_env_updated)
    app.connect("builder-inited", watch_warnings)
    app.connect("build-finished", publish_registry)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("doctree-read", declare_hypercalls, priority=ROWS_PRIORITY)
    app.connect("doctree-read", note_references)
    app.connect("env-updated", warn_hypercall_conflicts)
    app.connect("env-updated", relinked_documents, priority=LINKS_PRIORITY)
    app.connect("warn-missing-reference", warn_unknown_hypercall)
    app.connect("config-inited", add_html_assets)
    app.connect("html-page-context", on_html_page_context)
    setup_directives(app)
    setup_history(app)
    setup_diff_directives(app)
    setup_located_tables(app)
    setup_doctest_namespace(app)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
