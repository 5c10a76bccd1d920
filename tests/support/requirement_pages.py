"""What a written page shows of each requirement item: its status, panel, links and evidence.

A small element tree from the standard library's HTML parser (the suite has
no HTML library), and :func:`read_items`, which reads every requirement
item's section (``section id="requirement-..."``) of a page into an
:class:`ItemView` of plain texts, so tests assert what a reader sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        """The text inside, whitespace collapsed (as a reader sees it)."""
        return " ".join("".join(self._texts()).split())

    def _texts(self) -> Iterator[str]:
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._texts()

    def iter(self) -> Iterator[Element]:
        """This element and every element inside, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str = "", cls: str = "") -> list[Element]:
        return [
            e
            for e in self.iter()
            if (not tag or e.tag == tag) and (not cls or cls in e.classes) and e is not self
        ]

    def find(self, tag: str = "", cls: str = "") -> Element | None:
        found = self.find_all(tag, cls)
        return found[0] if found else None

    def links(self) -> list[tuple[str, str]]:
        return [(a.attrs.get("href", ""), a.text()) for a in self.find_all("a")]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self._open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self._open[-1].children.append(element)
        if tag not in _VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)


def read_page(path: Path) -> Element:
    builder = _TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    return builder.root


@dataclass
class ItemView:
    """One requirement item as its page shows it."""

    status: str  # the pill beside the id: "✔ verified"
    status_classes: list[str]
    panel: Element  # the div.xenabi-requirement at the end of its text
    section: Element

    def line(self, label: str) -> str:
        """The panel's paragraph that starts with ``label`` ("Examples:"), or ""."""
        return next((p.text() for p in self.panel.find_all("p") if p.text().startswith(label)), "")

    def line_links(self, label: str) -> list[tuple[str, str]]:
        for paragraph in self.panel.find_all("p"):
            if paragraph.text().startswith(label):
                return paragraph.links()
        return []

    def list_items(self, cls: str) -> list[str]:
        listing = self.panel.find("ul", cls)
        return [] if listing is None else [li.text() for li in listing.find_all("li")]


def read_items(path: Path) -> dict[str, ItemView]:
    """Every requirement item of a page, by its anchor (``requirement-...``)."""
    items = {}
    for section in read_page(path).find_all("section"):
        # A section's first id is its own; the writer puts the others in spans at its start.
        ids = [section.attrs.get("id", "")] + [
            c.attrs.get("id", "") for c in section.children if isinstance(c, Element)
        ]
        anchor = next((i for i in ids if i.startswith("requirement-")), "")
        if not anchor:
            continue
        pill = section.find("span", "xenabi-req-status")
        panel = next(
            (d for d in section.find_all("div", "xenabi-requirement") if _own(section, d)), None
        )
        assert pill is not None and panel is not None, f"{anchor}: no status or no panel"
        items[anchor] = ItemView(pill.text(), pill.classes, panel, section)
    return items


def _own(section: Element, element: Element) -> bool:
    """Whether ``element`` is in ``section`` itself, not in a section inside it."""
    inner = section.find_all("section")
    return not any(element in s.iter() for s in inner)
