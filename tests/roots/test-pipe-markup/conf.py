"""sphinx.testing root: MyST pipe tables with inline markup in their cells."""

project = "xenabi-test"
extensions = ["myst_parser", "sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
xenabi_drift = "warning"
