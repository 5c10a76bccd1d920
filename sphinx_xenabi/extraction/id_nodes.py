"""Where a requirement id can stand: the inline node a backticked word is parsed to.

reST's default role makes `` `XenProd~vcpus~1` `` a title reference, a MyST
code span a literal. ``requirements.py`` reads ids from these nodes only,
so a page none of whose backticked words has a ``~`` has no requirement
item and no item fault; the domain looks for one before it loads the
requirement code (this module needs docutils alone).
"""

from __future__ import annotations

from docutils import nodes

ID_NODES = (nodes.title_reference, nodes.literal)


def has_backticked_tilde(doctree: nodes.Node) -> bool:
    """Whether a backticked word of ``doctree`` has a ``~``, as every item's id does.

    A ``~`` in prose or in a shell prompt (``[root@host ~]#`` in a literal
    block, as Xen's guides have) does not count.
    """
    # An id's text is its node's own child. One walk, by hand: findall's
    # generator over every Text node took twice as long on the benchmark's pages.
    stack: list[nodes.Node] = [doctree]
    while stack:
        node = stack.pop()
        if isinstance(node, ID_NODES) and any(
            isinstance(child, nodes.Text) and "~" in child for child in node.children
        ):
            return True
        if not isinstance(node, nodes.Text):
            stack.extend(node.children)
    return False
