"""sphinx.testing root for the history and diff directives."""

project = "xenabi-test"
extensions = ["myst_parser", "sphinx_xenabi"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
