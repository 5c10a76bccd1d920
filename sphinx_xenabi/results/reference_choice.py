"""Which reference the drift gate checks against, chosen once per build.

A Xen source tree when there is one: ``xenabi_xen_source`` (relative to the
conf dir), else the tree the docs sit in (the docs folder's parent holds
``xen/include/public/xen.h``), said in one log line. Otherwise, or with
``xenabi_xen_source = False``, the built-in model. A tree that cannot be
read is one error naming the file, and the build fails: checking against the
model instead would hide that the requested check did not happen.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx_xenabi.model.code_key import code_key
from sphinx_xenabi.model.content_key import digest
from sphinx_xenabi.results.source_location import locate_source

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from sphinx_xenabi.model.content_key import Manifest
    from sphinx_xenabi.model.fact_cache import FactCache
    from sphinx_xenabi.model.spec import AbiSpec
    from sphinx_xenabi.model.xen_source.reader import XenSource

MODEL_NAME = "the reference model"


@dataclass(frozen=True)
class SourceSummary:
    """What every build needs of a Xen source reading; the reading itself loads on demand."""

    origin: str  # "the Xen 4.17.0 source (built with every hypercall enabled)"
    root: Path
    configuration: str  # the reading's configuration name
    manifest_key: str  # the content of every file the reading depended on
    warnings: tuple[str, ...]  # where the tree contradicts itself

    @classmethod
    def of(cls, source: XenSource) -> SourceSummary:
        return cls(
            source.origin,
            source.root,
            source.configuration.name,
            source.manifest.key,
            tuple(source.warnings),
        )


@dataclass(frozen=True)
class PickledReading:
    """A reading another process made, still pickled: what every build needs of it beside.

    The build stores :attr:`data` in the fact cache as it is and unpickles
    it only when something must be computed from the reading, so taking a
    worker's reading loads none of the reader's modules.
    """

    summary: SourceSummary
    manifest: Manifest
    data: bytes  # the XenSource, pickled as the fact cache keeps it

    def value(self) -> XenSource:
        source: XenSource = pickle.loads(self.data)
        return source


class ReadingRefused(Exception):
    """The reader refused the tree in another process; the message is the reader's own."""


@dataclass(frozen=True)
class Reference:
    """What the gate compares the docs with.

    A Xen source reference carries its :class:`SourceSummary`; the reading
    (:attr:`source`) is loaded from the fact cache, or read again, only when
    something must be computed from it: a no-op rebuild never loads it.
    """

    name: str  # "the reference model", "the Xen 4.17.0 source (built with its x86_64 defconfig)"
    summary: SourceSummary | None = None
    error: str | None = None  # the tree could not be read
    note: str | None = None  # the log line that says which tree and why
    load: Callable[[], XenSource] | None = field(default=None, compare=False, repr=False)

    @functools.cached_property
    def source(self) -> XenSource | None:
        """The Xen source reading (None for the model or a tree that could not be read)."""
        return None if self.load is None else self.load()

    @property
    def contradictions(self) -> tuple[str, ...]:
        """Where the tree disagrees with itself (PV against HVM dispatch, say)."""
        return () if self.summary is None else self.summary.warnings

    @property
    def spec(self) -> AbiSpec | None:
        return None if self.source is None else self.source.spec()

    @property
    def key(self) -> str:
        """What the facts depend on: the model's code, or the tree's files and configuration."""
        if self.summary is None:
            return digest("model", code_key())
        return digest("source", self.summary.configuration, self.summary.manifest_key)


@dataclass(frozen=True)
class SourceRequest:
    """The Xen tree a build reads, in which configuration, and the keys of its reading."""

    path: Path
    how: str  # why this tree: "xenabi_xen_source", "the docs sit in this Xen tree"
    setting: str  # xenabi_xen_config as written
    confdir: Path

    @property
    def key(self) -> str:
        # Keyed by the setting as written and where it is read from: a .config it
        # names is in the reading's manifest, so an edit of it is seen there.
        return digest("xen-source", code_key(), str(self.path), self.setting, str(self.confdir))

    @property
    def summary_key(self) -> str:
        return digest("xen-source-summary", self.key)

    def held_summary(self, cache: FactCache) -> SourceSummary | None:
        """The cached reading's summary, if every file it read has the content it had."""
        if not cache.entries:
            # Nothing to find (a fresh build's cache): the key is not worked out
            # here, as hashing the package's code would be the most of the work.
            return None
        found = cache.lookup(self.summary_key, lambda m: m.holds_in(self.path))
        return found if isinstance(found, SourceSummary) else None

    def read(self) -> XenSource:
        """Read the tree now (the reader, pcpp and kconfiglib load only for this)."""
        from sphinx_xenabi.model.xen_source.configuration import NAMED_CONFIGURATIONS
        from sphinx_xenabi.model.xen_source.reader import read_xen_source

        configuration = self.setting
        if configuration not in NAMED_CONFIGURATIONS:  # a .config path, relative to the conf dir
            configuration = str((self.confdir / configuration).resolve())
        return read_xen_source(self.path, configuration)


def source_request(app: Sphinx) -> SourceRequest | None:
    """What the build reads as its reference; None for the model."""
    located = locate_source(app)
    if located is None:
        return None
    path, how = located
    return SourceRequest(path, how, str(app.config.xenabi_xen_config), Path(app.confdir))


def load_reference(
    app: Sphinx,
    cache: FactCache | None = None,
    early: Callable[[SourceRequest], PickledReading | None] | None = None,
    held: Callable[[SourceRequest, FactCache], SourceSummary | None] = SourceRequest.held_summary,
) -> Reference:
    """Read the chosen tree, or pick the model (the build result reports it).

    With a ``cache``, a reading whose files all have the content they had
    is reused (a tree that cannot be read is read again every time).
    ``early`` gives a reading made while the documents were read, and
    ``held`` what the build already found of the cached reading
    (``results/early_reading.py``).
    """
    request = source_request(app)
    if request is None:
        return Reference(MODEL_NAME)
    summary = None if cache is None else held(request, cache)
    if summary is not None:
        assert cache is not None
        key = request.key
        cache.keep(key)  # the reading itself, for a build that needs it
        found = cache
        load: Callable[[], XenSource] = lambda: found.lookup(key) or request.read()  # noqa: E731
    else:
        try:
            pickled = early(request) if early is not None else None
        except ReadingRefused as exc:
            return _unreadable(request, exc)
        # Only now: a worker's reading brings the code key it worked out.
        key = request.key
        if pickled is not None:
            summary = pickled.summary
            load = pickled.value
            if cache is not None:
                cache.store_pickled(key, pickled.data, pickled.manifest)
                cache.store(request.summary_key, summary, pickled.manifest)
                kept = cache  # one unpickled reading, kept by the cache
                load = lambda: kept.lookup(key) or pickled.value()  # noqa: E731
        else:
            from sphinx_xenabi.model.xen_source.configuration import ConfigurationError
            from sphinx_xenabi.model.xen_source.tree import SourceError

            try:
                source = request.read()
            except (SourceError, ConfigurationError) as exc:
                return _unreadable(request, exc)
            summary = SourceSummary.of(source)
            if cache is not None:
                cache.store(key, source, source.manifest)
                cache.store(request.summary_key, summary, source.manifest)
            load = lambda: source  # noqa: E731
    note = f"xenabi: checking the tables against {summary.origin} at {summary.root} ({request.how})"
    return Reference(summary.origin, summary, note=note, load=load)


def _unreadable(request: SourceRequest, exc: Exception) -> Reference:
    message = f"cannot read the Xen source ({request.how}): {exc}"
    return Reference(f"the Xen source at {request.path}", error=message)
