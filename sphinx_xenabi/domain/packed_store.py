"""A per-document store of the domain, kept pickled in the build environment.

Sphinx loads the whole environment on every build, and unpickling the
model's records (frozen dataclasses, a Python call each) is the slowest
part of loading it: the tables of 200 pages take about 10 ms. A rebuild that
reuses its result reads few of them, so each document's value is kept as
its pickle and unpickled on first access; loading the environment loads
neither the bytes' classes nor their modules.

Each value also keeps the digest of its content pickle
(``model/content_key.py``), worked out when it is stored: that is what the
document's content key is made of. The pickle kept is another one, written
with pickle's memo (:func:`~sphinx_xenabi.model.content_key.kept_pickle`), a
third of the content pickle's size, and only when the environment is
pickled: during the build a value stored by it is held once, as the object.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, MutableMapping
from typing import Any, TypeVar

from sphinx_xenabi.model.content_key import kept_pickle, value_digest

V = TypeVar("V")


class PackedByDocument(MutableMapping[str, V]):
    """Docname -> value, each value kept as its pickle and unpickled when first read."""

    def __init__(
        self, packed: dict[str, bytes] | None = None, digests: dict[str, str] | None = None
    ) -> None:
        # Every docname has a digest; its value is held packed (as loaded), as
        # an object (stored or read this build), or both.
        self._digests: dict[str, str] = dict(digests or {})
        self._packed: dict[str, bytes] = dict(packed or {})
        self._values: dict[str, V] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        # Only bytes are kept: a value stored this build is pickled now.
        packed = {
            docname: self._packed[docname]
            if docname in self._packed
            else kept_pickle(self._values[docname])
            for docname in self._digests
        }
        return PackedByDocument, (packed, self._digests)

    def __getitem__(self, docname: str) -> V:
        try:
            return self._values[docname]
        except KeyError:
            value: V = pickle.loads(self._packed[docname])
            self._values[docname] = value
            return value

    def __setitem__(self, docname: str, value: V) -> None:
        self._digests[docname] = value_digest(value)
        self._values[docname] = value
        self._packed.pop(docname, None)

    def __delitem__(self, docname: str) -> None:
        del self._digests[docname]
        self._packed.pop(docname, None)
        self._values.pop(docname, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._digests)

    def __len__(self) -> int:
        return len(self._digests)

    def __contains__(self, docname: object) -> bool:
        return docname in self._digests

    def digest(self, docname: str) -> str:
        """The digest of the value's content pickle (no unpickling)."""
        return self._digests[docname]

    def adopt(self, other: PackedByDocument[V], docname: str) -> None:
        """Take ``docname``'s value from a parallel reader's store, as it holds it
        (still packed, when it came from the reader's process)."""
        self._digests[docname] = other._digests[docname]
        if docname in other._packed:
            self._packed[docname] = other._packed[docname]
            self._values.pop(docname, None)
        else:
            self._values[docname] = other._values[docname]
            self._packed.pop(docname, None)
