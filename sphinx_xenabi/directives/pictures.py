"""``xenabi-register-picture`` and ``xenabi-hypercall-page-map``: pictures drawn from the data.

The register picture is drawn from the registers tables of its own page,
the tables the build checks and runs, so it cannot show other registers
than they state: the directive leaves a placeholder, and once the page's
tables are read (``doctree-read``, after :func:`~sphinx_xenabi.domain.xenabi.read_tables`)
:func:`draw_register_pictures` replaces it with the SVG. The page map is
drawn from the model's hypercall page, as the listings are.

Each picture is inline SVG in html output only (other builders keep the
tables and listings it restates), in a figure whose caption names it; its
``<title>`` and ``<desc>`` are its text alternative.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from weakref import WeakSet

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

from sphinx_xenabi.domain.xenabi import directive_error, xenabi_domain
from sphinx_xenabi.log import error
from sphinx_xenabi.model.problems import Problem, WarningSubtype

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from sphinx_xenabi.model.records import TableRecord
    from sphinx_xenabi.pictures.register_layout import RegisterLayout

REGISTER_CAPTION = "The registers of each ABI, by parameter position"

# The documents being read that hold a placeholder: the rest (most) are not
# walked at doctree-read to look for one.
_WITH_PLACEHOLDERS: WeakSet[nodes.document] = WeakSet()


class register_picture(nodes.General, nodes.Element):  # noqa: N801 - docutils' node style
    """Where a register picture goes, until the page's tables are read."""


def picture(svg: str, caption: str, prefix: str) -> addnodes.only:
    """A captioned figure of inline SVG, for html builders only."""
    figure = nodes.figure("", classes=["xenabi-figure"], ids=[prefix])
    figure += nodes.raw("", svg, format="html")
    figure += nodes.caption(caption, caption)
    only = addnodes.only(expr="html")
    only += figure
    return only


class RegisterPictureDirective(SphinxDirective):
    """Draw this page's registers tables (those of ``:release:``, or those stating none)."""

    option_spec: ClassVar[dict[str, object]] = {
        "release": directives.unchanged_required,
        "caption": directives.unchanged_required,
    }

    def run(self) -> list[nodes.Node]:
        from sphinx_xenabi.model.spec import Release  # loads with the first picture

        release = self.options.get("release")
        if release is not None:
            try:
                Release.parse(release)
            except ValueError as exc:
                directive_error(self, WarningSubtype.DIRECTIVE, f"{self.name} :release: {exc}")
                return []
        node = register_picture(
            release=release,
            caption=self.options.get("caption", REGISTER_CAPTION),
            serial=self.env.new_serialno("xenabi-picture"),
        )
        self.set_source_info(node)
        _WITH_PLACEHOLDERS.add(self.state.document)
        return [node]


def _layouts(tables: tuple[TableRecord, ...], release: str | None) -> list[RegisterLayout]:
    from sphinx_xenabi.model.records import RegisterRow, TableKind
    from sphinx_xenabi.model.spec import Release
    from sphinx_xenabi.pictures.register_layout import RegisterLayout  # drawn on use

    wanted = None if release is None else Release.parse(release)
    return [
        RegisterLayout(row.abi.value, row.index.value, row.parameters.value, row.result.value)
        for table in tables
        if table.kind is TableKind.REGISTERS
        # A release picks the tables whose stated range holds it; none, those stating none.
        and (table.releases is None if wanted is None else wanted in (table.releases or ()))
        for row in table.rows
        if isinstance(row, RegisterRow)
    ]


def draw_register_pictures(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: each placeholder becomes the picture of the page's tables."""
    if doctree not in _WITH_PLACEHOLDERS:
        return
    _WITH_PLACEHOLDERS.discard(doctree)
    placeholders = list(doctree.findall(register_picture))
    if not placeholders:
        return
    env = app.env
    tables = xenabi_domain(env).tables.get(env.docname, ())
    for node in placeholders:
        layouts = _layouts(tables, node["release"])
        if not layouts:
            _no_table(app, node)
            node.parent.remove(node)
            continue
        prefix = f"xenabi-picture-{node['serial']}"
        title = node["caption"]
        from sphinx_xenabi.pictures.register_layout import register_layout_svg

        svg = register_layout_svg(layouts, prefix=prefix, title=title)
        node.replace_self(picture(svg, title, prefix))


def _no_table(app: Sphinx, node: register_picture) -> None:
    """A located error, kept for ``check`` as the directives' own errors are."""
    which = (
        "that states no release range" if node["release"] is None else f"for Xen {node['release']}"
    )
    message = f"xenabi-register-picture: this page has no registers table {which} to draw"
    source, line = node.source or "", node.line or 0
    from sphinx_xenabi.extraction.cells import relativiser
    from sphinx_xenabi.model.location import Location

    error(WarningSubtype.DIRECTIVE, message, f"{source}:{line}")
    location = Location(relativiser(app.srcdir)(source), line)
    xenabi_domain(app.env).note_directive_error(
        app.env.docname, Problem(WarningSubtype.DIRECTIVE, message, location, level="error")
    )


class HypercallPageMapDirective(SphinxDirective):
    """Draw the model's hypercall page: a slot per stub, coloured by who may call it."""

    option_spec: ClassVar[dict[str, object]] = {"caption": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        from sphinx_xenabi.model.abi import HYPERCALLS, IRET_INDEX, STUB_COUNT, STUB_SIZE

        prefix = f"xenabi-picture-{self.env.new_serialno('xenabi-picture')}"
        caption = self.options.get(
            "caption",
            f"The hypercall page: {STUB_COUNT} stubs of {STUB_SIZE} bytes, "
            f"{STUB_COUNT * STUB_SIZE} bytes in all",
        )
        from sphinx_xenabi.pictures.page_map import page_map_svg  # drawn on use

        svg = page_map_svg(
            HYPERCALLS,
            stub_count=STUB_COUNT,
            stub_size=STUB_SIZE,
            iret_index=IRET_INDEX,
            prefix=prefix,
            title=caption,
        )
        return [picture(svg, caption, prefix)]
