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

import os
import pickle
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sphinx_xenabi.model.code_key import code_key, code_key_stamps, offer_code_key
from sphinx_xenabi.model.content_key import Manifest, RecordPickler, kept_pickle

# A save keeps an entry no build used for this many saves (see FactCache.save).
KEPT_UNUSED_SAVES = 4


def dumps(value: object) -> bytes:
    """``value`` pickled as the cache keeps it (the model's read-only mappings included)."""
    return kept_pickle(value)


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
    unused: int = 0  # saves since a build last used it, as loaded


@dataclass
class FactCache:
    """Entries by key; :meth:`save` keeps the ones used lately (see there)."""

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
        if not isinstance(stored, Mapping):
            return cls(_dirty=True)
        offer_code_key(stored.get("stamps"), stored.get("code"))
        if stored.get("code") != code_key():
            return cls(_dirty=True)
        entries = stored.get("entries")
        if not isinstance(entries, dict):
            return cls(_dirty=True)
        try:
            loaded = {
                key: _Entry(manifest, data, unused=unused)
                for key, (manifest, data, unused) in entries.items()
            }
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
        self._put(key, _Entry(manifest, value=value))

    def store_pickled(self, key: str, data: bytes, manifest: Manifest = _NO_FILES) -> None:
        """Store a value another process pickled (:func:`dumps`); it is unpickled only if looked up."""
        self._put(key, _Entry(manifest, data=data))

    def _put(self, key: str, entry: _Entry) -> None:
        self.entries[key] = entry
        self._used.add(key)
        self._dirty = True

    def save(self, path: Path) -> None:
        """Write the entries, if anything changed; never raises.

        An entry no build used is kept for :data:`KEPT_UNUSED_SAVES` saves,
        then dropped: builds of several kinds or settings sharing one file
        (an html build and ``check``, say) keep each other's entries, and
        what no build asks for any more (an old reading) goes. A cache that
        cannot be written costs only speed.
        """
        unused = self.entries.keys() - self._used
        if not self._dirty and not unused:
            return
        # Saves without use, counting this build once however often it saves.
        ages = {key: 0 if key in self._used else e.unused + 1 for key, e in self.entries.items()}
        kept = {key: e for key, e in self.entries.items() if ages[key] <= KEPT_UNUSED_SAVES}
        try:
            for entry in kept.values():
                if entry.data is None:
                    entry.data = dumps(entry.value)
            stored = {key: (e.manifest, e.data, ages[key]) for key, e in kept.items()}
            code, stamps = code_key_stamps()
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    # Pickled straight into the file: the whole cache is not
                    # copied into memory once more at the end of a build, when
                    # the build holds the most (a few MiB on a large tree).
                    RecordPickler(handle, protocol=pickle.HIGHEST_PROTOCOL).dump(
                        {"code": code, "stamps": stamps, "entries": stored}
                    )
                os.replace(tmp_name, path)
            except BaseException:
                Path(tmp_name).unlink(missing_ok=True)
                raise
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            return
        self.entries, self._dirty = kept, False
