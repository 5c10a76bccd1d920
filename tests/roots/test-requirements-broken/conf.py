"""Requirement items in Xen's format whose links break, one way each, in reST and MyST.

Every link check (covers-unknown, covers-outdated, covers-predated,
covers-unwanted, uncovered-requirement), a duplicate id, malformed ids and
entries (bad-requirement) and references to no item (unknown-requirement).
"""

project = "xenabi-requirements-broken"
extensions = ["myst_parser", "sphinx_xenabi"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
