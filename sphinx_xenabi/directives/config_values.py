"""``.. xenabi-config-values::``: every configuration value as a ``confval``, from the code.

Type, default and help come from :data:`~sphinx_xenabi.config.CONFIG_VALUES`,
so ``docs/tooling/configuration.rst`` says what the extension accepts.
"""

from __future__ import annotations

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from sphinx_xenabi.config import CONFIG_VALUES, default_source, type_annotation


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
