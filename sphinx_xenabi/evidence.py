"""Executed tables in the html build: run each row, report, show the evidence.

After reading, every registers and transfer row runs as machine code on the
emulated CPU (``execution.py``). A failing row is reported at its cell like
drift (an error by default). When writing, each executed table gets an
"Executed" column: a mark and one line saying what ran and what arrived,
the hypercalls it names linked to their numbers-table rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from docutils import nodes

from sphinx_xenabi.domain import xenabi_domain
from sphinx_xenabi.extraction import find_tables, stamped_rows
from sphinx_xenabi.messages import logger, report_failures
from sphinx_xenabi.model.registry import (
    Location,
    RegisterRow,
    Registry,
    Row,
    TableKind,
    TransferRow,
)
from sphinx_xenabi.model.spec import Release
from sphinx_xenabi.state import build_state

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    from sphinx_xenabi.execution import RowOutcome

EXECUTED_KINDS = (TableKind.REGISTERS, TableKind.TRANSFER)
EVIDENCE_HEADER = "Executed"


def executes(app: Sphinx) -> bool:
    """Tables run only in html builds, and only when configured to."""
    return bool(app.config.xenabi_execute_tables) and app.builder.format == "html"


def run_tables(
    app: Sphinx, registry: Registry, release: Release
) -> tuple[dict[Location, RowOutcome], bool]:
    """Execute the rows, report failures at their cells; the outcomes and whether to fail."""
    # Deferred: the emulator (Unicorn) is loaded only by builds that run tables.
    from sphinx_xenabi.execution import execute_registry

    outcomes = execute_registry(registry, release)
    failures = [
        ("execution", "; ".join(dict.fromkeys(o.details or (o.summary,))), o.location)
        for o in outcomes
        if not o.ok
    ]
    failed = report_failures(
        app, failures, f"{len(failures)} table row(s) failed when executed on the emulated CPU"
    )
    executed = sum(1 for o in outcomes if o.ok)
    logger.info("xenabi: executed %d of %d table rows on the emulated CPU", executed, len(outcomes))
    return {o.row: o for o in outcomes}, failed


# A hypercall's name and a node to show for it -> a link to it, or None.
Linker = Callable[[str, nodes.Node], nodes.Node | None]


def _entry(text: str, classes: list[str]) -> nodes.entry:
    return nodes.entry("", nodes.paragraph("", text, classes=classes))


def _linked_entry(outcome: RowOutcome, classes: list[str], link: Linker | None) -> nodes.entry:
    """The outcome's text with each hypercall it ran, where named, as a link."""
    if link is None or not outcome.hypercalls:
        return _entry(outcome.text, classes)
    names = re.compile(r"\b(" + "|".join(map(re.escape, outcome.hypercalls)) + r")\b")
    paragraph = nodes.paragraph("", "", classes=classes)
    for position, part in enumerate(names.split(outcome.text)):
        if position % 2 == 0:  # the text between names
            if part:
                paragraph += nodes.Text(part)
            continue
        shown = nodes.Text(part)  # plain text, as the rest of the line
        paragraph += link(part, shown) or shown
    return nodes.entry("", paragraph)


def add_evidence_column(
    table: nodes.table,
    rows: list[tuple[nodes.row, Location]],
    outcomes: dict[Location, RowOutcome],
    link: Linker | None = None,
) -> None:
    """Append the "Executed" column to one table of the doctree being written."""
    group = next(c for c in table.children if isinstance(c, nodes.tgroup))
    colspecs = [c for c in group.children if isinstance(c, nodes.colspec)]
    widths = [c.get("colwidth", 1) for c in colspecs]
    spec = nodes.colspec(colwidth=max(sum(widths), 1))  # as wide as the rest together
    group.insert(group.index(colspecs[-1]) + 1, spec)
    group["cols"] = len(colspecs) + 1
    head = next(c for c in group.children if isinstance(c, nodes.thead))
    for head_row in head.children:
        head_row += _entry(EVIDENCE_HEADER, [])
    for row, location in rows:
        outcome = outcomes.get(location)
        if outcome is None:
            row += _entry(
                "not executed: the row was skipped (see the build's warnings)",
                ["xenabi-evidence-skipped"],
            )
        else:
            state = "ok" if outcome.ok else "failed"
            row += _linked_entry(outcome, [f"xenabi-evidence-{state}"], link)
    table["classes"].append("xenabi-executed")


def on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    state = build_state(app)
    if state is None or not state.outcomes or not executes(app):
        return
    domain = xenabi_domain(app.env)
    tables = domain.tables.get(docname, ())
    if not any(t.kind in EXECUTED_KINDS for t in tables):
        return  # most pages: nothing to render, skip the tree walk

    def link(name: str, shown: nodes.Node) -> nodes.Node | None:
        return domain.hypercall_link(app.builder, docname, name, shown)

    for table in find_tables(doctree):
        stamped = stamped_rows(table)
        if stamped is not None and stamped[0] in EXECUTED_KINDS:
            add_evidence_column(table, stamped[1], state.outcomes, link)


def evidence_changed(env: BuildEnvironment, outcomes: dict[Location, RowOutcome]) -> list[str]:
    """Documents whose executed tables now show other evidence than last build.

    Evidence depends on other pages too (the numbers table decides which
    hypercall the probe uses), so an unchanged page may need writing again;
    returned from ``env-updated``, they are rewritten without being re-read.
    """
    domain = xenabi_domain(env)
    current = {
        docname: tuple(o.text for o in shown)
        for docname, shown in outcomes_by_document(env, outcomes).items()
    }
    previous: dict[str, tuple[str, ...]] = domain.data.get("evidence", {})
    domain.data["evidence"] = current
    return sorted(d for d in current if previous.get(d) != current[d])


def outcomes_by_document(
    env: BuildEnvironment, outcomes: dict[Location, RowOutcome]
) -> dict[str, list[RowOutcome]]:
    """The outcomes each document's executed tables show, in table order."""
    shown: dict[str, list[RowOutcome]] = {}
    for docname, tables in xenabi_domain(env).tables.items():
        found = [
            outcomes[loc]
            for table in tables
            if table.kind in EXECUTED_KINDS
            for loc in (row_location(row) for row in table.rows)
            if loc in outcomes
        ]
        if found:
            shown[docname] = found
    return shown


def row_location(row: Row) -> Location:
    """Where an executed row is keyed: its first cell, as stamped on the row node when read."""
    if isinstance(row, RegisterRow):
        return row.abi.location
    assert isinstance(row, TransferRow)
    return row.guest.location
