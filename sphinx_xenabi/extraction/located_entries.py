"""Table cells that carry the line they were written on, empty ones included.

docutils puts a line on the paragraphs inside table cells but none on the
cells (entries) themselves, so an empty cell has no line at all; and it
parses each ``csv-table`` field as a text of its own starting at line 1.
myst-parser gives a pipe table's rows the line it last saw, and none at all
when the table is built inside a directive (``{table}``, an admonition, a
list-table cell), apart from the document. The extraction reports faults at
cells, so where the table is built each entry whose text carries no line (an
empty cell, most often) is stamped with its source and line. An entry whose
text has its line is left as it is: the extraction finds the line there
(:func:`~sphinx_xenabi.extraction.cells.located_text`), and two more
attributes on every entry would cost each of them its own dictionary (about
200 bytes an entry, 2 MiB for 200 pages of tables, kept with the doctrees
for the whole build).

- grid and simple tables: docutils' table parser hands each cell its offset
  from the table's first line, which the state machine maps to a source and
  line (an included file's own); ``Body.build_table_row`` is wrapped, during
  a build, to stamp it (see :func:`start_stamping_entries`). A row docutils
  makes up of two borders in a row stands on the second, all its cells.
- MyST pipe tables: markdown-it maps each row to its line;
  ``DocutilsRenderer.render_table_row`` is wrapped the same way to stamp the
  row, its entries and their text with it, wherever the table stands.
- ``csv-table``: the field's line, followed through the csv reader (quoted
  fields may span lines); header fields stand on the ``:header:`` line.
  In MyST too, whose directive content numbers its lines from 0 at the
  content's first line rather than from the top of the document.
- ``list-table``: the line of the list item the entry was made from.

Only a table's own rows are stamped by its directive: a table nested in a
cell has rows of its own, located when it was built.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from docutils import nodes
from docutils.parsers.rst import states
from docutils.parsers.rst.directives.tables import ListTable
from docutils.statemachine import StringList
from sphinx.directives.patches import CSVTable

from sphinx_xenabi.extraction.markdown import in_markdown

if TYPE_CHECKING:
    from sphinx.application import Sphinx

# (source, line) of one cell; line 0 when unknown.
SourceLine = tuple[str | None, int]


def stamp(element: nodes.Element, source: str | None, line: int) -> None:
    """Give ``element`` and the text elements inside it this source and line."""
    element.source, element.line = source, line
    for text in element.findall(nodes.TextElement):
        text.source, text.line = source, line


def _own_rows(table: nodes.table) -> list[nodes.row]:
    """The table's header and body rows, not those of a table nested in a cell."""
    from sphinx_xenabi.extraction.cells import table_rows  # with the first table

    head, body = table_rows(table)
    return [*head, *body]


def _unlocated(entry: nodes.Element) -> bool:
    """Whether the extraction finds no line for ``entry``: neither its own nor its text's."""
    from sphinx_xenabi.extraction.cells import located_text  # with the first table

    return entry.line is None and located_text(entry) is None


def _stamping_build_table_row(build_table_row: Any) -> Any:
    @functools.wraps(build_table_row)
    def located(self: states.Body, rowdata: list[Any], tableline: int) -> nodes.row:
        row = build_table_row(self, rowdata, tableline)
        cells = [cell for cell in rowdata if cell is not None]
        for entry, (_, _, offset, _) in zip(row.children, cells):
            # tableline is the table's first line, offset the cell's from it:
            # the line docutils itself parses the cell's text at.
            if _unlocated(entry):
                source, line = self.state_machine.get_source_and_line(tableline + offset)
                if line:
                    entry.source, entry.line = source, line
        return row

    return located


def _stamping_render_table_row(render_table_row: Any) -> Any:
    @functools.wraps(render_table_row)
    def located(self: Any, token: Any) -> None:
        render_table_row(self, token)
        row = self.current_node.children[-1] if self.current_node.children else None
        line = token.map[0] if getattr(token, "map", None) else 0  # 1-based by now
        if isinstance(row, nodes.row) and line:
            for node in row.findall(nodes.Element):  # one line: every cell, every word
                node.source, node.line = self.document["source"], line

    return located


# Why a patch: grid, simple and pipe tables are no directive that Sphinx
# lets an extension replace; docutils' reST state machine builds their rows
# in ``Body.build_table_row`` and myst-parser in its renderer's
# ``render_table_row``, the one place that still knows each row's line. They
# are wrapped while a build that uses the extension runs (from
# ``builder-inited`` to ``build-finished``) and the originals put back after,
# so other docutils users in the process never see them. Builds may overlap
# in one process (a test that builds inside a build), so they are counted.
_Wrapper = Callable[[Any], Any]
_wrapped: list[tuple[type, str, Any]] = []  # (class, method name, original) while wrapped
_builds_stamping = 0


def _row_builders(with_myst: bool) -> list[tuple[type, str, _Wrapper]]:
    """Each row builder to wrap: its class, its name and the wrapper.

    MyST's only when the project uses myst-parser: importing its renderer
    costs a project without Markdown tens of milliseconds a build.
    """
    found: list[tuple[type, str, _Wrapper]] = [
        (states.Body, "build_table_row", _stamping_build_table_row)
    ]
    if not with_myst:
        return found
    try:
        from myst_parser.mdit_to_docutils.base import DocutilsRenderer
    except ImportError:  # myst-parser is optional
        return found
    return [*found, (DocutilsRenderer, "render_table_row", _stamping_render_table_row)]


def start_stamping_entries(app: Sphinx) -> None:
    """``builder-inited``: table cells get their lines from here on."""
    global _builds_stamping
    if _builds_stamping == 0:
        for owner, name, wrapper in _row_builders("myst_parser" in app.extensions):
            original = getattr(owner, name, None)
            if original is None:  # another myst-parser: its pipe tables keep their lines
                continue
            _wrapped.append((owner, name, original))
            setattr(owner, name, wrapper(original))
    _builds_stamping += 1


def stop_stamping_entries(app: Sphinx, exception: BaseException | None) -> None:
    """``build-finished``: the original row builders again once no build needs the stamps."""
    global _builds_stamping
    _builds_stamping = max(_builds_stamping - 1, 0)
    if _builds_stamping == 0:
        while _wrapped:
            owner, name, original = _wrapped.pop()
            setattr(owner, name, original)


class LocatedCSVTable(CSVTable):
    """``csv-table`` whose cells, empty or not, carry the line they start on.

    Inline data is located line by line; data from ``:file:`` in that file;
    data from ``:url:`` at the directive.
    """

    def run(self) -> list[nodes.Node]:
        self._records: list[list[SourceLine]] = []  # header records, then data records
        self._in_header = False
        result = super().run()
        for node in result:
            if isinstance(node, nodes.table):
                self._locate(node)
        return result

    def process_header_option(self) -> tuple[list[Any], int]:
        self._in_header = True
        try:
            return super().process_header_option()
        finally:
            self._in_header = False

    def parse_csv_data_into_rows(
        self, csv_data: Sequence[str], dialect: Any, source: str
    ) -> tuple[list[Any], int]:
        rows, max_cols = super().parse_csv_data_into_rows(csv_data, dialect, source)
        lines = self._lines_of(csv_data, source)
        self._records.extend(_field_lines(csv_data, dialect, lines))
        return rows, max_cols

    def _lines_of(self, csv_data: Sequence[str], source: str) -> list[SourceLine]:
        """The (source, line) of each line of ``csv_data``."""
        document, directive_line = self.state_machine.get_source_and_line(self.lineno)
        if isinstance(csv_data, StringList):  # inline content
            if in_markdown(self):
                # myst-parser: offset 0 is the content's first line; content_offset
                # counts the option lines between it and the opening line.
                first = directive_line + self.content_offset + 1
                return [(item_source, first + offset) for item_source, offset in csv_data.items]
            return [(item_source, offset + 1) for item_source, offset in csv_data.items]
        if self._in_header:
            first = directive_line + _header_offset(self.block_text)
            return [(document, first + index) for index in range(len(csv_data))]
        if "file" in self.options:
            return [(source, index + 1) for index in range(len(csv_data))]
        return [(document, directive_line)] * len(csv_data)

    def _locate(self, table: nodes.table) -> None:
        rows = _own_rows(table)
        if len(rows) != len(self._records):
            return  # not the table these records describe: leave docutils' lines
        for row, fields in zip(rows, self._records):
            for index, entry in enumerate(row.children):
                # A padding cell (the record was short) stands where the record ends.
                source, line = fields[min(index, len(fields) - 1)]
                if line and isinstance(entry, nodes.Element):
                    stamp(entry, source, line)


_HEADER_OPTION = re.compile(r"^(?::header:|header\s*:)(.*)$")


def _header_offset(block_text: str) -> int:
    """Lines from the directive's first line to the first line of ``:header:``'s value.

    MyST may also write the option in a YAML block (``header: a, b``).
    """
    for index, text in enumerate(block_text.splitlines()):
        if match := _HEADER_OPTION.match(text.strip()):
            return index if match.group(1).strip() else index + 1
    return 0


def _field_lines(
    csv_data: Sequence[str], dialect: Any, lines: list[SourceLine]
) -> Iterable[list[SourceLine]]:
    """Per record, the line each field starts on (a quoted field may span lines)."""
    if not lines:
        return
    reader = csv.reader((line + "\n" for line in csv_data), dialect=dialect)
    start = 0
    for record in reader:
        fields: list[SourceLine] = []
        line = start
        for field in record:
            fields.append(lines[min(line, len(lines) - 1)])
            line += field.count("\n")
        yield fields or [lines[min(start, len(lines) - 1)]]
        start = reader.line_num


class LocatedListTable(ListTable):
    """``list-table`` whose entries carry the line of their list item."""

    def check_list_content(self, node: nodes.Element) -> Any:
        checked = super().check_list_content(node)
        self._items = [list(row[0].children) for row in node[0].children]
        return checked

    def build_table_from_list(self, table_data: list[Any], *args: Any, **kwargs: Any) -> Any:
        table = super().build_table_from_list(table_data, *args, **kwargs)
        for row, items in zip(_own_rows(table), self._items):
            for entry, item in zip(row.children, items):
                if item.line and _unlocated(entry):
                    entry.source, entry.line = item.source, item.line
        return table
