"""The Sphinx glue: events, domain and configuration wired together.

Reading: ``doctree-read`` extracts each document's tables into the domain
(in parallel readers too). After reading, ``env-updated`` assembles the
registry with the guide map and runs the drift gate on every build, so a
no-op rebuild of drifted docs still fails; it also withdraws the last
build's registry before any page is written. ``build-finished`` publishes
the registry JSON when the build succeeded (``publishing.py``).

Hypercalls: numbers-table rows become objects after extraction
(``hypercall_rows``), unknown targets warn in the extension's terms
(``hypercall_role``), pages whose links moved are rewritten
(``hypercall_links``) and the index page is a table (``hypercall_index``).
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.errors import ConfigError

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
from sphinx_xenabi.located_tables import setup_located_tables
from sphinx_xenabi.messages import capped, location_string, warn
from sphinx_xenabi.model.registry import Registry
from sphinx_xenabi.model.spec import RELEASE_PART_MAX, Release, ReleaseOverflowError
from sphinx_xenabi.publishing import publish_registry, withdraw_registry
from sphinx_xenabi.state import BuildState, set_build_state

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment
    from sphinx.util.typing import ExtensionMetadata


# Bump when the stored records or doctree stamps change shape: Sphinx then
# re-reads everything. 2: doctrees carry the row stamps the evidence column reads.
# 3: numbers rows carry hypercall anchors and index entries.
# 4: cells are located by their entries' own lines (empty cells, pipe tables).
ENV_VERSION = 4


def _release_setting(config: Config) -> tuple[str, object]:
    """The configuration value that names the release the docs describe, and its value."""
    if config.xenabi_xen_release is not None:
        return "xenabi_xen_release", config.xenabi_xen_release
    if config.release or not config.version:
        return "release", config.release
    return "version", config.version


def described_release(app: Sphinx) -> str:
    """The release string the docs describe: the config override, else Sphinx's."""
    return str(_release_setting(app.config)[1] or "")


def check_release_setting(app: Sphinx, config: Config) -> None:
    """Refuse a release that cannot be meant, before anything is checked against it.

    Checking against a release other than the one meant would pass or fail
    the wrong tables, so these stop the build. A value that is no MAJOR.MINOR
    at all keeps its documented meaning: the newest revision the model knows.
    """
    name, value = _release_setting(config)
    if not isinstance(value, str | None):
        raise ConfigError(
            f"{name} = {value!r} is a {type(value).__name__}, not a string: write the release "
            "in quotes, such as '4.20' (Python reads 4.20 as 4.2, so a number cannot say "
            "which release is meant)"
        )
    try:
        Release.parse(value or "")
    except ReleaseOverflowError:
        raise ConfigError(
            f"{name} = {value!r} is not a Xen release: major and minor are at most "
            f"{RELEASE_PART_MAX} (XENVER_version returns each in 16 bits)"
        ) from None
    except ValueError:
        pass


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
    withdraw_registry(app)  # pages are written next: the old registry would contradict them
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


def setup(app: Sphinx) -> ExtensionMetadata:
    add_config_values(app)
    app.connect("config-inited", check_release_setting)
    app.add_domain(XenAbiDomain)
    app.connect("doctree-read", on_doctree_read)
    app.connect("env-updated", on_env_updated)
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
