"""``.. xenabi-warnings::``: every message subtype and what it means, from the code.

The table is generated from :class:`~sphinx_xenabi.model.problems.WarningSubtype`
and its members' docstrings, so ``docs/tooling/warnings.rst`` says what the
code logs.
"""

from __future__ import annotations

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from sphinx_xenabi.directives.table_nodes import entry, row, table
from sphinx_xenabi.model.problems import WarningSubtype


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
