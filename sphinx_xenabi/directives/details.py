"""A collapsed block: ``<details>`` in html, its content as is in other output.

For long generated content that a reader opens when wanted (a whole
hypercall page's listing), so the page stays short without losing it.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from docutils import nodes

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.writers.html5 import HTML5Translator


class details(nodes.General, nodes.Element):  # noqa: N801 - docutils' node style
    """Content shown when the reader opens it; ``summary`` is what shows before."""


def visit_details_html(translator: HTML5Translator, node: details) -> None:
    classes = " ".join(["xenabi-details", *node["classes"]])
    translator.body.append(
        f'<details class="{escape(classes)}"><summary>{escape(node["summary"])}</summary>\n'
    )


def depart_details_html(translator: HTML5Translator, node: details) -> None:
    translator.body.append("</details>\n")


def _as_is(translator: object, node: details) -> None:
    """Other output has no collapsing: the content stands as it is."""


def add_details_node(app: Sphinx) -> None:
    plain = (_as_is, _as_is)
    app.add_node(
        details,
        html=(visit_details_html, depart_details_html),
        latex=plain,
        text=plain,
        man=plain,
        texinfo=plain,
    )
