"""Directives that show the ABI diff in the docs, generated when the docs are built.

``.. xenabi-abi-diff:: OLD NEW`` runs the diff of two model revisions (two
releases, such as ``4.16 4.17``) and shows it in one of the command's
formats: ``markdown`` (the default) is parsed as Markdown, so a MyST page
shows the table a pull-request comment shows; ``text``, ``json`` and
``github`` are shown as literal blocks. ``:source:`` also shows the
Markdown as written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from sphinx_xenabi.domain.xenabi import directive_error
from sphinx_xenabi.model.problems import WarningSubtype

if TYPE_CHECKING:
    from sphinx_xenabi.model.spec import Release

# The model's diff loads when a page uses the directive, not at setup().
_LANGUAGES = {"text": "text", "markdown": "markdown", "json": "json", "github": "text"}


def _format(text: str) -> str:
    from sphinx_xenabi.model.diff_report import OutputFormat

    return directives.choice(text, [f.value for f in OutputFormat])


class AbiDiffDirective(SphinxDirective):
    """The diff of two model revisions, in one of the diff command's formats."""

    required_arguments = 2
    option_spec: ClassVar[dict[str, object]] = {
        "format": _format,
        "source": directives.flag,
    }

    def _release(self, text: str) -> Release:
        from sphinx_xenabi.model.abi import revision_for
        from sphinx_xenabi.model.spec import Release

        release = Release.parse(text)
        revision_for(release)  # ValueError before the first modelled release
        return release

    def run(self) -> list[nodes.Node]:
        from sphinx_xenabi.extraction.markdown import in_markdown
        from sphinx_xenabi.model.abi import FIRST_MODELLED_RELEASE, revision_for
        from sphinx_xenabi.model.abi_diff import DiffSide, compare
        from sphinx_xenabi.model.diff_report import OutputFormat, render

        try:
            old, new = (self._release(a) for a in self.arguments)
        except ValueError as exc:
            directive_error(
                self,
                WarningSubtype.DIRECTIVE,
                f"{self.name}: {exc} (give two releases from Xen {FIRST_MODELLED_RELEASE} on)",
            )
            return []
        output = OutputFormat(self.options.get("format", OutputFormat.MARKDOWN.value))
        diff = compare(
            DiffSide(f"the model, Xen {old}", revision_for(old)),
            DiffSide(f"the model, Xen {new}", revision_for(new)),
        )
        text = render(diff, output)
        literal = nodes.literal_block(text, text, language=_LANGUAGES[output.value])
        if output is not OutputFormat.MARKDOWN:
            return [literal]
        if not in_markdown(self):
            directive_error(
                self,
                WarningSubtype.DIRECTIVE,
                f"{self.name}: the markdown format renders only in a Markdown (MyST) page; "
                "use :format: text, json or github here",
            )
            return []
        rendered = nodes.container(classes=["xenabi-abi-diff"])
        self.state.nested_parse(StringList(text.splitlines()), self.content_offset, rendered)
        return [rendered, literal] if "source" in self.options else [rendered]
