"""A sphinx-needs project (without sphinx_xenabi) that imports the requirements' needs.json.

The test copies a build's ``xenabi-needs.json`` here before building; the
configuration is sphinx-needs' default but for writing its own needs.json.
"""

project = "needs-consumer"
extensions = ["sphinx_needs"]
version = "1.0"
exclude_patterns = ["_build"]
needs_build_json = True
