"""sphinx.testing root: references to hypercalls that no table defines."""

project = "xenabi-xref-unknown"
extensions = ["myst_parser", "sphinx_xenabi"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
release = "4.22"
# The numbers table is a two-row excerpt: what the model says about the
# rest is not this root's subject.
xenabi_drift = "warning"
suppress_warnings = ["xenabi.drift"]
