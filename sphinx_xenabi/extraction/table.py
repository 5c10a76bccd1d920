"""Record building: a recognised docutils table as a :class:`TableRecord`.

The header's availability columns, the title's releases and the cited
footnotes are read here, each body row by :class:`TableReader`. Recognised
tables carry their kind and each body row its record location as node
attributes (the row stamps), so a renderer can match rows to the registry
without parsing the table again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from docutils import nodes

from sphinx_xenabi.extraction.cells import (
    Locator,
    RawCell,
    cell_text,
    entries,
    table_rows,
    table_title,
)
from sphinx_xenabi.extraction.kinds import Schema, match_header, named_columns, releases_from_title
from sphinx_xenabi.extraction.rows import TableReader
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.problems import Problem, WarningSubtype
from sphinx_xenabi.model.records import Cell, Row, TableKind, TableRecord
from sphinx_xenabi.model.spec import GuestType, ReleaseRange


@dataclass
class RawTable:
    """A recognised table's cells with their locations, before validation."""

    schema: Schema
    title: str
    location: Location
    header: list[RawCell]
    body: list[list[RawCell]]
    body_rows: list[nodes.row]
    fallback: Location


def raw_table(
    table: nodes.table, default_file: str, relativise: Callable[[str], str]
) -> RawTable | None:
    head, body = table_rows(table)
    if len(head) != 1:
        return None
    # Most tables are of no known kind: decide from the header text alone first.
    if match_header(named_columns([cell_text(e) for e in entries(head[0])])) is None:
        return None
    locator = Locator(default_file, relativise)
    title_node = table_title(table)
    title_location = locator.locate(title_node) if title_node is not None else None
    header = [locator.cell(e) for e in entries(head[0])]
    header = header[: len(named_columns([h.text for h in header]))]
    schema = match_header([h.text for h in header])
    if schema is None:
        return None
    body_cells = [[locator.cell(e) for e in entries(row)] for row in body]
    return RawTable(
        schema=schema,
        title=cell_text(title_node) if title_node is not None else "",
        location=title_location or header[0].location,
        header=header,
        body=body_cells,
        body_rows=body,
        fallback=locator.last,
    )


# The row stamps, pickled with the doctree.
KIND_ATTRIBUTE = "xenabi_kind"
ROW_ATTRIBUTE = "xenabi_row"


def stamped_rows(table: nodes.table) -> tuple[TableKind, list[tuple[nodes.row, Location]]] | None:
    """A recognised table's kind and its body rows with the locations stamped when read."""
    kind = table.get(KIND_ATTRIBUTE)
    if kind is None:
        return None
    _, body = table_rows(table)
    rows: list[tuple[nodes.row, Location]] = []
    for row in body:
        if ROW_ATTRIBUTE in row:
            file, _, line = row[ROW_ATTRIBUTE].rpartition(":")
            rows.append((row, Location(file, int(line))))
    return TableKind(kind), rows


def read_table(
    table: nodes.table,
    docname: str,
    default_file: str,
    relativise: Callable[[str], str],
    problems: list[Problem],
) -> TableRecord | None:
    raw = raw_table(table, default_file, relativise)
    if raw is None:
        return None
    schema, header = raw.schema, raw.header
    reader = TableReader(schema, header, problems, _guest_columns(raw, problems))
    table[KIND_ATTRIBUTE] = schema.kind.value
    rows: list[Row] = []
    for row_node, cells in zip(raw.body_rows, raw.body):
        # The first cell keys the row (model.records.row_key), read or skipped.
        row_location = cells[0].location if cells else raw.fallback
        row_node[ROW_ATTRIBUTE] = str(row_location)  # file:line, readable in XML output
        columns = reader.check_row_shape(cells, row_location)
        if columns is None:
            continue
        record = reader.read(columns)
        if record is not None:
            rows.append(record)
    return TableRecord(
        kind=schema.kind,
        docname=docname,
        guide=None,
        location=raw.location,
        title=raw.title,
        releases=_stated_releases(raw, reader),
        header=tuple(Cell(h.text, h.location) for h in header),
        rows=tuple(rows),
        parameter_count=schema.parameter_count,
        footnotes=cited_footnotes(table, Locator(default_file, relativise)),
    )


def cited_footnotes(table: nodes.table, locator: Locator) -> tuple[Cell[str], ...]:
    """The footnotes the table's cells cite, in citing order: their text and location."""
    document = table.document
    if document is None:
        return ()
    cited: dict[str, Cell[str]] = {}
    for reference in table.findall(nodes.footnote_reference):
        refid = reference.get("refid")
        footnote = document.ids.get(refid) if refid else None
        if not isinstance(footnote, nodes.footnote) or refid in cited:
            continue
        text = " ".join(
            " ".join(child.astext().split())
            for child in footnote.children
            if not isinstance(child, nodes.label)
        ).strip()
        location = locator.locate(footnote)
        if text and location is not None:
            cited[refid] = Cell(text, location)
    return tuple(cited.values())


def _guest_columns(raw: RawTable, problems: list[Problem]) -> tuple[GuestType | None, ...]:
    """A numbers table's availability columns as read; None, reported, for one ignored."""
    columns: list[GuestType | None] = []
    first: dict[GuestType, Location] = {}
    for position, (head, guest) in enumerate(zip(raw.header[2:], raw.schema.guest_columns), 3):
        if not head.text:
            problem = (
                WarningSubtype.EMPTY_CELL,
                f"empty header cell (column {position}); column ignored",
            )
        elif guest is None:
            problem = (
                WarningSubtype.UNKNOWN_GUEST,
                f"numbers table column {head.text!r} is not a guest type "
                f"(expected {', '.join(g.label for g in GuestType)}); column ignored",
            )
        elif guest in first:
            problem = (
                WarningSubtype.DUPLICATE_COLUMN,
                f"numbers table column {head.text!r} repeats the {guest.label} column "
                f"(first given at line {first[guest].line}); column ignored",
            )
        else:
            first[guest] = head.location
            columns.append(guest)
            continue
        subtype, message = problem
        problems.append(Problem(subtype, message, head.location))
        columns.append(None)
    return tuple(columns)


def _stated_releases(raw: RawTable, reader: TableReader) -> ReleaseRange | None:
    """The release range the title states, or None (reported) when it cannot be meant."""
    ignored = "the range is ignored and the table describes the documented release"
    try:
        releases = releases_from_title(raw.title)
    except ValueError as exc:
        reader.report(
            raw.location, WarningSubtype.RELEASE_RANGE, f"table title states {exc}; {ignored}"
        )
        return None
    if releases is not None and releases.last is not None and releases.last < releases.first:
        reader.report(
            raw.location,
            WarningSubtype.RELEASE_RANGE,
            f"table title states {releases}, a range that ends before it starts; {ignored}",
        )
        return None
    return releases
