"""``.. xenabi-verifies:: ID [ID ...]``: doctest examples that verify requirements.

The content is doctest (``>>>`` lines and the output they expect). The
directive renders it as a doctest block is rendered (a literal block,
Python console highlighting) under a line naming the requirement ids, and
keeps the block in the domain, each example located at its own line, in
reST and MyST alike. The build runs the blocks (``results/verification.py``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_id

from sphinx_xenabi.domain.xenabi import directive_error, xenabi_domain
from sphinx_xenabi.extraction.markdown import in_markdown
from sphinx_xenabi.model.problems import WarningSubtype

if TYPE_CHECKING:
    from collections.abc import Callable

    from sphinx_xenabi.model.location import Location
    from sphinx_xenabi.model.verification import ExampleBlock


class VerifiesDirective(SphinxDirective):
    """Doctest examples that verify the requirements its arguments name."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True

    def run(self) -> list[nodes.Node]:
        # The block's model loads with the first block read, not with the extension.
        from sphinx_xenabi.extraction.cells import relativiser
        from sphinx_xenabi.model.location import Location
        from sphinx_xenabi.model.verification import read_block

        relativise = relativiser(self.env.srcdir)
        source, line = self.get_source_info()
        location = Location(relativise(source), line or 0)
        try:
            block = read_block(
                self.arguments[0].split(), location, list(self.content), self._locations(relativise)
            )
        except ValueError as exc:
            directive_error(self, WarningSubtype.DIRECTIVE, f"{self.name}: {exc}")
            return []
        # The requirement's page links to the block (results/requirement_status.py).
        anchor = make_id(self.env, self.state.document, "xenabi-verifies", block.ids[0])
        block = replace(block, docname=self.env.docname, anchor=anchor)
        xenabi_domain(self.env).note_verification(self.env.docname, block)
        return [self._render(block)]

    def _locations(self, relativise: Callable[[str], str]) -> list[Location]:
        from sphinx_xenabi.model.location import Location

        """Each content line's file and line (through includes, in reST)."""
        if in_markdown(self):
            # myst-parser numbers content lines from 0; the first is content_offset lines
            # below the line after the directive's (options come between).
            first = self.lineno + 1 + self.content_offset
            path = relativise(self.get_source_info()[0])
            return [Location(path, first + i) for i in range(len(self.content))]
        locations = []
        for i in range(len(self.content)):
            source, offset = self.content.info(i)
            locations.append(
                Location(
                    relativise(source or self.env.doc2path(self.env.docname).as_posix()),
                    (offset or 0) + 1,
                )
            )
        return locations

    def _render(self, block: ExampleBlock) -> nodes.Element:
        container = nodes.container(classes=["xenabi-verifies"], ids=[block.anchor])
        self.state.document.ids[block.anchor] = container  # the next block's id differs
        self.set_source_info(container)
        verifies = nodes.paragraph(classes=["xenabi-verifies-ids"])
        verifies += nodes.Text("Verifies ")
        for i, name in enumerate(block.ids):
            if i:
                verifies += nodes.Text(", ")
            # A reference as :xenabi:requirement: makes it: a link to the item,
            # and with -n a warning for an id that names no item.
            reference = addnodes.pending_xref(
                "",
                nodes.literal(name, name, classes=["xref", "xenabi", "xenabi-requirement"]),
                refdomain="xenabi",
                reftype="requirement",
                reftarget=name,
                refexplicit=False,
                refwarn=True,
                refdoc=self.env.docname,
            )
            self.set_source_info(reference)
            verifies += reference
        verifies += nodes.Text(":")
        literal = nodes.literal_block(block.text, block.text, language="pycon")
        self.set_source_info(literal)
        container += [verifies, literal]
        return container
