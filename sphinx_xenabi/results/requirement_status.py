"""Each requirement item's verdict on its page: status, links both ways, examples, evidence.

When pages are written (``doctree-resolved``), each requirement item gets
its status beside its id (``✔ verified``, ``✘ failed``, ``? unverified``; a
build that runs no examples says ``not checked``), its ``Covers`` ids made
links, and at the end of its text a panel (``xenabi-requirement``, styled
in ``xenabi.css``): the items that cover it, the ``xenabi-verifies``
blocks that name it (linked, each passed or failed), why it is not
verified, and the evidence: each fact of the reference its examples read,
with the Xen source line it was read from (file:line and the line's text),
or, when the reference is the built-in model, the model's value.

A verdict can change without its page being read again (another page's
example, a changed Xen tree): :func:`pages_with_new_verdicts` has those
pages written again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.util.nodes import make_refnode

from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.model.content_key import value_digest
from sphinx_xenabi.model.verdicts import NOT_CHECKED, STATUS_MARKS, Status, marked
from sphinx_xenabi.results.assembled_pages import ids_in, pages_in
from sphinx_xenabi.results.state import build_state, executes

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment

    from sphinx_xenabi.domain.requirements import RequirementLookup, RequirementObject
    from sphinx_xenabi.model.reference_facts import Fact
    from sphinx_xenabi.model.requirements import RequirementItem
    from sphinx_xenabi.model.verification import BlockOutcome, RequirementVerification
    from sphinx_xenabi.results.build_result import BuildResult

_STORE = "requirement_pages"  # each page's verdicts as last written, in the domain's data


def _status(result: BuildResult, name: str, checked: bool) -> str:
    verdict = result.verdicts.get(name)
    if not checked or verdict is None:
        return NOT_CHECKED
    return verdict.status.value


def _badge(status: str) -> nodes.inline:
    """``✔ verified``, its class ``xenabi-req-verified``."""
    return nodes.inline("", marked(status), classes=["xenabi-req-status", _class(status)])


def _class(status: str) -> str:
    return f"xenabi-req-{status.replace(' ', '-')}"


class _Page:
    """One document being written: its links are made from it."""

    def __init__(self, app: Sphinx, docname: str, result: BuildResult) -> None:
        self.builder: Builder = app.builder
        self.docname = docname
        self.result = result
        self.checked = executes(app)
        self.lookup: RequirementLookup = xenabi_domain(app.env).requirement_lookup

    def item_link(self, target: str) -> nodes.Node:
        """The id as a link to its item; as plain text when no item has it (a warning says so)."""
        found = self.lookup.find(target)
        if found is None:
            return nodes.Text(target)
        shown = nodes.inline(target, target, classes=["xenabi-requirement"])
        return make_refnode(
            self.builder, self.docname, found.docname, found.anchor, shown, found.item.title
        )

    def block_link(self, outcome: BlockOutcome) -> nodes.Node:
        block = outcome.block
        shown = nodes.Text(f"{block.location}")
        if not block.anchor:
            return shown
        title = f"the examples verifying {block.names}"
        return make_refnode(self.builder, self.docname, block.docname, block.anchor, shown, title)

    def render(self, ids: Mapping[str, nodes.Element], obj: RequirementObject) -> None:
        """The item's section marked with its status, and its panel after its text."""
        section = ids.get(obj.anchor)
        if not isinstance(section, nodes.section):
            return
        name = obj.name
        status = _status(self.result, name, self.checked)
        section["classes"].append(_class(status))
        _mark_id(section, name, status)
        covers = {str(link.target) for link in obj.item.covers}
        _link_ids(section, covers, self.item_link)
        panel = self.panel(obj, status)
        body_end = next(
            (i for i, child in enumerate(section.children) if isinstance(child, nodes.section)),
            len(section.children),
        )
        section.insert(body_end, panel)

    def panel(self, obj: RequirementObject, status: str) -> nodes.container:
        name = obj.name
        verdict = self.result.verdicts.get(name)
        panel = nodes.container(classes=["xenabi-requirement", _class(status)])
        heading = nodes.paragraph(classes=["xenabi-req-heading"])
        heading += _badge(status)
        heading += nodes.Text(f" {self._against(status)}")
        panel += heading
        if verdict is not None and self.checked:
            panel.extend(self._examples(verdict))
        panel.extend(self._covered_by(obj.item))
        if verdict is not None and self.checked:
            panel.extend(self._reasons(verdict))
            panel.extend(self._evidence(verdict))
        return panel

    @property
    def reference(self) -> str:
        """What the examples ran against: the Xen tree read, or the model of the release."""
        # The summary says it was a Xen source: its reading stays unloaded.
        if self.result.reference.summary is None:
            return f"the built-in model of Xen {self.result.release}"
        return self.result.reference.name

    def _against(self, status: str) -> str:
        if status == NOT_CHECKED:
            return "(this build runs no examples)"
        return f"against {self.reference}"

    def _covered_by(self, item: RequirementItem) -> Iterator[nodes.paragraph]:
        """The items that cover this one; said also when none does but one is needed."""
        covering = self.result.requirements.covered_by.get(item.id, ())
        if not covering and not item.needs:
            return
        line = nodes.paragraph(classes=["xenabi-req-covered-by"])
        line += nodes.strong("", "Covered by: ")
        if not covering:
            line += nodes.Text(f"no item yet (it needs {', '.join(item.needed_types)})")
        for i, covering_id in enumerate(covering):
            if i:
                line += nodes.Text(", ")
            line += self.item_link(str(covering_id))
        yield line

    def _examples(self, verdict: RequirementVerification) -> Iterator[nodes.Node]:
        if not verdict.blocks:
            return
        line = nodes.paragraph(classes=["xenabi-req-examples"])
        line += nodes.strong("", "Examples: ")
        for i, outcome in enumerate(verdict.blocks):
            if i:
                line += nodes.Text(", ")
            count = len(outcome.block.examples)
            ran = (
                f"{STATUS_MARKS['verified']} passed"
                if outcome.passed
                else f"{STATUS_MARKS['failed']} failed"
            )
            line += self.block_link(outcome)
            line += nodes.inline(
                "",
                f" ({count} example{'s' if count != 1 else ''}, {ran})",
                classes=["xenabi-pass" if outcome.passed else "xenabi-fail"],
            )
        yield line

    def _reasons(self, verdict: RequirementVerification) -> Iterator[nodes.Node]:
        if verdict.status is Status.VERIFIED or not verdict.reasons:
            return
        line = nodes.paragraph(classes=["xenabi-req-why"])
        line += nodes.strong("", "Failed: " if verdict.status is Status.FAILED else "Why: ")
        yield line
        reasons = nodes.bullet_list(classes=["xenabi-req-reasons"])
        for reason in verdict.reasons:
            reasons += nodes.list_item("", nodes.paragraph("", reason))
        yield reasons

    def _evidence(self, verdict: RequirementVerification) -> Iterator[nodes.Node]:
        if not verdict.blocks:
            return
        facts = _unique(f for outcome in verdict.blocks for f in outcome.facts)
        caption = nodes.paragraph(classes=["xenabi-req-evidence-caption"])
        caption += nodes.strong("", "Evidence: ")
        yield caption
        if self.result.reference.summary is None:
            # The model's facts are short values: one paragraph, not a list of lines.
            caption += nodes.Text(
                f"{self.reference} backs the examples; no Xen source was read. They read"
            )
            if facts:
                caption += nodes.Text(": ")
                stated = "; ".join(_stated(facts))
                caption += nodes.inline("", stated, classes=["xenabi-req-facts"])
            else:
                caption += nodes.Text(" none of its facts by name")
            caption += nodes.Text(".")
        elif facts:
            caption += nodes.Text(f"the lines of {self.reference} that the examples read:")
            yield _evidence_list(facts)
        else:
            caption += nodes.Text(
                f"the examples read no fact of {self.reference} by name, so no line of it "
                "backs them."
            )


def _unique(facts: Iterable[Fact]) -> list[Fact]:
    """Each fact once, where first read."""
    return list({f.key: f for f in reversed(list(facts))}.values())[::-1]


def _stated(facts: list[Fact]) -> list[str]:
    """``label = value`` per fact; one hypercall's availability to several guests said once.

    "xen_version (17) for Arm 64 guests = available" and the same for Arm
    32 read "xen_version (17) for Arm 64, Arm 32 guests = available".
    """
    texts: list[str] = []
    merged: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for fact in facts:
        found = _AVAILABILITY.fullmatch(fact.label) if fact.key.startswith("available/") else None
        if found is None:
            texts.append(f"{fact.label} = {fact.value}")
            continue
        group = (found["call"], fact.value)
        if group not in merged:
            merged[group] = (len(texts), [])
            texts.append("")
        merged[group][1].append(found["guest"])
    for (call, value), (position, guests) in merged.items():
        texts[position] = f"{call} for {', '.join(guests)} guests = {value}"
    return texts


_AVAILABILITY = re.compile(r"(?P<call>.+) for (?P<guest>.+) guests")


def _evidence_list(facts: list[Fact]) -> nodes.bullet_list:
    """One item per source line, the facts it backs after it (a fact the model states alone)."""
    lines: dict[tuple[str, int, str], list[Fact]] = {}
    for fact in facts:
        evidence = fact.evidence
        where = ("", 0, fact.key) if evidence is None else (evidence.file, evidence.line, "")
        lines.setdefault(where, []).append(fact)
    listing = nodes.bullet_list(classes=["xenabi-req-evidence"])
    for backed in lines.values():
        item = nodes.paragraph()
        evidence = backed[0].evidence
        if evidence is not None:
            item += nodes.strong("", str(evidence), classes=["xenabi-req-where"])
            if evidence.text:
                item += nodes.Text(" ")
                item += nodes.literal(evidence.text, evidence.text, classes=["xenabi-req-line"])
        else:
            item += nodes.strong("", "the model", classes=["xenabi-req-where"])
        item += nodes.inline(
            "",
            " → " + "; ".join(_stated(backed)),
            classes=["xenabi-req-facts"],
        )
        # Each clause of the facts' notes once (two guests' notes may share one).
        notes = dict.fromkeys(
            clause
            for f in backed
            if f.evidence and f.evidence.note
            for clause in f.evidence.note.split("; ")
        )
        if notes:
            item += nodes.inline("", f" ({'; '.join(notes)})", classes=["xenabi-req-note"])
        listing += nodes.list_item("", item)
    return listing


def _mark_id(section: nodes.section, name: str, status: str) -> None:
    """The status beside the item's id (its first paragraph)."""
    for paragraph in section.findall(nodes.paragraph):
        if paragraph.astext().strip() == name:
            paragraph["classes"].append("xenabi-req-id")
            paragraph += nodes.Text(" ")
            paragraph += _badge(status)
            return


def _link_ids(section: nodes.section, targets: set[str], link: Callable[[str], nodes.Node]) -> None:
    """The ``Covers`` ids in the item's own text made links to their items."""
    if not targets:
        return  # an item that covers none (a market requirement): no walk
    for child in section.children:
        if isinstance(child, nodes.section):
            break  # a sub-section is another item's
        for node in list(child.findall(_ID_NODES)):
            text = node.astext().strip()
            if text in targets and isinstance(node.parent, nodes.Element):
                node.parent.replace(node, link(text))


def _ID_NODES(node: nodes.Node) -> bool:
    """What a backticked id is parsed to: reST's default role, MyST's code span."""
    return isinstance(node, nodes.title_reference | nodes.literal)


def render_requirements(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: each requirement item of the page (or of every page the
    doctree inlines) with its verdict."""
    requirements = xenabi_domain(app.env).requirements
    pages = pages_in(app.builder, doctree, docname)
    objects = [obj for page in pages for obj in requirements.get(page, ())]
    if not objects:
        return  # most pages: no item, the result is not even loaded
    result = build_state(app)
    if result is None:
        return
    page = _Page(app, docname, result)
    ids = ids_in(app.builder, doctree)
    for obj in objects:
        page.render(ids, obj)


def _signature(result: BuildResult, objects: Iterable[RequirementObject], checked: bool) -> tuple:
    """What the items of one page show: a page whose signature changed is written again."""
    shown = []
    for obj in objects:
        name = obj.name
        verdict = result.verdicts.get(name)
        blocks = () if verdict is None else verdict.blocks
        shown.append(
            (
                name,
                _status(result, name, checked),
                () if verdict is None else verdict.reasons,
                tuple((b.block.docname, b.block.anchor, b.passed) for b in blocks),
                tuple(repr(f) for b in blocks for f in b.facts),
                tuple(map(str, result.requirements.covered_by.get(obj.item.id, ()))),
                result.reference.name,
            )
        )
    return tuple(shown)


def pages_with_new_verdicts(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``: the pages whose requirement items now show another verdict.

    In a build that runs no examples, the requirement index says "not
    checked" of every item, as the pages do.
    """
    result = build_state(app)
    if result is None:
        return []
    domain = xenabi_domain(env)
    checked = executes(app)
    # Digests, not the signatures: the environment keeps them, and every build loads it.
    current = {
        docname: value_digest(_signature(result, objects, checked))
        for docname, objects in domain.requirements.items()
    }
    previous: dict[str, str] = domain.data.get(_STORE, {})
    domain.data[_STORE] = current
    return sorted(d for d in current if previous.get(d) != current[d])
