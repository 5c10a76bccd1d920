"""The Xen source reader: a Xen tree's own code as the ABI reference.

Given the root of a Xen source tree (RELEASE-4.13.0 to today's master), it
derives the facts the guides state, each with its evidence (file, line,
text): hypercall numbers and names, which guest types may call each one in
a build configuration, the parameter and result registers, per-hypercall
parameter counts, the debug poison values and the hypercall page stubs.

Real components do the parsing work: pcpp (a C preprocessor) decides which
lines a configuration compiles, kconfiglib evaluates Xen's Kconfig, capstone
decodes the stubs. No Sphinx or docutils import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx_xenabi.model.xen_source.configuration import (
        ALL,
        DEFCONFIG,
        NAMED_CONFIGURATIONS,
        ConfigurationError,
    )
    from sphinx_xenabi.model.xen_source.paths import XEN_H
    from sphinx_xenabi.model.xen_source.reader import FORMAT, XenSource, read_xen_source
    from sphinx_xenabi.model.xen_source.tree import SourceError

# Each name loads its module on first use (PEP 562): a build that reuses a
# cached reading, or checks against the model, never loads the reader, and
# importing one module of this package does not load the others.
_MODULE_OF = {
    "ALL": "configuration",
    "DEFCONFIG": "configuration",
    "NAMED_CONFIGURATIONS": "configuration",
    "ConfigurationError": "configuration",
    "FORMAT": "reader",
    "XenSource": "reader",
    "read_xen_source": "reader",
    "XEN_H": "paths",
    "SourceError": "tree",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)


__all__ = [
    "ALL",
    "DEFCONFIG",
    "FORMAT",
    "NAMED_CONFIGURATIONS",
    "XEN_H",
    "ConfigurationError",
    "SourceError",
    "XenSource",
    "read_xen_source",
]
