"""Turn docutils table nodes into registry records.

Tables are recognised by their header row alone, so reST and MyST (which
produce the same nodes), list-tables, grid tables and csv-tables are all read
the same way, wherever they stand. A table whose header matches a kind but
whose body is wrong yields one :class:`Problem` per fault; the good rows are
still recorded. Tables of no known kind are skipped without a word.

This module knows docutils nodes and the model's record types; it does not
know Sphinx, so it is also what the command line's ``extract`` runs.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docutils import nodes

from sphinx_xenabi.model.abi import REGISTERS, TransferGuest
from sphinx_xenabi.model.registry import (
    Cell,
    Location,
    NumberRow,
    RegisterRow,
    Row,
    TableKind,
    TableRecord,
    TransferRow,
)
from sphinx_xenabi.model.spec import (
    RELEASE_PART_MAX,
    GuestType,
    Release,
    ReleaseOverflowError,
    ReleaseRange,
)


@dataclass(frozen=True)
class Problem:
    """A located fault in a recognised table; ``subtype`` names its kind."""

    location: Location
    subtype: str
    message: str


@dataclass(frozen=True)
class Extraction:
    tables: tuple[TableRecord, ...]
    problems: tuple[Problem, ...]


# -- header schemas -------------------------------------------------------------

# At most four digits: int() refuses very long numbers, and no ABI has 10,000 parameters.
_PARAMETERS_HEADER = re.compile(
    r"^parameters\s*\(\s*1\s*[-\u2013\u2014]\s*0*([0-9]{1,4})\s*\)$", re.ASCII
)
_NUMBER_HEADERS = frozenset({"index", "#", "no.", "number", "hypercall number", "hypercall index"})
_NAME_HEADERS = frozenset({"name", "hypercall", "hypercall name"})
_YES = frozenset({"yes", "y", "true", "\u2713", "\u2714"})
_NO = frozenset({"no", "n", "false", "-", "\u2013", "\u2014", "\u2717"})

# Table titles state their releases as "Xen 4.13 to 4.16", "Xen 4.17+",
# "Xen 4.17 and later" or just "Xen 4.18".
_RANGE_BOUNDED = re.compile(
    r"\bXen\s+(\d+\.\d+)\s*(?:to|through|-|\u2013|\u2014)\s*(\d+\.\d+)", re.IGNORECASE | re.ASCII
)
_RANGE_OPEN = re.compile(
    r"\bXen\s+(\d+\.\d+)\s*(?:\+|and\s+later|or\s+later|and\s+newer|onwards)",
    re.IGNORECASE | re.ASCII,
)
_RANGE_SINGLE = re.compile(r"\bXen\s+(\d+\.\d+)\b", re.IGNORECASE | re.ASCII)


def normalise_header(text: str) -> str:
    return " ".join(text.split()).lower()


def releases_from_title(title: str) -> ReleaseRange | None:
    """The release range a table title states, if any.

    ValueError when it names a release that cannot be one (Xen 70000.99999).
    """
    if match := _RANGE_BOUNDED.search(title):
        return ReleaseRange(_title_release(match.group(1)), _title_release(match.group(2)))
    if match := _RANGE_OPEN.search(title):
        return ReleaseRange(_title_release(match.group(1)), None)
    if match := _RANGE_SINGLE.search(title):
        release = _title_release(match.group(1))
        return ReleaseRange(release, release)
    return None


def _title_release(text: str) -> Release:
    try:
        return Release.parse(text)
    except ReleaseOverflowError:
        raise ValueError(
            f"Xen {text}, which is not a Xen release (major and minor are at most "
            f"{RELEASE_PART_MAX})"
        ) from None


# -- cells ------------------------------------------------------------------------

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
class _RawCell:
    text: str
    location: Location
    span: bool  # a cell spanning columns or rows breaks the table's grid


class _Locator:
    """Turns node sources into paths relative to the docs, lines into Locations.

    The paragraphs inside cells carry their line; in a Sphinx build the
    entries do too (``located_tables.py``), which is where an empty cell is
    found. Without either (docutils alone) a cell borrows the line after the
    previous cell, where an empty list-table item usually stands.
    """

    def __init__(self, default_file: str, relativise: Callable[[str], str]) -> None:
        self.default_file = default_file
        self.relativise = relativise
        self.last = Location(default_file, 0)

    def locate(self, node: nodes.Element) -> Location | None:
        # A cell's paragraph is almost always its first child: avoid a tree walk.
        first = node.children[0] if node.children else None
        if isinstance(first, nodes.TextElement) and first.line:
            found: nodes.Element | None = first
        else:
            found = next((c for c in node.findall(nodes.TextElement) if c.line), None)
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

    def cell(self, entry: nodes.Element) -> _RawCell:
        location = (
            self.locate(entry)
            or self.own_line(entry)
            or Location(self.last.file, self.last.line + 1)
        )
        self.last = location
        span = bool(entry.get("morecols") or entry.get("morerows"))
        return _RawCell(cell_text(entry), location, span)


def _table_rows(table: nodes.table) -> tuple[list[nodes.row], list[nodes.row]]:
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


def _table_title(table: nodes.table) -> nodes.title | None:
    for child in table.children:
        if isinstance(child, nodes.title):
            return child
    return None


# -- kinds --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Schema:
    kind: TableKind
    parameter_count: int | None = None
    guest_columns: tuple[GuestType | None, ...] = ()


def match_header(texts: Sequence[str]) -> _Schema | None:
    """Which kind of table a header row (cell texts) announces, if any."""
    header = [normalise_header(t) for t in texts]
    if (
        len(header) == 4
        and header[0] == "abi"
        and header[1] == "hypercall index"
        and header[3] == "result"
    ):
        if match := _PARAMETERS_HEADER.match(header[2]):
            return _Schema(TableKind.REGISTERS, parameter_count=int(match.group(1)))
    if header == ["guest", "transfer instruction"]:
        return _Schema(TableKind.TRANSFER)
    if len(header) >= 2 and header[0] in _NUMBER_HEADERS and header[1] in _NAME_HEADERS:
        columns: list[GuestType | None] = []
        for text in header[2:]:
            try:
                columns.append(GuestType.parse(text))
            except ValueError:
                columns.append(None)
        return _Schema(TableKind.NUMBERS, guest_columns=tuple(columns))
    return None


class _TableReader:
    """Reads the body of one recognised table, collecting problems.

    ``guest_columns`` are the numbers table's availability columns as read:
    None for a column that is ignored (already reported at its header).
    """

    def __init__(
        self,
        schema: _Schema,
        header: list[_RawCell],
        problems: list[Problem],
        guest_columns: tuple[GuestType | None, ...] = (),
    ) -> None:
        self.schema = schema
        self.header = header
        self.problems = problems
        self.guest_columns = guest_columns
        self.ignored = frozenset(2 + i for i, guest in enumerate(guest_columns) if guest is None)
        self.seen: dict[Any, Location] = {}

    def report(self, location: Location, subtype: str, message: str) -> None:
        self.problems.append(Problem(location, subtype, message))

    def check_row_shape(
        self, cells: list[_RawCell], row_location: Location
    ) -> list[_RawCell] | None:
        """The row's cells, one per header column, or None (reported) when it cannot be read.

        Empty cells past the last column are no cells at all: docutils pads a
        csv-table's short records, header included, to its longest record.
        """
        width = len(self.header)
        written = list(cells)
        while len(written) > width and not written[-1].text:
            written.pop()
        spans = [c for c in written if c.span]
        if len(written) != width or spans:
            extra = written[width:]
            location = extra[0].location if extra else spans[0].location if spans else row_location
            self.report(
                location,
                "ragged-row",
                f"{self.schema.kind.value} table row has {len(written)} cells "
                f"(expected {width}: {' | '.join(h.text for h in self.header)}); row skipped",
            )
            return None
        ok = True
        for column, (cell, head) in enumerate(zip(written, self.header)):
            if not cell.text and column not in self.ignored:
                self.report(cell.location, "empty-cell", f"empty {head.text!r} cell; row skipped")
                ok = False
        return written if ok else None

    def check_duplicate(self, key: Any, what: str, location: Location) -> bool:
        if key in self.seen:
            first = self.seen[key]
            self.report(
                location,
                "duplicate-row",
                f"duplicate {what} (first given at line {first.line}); row skipped",
            )
            return False
        self.seen[key] = location
        return True

    def read(self, cells: list[_RawCell]) -> Row | None:
        if self.schema.kind is TableKind.REGISTERS:
            return self.read_registers(cells)
        if self.schema.kind is TableKind.TRANSFER:
            return self.read_transfer(cells)
        return self.read_number(cells)

    def read_registers(self, cells: list[_RawCell]) -> RegisterRow | None:
        abi_cell, index_cell, params_cell, result_cell = cells
        abi = abi_cell.text.lower().replace(" ", "").replace("-", "")
        if abi not in REGISTERS:
            self.report(
                abi_cell.location,
                "unknown-abi",
                f"ABI {abi_cell.text!r} is not one of {', '.join(sorted(REGISTERS))}; row skipped",
            )
            return None
        valid = REGISTERS[abi]
        parameters = tuple(params_cell.text.upper().split())
        ok = True
        for cell, names, role in (
            (index_cell, (index_cell.text.upper(),), "hypercall index"),
            (params_cell, parameters, "parameter"),
            (result_cell, (result_cell.text.upper(),), "result"),
        ):
            for name in names:
                if name not in valid:
                    self.report(
                        cell.location,
                        "bad-register",
                        f"{abi} {role} register {name!r} is not a {abi[:2]}-bit x86 "
                        f"general purpose register ({' '.join(sorted(valid))}); row skipped",
                    )
                    ok = False
        # Only a valid row claims its ABI: a corrected row after a bad one is no duplicate.
        if not ok or not self.check_duplicate(("abi", abi), f"ABI {abi}", abi_cell.location):
            return None
        expected = self.schema.parameter_count
        if expected is not None and len(parameters) != expected:
            self.report(
                params_cell.location,
                "parameter-count",
                f"{abi} row names {len(parameters)} parameter registers "
                f"({' '.join(parameters)}); the header announces {expected}",
            )
        return RegisterRow(
            Cell(abi, abi_cell.location),
            Cell(index_cell.text.upper(), index_cell.location),
            Cell(parameters, params_cell.location),
            Cell(result_cell.text.upper(), result_cell.location),
        )

    def read_transfer(self, cells: list[_RawCell]) -> TransferRow | None:
        guest_cell, instruction_cell = cells
        try:
            guest = TransferGuest.parse(guest_cell.text)
        except ValueError as exc:
            self.report(guest_cell.location, "unknown-guest", f"{exc}; row skipped")
            return None
        if not self.check_duplicate(
            ("guest", guest), f"guest {guest.value!r}", guest_cell.location
        ):
            return None
        return TransferRow(
            Cell(guest.value, guest_cell.location),
            Cell(instruction_cell.text, instruction_cell.location),
        )

    def read_number(self, cells: list[_RawCell]) -> NumberRow | None:
        number_cell, name_cell, *availability_cells = cells
        text = number_cell.text
        number = parse_number(text)
        if number is None:
            self.report(
                number_cell.location,
                "bad-number",
                f"hypercall number {text!r} is not a non-negative integer of at most 64 bits "
                "(decimal or 0x hex); row skipped",
            )
            return None
        if not self.check_duplicate(
            ("number", number), f"hypercall number {number}", number_cell.location
        ):
            return None
        if not self.check_duplicate(
            ("name", name_cell.text), f"hypercall name {name_cell.text!r}", name_cell.location
        ):
            return None
        availability: dict[GuestType, Cell[bool]] = {}
        for guest, cell in zip(self.guest_columns, availability_cells):
            if guest is None:
                continue  # the header column was already reported
            value = cell.text.lower()
            if value in _YES:
                availability[guest] = Cell(True, cell.location)
            elif value in _NO:
                availability[guest] = Cell(False, cell.location)
            else:
                self.report(
                    cell.location,
                    "bad-availability",
                    f"{guest.label} availability of {name_cell.text} is {cell.text!r} "
                    "(expected yes or no); cell ignored",
                )
        return NumberRow(
            Cell(number, number_cell.location),
            Cell(name_cell.text, name_cell.location),
            availability,
        )


# ASCII decimal or 0x hex only: int(text, 0) would also take "1_7", "0b10"
# and full-width digits, none of which a reader would call a hypercall number.
# At most 64 bits, what the index register holds (and int() refuses 4,300 digits).
_NUMBER = re.compile(r"0[xX]0*[0-9a-fA-F]{1,16}|0|[1-9][0-9]{0,19}")
_NUMBER_LIMIT = 1 << 64


def parse_number(text: str) -> int | None:
    """A numbers-table index cell as an integer, or None if it is not one."""
    if not _NUMBER.fullmatch(text):
        return None
    number = int(text, 0)
    return number if number < _NUMBER_LIMIT else None


def relativiser(srcdir: Path) -> Callable[[str], str]:
    """Map node source paths to paths relative to the docs, once per file."""
    return _relativiser(os.fspath(srcdir))


@functools.lru_cache(maxsize=8)  # one per source directory, shared by every document
def _relativiser(root: str) -> Callable[[str], str]:
    @functools.lru_cache(maxsize=4096)
    def relativise(source: str) -> str:
        return Path(os.path.relpath(source, root)).as_posix()

    return relativise


def find_tables(doctree: nodes.Node) -> list[nodes.table]:
    """Every table in document order, nested ones after their parent.

    The same as ``doctree.findall(nodes.table)``, in half the time on a
    typical page: text elements (paragraphs, titles, literal blocks ...) hold
    only inline markup in the docutils model, never a table, so the walk
    does not descend into them, and most of a page's nodes are inline.
    """
    found: list[nodes.table] = []
    stack: list[nodes.Node] = [doctree]
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.table):
            found.append(node)
        elif isinstance(node, (nodes.TextElement, nodes.Text)):
            continue
        stack.extend(reversed(node.children))
    return found


def extract_tables(
    doctree: nodes.document,
    docname: str,
    default_file: str,
    relativise: Callable[[str], str],
) -> Extraction:
    """Records and problems for every recognised table in ``doctree``.

    ``default_file`` is the document's source relative to the docs directory;
    ``relativise`` maps a node's source path to the same form (included files
    keep their own path).
    """
    tables: list[TableRecord] = []
    problems: list[Problem] = []
    for table in find_tables(doctree):
        record = _read_table(table, docname, default_file, relativise, problems)
        if record is not None:
            tables.append(record)
    return Extraction(tuple(tables), tuple(problems))


@dataclass
class _RawTable:
    """A recognised table's cells with their locations, before validation."""

    schema: _Schema
    title: str
    location: Location
    header: list[_RawCell]
    body: list[list[_RawCell]]
    body_rows: list[nodes.row]
    fallback: Location


def _entries(row: nodes.row) -> list[nodes.entry]:
    return [e for e in row.children if isinstance(e, nodes.entry)]


def _named_columns(texts: list[str]) -> list[str]:
    """The header without its trailing empty cells: they name no column.

    docutils pads a csv-table's header to its longest record, and a trailing
    comma writes one; the body cells under them are checked to be empty.
    """
    named = list(texts)
    while named and not named[-1]:
        named.pop()
    return named


def _raw_table(
    table: nodes.table, default_file: str, relativise: Callable[[str], str]
) -> _RawTable | None:
    head, body = _table_rows(table)
    if len(head) != 1:
        return None
    # Most tables are of no known kind: decide from the header text alone first.
    if match_header(_named_columns([cell_text(e) for e in _entries(head[0])])) is None:
        return None
    locator = _Locator(default_file, relativise)
    title_node = _table_title(table)
    title_location = locator.locate(title_node) if title_node is not None else None
    header = [locator.cell(e) for e in _entries(head[0])]
    header = header[: len(_named_columns([h.text for h in header]))]
    schema = match_header([h.text for h in header])
    if schema is None:
        return None
    body_cells = [[locator.cell(e) for e in _entries(row)] for row in body]
    if _is_pipe_table(table, head, body):
        header, body_cells = _one_row_per_line(table, header, body_cells)
    return _RawTable(
        schema=schema,
        title=cell_text(title_node) if title_node is not None else "",
        location=title_location or header[0].location,
        header=header,
        body=body_cells,
        body_rows=body,
        fallback=locator.last,
    )


def _is_pipe_table(table: nodes.table, head: list[nodes.row], body: list[nodes.row]) -> bool:
    """Whether myst-parser built this table from a Markdown pipe table.

    It gives every node a line, rows included; docutils' tables (reST, and
    the list-table and csv-table directives in MyST too) give rows none.
    """
    return bool(table.line) and all(row.line for row in (*head, *body))


def _one_row_per_line(
    table: nodes.table, header: list[_RawCell], body: list[list[_RawCell]]
) -> tuple[list[_RawCell], list[list[_RawCell]]]:
    """Locate a pipe table's cells on their rows' lines.

    myst-parser gives a cell the line of the last inline markup it saw, so
    most cells get the table's first line. A pipe table is one row per
    line: the header on the table's line, the delimiter row, then the body
    rows, so body row ``i`` stands at the table's line + 2 + i.
    """
    file, first = header[0].location.file, table.line

    def moved(row: list[_RawCell], line: int) -> list[_RawCell]:
        return [_RawCell(c.text, Location(file, line), c.span) for c in row]

    return moved(header, first), [moved(row, first + 2 + i) for i, row in enumerate(body)]


# Recognised tables carry their kind and each body row its record location as
# node attributes, stamped while reading and pickled with the doctree, so a
# renderer can match rows to the registry without parsing the table again.
KIND_ATTRIBUTE = "xenabi_kind"
ROW_ATTRIBUTE = "xenabi_row"


def stamped_rows(table: nodes.table) -> tuple[TableKind, list[tuple[nodes.row, Location]]] | None:
    """A recognised table's kind and its body rows with the locations stamped when read."""
    kind = table.get(KIND_ATTRIBUTE)
    if kind is None:
        return None
    _, body = _table_rows(table)
    rows: list[tuple[nodes.row, Location]] = []
    for row in body:
        if ROW_ATTRIBUTE in row:
            file, _, line = row[ROW_ATTRIBUTE].rpartition(":")
            rows.append((row, Location(file, int(line))))
    return TableKind(kind), rows


def _read_table(
    table: nodes.table,
    docname: str,
    default_file: str,
    relativise: Callable[[str], str],
    problems: list[Problem],
) -> TableRecord | None:
    raw = _raw_table(table, default_file, relativise)
    if raw is None:
        return None
    schema, header = raw.schema, raw.header
    reader = _TableReader(schema, header, problems, _guest_columns(raw, problems))
    table[KIND_ATTRIBUTE] = schema.kind.value
    rows: list[Row] = []
    for row_node, cells in zip(raw.body_rows, raw.body):
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
        footnotes=cited_footnotes(table, _Locator(default_file, relativise)),
    )


def cited_footnotes(table: nodes.table, locator: _Locator) -> tuple[Cell[str], ...]:
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


def _guest_columns(raw: _RawTable, problems: list[Problem]) -> tuple[GuestType | None, ...]:
    """A numbers table's availability columns as read; None, reported, for one ignored."""
    columns: list[GuestType | None] = []
    first: dict[GuestType, Location] = {}
    for position, (head, guest) in enumerate(zip(raw.header[2:], raw.schema.guest_columns), 3):
        if not head.text:
            problem = ("empty-cell", f"empty header cell (column {position}); column ignored")
        elif guest is None:
            problem = (
                "unknown-guest",
                f"numbers table column {head.text!r} is not a guest type "
                f"(expected {', '.join(g.label for g in GuestType)}); column ignored",
            )
        elif guest in first:
            problem = (
                "duplicate-column",
                f"numbers table column {head.text!r} repeats the {guest.label} column "
                f"(first given at line {first[guest].line}); column ignored",
            )
        else:
            first[guest] = head.location
            columns.append(guest)
            continue
        problems.append(Problem(head.location, *problem))
        columns.append(None)
    return tuple(columns)


def _stated_releases(raw: _RawTable, reader: _TableReader) -> ReleaseRange | None:
    """The release range the title states, or None (reported) when it cannot be meant."""
    ignored = "the range is ignored and the table describes the documented release"
    try:
        releases = releases_from_title(raw.title)
    except ValueError as exc:
        reader.report(raw.location, "release-range", f"table title states {exc}; {ignored}")
        return None
    if releases is not None and releases.last is not None and releases.last < releases.first:
        reader.report(
            raw.location,
            "release-range",
            f"table title states {releases}, a range that ends before it starts; {ignored}",
        )
        return None
    return releases


def iter_cells(record: TableRecord) -> Iterator[Cell[Any]]:
    """Every body cell of a record, in row order (used by tests and the gate)."""
    for row in record.rows:
        if isinstance(row, RegisterRow):
            yield row.abi
            yield row.index
            yield row.parameters
            yield row.result
        elif isinstance(row, TransferRow):
            yield row.guest
            yield row.instruction
        else:
            yield row.number
            yield row.name
            yield from row.availability.values()
