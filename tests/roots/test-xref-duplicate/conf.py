"""sphinx.testing root: two numbers tables that pair names and numbers differently."""

project = "xenabi-xref-duplicate"
extensions = ["sphinx_xenabi"]
release = "4.22"
# The tables are excerpts, and the second one is wrong on purpose: the drift
# gate would say so too, but this root is about the domain's warning.
xenabi_drift = "warning"
suppress_warnings = ["xenabi.drift"]
