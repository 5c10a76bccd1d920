"""sphinx.testing root: a release written as a float, which Python reads as 4.2."""

project = "xenabi-test"
extensions = ["sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
xenabi_xen_release = 4.20  # the mistake under test
