"""Which Xen tree a build reads, and why: a setting, the docs' place, or none (the model).

Its own small module: every build works it out (the reference choice, and
the stamp a rebuild checks, ``results/unchanged_rebuild.py``), and looking
must load nothing of the reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def _tree_beside_docs(srcdir: Path) -> Path | None:
    from sphinx_xenabi.model.xen_source.paths import XEN_H  # nothing else loads to look

    parent = srcdir.resolve().parent
    return parent if (parent / XEN_H).is_file() else None


def locate_source(app: Sphinx) -> tuple[Path, str] | None:
    """The Xen tree to read and how it was chosen, or None for the model.

    The path is resolved: a setting that names a symbolic link reads (and
    stamps) the tree it points to now.
    """
    configured = app.config.xenabi_xen_source
    if configured is False:
        return None
    if configured:
        return (Path(app.confdir) / str(configured)).resolve(), "xenabi_xen_source"
    beside = _tree_beside_docs(Path(app.srcdir))
    return (beside, "the docs sit in this Xen tree") if beside is not None else None
