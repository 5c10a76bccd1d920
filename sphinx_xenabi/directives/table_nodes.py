"""Building docutils tables cell by cell, for the directives that generate them."""

from __future__ import annotations

from collections.abc import Sequence

from docutils import nodes


def entry(text: str, *, literal: bool = False, morerows: int = 0) -> nodes.entry:
    """A cell holding one paragraph of ``text`` (as code when ``literal``)."""
    paragraph = nodes.paragraph()
    paragraph += nodes.literal(text, text) if literal else nodes.Text(text)
    cell = nodes.entry("", paragraph)
    if morerows:
        cell["morerows"] = morerows  # spans the next ``morerows`` rows
    return cell


def row(*entries: nodes.entry) -> nodes.row:
    line = nodes.row()
    line.extend(entries)
    return line


def table(
    title: str, header: Sequence[str], widths: Sequence[int], classes: Sequence[str]
) -> tuple[nodes.table, nodes.tbody]:
    """An empty titled table with a header row; fill the returned body."""
    node = nodes.table(classes=list(classes))
    node += nodes.title("", title)
    group = nodes.tgroup(cols=len(header))
    node += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += row(*(entry(text) for text in header))
    group += head
    body = nodes.tbody()
    group += body
    return node, body
