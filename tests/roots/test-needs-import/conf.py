"""A sphinx-needs project (without sphinx_xenabi) that imports the requirements' needs.json.

The test copies a build's ``xenabi-needs.json`` here before building; the
configuration is sphinx-needs' default but for writing its own needs.json.
A reST page and a MyST page (with an ``id_prefix``) import the file, so the
content is read by both parsers.
"""

project = "needs-consumer"
extensions = ["myst_parser", "sphinx_needs"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
version = "1.0"
exclude_patterns = ["_build"]
needs_build_json = True
