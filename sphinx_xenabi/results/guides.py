"""The guide map: which guide each document belongs to, from the toctrees.

The root document's toctrees list the guides; a document belongs to the
first guide (in the root's order) whose toctrees reach it. File paths play no
part, so a guide may live anywhere in the source tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sphinx_xenabi.model.records import Guide


@dataclass(frozen=True)
class GuideMap:
    guides: tuple[Guide, ...]
    guide_of: Mapping[str, str]
    unreachable: tuple[str, ...]


def build_guide_map(
    root: str,
    includes: Mapping[str, Sequence[str]],
    titles: Mapping[str, str],
    docnames: Iterable[str],
) -> GuideMap:
    """Walk the toctree graph from each guide the root document lists.

    ``includes`` is Sphinx's ``env.toctree_includes`` (document -> the
    documents its toctrees list, in order); ``docnames`` are all documents.
    """
    guide_of: dict[str, str] = {}
    guides: list[Guide] = []
    for guide_doc in dict.fromkeys(includes.get(root, ())):
        if guide_doc in guide_of or guide_doc == root:
            continue
        pages: list[str] = []
        stack = [guide_doc]
        while stack:  # iterative preorder keeps reading order without recursion limits
            docname = stack.pop()
            if docname in guide_of or docname == root:
                continue
            guide_of[docname] = guide_doc
            pages.append(docname)
            stack.extend(reversed(includes.get(docname, ())))
        guides.append(Guide(guide_doc, titles.get(guide_doc, guide_doc), tuple(pages)))
    unreachable = tuple(sorted(d for d in docnames if d != root and d not in guide_of))
    return GuideMap(tuple(guides), guide_of, unreachable)
