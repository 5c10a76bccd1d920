"""sphinx.testing root: tables whose records the registry schema once refused."""

project = "xenabi-test"
extensions = ["sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
xenabi_drift = "warning"
