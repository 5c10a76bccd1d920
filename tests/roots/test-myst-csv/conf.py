"""sphinx.testing root: MyST csv-tables (header in the data, in :header:, in a YAML block)."""

project = "xenabi-test"
extensions = ["myst_parser", "sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
xenabi_drift = "warning"
