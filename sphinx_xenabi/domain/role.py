"""``:xenabi:hypercall:``: references to hypercalls by name or number.

``:xenabi:hypercall:`xen_version``` and ``:xenabi:hypercall:`17``` both link
to the numbers-table row of ``xen_version`` and read ``xen_version``. An
explicit title may ask for the number, as ``:numref:`` titles do:
``:xenabi:hypercall:`{name} ({number}) <xen_version>``` reads
"``xen_version`` (17)", with both values taken from the table, so prose
cannot drift from it.

An unknown target is a warning of type ``xenabi.unknown-hypercall`` under
``-n`` (nitpicky), as unknown targets of Sphinx's own roles are.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, cast

from docutils import nodes
from sphinx import addnodes
from sphinx.roles import XRefRole
from sphinx.util.logging import get_node_location

from sphinx_xenabi.log import warn
from sphinx_xenabi.model.problems import WarningSubtype

if TYPE_CHECKING:
    from docutils.nodes import Element
    from sphinx.application import Sphinx
    from sphinx.domains import Domain
    from sphinx.environment import BuildEnvironment

    from sphinx_xenabi.domain.objects import HasHypercalls


# The explicit title as written, when it holds placeholders to fill on resolving.
TITLE_ATTRIBUTE = "xenabi_title"
# Set on references the extension generates (page listings): a hypercall the
# docs' tables lack is the drift gate's to report, not a broken link.
OPTIONAL_ATTRIBUTE = "xenabi_optional"

_PLACEHOLDER = re.compile(r"(\{name\}|\{number\})")


class HypercallRole(XRefRole):
    """A cross-reference role whose explicit title may hold ``{name}`` and ``{number}``."""

    def process_link(
        self,
        env: BuildEnvironment,
        refnode: Element,
        has_explicit_title: bool,
        title: str,
        target: str,
    ) -> tuple[str, str]:
        title, target = super().process_link(env, refnode, has_explicit_title, title, target)
        target = target.strip()
        if has_explicit_title and _PLACEHOLDER.search(title):
            refnode[TITLE_ATTRIBUTE] = title
            # Shown if the target stays unresolved or another project's
            # inventory resolves it: fill in what the target itself says.
            from sphinx_xenabi.extraction.rows import parse_number  # only for such titles

            numeric = parse_number(target) is not None
            title = title.replace("{name}", "?" if numeric else target)
            title = title.replace("{number}", target if numeric else "?")
        return title, target


def link_text(
    node: addnodes.pending_xref, contnode: nodes.Element, name: str, number: int
) -> nodes.Element:
    """The hypercall's name, the explicit title, or the title with placeholders filled."""
    if not node.get("refexplicit"):
        # The target may be the number: the link reads as the name either way.
        shown = contnode.deepcopy()
        shown.clear()
        shown += nodes.Text(name)
        return shown
    title = node.get(TITLE_ATTRIBUTE)
    if not title:
        return contnode
    text = nodes.inline()
    for part in _PLACEHOLDER.split(title):
        if part == "{name}":
            # The name looks as the role's plain form shows it.
            text += nodes.literal(name, name, classes=contnode["classes"])
        elif part == "{number}":
            text += nodes.Text(str(number))
        elif part:
            text += nodes.Text(part)
    return text


def generated_reference(docname: str, name: str) -> addnodes.pending_xref:
    """A reference the extension writes itself (plain text, never warned about)."""
    return addnodes.pending_xref(
        "",
        nodes.inline(name, name),
        refdomain="xenabi",
        reftype="hypercall",
        reftarget=name,
        refdoc=docname,
        refexplicit=True,
        refwarn=False,
        **{OPTIONAL_ATTRIBUTE: True},
    )


def warn_unknown_hypercall(
    app: Sphinx, domain: Domain | None, node: addnodes.pending_xref
) -> bool | None:
    """``warn-missing-reference``: say what a hypercall target should have been.

    Sphinx calls this only for a warning it would give (``-n``, not in
    ``nitpick_ignore``); returning True replaces its untyped ``ref.*`` warning,
    None leaves other domains' references to other handlers.
    """
    if domain is None or domain.name != "xenabi" or node.get("reftype") != "hypercall":
        return None
    if node.get(OPTIONAL_ATTRIBUTE):
        return True
    target = node["reftarget"]
    from sphinx_xenabi.extraction.rows import parse_number

    lookup = cast("HasHypercalls", domain).lookup
    number = parse_number(target)
    if not target:
        found = "an empty target"
    elif number is not None:
        found = f"no row with number {number}"
    else:
        close = difflib.get_close_matches(target, lookup.by_name, n=1)
        found = f"no row named {target!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
    warn(
        WarningSubtype.UNKNOWN_HYPERCALL,
        f"unknown hypercall {target!r}: expected the name or number of a row of a "
        f"hypercall numbers table, found {found}",
        get_node_location(node),
    )
    return True
