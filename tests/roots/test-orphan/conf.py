"""sphinx.testing root for the sphinx_xenabi extraction tests."""

project = "xenabi-test"
extensions = ["sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
