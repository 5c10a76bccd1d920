"""sphinx.testing root for the sphinx_xenabi extraction tests."""

project = "xenabi-test"
extensions = ["sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
# The numbers table lists a few hypercalls only: report the gaps as warnings.
xenabi_drift = "warning"
