"""The runtime registry: everything the extension extracts from one documentation tree.

The registry is published as ``xenabi-registry.json``. Its parts live in one
module each:

- ``records``: the table records (every value with its cell's place);
- ``docs_spec``: the ABI the tables state, as an
  :class:`~sphinx_xenabi.model.spec.AbiSpec`;
- ``registry_json``: the deterministic JSON form, with its digest;
- ``registry_schema``: the JSON Schema and :class:`~sphinx_xenabi.model.registry_schema.RegistryError`;
- ``atomic``: writing the file so readers never see half of it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sphinx_xenabi.model import registry_json
from sphinx_xenabi.model.atomic import write_atomic
from sphinx_xenabi.model.docs_spec import spec_of_tables
from sphinx_xenabi.model.records import (
    Guide,
    TableKind,
    TableRecord,
)
from sphinx_xenabi.model.registry_json import (
    GENERATOR,
    MAX_REGISTRY_BYTES,
    SCHEMA_VERSION,
)
from sphinx_xenabi.model.spec import AbiSpec, Release


@dataclass(frozen=True)
class Registry:
    """Everything extracted from one documentation tree."""

    release: str
    guides: tuple[Guide, ...]
    tables: tuple[TableRecord, ...]
    generator: str = GENERATOR
    schema_version: int = SCHEMA_VERSION

    def tables_of(self, kind: TableKind) -> tuple[TableRecord, ...]:
        return tuple(t for t in self.tables if t.kind is kind)

    @property
    def described_release(self) -> Release | None:
        """The release the docs describe, or None when it is not parseable."""
        try:
            return Release.parse(self.release)
        except ValueError:
            return None

    def tables_for(self, kind: TableKind, release: Release) -> tuple[TableRecord, ...]:
        """The tables of ``kind`` that describe ``release``.

        A table that states a range containing the release wins over tables
        that state none (those describe the configured release).
        """
        tables = [t for t in self.tables_of(kind) if t.applies_to(release)]
        ranged = [t for t in tables if t.releases is not None]
        return tuple(ranged or tables)

    def spec_for(
        self, release: Release | None = None, kinds: Iterable[TableKind] = TableKind
    ) -> AbiSpec:
        """The ABI the docs state for ``release`` (default: the described one, else
        the newest release the model knows), from the tables of ``kinds`` (all).

        Rows that appear twice keep their first occurrence; the extraction
        already warned about duplicates. The spec's evidence locates each
        fact at its cell (``docs_spec.spec_of_tables``), so the docs are
        located as a Xen source is.
        """
        if release is None:
            # As the drift gate does: an unstated release is the newest the model knows.
            from sphinx_xenabi.model.abi import NEWEST_MODELLED_RELEASE

            release = self.described_release or NEWEST_MODELLED_RELEASE
        tables = [table for kind in kinds for table in self.tables_for(kind, release)]
        return spec_of_tables(release, tables)

    # -- JSON (registry_json) ---------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        return registry_json.to_data(self)

    def to_json(self) -> str:
        """The canonical text: sorted keys, one guide or table per line."""
        return self._json_text

    @functools.cached_property
    def _json_text(self) -> str:
        # Encoded once: the build's cache key and the published file are the same text.
        return registry_json.to_json(self)

    def __getstate__(self) -> dict[str, Any]:
        # The text is encoded from the content, not part of it: pickled with
        # it, a registry sent to a worker or kept in the fact cache (inside the
        # build's result) would carry its whole JSON again (two thirds of a
        # large tree's result), and its content pickle would depend on
        # whether the text had been asked for yet.
        state = dict(self.__dict__)
        state.pop("_json_text", None)
        return state

    def dump(self, path: str | os.PathLike[str]) -> None:
        """Write the JSON atomically: readers never see a half-written file."""
        write_atomic(Path(path), self.to_json())

    @classmethod
    def from_data(cls, data: Any, source: str = "<registry>") -> Registry:
        """Validate ``data`` (parsed JSON) and build the registry from it."""
        return cls(**registry_json.fields_from_data(data, source))


def load(path: str | bytes | os.PathLike[str], *, max_bytes: int = MAX_REGISTRY_BYTES) -> Registry:
    """Read and validate a registry JSON file.

    Raises :class:`~sphinx_xenabi.model.registry_schema.RegistryError`. Only a regular file of at most ``max_bytes`` is read: a FIFO would block
    and a device such as ``/dev/zero`` never end.
    """
    data, source = registry_json.read_data(path, max_bytes)
    return Registry.from_data(data, source)
