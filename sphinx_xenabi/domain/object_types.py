"""The names of the ``xenabi`` domain's object types (and of their roles)."""

HYPERCALL = "hypercall"
REQUIREMENT = "requirement"
