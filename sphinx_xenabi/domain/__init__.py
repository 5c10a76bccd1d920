"""The ``xenabi`` Sphinx domain: the tables each document holds, and hypercalls as objects.

- ``xenabi``: the domain (per-document records, ``clear_doc`` and
  ``merge_domaindata``, object lookup and cross-reference resolution) and
  the ``doctree-read`` handler that fills it;
- ``anchors``: every numbers-table row as a hypercall object;
- ``role``: ``:xenabi:hypercall:`` and its warning for unknown targets;
- ``index``: the hypercall index page.
"""
