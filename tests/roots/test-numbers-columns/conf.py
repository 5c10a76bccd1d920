"""sphinx.testing root: numbers tables with a repeated guest column and an ignored column."""

project = "xenabi-test"
extensions = ["sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
xenabi_drift = "warning"
