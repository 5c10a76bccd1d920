"""The Sphinx glue: the extension's handlers, connected in the order the build runs them.

:func:`setup` reads as the build's phases, top to bottom. Each handler lives
in the module of its concept; this module only wires them. Within one event,
Sphinx calls handlers by priority, then in the order connected here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx_xenabi._version import __version__
from sphinx_xenabi.config import add_config_values
from sphinx_xenabi.directives import pictures
from sphinx_xenabi.directives.abi_diff import AbiDiffDirective
from sphinx_xenabi.directives.abi_history import AbiHistoryDirective, resolve_history_sources
from sphinx_xenabi.directives.config_values import ConfigValuesDirective
from sphinx_xenabi.directives.details import add_details_node
from sphinx_xenabi.directives.diff_rules import DiffRulesDirective
from sphinx_xenabi.directives.drift_windows import DriftWindowsDirective
from sphinx_xenabi.directives.hypercall_page import HypercallPageDirective
from sphinx_xenabi.directives.verification import VerifiesDirective
from sphinx_xenabi.directives.warnings_table import WarningsDirective
from sphinx_xenabi.domain import anchors
from sphinx_xenabi.domain.index import add_html_assets, on_html_page_context
from sphinx_xenabi.domain.requirement_sections import read_requirements
from sphinx_xenabi.domain.requirements import warn_unknown_requirement
from sphinx_xenabi.domain.role import warn_unknown_hypercall
from sphinx_xenabi.domain.xenabi import XenAbiDomain, read_tables, warn_hypercall_conflicts
from sphinx_xenabi.extraction.located_entries import (
    LocatedCSVTable,
    LocatedListTable,
    start_stamping_entries,
    stop_stamping_entries,
)
from sphinx_xenabi.results import relinking
from sphinx_xenabi.results.build_result import settle_result
from sphinx_xenabi.results.doctest_namespace import prepend_doctest_preamble
from sphinx_xenabi.results.evidence_column import on_doctree_resolved, pages_with_new_evidence
from sphinx_xenabi.results.publishing import publish_results, watch_warnings, withdraw_published
from sphinx_xenabi.results.release import check_release_setting
from sphinx_xenabi.results.requirement_status import pages_with_new_verdicts, render_requirements

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
ENV_VERSION = 7


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
    add_details_node(app)
    # Table directives whose cells carry their lines (grid and simple tables: below).
    app.add_directive("csv-table", LocatedCSVTable, override=True)
    app.add_directive("list-table", LocatedListTable, override=True)


def setup(app: Sphinx) -> ExtensionMetadata:
    # Registration: configuration, the domain (objects, role, index) and the markup.
    add_config_values(app)
    app.add_domain(XenAbiDomain)
    add_markup(app)

    # 1. Configuration read (config-inited).
    app.connect("config-inited", check_release_setting)
    app.connect("config-inited", add_html_assets)
    app.connect("config-inited", resolve_history_sources)
    app.connect("config-inited", prepend_doctest_preamble)

    # 2. Builder ready (builder-inited).
    app.connect("builder-inited", watch_warnings)
    app.connect("builder-inited", start_stamping_entries)

    # 3. Reading, per document (doctree-read): tables into the domain, then the
    #    numbers rows become hypercall objects, and the links to them are noted;
    #    requirement items become objects too; register pictures are drawn.
    app.connect("doctree-read", read_tables)
    app.connect("doctree-read", read_requirements)
    app.connect("doctree-read", relinking.note_references)
    app.connect("doctree-read", anchors.declare_hypercalls, priority=anchors.PRIORITY)
    app.connect("doctree-read", pictures.draw_register_pictures, priority=pictures.PRIORITY)

    # 4. After reading (env-updated): pages are written next, so the old published
    #    files go first; then the build's one result; then the pages to write again.
    app.connect("env-updated", withdraw_published)
    app.connect("env-updated", settle_result)
    app.connect("env-updated", pages_with_new_evidence)
    app.connect("env-updated", pages_with_new_verdicts)
    app.connect("env-updated", warn_hypercall_conflicts)
    app.connect("env-updated", relinking.relinked_documents, priority=relinking.PRIORITY)

    # 5. Resolving and writing, per page.
    app.connect("warn-missing-reference", warn_unknown_hypercall)
    app.connect("warn-missing-reference", warn_unknown_requirement)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("doctree-resolved", render_requirements)
    app.connect("html-page-context", on_html_page_context)

    # 6. Finished (build-finished): publish the JSON files if the build succeeded.
    app.connect("build-finished", publish_results)
    app.connect("build-finished", stop_stamping_entries)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
