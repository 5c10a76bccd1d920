"""sphinx.testing root: tables whose cells docutils or MyST locate poorly.

Pipe tables inside directives, tables nested in list-table cells, simple
tables with rows docutils makes up, and a grid table in an included file.
"""

project = "xenabi-test"
extensions = ["myst_parser", "sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build", "parts"]
xenabi_drift = "warning"
