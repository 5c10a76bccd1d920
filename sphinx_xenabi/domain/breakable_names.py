"""Hypercall names that a narrow screen breaks after their underscores, and search finds whole.

A numbers row's name cell (``update_va_mapping_otherdomain``) is written
in html with a ``<wbr>`` after each underscore, so a phone breaks it there
and not mid-word. The name stays one raw html node, not text split around
each ``<wbr>``: Sphinx's search indexes raw html as its text without the
tags, and indexes each text node on its own, so split text would put
``memory_`` and ``op`` in the search index instead of ``memory_op``.

Raw html is written by the html builders alone; for every other output
:func:`plain_names` puts the name back as text.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from docutils import nodes

if TYPE_CHECKING:
    from sphinx.application import Sphinx

# The raw node's attribute holding the name as text, for output other than html.
PLAIN_TEXT = "xenabi-plain-text"


def breakable_after_underscores(cell: nodes.Element) -> None:
    """Let the plain text of ``cell`` wrap after its underscores in html."""
    for text in list(cell.findall(nodes.Text)):
        # Plain text only: code (a literal) is written as its text, raw html and all.
        if "_" not in text or not isinstance(text.parent, (nodes.paragraph, nodes.entry)):
            continue
        plain = text.astext()
        breakable = "_<wbr>".join(escape(part, quote=False) for part in plain.split("_"))
        text.parent.replace(text, nodes.raw("", breakable, format="html", **{PLAIN_TEXT: plain}))


def plain_names(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: in output other than html, each breakable name as the
    text it was (a builder that writes nothing, such as ``dummy``, is left alone)."""
    if app.builder.format in ("html", ""):
        return
    for node in list(doctree.findall(nodes.raw)):
        plain = node.get(PLAIN_TEXT)
        if plain is not None:
            node.replace_self(nodes.Text(plain))
