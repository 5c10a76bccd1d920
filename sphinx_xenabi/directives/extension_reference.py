"""Directives that render the extension's own reference from the code.

``.. xenabi-warnings::`` is the table of every message subtype, from
:class:`~sphinx_xenabi.model.problems.WarningSubtype` and its members'
docstrings. ``.. xenabi-config-values::`` describes every configuration value
as a ``confval`` (type, default, help) from
:data:`~sphinx_xenabi.config.CONFIG_VALUES`. The pages in ``docs/tooling/``
use them, so what they say is what the code does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from sphinx_xenabi.config import CONFIG_VALUES, default_source, type_annotation
from sphinx_xenabi.directives.table_nodes import entry, row, table
from sphinx_xenabi.model.problems import WarningSubtype

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def warning_anchor(subtype: WarningSubtype) -> str:
    """The id of a subtype's row: ``xenabi-warning-drift``."""
    return f"xenabi-warning-{subtype.value}"


class WarningsDirective(SphinxDirective):
    """Every message subtype and what it means, one row each, in the enum's order."""

    def run(self) -> list[nodes.Node]:
        node, body = table("Message subtypes", ("Subtype", "Meaning"), (1, 3), ("xenabi-warnings",))
        for subtype in WarningSubtype:
            meaning = nodes.entry()
            self._parse(subtype.__doc__ or "", meaning)
            line = row(entry(subtype.name_in_logs, literal=True), meaning)
            line["ids"].append(warning_anchor(subtype))
            body += line
        return [node]

    def _parse(self, text: str, into: nodes.Element) -> None:
        self.state.nested_parse(
            StringList(text.splitlines(), self.get_source_info()[0]), self.content_offset, into
        )


class ConfigValuesDirective(SphinxDirective):
    """Every configuration value as a ``confval``: its type, default and help."""

    def run(self) -> list[nodes.Node]:
        source = self.get_source_info()[0]
        lines = StringList()
        for value in CONFIG_VALUES:
            text = [
                f".. confval:: {value.name}",
                f"   :type: ``{type_annotation(value)}``",
                f"   :default: ``{default_source(value)}``",
                "",
                *(f"   {line}" if line else "" for line in value.help.splitlines()),
                "",
            ]
            for line in text:
                lines.append(line, source)
        container = nodes.container(classes=["xenabi-config-values"])
        self.state.nested_parse(lines, self.content_offset, container)
        return container.children


def setup_tooling_docs(app: Sphinx) -> None:
    app.add_directive("xenabi-warnings", WarningsDirective)
    app.add_directive("xenabi-config-values", ConfigValuesDirective)
