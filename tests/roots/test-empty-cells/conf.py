"""sphinx.testing root: empty cells in grid, simple, csv and list tables."""

project = "xenabi-test"
extensions = ["sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
xenabi_drift = "warning"
