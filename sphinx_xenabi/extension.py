"""The Sphinx glue: events, domain and configuration wired together.

Reading: ``doctree-read`` extracts each document's tables into the domain
(in parallel readers too). After reading, ``env-updated`` assembles the
registry with the guide map and runs the drift gate on every build, so a
no-op rebuild of drifted docs still fails. ``build-finished`` publishes the
registry JSON when the build succeeded.

Hypercalls: numbers-table rows become objects after extraction
(``hypercall_rows``), unknown targets warn in the extension's terms
(``hypercall_role``), pages whose links moved are rewritten
(``hypercall_links``) and the index page is a table (``hypercall_index``).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from docutils import nodes

from sphinx_xenabi._version import __version__
from sphinx_xenabi.config import add_config_values
from sphinx_xenabi.diff_directives import setup_diff_directives
from sphinx_xenabi.directives import setup_directives
from sphinx_xenabi.doctest_namespace import set_current_registry, setup_doctest_namespace
from sphinx_xenabi.domain import XenAbiDomain, warn_hypercall_conflicts, xenabi_domain
from sphinx_xenabi.evidence import (
    evidence_changed,
    executes,
    on_doctree_resolved,
    reject_drifted,
    run_tables,
)
from sphinx_xenabi.extraction import extract_tables, relativiser
from sphinx_xenabi.gate import gate_release, run_gate
from sphinx_xenabi.guides import build_guide_map
from sphinx_xenabi.history_directive import setup_history
from sphinx_xenabi.hypercall_index import add_html_assets, on_html_page_context
from sphinx_xenabi.hypercall_links import PRIORITY as LINKS_PRIORITY
from sphinx_xenabi.hypercall_links import note_references, relinked_documents
from sphinx_xenabi.hypercall_role import warn_unknown_hypercall
from sphinx_xenabi.hypercall_rows import PRIORITY as ROWS_PRIORITY
from sphinx_xenabi.hypercall_rows import declare_hypercalls
from sphinx_xenabi.messages import location_string, logger, warn
from sphinx_xenabi.model.registry import REGISTRY_FILENAME, Registry
from sphinx_xenabi.state import BuildState, build_state, set_build_state

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata


# Bump when the stored records or doctree stamps change shape: Sphinx then
# re-reads everything. 2: doctrees carry the row stamps the evidence column reads.
# 3: numbers rows carry hypercall anchors and index entries.
ENV_VERSION = 3


def described_release(app: Sphinx) -> str:
    """The release string the docs describe: the config override, else Sphinx's."""
    configured = app.config.xenabi_xen_release
    if configured is not None:
        return str(configured)
    return str(app.config.release or app.config.version or "")


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    relativise = relativiser(app.srcdir)
    extraction = extract_tables(
        doctree, docname, relativise(os.fspath(env.doc2path(docname))), relativise
    )
    for problem in extraction.problems:
        warn(problem.subtype, problem.message, location_string(app.srcdir, problem.location))
    xenabi_domain(env).note_document(docname, extraction.tables, extraction.problems)


def assemble_registry(app: Sphinx, env: BuildEnvironment) -> Registry:
    """The registry of everything read so far, tables tagged with their guide."""
    titles = {docname: title.astext() for docname, title in env.titles.items()}
    guide_map = build_guide_map(app.config.root_doc, env.toctree_includes, titles, env.found_docs)
    domain = xenabi_domain(env)
    for docname in guide_map.unreachable:
        if domain.tables.get(docname):  # a page without ABI tables loses nothing
            warn(
                "orphan",
                "document is reachable from no guide listed by the root document's toctrees; "
                "its tables are recorded without a guide",
                docname,
            )
    tables = tuple(
        dataclasses.replace(t, guide=guide_map.guide_of.get(t.docname)) for t in domain.all_tables()
    )
    return Registry(release=described_release(app), guides=guide_map.guides, tables=tables)


def on_env_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    registry = assemble_registry(app, env)
    state = BuildState(registry)
    set_build_state(app, state)
    set_current_registry(registry)
    state.findings, state.failed, reference = run_gate(app, registry)
    state.reference, state.reference_error = reference.name, reference.error
    state.reference_note = reference.note
    if executes(app):
        outcomes, execution_failed = run_tables(app, registry, gate_release(registry)[0])
        # A row the gate rejects ran clean on a dispatcher built from it: it fails in the page.
        state.outcomes = reject_drifted(outcomes, registry, state.findings)
        state.failed = state.failed or execution_failed
        return evidence_changed(env, state.outcomes)
    return []


def _build_failing(app: Sphinx) -> bool:
    """Whether the build will exit non-zero: a builder's failures, or -W warnings.

    Sphinx turns warnings into a failing status only after build-finished,
    so ``-W`` is read from the application as Sphinx itself does.
    """
    fails_on_warnings = bool(getattr(app, "_fail_on_warnings", False))
    return app.statuscode != 0 or (fails_on_warnings and getattr(app, "_warncount", 0) > 0)


def on_build_finished(app: Sphinx, exception: BaseException | None) -> None:
    state = build_state(app)
    target = Path(app.outdir) / REGISTRY_FILENAME
    if exception is not None or state is None or state.failed or _build_failing(app):
        # A failed build publishes nothing, and must not leave an earlier
        # build's registry beside html that now contradicts it.
        target.unlink(missing_ok=True)
        return
    if not app.config.xenabi_write_registry:
        return
    state.registry.dump(target)
    logger.info("xenabi: registry written to %s", target)


def setup(app: Sphinx) -> ExtensionMetadata:
    add_config_values(app)
    app.add_domain(XenAbiDomain)
    app.connect("doctree-read", on_doctree_read)
    app.connect("env-updated", on_env_updated)
    app.connect("build-finished", on_build_finished)
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
    setup_doctest_namespace(app)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
