"""Requirement sections as objects: read at ``doctree-read``, anchored and kept.

Each section that is a requirement item (``extraction/requirements.py``)
gets an anchor (``requirement-<id>``, which ``:xenabi:requirement:`` and the
requirement index link to) and the domain keeps the item under its
document. The items' reading problems are logged at once, as the tables'
are; the links between items are checked once every document is read
(``results/build_result.py``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.util.nodes import make_id

from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.extraction.id_nodes import has_backticked_tilde
from sphinx_xenabi.log import log_problem

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from sphinx_xenabi.domain.requirements import RequirementObject


def read_requirements(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: the document's requirement items anchored and kept in the domain.

    A cheap look first: a page none of whose backticked words has a ``~``
    has no item and no item fault, and its reading loads none of the
    requirement code (nor the model's requirements, which the domain's
    requirement objects hold).
    """
    if not has_backticked_tilde(doctree):
        return
    from sphinx_xenabi.domain.requirements import ANCHOR_PREFIX, RequirementObject
    from sphinx_xenabi.extraction.cells import relativiser
    from sphinx_xenabi.extraction.requirements import extract_requirements  # when reading

    env = app.env
    docname = env.docname
    relativise = relativiser(app.srcdir)
    extraction = extract_requirements(
        doctree, docname, relativise(os.fspath(env.doc2path(docname))), relativise
    )
    for problem in extraction.problems:
        log_problem(problem, app)
    objects: list[RequirementObject] = []
    for found in extraction.found:
        anchor = make_id(env, doctree, ANCHOR_PREFIX, str(found.item.id))
        found.section["ids"].append(anchor)
        doctree.ids[anchor] = found.section
        objects.append(RequirementObject(found.item, anchor))
    xenabi_domain(env).note_requirements(docname, objects, extraction.problems)
