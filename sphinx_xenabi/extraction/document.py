"""Turn docutils table nodes into registry records.

Tables are recognised by their header row alone, so reST and MyST (which
produce the same nodes), list-tables, grid tables and csv-tables are all read
the same way, wherever they stand. A table whose header matches a kind but
whose body is wrong yields one :class:`Problem` per fault; the good rows are
still recorded. Tables of no known kind are skipped without a word.

This module knows docutils nodes and the model's record types; it does not
know Sphinx. The package's other modules each do one part of the work (see
``sphinx_xenabi/extraction/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docutils import nodes

from sphinx_xenabi.extraction.table import (
    read_table,
)
from sphinx_xenabi.extraction.table_walk import find_tables

if TYPE_CHECKING:
    from sphinx_xenabi.model.problems import Problem
    from sphinx_xenabi.model.records import TableRecord


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
