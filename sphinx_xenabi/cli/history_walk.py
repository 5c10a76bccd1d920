"""The walk of ``history``: every commit of a range gets a verdict, reading only where it can change.

A commit's verdict depends on its docs reading and its source reading.
Each reading is kept with what it depended on, by content: the docs
reading with the blob ids of the files Sphinx read (documents of the source
suffixes, included files, ``conf.py``), the source reading with its
:class:`~sphinx_xenabi.model.content_key.Manifest`. At each commit the
walk asks git's tree listing (:class:`~.git_commits.TreeState`) whether
those still hold, and reads again only when one does not. A reading that
held before (a revert) is found again by its key, in a
:class:`~sphinx_xenabi.model.fact_cache.FactCache`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sphinx_xenabi.cli.errors import CliError
from sphinx_xenabi.cli.git_commits import Mirror, TreeState, changes_by_commit, list_commits
from sphinx_xenabi.cli.history_docs import ConfChoice, DocsReader, DocsReading
from sphinx_xenabi.model.code_key import code_key
from sphinx_xenabi.model.content_key import ABSENT, FileState, Manifest, digest, state_on_disk
from sphinx_xenabi.model.drift_cells import disagreements, registry_architectures
from sphinx_xenabi.model.fact_cache import FactCache
from sphinx_xenabi.model.history import (
    Commit,
    Disagreement,
    HistoryReport,
    Unchecked,
    Verdict,
    find_windows,
)
from sphinx_xenabi.model.spec import Architecture
from sphinx_xenabi.model.xen_source import (
    XEN_H,
    ConfigurationError,
    SourceError,
    XenSource,
    read_xen_source,
)

SOURCE_DIR = PurePosixPath(XEN_H).parts[0]  # "xen": the source reader reads nothing outside it
# Not written when no table of the docs is about Arm: the reader then reads x86 alone.
ARM_DIR = f"{SOURCE_DIR}/arch/arm"


@dataclass(frozen=True)
class WalkOptions:
    top: Path  # the repository's work tree top (only read through git)
    docs: str  # the docs directory, relative to the top
    range: str
    conf: ConfChoice
    xen_config: str  # "all", "defconfig" or a .config path


@dataclass
class WalkStats:
    """Where a walk's time went (for the benchmark): seconds of docs and of source readings."""

    docs_seconds: float = 0.0
    source_seconds: float = 0.0


@dataclass
class _SourceReading:
    excluded: tuple[str, ...]
    source: XenSource | None
    error: str | None
    manifest: Manifest


@dataclass
class _Walk:
    options: WalkOptions
    mirror: Mirror
    docs_reader: DocsReader
    state: TreeState
    progress: Callable[[str], None] | None
    stats: WalkStats = field(default_factory=WalkStats)
    cache: FactCache = field(default_factory=FactCache)
    source_reads: int = 0
    docs: DocsReading | None = None
    docs_key: str | None = None
    source: _SourceReading | None = None
    _source_keys: list[Manifest] = field(default_factory=list)
    _known_paths: set[str] = field(default_factory=set)
    _verdicts: dict[tuple[str, int], tuple[Disagreement, ...]] = field(default_factory=dict)

    # -- the docs --------------------------------------------------------------------

    def _docs_state(self) -> list[tuple[str, FileState]]:
        """The files the last docs reading depended on, and every file of its source suffixes."""
        docs = self.options.docs
        suffixes = (".rst",) if self.docs is None else self.docs.source_suffixes
        wanted = {"conf.py"} | set(() if self.docs is None else self.docs.dependencies)
        states = []
        for path, blob in self.state.blobs_under(docs):
            relative = path[len(docs) + 1 :]
            if relative in wanted or relative.endswith(suffixes):
                states.append((relative, blob))
        for relative in sorted(wanted):
            if self.state.state_of(f"{docs}/{relative}") == ABSENT:
                states.append((relative, ABSENT))
        return states

    def docs_at(self, docs_touched: bool) -> DocsReading | None:
        """The docs reading of the current commit (None: the commit has no docs directory)."""
        if not docs_touched and self.docs_key is not None:
            return self.docs
        states = self._docs_state()
        if not any(state != ABSENT for _, state in states):
            self.docs, self.docs_key = None, digest("no docs")
            return None
        key = digest("history-docs", code_key(), self.options.conf.mode, states)
        if key == self.docs_key:
            return self.docs
        reading = self.cache.lookup(key)
        if not isinstance(reading, DocsReading):
            started = time.perf_counter()
            self._hold()
            reading = self.docs_reader.read()
            self.stats.docs_seconds += time.perf_counter() - started
            # The reading's own dependencies may add files to its key: key it by them.
            self.docs = reading
            key = digest("history-docs", code_key(), self.options.conf.mode, self._docs_state())
            self.cache.store(key, reading)
        self.docs, self.docs_key = reading, key
        return reading

    # -- the source ------------------------------------------------------------------

    def _materialized_state(self, excluded: tuple[str, ...]) -> Callable[[str], FileState]:
        def state_of(path: str) -> FileState:
            if PurePosixPath(path).is_absolute():  # a user's .config, outside the tree
                return state_on_disk(Path(path))
            if any(path == e or path.startswith(e + "/") for e in excluded):
                return ABSENT
            return self.state.state_of(path)

        return state_of

    def source_at(self, docs: DocsReading) -> _SourceReading:
        """The source reading of the current commit, read again only when its files changed."""
        needs_arm = Architecture.ARM in registry_architectures(docs.registry)
        excluded = () if needs_arm else (ARM_DIR,)
        state_of = self._materialized_state(excluded)
        current = self.source
        if (
            current is not None
            and current.excluded == excluded
            and current.manifest.holds(state_of)
        ):
            return current
        for manifest in self._source_keys:
            found = self.cache.lookup(
                self._source_key(excluded, manifest), lambda m: m.holds(state_of)
            )
            if isinstance(found, _SourceReading):
                self.source = found
                return found
        self.source = self._read_source(excluded, state_of)
        return self.source

    def _source_key(self, excluded: tuple[str, ...], manifest: Manifest) -> str:
        return digest("history-source", code_key(), self.options.xen_config, excluded, manifest.key)

    def _read_source(
        self, excluded: tuple[str, ...], state_of: Callable[[str], FileState]
    ) -> _SourceReading:
        started = time.perf_counter()
        self._hold(excluded)
        self.source_reads += 1
        try:
            source = read_xen_source(self.mirror.root, self.options.xen_config)
        except (SourceError, ConfigurationError) as exc:
            self.stats.source_seconds += time.perf_counter() - started
            # No manifest comes with a failure: it holds while every file any
            # reading of this walk depended on is unchanged.
            text = str(exc).replace(f"{self.mirror.root}/", "")
            # Before any reading succeeded, every file of the source directory counts.
            known = self._known_paths or {p for p, _ in self.state.blobs_under(SOURCE_DIR)}
            paths = sorted(known | {XEN_H})
            manifest = Manifest.of({p: state_of(p) for p in paths})
            reading = _SourceReading(excluded, None, text, manifest)
        else:
            self.stats.source_seconds += time.perf_counter() - started
            self._known_paths.update(source.manifest.paths)
            reading = _SourceReading(excluded, source, None, source.manifest)
        self._source_keys.append(reading.manifest)
        self.cache.store(self._source_key(excluded, reading.manifest), reading, reading.manifest)
        return reading

    def _hold(self, excluded: tuple[str, ...] = (ARM_DIR,)) -> None:
        """Write the current commit's files into the mirror (only those that changed)."""
        self.mirror.hold(self.state.files, excluded)

    # -- the verdict -----------------------------------------------------------------

    def verdict(self, commit: Commit, docs_touched: bool) -> Verdict:
        docs = self.docs_at(docs_touched)
        if docs is None or not docs.registry.tables:
            return Verdict(commit)
        source = self.source_at(docs)
        if source.source is None:
            return Verdict(commit, unchecked=source.error or "the source could not be read")
        architectures = frozenset(a.value for a in registry_architectures(docs.registry))
        key = (self.docs_key or "", id(source))
        if key not in self._verdicts:
            spec = source.source.spec()
            default = docs.registry.described_release or spec.release
            found = disagreements(docs.registry, default, spec, f"{self.options.docs}/")
            self._verdicts[key] = found
        return Verdict(commit, architectures, self._verdicts[key])


def walk(
    options: WalkOptions,
    progress: Callable[[str], None] | None = None,
    stats: WalkStats | None = None,
) -> HistoryReport:
    """Every commit of the range checked; the report with its windows (``stats``: the time)."""
    commits = list_commits(options.top, options.range)
    if not commits:
        raise CliError(f"{options.range}: no commits in this range")
    changes = changes_by_commit(options.top, options.range)
    scope = (options.docs, SOURCE_DIR)
    state = TreeState.at(options.top, commits[0].sha, scope)
    if not any(True for _ in state.blobs_under(options.docs)) and progress is not None:
        progress(
            f"{options.docs}/ does not exist at {commits[0].short}: reading from where it does"
        )
    verdicts: list[Verdict] = []
    with (
        tempfile.TemporaryDirectory(prefix="xenabi-history-") as scratch,
        Mirror(options.top, Path(scratch) / "tree") as mirror,
    ):
        reader = DocsReader(mirror.root / options.docs, Path(scratch) / "sphinx", options.conf)
        run = _Walk(options, mirror, reader, state, progress, stats or WalkStats())
        for number, commit in enumerate(commits):
            touched = set() if number == 0 else state.apply(changes.get(commit.sha, ()))
            docs_touched = number == 0 or any(p.startswith(options.docs + "/") for p in touched)
            verdicts.append(run.verdict(commit, docs_touched))
            if progress is not None and (number + 1) % 100 == 0:
                progress(
                    f"{number + 1} of {len(commits)} commits; {reader.reads} docs and "
                    f"{run.source_reads} source reading(s) so far"
                )
        docs_reads = reader.reads
        source_reads = run.source_reads
    checked = [v for v in verdicts if v.architectures]
    return HistoryReport(
        repository=str(options.top),
        docs=options.docs,
        range=options.range,
        first=commits[0],
        last=commits[-1],
        commits=len(commits),
        checked_from=checked[0].commit if checked else None,
        docs_reads=docs_reads,
        source_reads=source_reads,
        windows=find_windows(verdicts),
        unchecked=tuple(Unchecked(v.commit, v.unchecked) for v in verdicts if v.unchecked),
        architectures=tuple(sorted({a for v in verdicts for a in v.architectures})),
    )
