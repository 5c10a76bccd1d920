"""A page of Arm hypercall requirements with the examples that verify them."""

project = "xenabi-test"
extensions = ["myst_parser", "sphinx_xenabi"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]
