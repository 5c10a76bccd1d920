"""A collapsed block: ``<details>`` in html, its content as is in other output.

For long generated content that a reader opens when wanted (a whole
hypercall page's listing), so the page stays short without losing it.

The block is the content between two raw html nodes, not a node of its own
with html visitors: Sphinx binds an extension's visitors onto every
translator it creates (one per page, and more per page for titles and
toctrees), which makes each translator a reference cycle that only the
cyclic garbage collector frees. On Xen's docs that left some 350
translators, with their output, for the collector: about 16 ms of every
build's exit, though only the hypercall pages hold a block. Raw html is
written by the html builders alone, so other output keeps the content as
it is, as before.
"""

from __future__ import annotations

from html import escape

from docutils import nodes

CLASS = "xenabi-details"


def collapsed(summary: str, content: nodes.Node) -> list[nodes.Node]:
    """``content`` shown when the reader opens it; ``summary`` is what shows before."""
    opening = f'<details class="{CLASS}"><summary>{escape(summary)}</summary>\n'
    return [
        nodes.raw("", opening, format="html"),
        content,
        nodes.raw("", "</details>\n", format="html"),
    ]
