"""The names of the files a build publishes at the root of its output directory.

Kept apart from the modules that write them, so code that only needs a name
(the registry role's link, withdrawing last build's files) loads no encoder.
"""

REGISTRY_FILENAME = "xenabi-registry.json"
REQUIREMENTS_FILENAME = "xenabi-requirements.json"
NEEDS_FILENAME = "xenabi-needs.json"
