"""Cell location: a docutils table's rows and cells, each cell's text and line.

The paragraphs inside cells carry their line; in a Sphinx build the entries
do too, and a MyST pipe table's rows (``extraction/located_entries.py``).
This module knows docutils nodes only, not what a table means.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes

from sphinx_xenabi.model.location import Location

_SKIPPED_INLINE = (nodes.footnote_reference, nodes.citation_reference, nodes.system_message)


def cell_text(entry: nodes.Element) -> str:
    """The entry's text without footnote/citation references, spaces collapsed."""
    # Almost every cell is one paragraph of plain text: no walk needed.
    if len(entry.children) == 1:
        only = entry.children[0]
        if type(only) is nodes.paragraph and all(type(c) is nodes.Text for c in only.children):
            return " ".join(only.astext().split())
    parts: list[str] = []

    def walk(node: nodes.Node) -> None:
        if isinstance(node, _SKIPPED_INLINE):
            return
        if isinstance(node, nodes.Text):
            parts.append(node.astext())
            return
        if isinstance(node, nodes.Element):
            if isinstance(node, nodes.paragraph) and parts:
                parts.append(" ")
            for child in node.children:
                walk(child)

    walk(entry)
    return " ".join("".join(parts).split())


@dataclass(frozen=True)
class RawCell:
    text: str
    location: Location
    span: bool  # a cell spanning columns or rows breaks the table's grid


def located_text(node: nodes.Element) -> nodes.TextElement | None:
    """The first text element inside ``node`` that carries a line: where a cell stands."""
    # A cell's paragraph is almost always its first child: avoid a tree walk.
    first = node.children[0] if node.children else None
    if isinstance(first, nodes.TextElement) and first.line:
        return first
    return next((c for c in node.findall(nodes.TextElement) if c.line), None)


class Locator:
    """Turns node sources into paths relative to the docs, lines into Locations.

    The paragraphs inside cells carry their line; in a Sphinx build the
    entries do too (``extraction/located_entries.py``), which is where an empty cell is
    found. Without either (docutils alone, outside a build) a cell borrows
    the line after the previous cell, where an empty list-table item usually
    stands.
    """

    def __init__(self, default_file: str, relativise: Callable[[str], str]) -> None:
        self.default_file = default_file
        self.relativise = relativise
        self.last = Location(default_file, 0)

    def locate(self, node: nodes.Element) -> Location | None:
        found = located_text(node)
        if found is None:
            return None
        source = found.source or node.source
        file = self.relativise(source) if source else self.default_file
        self.last = Location(file, found.line)
        return self.last

    def own_line(self, entry: nodes.Element) -> Location | None:
        if not entry.line:
            return None
        file = self.relativise(entry.source) if entry.source else self.default_file
        return Location(file, entry.line)

    def cell(self, entry: nodes.Element) -> RawCell:
        location = (
            self.locate(entry)
            or self.own_line(entry)
            or Location(self.last.file, self.last.line + 1)
        )
        self.last = location
        span = bool(entry.get("morecols") or entry.get("morerows"))
        return RawCell(cell_text(entry), location, span)


def table_rows(table: nodes.table) -> tuple[list[nodes.row], list[nodes.row]]:
    tgroups = [c for c in table.children if isinstance(c, nodes.tgroup)]
    if len(tgroups) != 1:
        return [], []
    head: list[nodes.row] = []
    body: list[nodes.row] = []
    for part in tgroups[0].children:
        if isinstance(part, nodes.thead):
            head.extend(r for r in part.children if isinstance(r, nodes.row))
        elif isinstance(part, nodes.tbody):
            body.extend(r for r in part.children if isinstance(r, nodes.row))
    return head, body


def table_title(table: nodes.table) -> nodes.title | None:
    for child in table.children:
        if isinstance(child, nodes.title):
            return child
    return None


def entries(row: nodes.row) -> list[nodes.entry]:
    return [e for e in row.children if isinstance(e, nodes.entry)]


def relativiser(srcdir: Path) -> Callable[[str], str]:
    """Map node source paths to paths relative to the docs, once per file."""
    return _relativiser(os.fspath(srcdir))


@functools.lru_cache(maxsize=8)  # one per source directory, shared by every document
def _relativiser(root: str) -> Callable[[str], str]:
    @functools.lru_cache(maxsize=4096)
    def relativise(source: str) -> str:
        return Path(os.path.relpath(source, root)).as_posix()

    return relativise
