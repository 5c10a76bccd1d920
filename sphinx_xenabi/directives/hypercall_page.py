"""``.. xenabi-hypercall-page:: GUEST``: a guest type's hypercall page, one stub explained.

Generated from the model (page bytes, hypercall names) and disassembled with
capstone, so the guide shows exactly the bytes the model writes. First one
stub (``:example:``, default 17) as a table, each instruction with what it
does; then the listing in objdump's shape, a label line per stub and one
line per instruction with its page offset, bytes and text. The whole page's
listing is collapsed (``<details>`` in html): its stubs differ only in the
index. Immediates are hex throughout, as the offsets and bytes are. Each
hypercall name links to its numbers-table row.
"""

from __future__ import annotations

from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from sphinx_xenabi.directives.details import collapsed
from sphinx_xenabi.domain.role import generated_reference
from sphinx_xenabi.domain.xenabi import directive_error
from sphinx_xenabi.model.problems import WarningSubtype


class HypercallPageDirective(SphinxDirective):
    """Render the model's hypercall page for one transfer-table guest."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, object]] = {
        "indices": directives.unchanged_required,
        "example": directives.unchanged_required,
    }

    def run(self) -> list[nodes.Node]:
        # The rendering and the model load with the first page shown, not with the extension.
        from sphinx_xenabi.directives.page_listing import annotated_stub, page_listing
        from sphinx_xenabi.model.abi import (
            HYPERCALLS,
            IRET_INDEX,
            PAGE_FILLER,
            STUB_COUNT,
            STUB_SIZE,
            TransferGuest,
        )

        try:
            # Arm guests issue HVC inline: only x86 guests have a hypercall page.
            guest = TransferGuest.parse(self.arguments[0], TransferGuest.with_pages())
        except ValueError as exc:
            directive_error(self, WarningSubtype.DIRECTIVE, f"{self.name}: {exc}")
            return []
        from sphinx_xenabi.directives.page_listing import parse_indices

        try:
            indices = parse_indices(self.options.get("indices", f"0-{STUB_COUNT - 1}"))
        except ValueError as exc:
            directive_error(self, WarningSubtype.DIRECTIVE, f"{self.name} :indices: {exc}")
            return []
        example = self._example()
        if example is None:
            return []
        docname = self.env.docname

        def reference(name: str) -> nodes.Node:
            return generated_reference(docname, name)

        listing = page_listing(guest, indices, reference)
        shown: list[nodes.Node] = [listing]
        if "indices" not in self.options:  # the whole page: there for those who open it
            summary = (
                f"The whole {guest.value} page: {STUB_COUNT} stubs, {STUB_COUNT * STUB_SIZE} bytes"
            )
            shown = collapsed(summary, listing)
        note = nodes.paragraph(
            "",
            f"Each stub is {STUB_SIZE} bytes long; the bytes after its code are "
            f"0x{PAGE_FILLER:02X} (int3). Stub {IRET_INDEX} is the ",
            reference(HYPERCALLS[IRET_INDEX].name),
            nodes.Text(" stub."),
        )
        return [annotated_stub(guest, example, reference), *shown, note]

    def _example(self) -> int | None:
        """The stub to explain: ``:example:``, one index (default 17)."""
        from sphinx_xenabi.directives.page_listing import parse_indices

        text = self.options.get("example", "17")
        try:
            found = parse_indices(text)
            if len(found) != 1:
                raise ValueError(f"{text.strip()!r} names {len(found)} stubs; name one")
        except ValueError as exc:
            directive_error(self, WarningSubtype.DIRECTIVE, f"{self.name} :example: {exc}")
            return None
        return found[0]
