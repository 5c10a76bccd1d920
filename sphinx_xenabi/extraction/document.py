"""Turn docutils table nodes into registry records.

Tables are recognised by their header row alone, so reST and MyST (which
produce the same nodes), list-tables, grid tables and csv-tables are all read
the same way, wherever they stand. A table whose header matches a kind but
whose body is wrong yields one :class:`Problem` per fault; the good rows are
still recorded. Tables of no known kind are skipped without a word.

This module knows docutils nodes and the model's record types; it does not
know Sphinx, so it is also what the command line's ``extract`` runs. The
work is done in one module per concept:

- ``table_kinds``: which kind a header announces, the releases a title states;
- ``cell_location``: a table's rows and cells, each cell's text and line;
- ``row_reading``: a body row checked and read as a registry row;
- ``table_records``: a recognised table as a record, and the row stamps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from docutils import nodes

from sphinx_xenabi.extraction.cells import cell_text, find_tables, relativiser
from sphinx_xenabi.extraction.kinds import match_header, normalise_header, releases_from_title
from sphinx_xenabi.extraction.rows import Problem, parse_number
from sphinx_xenabi.extraction.table import (
    KIND_ATTRIBUTE,
    ROW_ATTRIBUTE,
    cited_footnotes,
    read_table,
    stamped_rows,
)
from sphinx_xenabi.model.registry import TableRecord

__all__ = [
    "KIND_ATTRIBUTE",
    "ROW_ATTRIBUTE",
    "Extraction",
    "Problem",
    "cell_text",
    "cited_footnotes",
    "extract_tables",
    "find_tables",
    "match_header",
    "normalise_header",
    "parse_number",
    "relativiser",
    "releases_from_title",
    "stamped_rows",
]


@dataclass(frozen=True)
class Extraction:
    tables: tuple[TableRecord, ...]
    problems: tuple[Problem, ...]


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
        record = read_table(table, docname, default_file, relativise, problems)
        if record is not None:
            tables.append(record)
    return Extraction(tuple(tables), tuple(problems))
