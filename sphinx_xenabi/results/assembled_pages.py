"""The pages a resolved doctree holds: its own, or every page an assembled output inlines.

Most builders resolve each page's doctree on its own. singlehtml, latex,
texinfo and man write one output from many pages: they inline the pages a
start document's toctrees name into a copy of its doctree (each page under
an ``addnodes.start_of_file`` node naming it) and resolve that copy once,
under the start document's name. The ``doctree-resolved`` handlers that
render a page's records (the evidence column, the requirement statuses)
work on the records of every page such a doctree holds. The copy's map of
ids is empty, so ids are looked up in the tree itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from sphinx import addnodes

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sphinx.builders import Builder


def assembles(builder: Builder) -> bool:
    """Whether the builder may resolve doctrees that inline other pages.

    The html builders other than singlehtml resolve each page on its own:
    they are told apart without looking at the tree. Other formats are
    looked at (text and xml resolve each page on its own too; the look
    finds nothing to inline there).
    """
    return builder.format != "html" or hasattr(builder, "assemble_doctree")


def pages_in(builder: Builder, doctree: nodes.document, docname: str) -> list[str]:
    """``docname``, then every page inlined into its doctree, in document order."""
    if not assembles(builder):
        return [docname]
    inlined = (str(node["docname"]) for node in doctree.findall(addnodes.start_of_file))
    return [docname, *inlined]


def ids_in(builder: Builder, doctree: nodes.document) -> Mapping[str, nodes.Element]:
    """Each id of the doctree and the element that has it."""
    if not assembles(builder):
        return doctree.ids
    found: dict[str, nodes.Element] = {}
    for node in doctree.findall(nodes.Element):
        for identifier in node["ids"]:
            found.setdefault(identifier, node)
    return found
