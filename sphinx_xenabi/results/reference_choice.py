"""Which reference the drift gate checks against, chosen once per build.

A Xen source tree when there is one: ``xenabi_xen_source`` (relative to the
conf dir), else the tree the docs sit in (the docs folder's parent holds
``xen/include/public/xen.h``), said in one log line. Otherwise, or with
``xenabi_xen_source = False``, the built-in model. A tree that cannot be
read is one error naming the file, and the build fails: checking against the
model instead would hide that the requested check did not happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx_xenabi.model.content_key import digest
from sphinx_xenabi.model.fact_cache import FactCache, code_key

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from sphinx_xenabi.model.spec import AbiSpec
    from sphinx_xenabi.model.xen_source.reader import XenSource

MODEL_NAME = "the reference model"


@dataclass(frozen=True)
class Reference:
    """What the gate compares the docs with."""

    name: str  # "the reference model", "the Xen 4.17.0 source (all)"
    source: XenSource | None = None
    error: str | None = None  # the tree could not be read
    note: str | None = None  # the log line that says which tree and why

    @property
    def contradictions(self) -> tuple[str, ...]:
        """Where the tree disagrees with itself (PV against HVM dispatch, say)."""
        return () if self.source is None else self.source.warnings

    @property
    def spec(self) -> AbiSpec | None:
        return None if self.source is None else self.source.spec()

    @property
    def key(self) -> str:
        """What the facts depend on: the model's code, or the tree's files and configuration."""
        if self.source is None:
            return digest("model", code_key())
        return digest("source", self.source.configuration.name, self.source.manifest.key)


def _tree_beside_docs(srcdir: Path) -> Path | None:
    from sphinx_xenabi.model.xen_source.tree import XEN_H  # the reader loads when there is a tree

    parent = srcdir.resolve().parent
    return parent if (parent / XEN_H).is_file() else None


def locate_source(app: Sphinx) -> tuple[Path, str] | None:
    """The Xen tree to read and how it was chosen, or None for the model."""
    configured = app.config.xenabi_xen_source
    if configured is False:
        return None
    if configured:
        return (Path(app.confdir) / str(configured)).resolve(), "xenabi_xen_source"
    beside = _tree_beside_docs(Path(app.srcdir))
    return (beside, "the docs sit in this Xen tree") if beside is not None else None


def load_reference(app: Sphinx, cache: FactCache | None = None) -> Reference:
    """Read the chosen tree, or pick the model (the build result reports it).

    With a ``cache``, a reading whose files all have the content they had
    is reused (a tree that cannot be read is read again every time).
    """
    located = locate_source(app)
    if located is None:
        return Reference(MODEL_NAME)
    path, how = located
    from sphinx_xenabi.model.xen_source.configuration import (
        NAMED_CONFIGURATIONS,
        ConfigurationError,
    )
    from sphinx_xenabi.model.xen_source.tree import SourceError

    configuration = str(app.config.xenabi_xen_config)
    if configuration not in NAMED_CONFIGURATIONS:  # a .config path, relative to the conf dir
        configuration = str((Path(app.confdir) / configuration).resolve())
    key = digest("xen-source", code_key(), str(path), configuration)
    source = None if cache is None else cache.lookup(key, lambda m: m.holds_in(path))
    if source is None:
        # The reader (and pcpp, kconfiglib, capstone) load only to read a tree afresh.
        from sphinx_xenabi.model.xen_source.reader import read_xen_source

        try:
            source = read_xen_source(path, configuration)
        except (SourceError, ConfigurationError) as exc:
            message = f"cannot read the Xen source ({how}): {exc}"
            return Reference(f"the Xen source at {path}", error=message)
        if cache is not None:
            cache.store(key, source, source.manifest)
    note = f"xenabi: checking the tables against {source.origin} at {source.root} ({how})"
    return Reference(source.origin, source, note=note)
