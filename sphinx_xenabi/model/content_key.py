"""Content keys: what a reading depended on, named by the content of its files.

A reading of a Xen tree (or of docs) depends on the files it opened and on
the files it looked for and did not find. A :class:`Manifest` records each
such path with git's blob id of its content (or :data:`ABSENT`). Git's id
is used on purpose: the key of a file in a work tree is the key of the same
file in any commit, which ``git ls-tree`` lists without reading a blob, so
the edit loop (a work tree) and the history walk (commits) share one cache
design. A manifest holds when every path still has the content it recorded.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import json
import pickle
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

# The recorded state of a path that was looked for and is not there.
ABSENT = "absent"
# The recorded state of a path that was looked for and is a directory.
DIRECTORY = "directory"

FileState = str  # a blob id, ABSENT or DIRECTORY


def blob_id(data: bytes) -> str:
    """Git's object id of a blob with this content (``git hash-object``)."""
    header = b"blob %d\0" % len(data)
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


def state_on_disk(path: Path) -> FileState:
    """A path's state in a work tree: its blob id, ABSENT or DIRECTORY."""
    try:
        return blob_id(path.read_bytes())
    except IsADirectoryError:
        return DIRECTORY
    except (FileNotFoundError, NotADirectoryError):
        return ABSENT
    except OSError as exc:
        # A reading that met this fails, so is never cached; the state only
        # has to differ from every readable one.
        return f"unreadable ({type(exc).__name__})"


def digest(*parts: object) -> str:
    """A stable key for JSON-able parts (configuration names, versions, manifests)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def mapping_proxy(content: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """A read-only mapping again, as unpickled (pickle cannot save one as it is)."""
    return MappingProxyType(content)


def reduce_mapping_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, ...]:
    return mapping_proxy, (dict(proxy),)


class RecordPickler(pickle.Pickler):
    """A pickler for the model's records, which hold read-only mappings pickle
    cannot save as they are."""

    dispatch_table = {**copyreg.dispatch_table, MappingProxyType: reduce_mapping_proxy}


def content_pickle(value: object) -> bytes:
    """A value of the model's records pickled by its content alone.

    Fast mode (no memo) writes a shared object out each time it occurs, so
    the bytes do not depend on which equal objects happen to be the same
    object. A set pickles in its strings' hash order, which differs between
    processes: a value holding one may pickle differently (a key that
    misses, computed again), never equal values the other way round. The
    records keep sorted tuples instead.
    """
    buffer = io.BytesIO()
    pickler = RecordPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # the memo-free mode
    pickler.dump(value)
    return buffer.getvalue()


def kept_pickle(value: object) -> bytes:
    """A value of the model's records pickled to be kept and loaded again.

    Pickled with the memo, unlike :func:`content_pickle`: an object, a class
    reference or a string that recurs is written once and referred to after,
    which makes a document's tables about a third of their content pickle's
    size. The bytes depend on which equal objects are the same object, so
    they are never a key.
    """
    buffer = io.BytesIO()
    RecordPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def value_digest(value: object) -> str:
    """A key for a value of the model's records: equal keys mean equal content."""
    return hashlib.sha256(content_pickle(value)).hexdigest()


@dataclass(frozen=True)
class Manifest:
    """The paths a reading depended on, each with the state it found.

    Paths are relative to the tree's root (POSIX separators); a file
    outside the tree (a user's ``.config``) is recorded by its absolute path.
    """

    states: tuple[tuple[str, FileState], ...]

    @classmethod
    def of(cls, states: Mapping[str, FileState]) -> Manifest:
        return cls(tuple(sorted(states.items())))

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(path for path, _ in self.states)

    @property
    def key(self) -> str:
        """One key for the whole of it: equal manifests, equal keys."""
        return digest(self.states)

    def holds(self, state_of: Callable[[str], FileState]) -> bool:
        """Whether every path still has the state recorded (``state_of`` looks now)."""
        return all(state_of(path) == state for path, state in self.states)

    def holds_in(self, root: Path) -> bool:
        """Whether every path under ``root`` (a work tree) still has its recorded state."""
        return self.holds(lambda path: state_on_disk(root / path))

    def changed_in(self, root: Path) -> list[str]:
        """The paths whose state under ``root`` differs from the recorded one."""
        return [path for path, state in self.states if state_on_disk(root / path) != state]


def merge_states(*parts: Iterable[tuple[str, FileState]]) -> dict[str, FileState]:
    """Several readings' states as one (the same path found twice agrees)."""
    merged: dict[str, FileState] = {}
    for part in parts:
        merged.update(part)
    return merged
