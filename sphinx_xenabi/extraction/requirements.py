"""Requirement items in a doctree, read as Xen writes them (``docs/fusa/reqs``).

An item is a section whose first paragraph is an id alone, in backticks
(`` `XenProd~vcpus~1` ``: a title reference in reST, a literal in MyST).
The paragraphs after it are its fields, each opened by its name and a
colon: ``Description:``, ``Rationale:`` and ``Comments:`` hold text (on the
same paragraph or the ones after); ``Covers:`` holds a bullet list of ids
and ``Needs:`` a bullet list of artifact types (reST reads a name followed
by an indented list as a definition list, MyST as a paragraph and a list:
both are read). Text before the first field is the description, as
OpenFastTrace reads it; what follows the lists (a footnote, say) belongs to
no field.

A lone backticked word with a ``~`` that is no id, a ``Covers`` entry that
is no id, a ``Needs`` entry that is no type, a field given twice or a list
field without a list is a located problem; the rest of the item is kept.
Nothing here raises on what a page says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from docutils import nodes

from sphinx_xenabi.extraction.id_nodes import ID_NODES
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.problems import Problem, WarningSubtype
from sphinx_xenabi.model.requirements import (
    COVERS,
    DESCRIPTION,
    FIELD_NAMES,
    NEEDS,
    TYPE_PATTERN,
    CoverLink,
    FieldText,
    NeededType,
    RequirementId,
    RequirementItem,
    looks_like_id,
)

_FIELD = re.compile(rf"({'|'.join(FIELD_NAMES)})[ \t]*:[ \t]*")
_LIST_FIELDS = (COVERS, NEEDS)
_UNREAD = (nodes.comment, nodes.target, nodes.system_message, nodes.substitution_definition)


@dataclass(frozen=True)
class FoundRequirement:
    """An item and the section node that holds it (where its anchor goes)."""

    item: RequirementItem
    section: nodes.Element


@dataclass(frozen=True)
class RequirementExtraction:
    found: tuple[FoundRequirement, ...]
    problems: tuple[Problem, ...]


def extract_requirements(
    doctree: nodes.document,
    docname: str,
    default_file: str,
    relativise: Callable[[str], str],
) -> RequirementExtraction:
    """Every requirement item of ``doctree``, in document order, and the faults found."""
    found: list[FoundRequirement] = []
    problems: list[Problem] = []
    for section in _sections(doctree):
        reader = _ItemReader(section, docname, default_file, relativise)
        item = reader.read()
        problems.extend(reader.problems)
        if item is not None:
            found.append(FoundRequirement(item, section))
    return RequirementExtraction(tuple(found), tuple(problems))


def _sections(doctree: nodes.document) -> Iterator[nodes.Element]:
    """Sections in document order; the document too when docutils made it the title's."""
    if doctree.children and isinstance(doctree.children[0], nodes.title):
        yield doctree
    stack: list[nodes.Node] = list(reversed(doctree.children))
    while stack:
        node = stack.pop()
        if isinstance(node, (nodes.TextElement, nodes.Text)):
            continue  # inline content holds no section
        if isinstance(node, nodes.section):
            yield node
        stack.extend(reversed(node.children))


def lone_id_text(paragraph: nodes.paragraph) -> str | None:
    """The text of a paragraph that is one backticked literal and nothing else."""
    children = [
        c for c in paragraph.children if not (isinstance(c, nodes.Text) and not c.astext().strip())
    ]
    if len(children) == 1 and isinstance(children[0], ID_NODES):
        return children[0].astext().strip()
    return None


@dataclass
class _Fields:
    texts: dict[str, list[str]] = field(default_factory=dict)
    starts: dict[str, Location] = field(default_factory=dict)
    covers: list[CoverLink] = field(default_factory=list)
    needs: list[NeededType] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)  # list fields that got entries


class _ItemReader:
    """Reads one section: its id paragraph, then its fields in order."""

    def __init__(
        self,
        section: nodes.Element,
        docname: str,
        default_file: str,
        relativise: Callable[[str], str],
    ) -> None:
        self.section = section
        self.docname = docname
        self.default_file = default_file
        self.relativise = relativise
        self.problems: list[Problem] = []
        self.fields = _Fields()
        self.current: str | None = None  # the field text and lists go to
        self.skipping = False  # inside a field given twice
        self.last = Location(default_file, section.line or 0)

    def locate(self, node: nodes.Node) -> Location:
        """The node's file and line; the last located node's if it has none."""
        line = getattr(node, "line", None)
        source = getattr(node, "source", None)
        if not line:
            return self.last
        file = self.relativise(source) if source else self.default_file
        self.last = Location(file, line)
        return self.last

    def problem(self, message: str, location: Location) -> None:
        self.problems.append(Problem(WarningSubtype.BAD_REQUIREMENT, message, location))

    def read(self) -> RequirementItem | None:
        body = [c for c in self.section.children if not isinstance(c, (nodes.title, nodes.section))]
        first = next((i for i, c in enumerate(body) if isinstance(c, nodes.paragraph)), None)
        if first is None:
            return None
        paragraph = body[first]
        assert isinstance(paragraph, nodes.paragraph)
        text = lone_id_text(paragraph)
        if text is None or not looks_like_id(text):
            return None
        location = self.locate(paragraph)
        try:
            item_id = RequirementId.parse(text)
        except ValueError as fault:
            self.problem(f"{fault}; the section is read as no requirement item", location)
            return None
        for node in body[first + 1 :]:
            self.read_node(node, item_id)
        self.close_list_field(item_id)
        title = next((c for c in self.section.children if isinstance(c, nodes.title)), None)
        fields = self.fields
        return RequirementItem(
            id=item_id,
            title=" ".join(title.astext().split()) if title is not None else str(item_id),
            docname=self.docname,
            location=location,
            fields=tuple(
                FieldText(name, "\n\n".join(t for t in texts if t), fields.starts[name])
                for name, texts in fields.texts.items()
            ),
            covers=tuple(fields.covers),
            needs=tuple(fields.needs),
            covers_location=fields.starts.get(COVERS),
            needs_location=fields.starts.get(NEEDS),
        )

    def read_node(self, node: nodes.Node, item_id: RequirementId) -> None:
        if isinstance(node, _UNREAD):
            return
        if isinstance(node, nodes.paragraph):
            self.read_paragraph(node, item_id)
        elif isinstance(node, nodes.definition_list):
            for entry in node.children:
                if isinstance(entry, nodes.definition_list_item):
                    self.read_definition(entry, item_id)
        elif isinstance(node, nodes.bullet_list) and self.current in _LIST_FIELDS:
            self.read_list(node, item_id)
        else:
            self.add_text(node.astext())

    def read_paragraph(self, paragraph: nodes.paragraph, item_id: RequirementId) -> None:
        text = paragraph.astext()
        match = _FIELD.match(text)
        if match is None:
            self.add_text(text)
            return
        self.open_field(match[1], self.locate(paragraph), item_id)
        rest = text[match.end() :]
        if self.current == NEEDS and rest.strip():
            for kind in re.split(r"[,\s]+", rest.strip()):
                self.add_need(kind, self.last, item_id)
        elif self.current == COVERS and rest.strip():
            # findall() takes one class or a predicate, not a tuple of classes.
            for literal in paragraph.findall(lambda node: isinstance(node, ID_NODES)):
                self.add_cover(literal.astext(), self.last, item_id)
        else:
            self.add_text(rest)

    def read_definition(self, entry: nodes.definition_list_item, item_id: RequirementId) -> None:
        term = next((c for c in entry.children if isinstance(c, nodes.term)), None)
        definition = next((c for c in entry.children if isinstance(c, nodes.definition)), None)
        match = _FIELD.fullmatch(term.astext().strip()) if term is not None else None
        if term is None or match is None:
            self.add_text(entry.astext())
            return
        self.open_field(match[1], self.locate(term), item_id)
        for child in definition.children if definition is not None else ():
            self.read_node(child, item_id)

    def read_list(self, bullets: nodes.bullet_list, item_id: RequirementId) -> None:
        for list_item in bullets.children:
            if not isinstance(list_item, nodes.list_item):
                continue
            inner = next(iter(list_item.findall(nodes.paragraph)), list_item)
            location = self.locate(inner if inner.line else list_item)
            if self.current == COVERS:
                self.add_cover(list_item.astext(), location, item_id)
            else:
                self.add_need(list_item.astext(), location, item_id)
        self.current = None  # what follows the list is no longer the field's

    def open_field(self, name: str, location: Location, item_id: RequirementId) -> None:
        self.close_list_field(item_id)
        self.skipping = name in self.fields.starts
        if self.skipping:
            first = self.fields.starts[name]
            self.problem(
                f"{item_id}: {name} is given twice (first at line {first.line}); the second is "
                "ignored",
                location,
            )
            self.current = None
            return
        self.current = name
        self.fields.starts[name] = location
        if name not in _LIST_FIELDS:
            self.fields.texts[name] = []

    def close_list_field(self, item_id: RequirementId) -> None:
        """A ``Covers`` or ``Needs`` that ends without an entry says nothing: report it."""
        name = self.current
        if name in _LIST_FIELDS and name not in self.fields.listed:
            what = "ids" if name == COVERS else "artifact types"
            self.problem(
                f"{item_id}: {name}: lists no {what}; write them as a bullet list "
                f"(' - {'XenMkt~name~1' if name == COVERS else 'XenSwdgn'}'), or leave "
                f"{name} out",
                self.fields.starts[name],
            )
        self.current = None if name in _LIST_FIELDS else self.current

    def add_text(self, text: str) -> None:
        text = " ".join(text.split())
        if not text or self.skipping:
            return
        if self.current is None and not self.fields.starts:
            self.open_implicit_description()
        if self.current is not None and self.current not in _LIST_FIELDS:
            self.fields.texts[self.current].append(text)

    def open_implicit_description(self) -> None:
        """Text between the id and the first field: OpenFastTrace reads it as the description."""
        self.current = DESCRIPTION
        self.fields.starts[DESCRIPTION] = self.last
        self.fields.texts[DESCRIPTION] = []

    def add_cover(self, text: str, location: Location, item_id: RequirementId) -> None:
        self.fields.listed.add(COVERS)
        try:
            target = RequirementId.parse(text.strip().strip("`"))
        except ValueError as fault:
            self.problem(f"{item_id}: Covers: {fault}; the entry is skipped", location)
            return
        self.fields.covers.append(CoverLink(target, location))

    def add_need(self, text: str, location: Location, item_id: RequirementId) -> None:
        self.fields.listed.add(NEEDS)
        kind = text.strip().strip("`")
        if not TYPE_PATTERN.fullmatch(kind):
            self.problem(
                f"{item_id}: Needs: {kind!r} is not an artifact type (letters only, such as "
                "XenSwdgn); the entry is skipped",
                location,
            )
            return
        self.fields.needs.append(NeededType(kind, location))
