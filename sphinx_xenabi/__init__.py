"""sphinx_xenabi: executable x86 and Arm hypercall ABI tables for the Xen guides.

Importing the package does not import Sphinx: the model layer
(``sphinx_xenabi.model``) is usable on its own. Sphinx loads the extension
through :func:`setup`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx_xenabi._version import __version__

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

__all__ = ["__version__", "setup"]


def setup(app: Sphinx) -> ExtensionMetadata:
    """Sphinx entry point (``extensions = ["sphinx_xenabi"]``)."""
    from sphinx_xenabi.extension import setup as setup_extension

    return setup_extension(app)
