"""A per-document store of the domain, kept pickled in the build environment.

Sphinx loads the whole environment on every build, and unpickling the
model's records (frozen dataclasses, a Python call each) is the slowest
part of loading it: the tables of 200 pages take about 10 ms. A rebuild that
reuses its result reads few of them, so each document's value is kept as
its pickle and unpickled on first access; loading the environment loads
neither the bytes' classes nor their modules. The bytes are the value's
content pickle (``model/content_key.py``), so they are also what the
document's content key is digested from.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, MutableMapping
from typing import Any, TypeVar

from sphinx_xenabi.model.content_key import content_pickle

V = TypeVar("V")


class PackedByDocument(MutableMapping[str, V]):
    """Docname -> value, each value kept as its pickle and unpickled when first read."""

    def __init__(self, packed: dict[str, bytes] | None = None) -> None:
        self._packed: dict[str, bytes] = dict(packed or {})
        self._values: dict[str, V] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        # Only the bytes are kept: the values are unpickled again when read.
        return PackedByDocument, (self._packed,)

    def __getitem__(self, docname: str) -> V:
        try:
            return self._values[docname]
        except KeyError:
            value: V = pickle.loads(self._packed[docname])
            self._values[docname] = value
            return value

    def __setitem__(self, docname: str, value: V) -> None:
        self._packed[docname] = content_pickle(value)
        self._values[docname] = value

    def __delitem__(self, docname: str) -> None:
        del self._packed[docname]
        self._values.pop(docname, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)

    def __contains__(self, docname: object) -> bool:
        return docname in self._packed

    def packed(self, docname: str) -> bytes:
        """The value's pickle, as kept (no unpickling)."""
        return self._packed[docname]

    def adopt(self, other: PackedByDocument[V], docname: str) -> None:
        """Take ``docname``'s value from a parallel reader's store, still packed."""
        self._packed[docname] = other.packed(docname)
        self._values.pop(docname, None)
