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

from sphinx_xenabi.model.xen_source.configuration import (
    ALL,
    DEFCONFIG,
    NAMED_CONFIGURATIONS,
    ConfigurationError,
)
from sphinx_xenabi.model.xen_source.tree import XEN_H, SourceError

if TYPE_CHECKING:
    from sphinx_xenabi.model.xen_source.reader import FORMAT, XenSource, read_xen_source

# The reader and what it needs load on first use (PEP 562): a build that
# reuses a cached reading, or checks against the model, never loads them.
_READER_NAMES = frozenset({"FORMAT", "XenSource", "read_xen_source"})


def __getattr__(name: str) -> Any:
    if name in _READER_NAMES:
        from sphinx_xenabi.model.xen_source import reader

        return getattr(reader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
