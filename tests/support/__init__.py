"""What the test modules share; no test module imports another.

- :mod:`support.paths`: where the repository, the site's sources and the roots are.
- :mod:`support.building`: the one way to build a tree with Sphinx (:func:`run_sphinx`)
  and its thin uses for roots and copies of the ABI pages.
- :mod:`support.messages`: the logged warnings of a build, parsed and located.
- :mod:`support.lines`: lines of a source file, one-off edits.
- :mod:`support.cli`: ``python -m sphinx_xenabi`` in a real process.
- :mod:`support.pages`: small hand-written ABI pages; :mod:`support.abi_facts`: facts
  written out by hand that several modules check against.
- :mod:`support.html_tables`, :mod:`support.reindent`, :mod:`support.abi_pairs`,
  :mod:`support.xen_trees`, :mod:`support.table_strategies`: readers of the html,
  the re-indentation of a tree, tiny registries, small Xen source trees, and
  the property suite's table generator.
- :mod:`support.layering`: the package's import graph and its layering rules.

pytest plugins (``pytest_plugins`` in ``tests/conftest.py``):

- :mod:`support.whole_site`: the ``site`` marker (the slow tier) and the whole-site
  xdist group.
- :mod:`support.build_counter`: ``XENABI_COUNT_BUILDS=1`` counts full-site builds.
- :mod:`support.hypothesis_profiles`: the property suite's profiles and its table count.
"""
