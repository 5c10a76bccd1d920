"""The executed tables' evidence in the page: a mark per row and what each row showed.

After reading, every registers and transfer row runs as machine code on the
emulated CPU (``emulator/row_execution.py``), as part of the build's result
(``results/build_result.py``). A failing row is reported at its cell like drift (an
error by default). When writing, each executed table gets a narrow
"Executed" column with a pass or fail mark per row (classes ``xenabi-pass``,
``xenabi-fail``), and under the table one line per row saying what ran and
what arrived, so the evidence wraps like prose in any theme (``xenabi.css``);
the hypercalls a line names link to their numbers-table rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from docutils import nodes

from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.extraction.table import stamped_rows
from sphinx_xenabi.extraction.table_walk import find_tables
from sphinx_xenabi.model.content_key import value_digest
from sphinx_xenabi.model.records import row_key
from sphinx_xenabi.model.row_outcome import EXECUTED_KINDS, MARKS
from sphinx_xenabi.results.assembled_pages import pages_in
from sphinx_xenabi.results.state import build_state, executes

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    from sphinx_xenabi.model.location import Location
    from sphinx_xenabi.model.records import TableRecord
    from sphinx_xenabi.model.row_outcome import RowOutcome
    from sphinx_xenabi.model.spec import Release

EVIDENCE_HEADER = "Executed"


# A hypercall's name and a node to show for it -> a link to it, or None.
Linker = Callable[[str, nodes.Node], nodes.Node | None]

SKIPPED_TEXT = "not executed: the row was skipped (see the build's warnings)"


def _mark(state: str) -> str:
    """``✔ pass``: the state's mark and its name (also the row's class)."""
    return f"{MARKS[state]} {state}"


def _unique_id(document: nodes.document, base: str) -> str:
    """``base``, or ``base-2`` ... when an included file put a row on the same line."""
    candidate, number = base, 1
    while candidate in document.ids:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _mark_entry(state: str, target: str) -> nodes.entry:
    """The row's mark, a link to its evidence line under the table."""
    link = nodes.reference("", _mark(state), internal=True, refid=target)
    return nodes.entry("", nodes.paragraph("", "", link), classes=["xenabi-mark"])


def _linked_text(text: str, hypercalls: tuple[str, ...], link: Linker | None) -> list[nodes.Node]:
    """``text`` with each hypercall the row ran, where named, as a link."""
    if link is None or not hypercalls:
        return [nodes.Text(text)]
    names = re.compile(r"\b(" + "|".join(map(re.escape, hypercalls)) + r")\b")
    parts: list[nodes.Node] = []
    for position, part in enumerate(names.split(text)):
        if position % 2 == 0:  # the text between names
            if part:
                parts.append(nodes.Text(part))
            continue
        shown = nodes.Text(part)  # plain text, as the rest of the line
        parts.append(link(part, shown) or shown)
    return parts


def _evidence_item(
    state: str,
    label: str,
    text: str,
    target: str,
    hypercalls: tuple[str, ...] = (),
    link: Linker | None = None,
) -> nodes.list_item:
    paragraph = nodes.paragraph()
    paragraph += nodes.strong("", _mark(state), classes=["xenabi-mark"])
    paragraph += nodes.Text(" ")
    text = text.removeprefix("executed: ")  # the list's caption says so
    if not text.startswith(f"{label} "):  # transfer evidence names its row already
        paragraph += nodes.strong("", label)
        text = f": {text}"
    paragraph.extend(_linked_text(text, hypercalls, link))
    return nodes.list_item("", paragraph, ids=[target], classes=[f"xenabi-{state}"])


def add_evidence_column(
    document: nodes.document,
    table: nodes.table,
    rows: list[tuple[nodes.row, Location]],
    outcomes: Mapping[Location, RowOutcome],
    link: Linker | None = None,
    ran_as: str = "",
) -> None:
    """Mark each row of one executed table and put its evidence under the table;
    ``ran_as`` names the release whose model the rows ran against."""
    group = next(c for c in table.children if isinstance(c, nodes.tgroup))
    colspecs = [c for c in group.children if isinstance(c, nodes.colspec)]
    widths = [c.get("colwidth", 1) for c in colspecs]
    spec = nodes.colspec(colwidth=max(min(widths), 1))  # the mark is a word
    group.insert(group.index(colspecs[-1]) + 1, spec)
    group["cols"] = len(colspecs) + 1
    head = next(c for c in group.children if isinstance(c, nodes.thead))
    for head_row in head.children:
        head_row += nodes.entry("", nodes.paragraph("", EVIDENCE_HEADER))
    evidence = nodes.bullet_list(classes=["xenabi-evidence"])
    for row, location in rows:
        outcome = outcomes.get(location)
        hypercalls: tuple[str, ...] = ()
        if outcome is None:
            state, text = "skipped", SKIPPED_TEXT
        else:
            state, text = outcome.state, outcome.summary
            hypercalls = outcome.hypercalls
        target = _unique_id(document, f"xenabi-evidence-{location.line}")
        label = row.children[0].astext() if row.children else ""
        row["classes"].append(f"xenabi-{state}")
        row += _mark_entry(state, target)
        item = _evidence_item(state, label, text, target, hypercalls, link)
        document.ids[target] = item
        evidence += item
    table["classes"].append("xenabi-executed")
    parent = table.parent
    caption = nodes.paragraph(
        "",
        f"Executed on the emulated CPU{', ' + ran_as if ran_as else ''}:",
        classes=["xenabi-evidence-caption"],
    )
    parent.insert(
        parent.index(table) + 1, nodes.container("", caption, evidence, classes=["xenabi-evidence"])
    )


def on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: the evidence under each executed table of the page (or of
    every page the doctree inlines)."""
    domain = xenabi_domain(app.env)
    pages = pages_in(app.builder, doctree, docname)
    tables = [table for page in pages for table in domain.tables.get(page, ())]
    if not any(t.kind in EXECUTED_KINDS for t in tables):
        return  # most pages: nothing to render, the result is not even loaded
    state = build_state(app)
    if state is None or not state.outcomes or not executes(app):
        return

    def link(name: str, shown: nodes.Node) -> nodes.Node | None:
        return domain.hypercall_link(app.builder, docname, name, shown)

    for table in find_tables(doctree):
        stamped = stamped_rows(table)
        if stamped is not None and stamped[0] in EXECUTED_KINDS:
            ran_as = _ran_as(tables, stamped[1], state.release)
            add_evidence_column(doctree, table, stamped[1], state.outcomes, link, ran_as)


def _ran_as(
    tables: Iterable[TableRecord], rows: list[tuple[nodes.row, Location]], default: Release
) -> str:
    """Which release's model a table's rows ran against, as the evidence caption says it:
    the table's first release when it states a range (as the emulator runs it), else the
    release the docs describe."""
    keys = {location for _row, location in rows}
    record = next((t for t in tables if any(row_key(r) in keys for r in t.rows)), None)
    if record is None or record.releases is None:
        return f"against the model of Xen {default}"
    releases = record.releases
    if releases.last == releases.first:
        return f"against the model of Xen {releases.first}"
    return f"against the model of Xen {releases.first} (the first of {releases})"


def pages_with_new_evidence(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``: the pages to write again because their rows ran differently."""
    result = build_state(app)
    if result is None or not executes(app):
        return []
    return evidence_changed(env, result.outcomes)


def evidence_changed(env: BuildEnvironment, outcomes: Mapping[Location, RowOutcome]) -> list[str]:
    """Documents whose executed tables now show other evidence than last build.

    Evidence depends on other pages too (the numbers table decides which
    hypercall the probe uses), so an unchanged page may need writing again;
    returned from ``env-updated``, they are rewritten without being re-read.
    """
    domain = xenabi_domain(env)
    # Digests, not the texts: the environment keeps them, and is loaded by every build.
    current = {
        docname: value_digest(tuple(o.text for o in shown))
        for docname, shown in outcomes_by_document(env, outcomes).items()
    }
    previous: dict[str, str] = domain.data.get("evidence", {})
    domain.data["evidence"] = current
    return sorted(d for d in current if previous.get(d) != current[d])


def outcomes_by_document(
    env: BuildEnvironment, outcomes: Mapping[Location, RowOutcome]
) -> dict[str, list[RowOutcome]]:
    """The outcomes each document's executed tables show, in table order."""
    shown: dict[str, list[RowOutcome]] = {}
    for docname, tables in xenabi_domain(env).tables.items():
        found = [
            outcomes[loc]
            for table in tables
            if table.kind in EXECUTED_KINDS
            for loc in (row_key(row) for row in table.rows)
            if loc in outcomes
        ]
        if found:
            shown[docname] = found
    return shown
