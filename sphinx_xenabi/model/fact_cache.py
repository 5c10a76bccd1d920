"""Facts kept between runs, each valid while what it was derived from is unchanged.

One design serves the edit loop and the history walk. An entry is a value
(a source reading, executed rows, example outcomes) stored under a key that
names everything it was computed from that is not a file (configuration,
release, the inputs' digest), with the :class:`Manifest` of the files it
read. A lookup returns the value only if the caller's view of those files
(a work tree now, or a commit's listing) still matches the manifest.

Every key includes :func:`code_key`: facts computed by another version of
this package's code are never reused.

The store is one pickle file (written atomically; a missing, foreign or
damaged file is an empty cache, never an error). Pickle, not JSON: the
values are the model's own frozen records, and the file is private to the
build directory that produced it.
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sphinx_xenabi._version import __version__
from sphinx_xenabi.model.content_key import Manifest, digest, reduce_mapping_proxy

# Bump when an entry's shape changes without a change to the code key's files.
FORMAT = 2  # 2: each value pickled on its own


@cache
def code_key() -> str:
    """Which code computed a fact: the version and every module's stamp.

    Size and modification time, not content: it is read once per process,
    and an edited module (a developer's checkout) must not reuse old facts.
    The whole package, not only the model and emulator: a build's result
    depends on the extraction and the Sphinx glue as well.
    """
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stamps = []
    for directory, subdirectories, files in os.walk(package):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(f for f in files if f.endswith(".py")):
            stat = os.stat(os.path.join(directory, name))
            relative = os.path.relpath(os.path.join(directory, name), package)
            stamps.append((relative, stat.st_size, stat.st_mtime_ns))
    return digest(FORMAT, __version__, stamps)


class _Pickler(pickle.Pickler):
    # The model's records hold read-only mappings, which pickle cannot save as they are.
    dispatch_table = {**copyreg.dispatch_table, MappingProxyType: reduce_mapping_proxy}


def dumps(value: object) -> bytes:
    """``value`` pickled as the cache keeps it (the model's read-only mappings included)."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


_NO_FILES = Manifest(())


_UNLOADED = object()


@dataclass
class _Entry:
    """A value and the manifest it holds under.

    A saved value is kept as its own pickle and loaded on first lookup, so a
    build loads only the facts it uses (a no-op rebuild that needs no Xen
    source reading never loads the reader's modules to unpickle one).
    """

    manifest: Manifest
    data: bytes | None = None  # the value pickled, as saved
    value: object = _UNLOADED


@dataclass
class FactCache:
    """Entries by key; :meth:`save` keeps the ones used since :meth:`load`."""

    entries: dict[str, _Entry] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)
    _dirty: bool = False

    @classmethod
    def load(cls, path: Path) -> FactCache:
        """The cache saved at ``path``; empty when there is none or it cannot be used."""
        try:
            with path.open("rb") as handle:
                stored = pickle.load(handle)
        except FileNotFoundError:
            return cls()
        except Exception:  # a damaged or foreign file is only a cold cache
            return cls(_dirty=True)
        if not isinstance(stored, Mapping) or stored.get("code") != code_key():
            return cls(_dirty=True)
        entries = stored.get("entries")
        if not isinstance(entries, dict):
            return cls(_dirty=True)
        try:
            loaded = {key: _Entry(manifest, data) for key, (manifest, data) in entries.items()}
        except (AttributeError, TypeError, ValueError):  # not this format's entries
            return cls(_dirty=True)
        return cls(loaded)

    def lookup(self, key: str, holds: Callable[[Manifest], bool] | None = None) -> Any | None:
        """The value stored under ``key`` if its manifest holds (``holds`` checks it)."""
        entry = self.entries.get(key)
        if entry is None or (holds is not None and not holds(entry.manifest)):
            return None
        if entry.value is _UNLOADED:
            try:
                entry.value = pickle.loads(entry.data or b"")
            except Exception:  # a value another version wrote: only a miss
                del self.entries[key]
                self._dirty = True
                return None
        self._used.add(key)
        return entry.value

    def computed(self, key: str, compute: Callable[[], Any], manifest: Manifest = _NO_FILES) -> Any:
        """The value under ``key``, or ``compute()``'s, stored under it for next time."""
        known = self.lookup(key)
        if known is None:
            known = compute()
            self.store(key, known, manifest)
        return known

    def keep(self, key: str) -> None:
        """Keep ``key``'s entry at the next save without loading it (a build may need it later)."""
        if key in self.entries:
            self._used.add(key)

    def keep_all(self) -> None:
        """Keep every entry at the next save (a build that reused its result computed nothing)."""
        self._used.update(self.entries)

    def store(self, key: str, value: object, manifest: Manifest = _NO_FILES) -> None:
        self.entries[key] = _Entry(manifest, value=value)
        self._used.add(key)
        self._dirty = True

    def save(self, path: Path) -> None:
        """Write the entries used since loading (others are stale), if anything changed.

        Never raises: a cache that cannot be written costs only speed.
        """
        unused = self.entries.keys() - self._used
        if not self._dirty and not unused:
            return
        kept = {key: self.entries[key] for key in self._used if key in self.entries}
        try:
            for entry in kept.values():
                if entry.data is None:
                    entry.data = dumps(entry.value)
            stored = {key: (entry.manifest, entry.data) for key, entry in kept.items()}
            data = dumps({"code": code_key(), "entries": stored})
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp_name, path)
            except BaseException:
                Path(tmp_name).unlink(missing_ok=True)
                raise
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            return
        self.entries, self._dirty = kept, False
