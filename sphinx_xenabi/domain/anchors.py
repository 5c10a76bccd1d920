"""Numbers-table rows as hypercall object descriptions.

After a document's tables are extracted, every numbers row that was read
without a fault gets an anchor (``hypercall-<name>``) and general-index
entries, and the domain records the hypercall it declares. The row itself
is the object's description, as a ``py:function`` block is a function's;
a skipped row declares nothing, its warning already stands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from docutils import nodes
from sphinx import addnodes
from sphinx.util.nodes import make_id

from sphinx_xenabi.domain.breakable_names import breakable_after_underscores
from sphinx_xenabi.domain.objects import HypercallObject
from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.extraction.rows import availability_value
from sphinx_xenabi.extraction.table import stamped_rows
from sphinx_xenabi.extraction.table_walk import find_tables
from sphinx_xenabi.model.records import NumberRow, TableKind
from sphinx_xenabi.model.spec import GuestType

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.domains.index import IndexDomain
    from sphinx.environment import BuildEnvironment

    from sphinx_xenabi.model.location import Location

ROW_CLASS = "xenabi-hypercall"
ANCHOR_PREFIX = "hypercall"


def declare_hypercalls(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    domain = xenabi_domain(env)
    rows: dict[Location, NumberRow] = {
        row.number.location: row
        for table in domain.tables.get(docname, ())
        if table.kind is TableKind.NUMBERS
        for row in table.rows
        if isinstance(row, NumberRow)
    }
    if not rows:
        return  # most pages: no numbers table, no tree walk
    objects: list[HypercallObject] = []
    # Sphinx's index domain collected the document's index nodes before
    # doctree-read (where the tables are read): the rows' entries join it here.
    index_entries = cast("IndexDomain", env.domains["index"]).entries.setdefault(docname, [])
    for table in find_tables(doctree):
        stamped = stamped_rows(table)
        if stamped is None or stamped[0] is not TableKind.NUMBERS:
            continue
        table["classes"].append("xenabi-numbers")
        for row_node, location in stamped[1]:
            row = rows.get(location)
            if row is not None:
                obj, index = _declare(env, doctree, docname, row_node, row)
                objects.append(obj)
                index_entries.extend(index["entries"])
    domain.note_hypercalls(docname, objects)


def _declare(
    env: BuildEnvironment,
    doctree: nodes.document,
    docname: str,
    row_node: nodes.row,
    row: NumberRow,
) -> tuple[HypercallObject, addnodes.index]:
    name, number = row.name.value, row.number.value
    # A second row of the same name in this document (a table restating
    # the first) gets a numbered anchor; references go to the first.
    anchor = make_id(env, doctree, ANCHOR_PREFIX, name)
    row_node["ids"].append(anchor)
    row_node["classes"].append(ROW_CLASS)
    doctree.ids[anchor] = row_node
    # One general-index entry per hypercall, as Sphinx's own domains give
    # their objects: the list of hypercalls by name is the domain's index, and
    # every entry costs each build (html's general index and its search index
    # are written again even when no page changed).
    index = addnodes.index(entries=[("single", f"{name} (hypercall {number})", anchor, "", None)])
    mark_availability(row_node)
    breakable_after_underscores(row_node.children[1])
    # Index nodes are inline: the name cell's paragraph holds it.
    name_cell = row_node.children[1]
    holder = next(iter(name_cell.findall(nodes.paragraph)), name_cell)
    holder.insert(0, index)
    callers = (
        tuple(g for g in GuestType if g in row.availability and row.availability[g].value)
        if row.availability
        else None
    )
    return HypercallObject(name, number, docname, anchor, row.number.location, callers), index


def mark_availability(row_node: nodes.row) -> None:
    """Class each availability cell ``xenabi-yes`` or ``xenabi-no``, for the stylesheet
    to make the table scannable; the words stay as written."""
    for cell in row_node.children[2:]:
        value = availability_value(cell.astext())
        if value is not None:
            cell["classes"].append("xenabi-yes" if value else "xenabi-no")
