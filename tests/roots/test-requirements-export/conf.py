"""Requirement items verified, failed and unverified, for the JSON and needs.json exports.

``xenabi_drift = "warning"``: the failing example is a warning, so the
build succeeds and publishes its files with the failed item in them.
"""

project = "xenabi-export"
extensions = ["myst_parser", "sphinx_xenabi"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
xenabi_drift = "warning"
