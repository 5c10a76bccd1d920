"""The hypercall index: every hypercall object, by name and by number, like Python's module index.

Sphinx writes it as ``xenabi-hypercallindex.html`` and makes it a label
(``:ref:`xenabi-hypercallindex```). The html page is a list by name, each
name leading to its row, then a table by number (number, name linked to its
definition, the guest types that may call it, the offset of its stub in the
hypercall page), whose rows stack on a phone (``xenabi.css``); other
builders render the generic domain index form.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sphinx.domains import Index, IndexEntry
from sphinx.locale import _

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.config import Config

    from sphinx_xenabi.domain.objects import HasHypercalls, HypercallObject
    from sphinx_xenabi.domain.xenabi import XenAbiDomain


TEMPLATE = "xenabi/hypercallindex.html"
STYLESHEET = "xenabi.css"
_PACKAGE = Path(__file__).resolve().parent.parent
# Sixteen numbers a group keeps the generic index's jump bar short.
_GROUP = 16


def stub_offset_text(obj: HypercallObject) -> str:
    offset = obj.stub_offset
    return "no stub" if offset is None else f"0x{offset:03x}"


class HypercallIndex(Index):
    name = "hypercallindex"
    localname = _("Hypercall index")
    shortname = _("hypercalls")

    @classmethod
    def page_name(cls) -> str:
        return f"xenabi-{cls.name}"

    def objects(self, docnames: Iterable[str] | None = None) -> list[HypercallObject]:
        if not self.domain.data.get("hypercalls"):
            return []  # no numbers table: nothing to list, nothing to load
        wanted = None if docnames is None else frozenset(docnames)
        return [
            obj
            for obj in cast("HasHypercalls", self.domain).lookup.objects()
            if wanted is None or obj.docname in wanted
        ]

    def generate(
        self, docnames: Iterable[str] | None = None
    ) -> tuple[list[tuple[str, list[IndexEntry]]], bool]:
        if docnames is None:  # the whole index, written on every html build: a view
            return cast("XenAbiDomain", self.domain).view(self.name, self._generate)
        return self._generate(docnames)

    def _generate(
        self, docnames: Iterable[str] | None = None
    ) -> tuple[list[tuple[str, list[IndexEntry]]], bool]:
        groups: dict[int, list[IndexEntry]] = {}
        for obj in self.objects(docnames):
            entry = IndexEntry(
                name=obj.name,
                subtype=0,
                docname=obj.docname,
                anchor=obj.anchor,
                extra=str(obj.number),
                qualifier="",
                descr=f"called by {obj.callers_text}; stub at {stub_offset_text(obj)}",
            )
            groups.setdefault(obj.number // _GROUP, []).append(entry)
        content = [
            (f"{group * _GROUP}-{group * _GROUP + _GROUP - 1}", entries)
            for group, entries in sorted(groups.items())
        ]
        return content, False


class IndexRow(NamedTuple):
    """One row of the html hypercall index table (a tuple: kept in the environment)."""

    number: int
    name: str
    docname: str
    anchor: str
    callers: str
    stub_offset: str


def on_html_page_context(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: nodes.document | None,
) -> str | None:
    """Render the index page as a table rather than the generic domain index list."""
    if pagename != HypercallIndex.page_name():
        return None
    rows = index_rows(cast("XenAbiDomain", app.env.domains["xenabi"]))
    context["xenabi_hypercalls"] = rows
    context["xenabi_hypercalls_by_name"] = sorted(rows, key=lambda row: (row.name, row.number))
    return TEMPLATE


def index_rows(domain: XenAbiDomain) -> tuple[IndexRow, ...]:
    """The html index's rows, by number (a view of the domain)."""

    def rows() -> tuple[IndexRow, ...]:
        return tuple(
            IndexRow(o.number, o.name, o.docname, o.anchor, o.callers_text, stub_offset_text(o))
            for o in HypercallIndex(domain).objects()
        )

    return domain.view("hypercall-rows", rows)


def add_html_assets(app: Sphinx, config: Config) -> None:
    """``config-inited``: the index template and the row-highlight stylesheet.

    Appended after the project's own paths, so a project can override them.
    """
    for option, folder in (("templates_path", "templates"), ("html_static_path", "static")):
        path = str(_PACKAGE / folder)
        paths: list[str] = config[option]
        if path not in paths:
            paths.append(path)
    app.add_css_file(STYLESHEET)
