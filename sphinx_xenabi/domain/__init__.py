"""The ``xenabi`` Sphinx domain: the tables each document holds; hypercalls and requirements as objects.

- ``xenabi``: the domain (per-document records, ``clear_doc`` and
  ``merge_domaindata``, object lookup and cross-reference resolution) and
  the ``doctree-read`` handler that fills it;
- ``anchors``: every numbers-table row as a hypercall object;
- ``role``: ``:xenabi:hypercall:`` and its warning for unknown targets;
- ``index``: the hypercall index page;
- ``requirement_sections``: every requirement item's section as an object;
- ``requirements``: the requirement objects, ``:xenabi:requirement:`` and
  its warning for unknown ids;
- ``requirement_index``: the requirement index page.
"""
