"""sphinx.testing root: a registers row that names fewer parameters than xen_version takes."""

project = "xenabi-test"
extensions = ["sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
