"""Sphinx configuration for the Xen guides (``sphinx-build -c . docs OUT``)."""

from __future__ import annotations

project = "Xen"
author = "The Xen Project contributors"
copyright = "The Xen Project contributors"  # noqa: A001 - Sphinx's name

# The guides describe this Xen release; the drift gate checks the tables
# against the model revision of this release (see ``xenabi_xen_release``).
version = "4.22"
release = "4.22"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx_rtd_theme",
    "sphinx_xenabi",
]

source_suffix = {
    ".rst": "restructuredtext",
    ".md": "markdown",
}

root_doc = "index"
exclude_patterns: list[str] = []

html_theme = "sphinx_rtd_theme"
# The theme's navigation, extended with the hypercall and general indices.
templates_path = ["docs/_templates"]
html_title = f"Xen {release} documentation"

# Doctests import nothing from the outside: the extension injects the model
# and the dispatcher built from this build's own tables.
doctest_global_setup = ""

# The Python API page (docs/tooling/api.rst): signatures without type hints,
# which would link to typing and stdlib names the site does not document.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
