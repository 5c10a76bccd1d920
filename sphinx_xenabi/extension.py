"""The Sphinx glue: the extension's handlers, connected in the order the build runs them.

:func:`setup` reads as the build's phases, top to bottom. Each handler lives
in the module of its concept; this module only wires them. Within one event,
Sphinx calls handlers by priority, then in the order connected here.

A handler's module loads when its event first fires (:func:`_on`), so
``setup()`` imports only the domain, the directives' classes and the
configuration, and a build imports only the phases it runs: a rebuild that
reads no document never loads the reading code, and one whose last build's
stamp still holds (``results/unchanged_rebuild.py``) not even the settling.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

from sphinx_xenabi._version import __version__
from sphinx_xenabi.config import add_config_values
from sphinx_xenabi.directives import pictures
from sphinx_xenabi.directives.abi_diff import AbiDiffDirective
from sphinx_xenabi.directives.abi_history import AbiHistoryDirective
from sphinx_xenabi.directives.config_values import ConfigValuesDirective
from sphinx_xenabi.directives.diff_rules import DiffRulesDirective
from sphinx_xenabi.directives.drift_windows import DriftWindowsDirective
from sphinx_xenabi.directives.hypercall_page import HypercallPageDirective
from sphinx_xenabi.directives.verification import VerifiesDirective
from sphinx_xenabi.directives.warnings_table import WarningsDirective
from sphinx_xenabi.domain.xenabi import XenAbiDomain
from sphinx_xenabi.extraction.located_entries import LocatedCSVTable, LocatedListTable

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

# Bump when the stored records or doctree stamps change shape: Sphinx then
# re-reads everything. 2: doctrees carry the row stamps the evidence column reads.
# 3: numbers rows carry hypercall anchors and index entries.
# 4: cells are located by their entries' own lines (empty cells, pipe tables).
# 5: requirement items, their sections anchored; the xenabi-verifies blocks.
# 6: the xenabi-verifies blocks carry their document and anchor.
# 7: numbers cells marked yes or no; pictures and collapsed listings.
# 8: each document's content key, for reusing the build's result.
# 9: references kept as sorted tuples (a stable content key).
# 10: the record stores kept pickled per document.
# 11: the domain's views (objects, indices, conflicts) kept with the records.
# 12: collapsed blocks as raw html around their content, not a node of their own;
#     one general-index entry per hypercall row.
# 13: a breakable hypercall name is one raw html node (search finds it whole).
ENV_VERSION = 13


def add_markup(app: Sphinx) -> None:
    """The extension's directives and nodes, and the table directives it locates."""
    app.add_directive("xenabi-hypercall-page", HypercallPageDirective)
    app.add_directive("xenabi-abi-history", AbiHistoryDirective)
    app.add_directive("xenabi-abi-diff", AbiDiffDirective)
    app.add_directive("xenabi-diff-rules", DiffRulesDirective)
    app.add_directive("xenabi-drift-windows", DriftWindowsDirective)
    app.add_directive("xenabi-warnings", WarningsDirective)
    app.add_directive("xenabi-config-values", ConfigValuesDirective)
    app.add_directive("xenabi-verifies", VerifiesDirective)
    app.add_directive("xenabi-register-picture", pictures.RegisterPictureDirective)
    app.add_directive("xenabi-hypercall-page-map", pictures.HypercallPageMapDirective)
    # Table directives whose cells carry their lines (grid and simple tables: below).
    app.add_directive("csv-table", LocatedCSVTable, override=True)
    app.add_directive("list-table", LocatedListTable, override=True)


def _on(module: str, handler: str) -> Callable[..., Any]:
    """``handler`` of ``sphinx_xenabi.<module>``, loaded when the event first calls it."""

    def call(*args: Any) -> Any:
        return getattr(import_module(f"sphinx_xenabi.{module}"), handler)(*args)

    call.__name__ = call.__qualname__ = handler
    return call


def _writes_no_pages(app: Sphinx) -> bool:
    """The ``dummy`` builder (as ``check`` runs it): it reads, and writes no page."""
    return app.builder.name == "dummy"


def _about_written_pages(module: str, handler: str) -> Callable[..., Any]:
    """A handler that keeps track of the pages the build writes: skipped, its module
    not loaded, by a builder that writes none (which would otherwise count as
    written the pages an interrupted html build still owes)."""
    found = _on(module, handler)

    def call(app: Sphinx, *args: Any) -> Any:
        return None if _writes_no_pages(app) else found(app, *args)

    call.__name__ = call.__qualname__ = handler
    return call


def _pages_for_new_result(module: str, handler: str) -> Callable[[Sphinx, Any], list[str]]:
    """An ``env-updated`` handler that finds the pages a new result changes.

    None when the pages were written with this very result (a rebuild after
    editing prose), or are not written at all: then ``handler``'s module is
    not even loaded, and what the pages show is not recorded as written.
    """
    found = _on(module, handler)

    def call(app: Sphinx, env: Any) -> list[str]:
        if _writes_no_pages(app):
            return []
        if import_module("sphinx_xenabi.results.account").result_unchanged(app):
            return []
        pages: list[str] = found(app, env)
        if pages:  # owed until written, should this build be cut short
            import_module("sphinx_xenabi.results.pages_to_write").note_pages(app, pages)
        return pages

    call.__name__ = call.__qualname__ = handler
    return call


def _on_pages_with(store: str, module: str, handler: str) -> Callable[..., Any]:
    """A ``doctree-read`` or ``doctree-resolved`` handler for the pages whose records
    in ``store`` it works on.

    Other pages (most) neither load its module nor the build's result. The
    ``dummy`` builder (as ``check`` runs it) writes no pages: it is shown
    nothing at ``doctree-resolved``. A doctree resolved for singlehtml,
    latex, texinfo or man may hold the pages it inlines as well
    (``results/assembled_pages.py``): the handler, shown each such doctree,
    looks for them itself.
    """
    found = _on(module, handler)

    def call(app: Sphinx, doctree: Any, docname: str | None = None) -> None:
        held = app.env.domains["xenabi"].data.get(store, {})  # held only when not empty
        if docname is None:
            if app.env.docname in held:
                found(app, doctree)
            return
        if _writes_no_pages(app):
            return
        assembled = import_module("sphinx_xenabi.results.assembled_pages").assembles
        if docname in held or assembled(app.builder):
            found(app, doctree, docname)

    call.__name__ = call.__qualname__ = handler
    return call


def _unless_stamp_may_settle(module: str, handler: str) -> Callable[[Sphinx], None]:
    """A ``builder-inited`` handler skipped when the last build's stamp holds: the
    rebuild's source reading is the cached one, and it runs no rows in a worker."""
    found = _on(module, handler)

    def call(app: Sphinx) -> None:
        if not import_module("sphinx_xenabi.results.unchanged_rebuild").may_settle(app):
            found(app)

    call.__name__ = call.__qualname__ = handler
    return call


def _unless_settled_by_stamp(module: str, handler: str) -> Callable[..., Any]:
    """A handler of the full settling, skipped (its module not even loaded) when the
    stamp settled the build: nothing was computed, so nothing is withdrawn or saved."""
    found = _on(module, handler)

    def call(app: Sphinx, *args: Any) -> Any:
        if not import_module("sphinx_xenabi.results.account").settled_by_stamp(app):
            return found(app, *args)
        return None

    call.__name__ = call.__qualname__ = handler
    return call


def _if_loaded(module: str, handler: str) -> Callable[..., None]:
    """A ``build-finished`` handler that stops what its module started: none if never loaded."""

    def call(*args: Any) -> None:
        loaded = sys.modules.get(f"sphinx_xenabi.{module}")
        if loaded is not None:
            getattr(loaded, handler)(*args)

    call.__name__ = call.__qualname__ = handler
    return call


# Priorities within an event (Sphinx's default is 500).
AFTER_TABLES = 600  # hypercall anchors: after read_tables has kept the page's tables
AFTER_ANCHORS = 650  # register pictures: after the page's tables and anchors
LAST = 900  # a document's content key: after everything that writes to the domain
AFTER_RESULT = 600  # relinking: after the result and the evidence it adds


def setup(app: Sphinx) -> ExtensionMetadata:
    # Registration: configuration, the domain (objects, role, index) and the markup.
    add_config_values(app)
    app.add_domain(XenAbiDomain)
    add_markup(app)
    # The handlers, phase by phase, in the order the build runs them.
    connect_before_reading(app)
    connect_reading(app)
    connect_after_reading(app)
    connect_writing(app)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }


def connect_before_reading(app: Sphinx) -> None:
    # 1. Configuration read (config-inited).
    app.connect("config-inited", _on("results.release", "check_release_setting"))
    app.connect("config-inited", _on("domain.index", "add_html_assets"))
    app.connect("config-inited", _on("directives.abi_history", "resolve_history_sources"))
    app.connect("config-inited", _on("results.doctest_namespace", "prepend_doctest_preamble"))
    # 2. Builder ready (builder-inited): whether the last build's stamp still
    #    holds (then no worker starts).
    app.connect("builder-inited", _on("results.warning_watch", "watch_warnings"))
    app.connect("builder-inited", _on("results.unchanged_rebuild", "check_stamp"))
    app.connect(
        "builder-inited", _unless_stamp_may_settle("results.early_reading", "start_early_reading")
    )
    app.connect(
        "builder-inited", _unless_stamp_may_settle("results.row_worker", "start_row_worker")
    )
    app.connect("builder-inited", _on("extraction.located_entries", "start_stamping_entries"))
    app.connect("builder-inited", _on("domain.index_templates", "keep_compiled_index_templates"))


def connect_reading(app: Sphinx) -> None:
    # 3. Reading: whether any document is read or removed at all (then the
    #    stamp settles the build only if the result key is the stamped one);
    #    then per document (doctree-read): tables into the domain, then the
    #    numbers rows become hypercall objects, and the links to them are noted;
    #    requirement items become objects too; register pictures are drawn; last,
    #    what the document put into the domain is digested, for reusing the result.
    app.connect("env-before-read-docs", _on("domain.kept_views", "note_documents_to_read"))
    app.connect("env-purge-doc", _on("results.unchanged_rebuild", "note_removed"))
    app.connect("env-before-read-docs", _on("results.unchanged_rebuild", "note_documents"))
    app.connect("doctree-read", _on("domain.xenabi", "read_tables"))
    app.connect("doctree-read", _on("domain.requirement_sections", "read_requirements"))
    app.connect("doctree-read", _on("results.relinking", "note_references"))
    app.connect(
        "doctree-read",
        _on_pages_with("tables", "domain.anchors", "declare_hypercalls"),
        priority=AFTER_TABLES,
    )
    app.connect(
        "doctree-read", _on("directives.pictures", "draw_register_pictures"), priority=AFTER_ANCHORS
    )
    app.connect("doctree-read", _on("results.result_key", "note_content_key"), priority=LAST)


def connect_after_reading(app: Sphinx) -> None:
    # 4. After reading (env-updated): the stamped result when the stamp held and
    #    the result key is its own; otherwise pages are written next, so the old published
    #    files go first, then the build's one result (reused when its inputs are
    #    unchanged). Then the pages to write again (those the new result
    #    changes, and those a build cut short did not write); the domain's views,
    #    kept in the environment; the conflicts.
    app.connect("env-updated", _on("results.unchanged_rebuild", "settle_unchanged"))
    app.connect("env-updated", _unless_settled_by_stamp("results.publishing", "withdraw_published"))
    app.connect("env-updated", _unless_settled_by_stamp("results.settling", "settle_result"))
    app.connect(
        "env-updated", _pages_for_new_result("results.evidence_column", "pages_with_new_evidence")
    )
    app.connect(
        "env-updated",
        _pages_for_new_result("results.requirement_status", "pages_with_new_verdicts"),
    )
    app.connect(
        "env-updated", _about_written_pages("results.pages_to_write", "pages_left_unwritten")
    )
    app.connect("env-updated", _on("domain.kept_views", "keep_views"))
    app.connect("env-updated", _on("domain.xenabi", "warn_hypercall_conflicts"))
    app.connect(
        "env-updated",
        _pages_for_new_result("results.relinking", "relinked_documents"),
        priority=AFTER_RESULT,
    )


def connect_writing(app: Sphinx) -> None:
    # 5. Resolving and writing, per page.
    app.connect("warn-missing-reference", _on("domain.role", "warn_unknown_hypercall"))
    app.connect("warn-missing-reference", _on("domain.requirements", "warn_unknown_requirement"))
    app.connect(
        "doctree-resolved",
        _on_pages_with("tables", "results.evidence_column", "on_doctree_resolved"),
    )
    app.connect(
        "doctree-resolved",
        _on_pages_with("requirements", "results.requirement_status", "render_requirements"),
    )
    # Every resolved doctree, not only the pages with numbers rows: latex,
    # texinfo and man resolve one doctree per output file, their pages inlined.
    app.connect("doctree-resolved", _on("domain.breakable_names", "plain_names"))
    app.connect("html-page-context", _on("domain.index", "on_html_page_context"))
    # 6. Finished (build-finished): publish the JSON files if the build succeeded;
    #    keep the facts computed since env-updated and leave the stamp; stop workers.
    app.connect("build-finished", _on("results.publishing", "publish_results"))
    app.connect("build-finished", _unless_settled_by_stamp("results.settling", "save_facts"))
    app.connect("build-finished", _on("results.unchanged_rebuild", "finish_stamp"))
    app.connect("build-finished", _about_written_pages("results.pages_to_write", "pages_written"))
    app.connect("build-finished", _if_loaded("results.early_reading", "stop_early_reading"))
    app.connect("build-finished", _if_loaded("results.row_worker", "stop_row_worker"))
    app.connect("build-finished", _on("extraction.located_entries", "stop_stamping_entries"))
