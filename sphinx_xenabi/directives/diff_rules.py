"""``.. xenabi-diff-rules::``: every rule of the ABI diff by severity, from the rules themselves.

Each rule's id and what triggers it come from
:class:`~sphinx_xenabi.model.abi_rules.Rule`, so the docs cannot drift from
the comparison.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

_SEVERITY_HEADINGS = {
    "breaking": "Breaking for guests",
    "compatible": "Compatible",
    "documentation": "Documentation only (shown with --all)",
}


def rules_list() -> list[nodes.Node]:
    """Every rule by severity, worst first: its id, then what triggers it.

    A definition list, not a table: the explanations are sentences, which
    wrap on a narrow screen where a table's cells would not.
    """
    from sphinx_xenabi.model.abi_rules import Rule, Severity  # loaded when a page lists them

    result: list[nodes.Node] = []
    for severity in Severity:
        result.append(nodes.rubric("", _SEVERITY_HEADINGS[severity.value]))
        items = nodes.definition_list(classes=["xenabi-diff-rules"])
        for rule in Rule:
            if rule.severity is severity:
                term = nodes.term()
                term += nodes.literal(rule.value, rule.value)
                definition = nodes.definition("", nodes.paragraph("", rule.__doc__ or ""))
                items += nodes.definition_list_item("", term, definition)
        result.append(items)
    return result


class DiffRulesDirective(SphinxDirective):
    """The diff's rules, generated from the rules themselves."""

    def run(self) -> list[nodes.Node]:
        return rules_list()
