"""The registry's JSON form, ``xenabi-registry.json``: writing it and reading it back.

The form is deterministic (sorted keys, tables sorted by document and line,
no timestamps) and carries a digest of its own content, so a reader can
tell a hand-edited file from a generated one. Reading validates the schema
(:mod:`.registry_schema`) and reads only a regular file of bounded size.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from typing import Any, Protocol

from sphinx_xenabi._version import __version__
from sphinx_xenabi.model.json_layout import compact
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.records import (
    Cell,
    Guide,
    NumberRow,
    RegisterRow,
    Row,
    TableKind,
    TableRecord,
    TransferRow,
    sort_tables,
)
from sphinx_xenabi.model.registry_schema import RegistryError, validate_schema
from sphinx_xenabi.model.spec import GuestType, Release, ReleaseRange


class RegistryContent(Protocol):
    """What the JSON form writes of a :class:`~sphinx_xenabi.model.registry.Registry`
    (which reads its JSON through this module, so it is not imported here)."""

    @property
    def release(self) -> str: ...
    @property
    def guides(self) -> tuple[Guide, ...]: ...
    @property
    def tables(self) -> tuple[TableRecord, ...]: ...
    @property
    def generator(self) -> str: ...
    @property
    def schema_version(self) -> int: ...


SCHEMA_VERSION = 2
"""2: Arm, the ABIs arm64 and arm32 and their availability columns; a version 1
file (x86 only) is a version 2 file in every other respect, and is read."""
READABLE_VERSIONS = frozenset({1, SCHEMA_VERSION})
GENERATOR = f"sphinx-xenabi {__version__}"
# The site's registry is tens of kilobytes and a 2,000-page tree's a few
# megabytes; a file beyond this is refused before it is read.
MAX_REGISTRY_BYTES = 64 * 1024 * 1024


def content_of(registry: RegistryContent) -> dict[str, Any]:
    """The JSON members other than the digest."""
    return {
        "schema_version": registry.schema_version,
        "generator": registry.generator,
        "release": registry.release,
        "guides": [
            {"docname": g.docname, "title": g.title, "pages": list(g.pages)}
            for g in sorted(registry.guides, key=lambda g: g.docname)
        ],
        "tables": [_table_to_data(t) for t in sort_tables(registry.tables)],
    }


def to_data(registry: RegistryContent) -> dict[str, Any]:
    content = content_of(registry)
    content["digest"] = content_digest(content)
    return content


def to_json(registry: RegistryContent) -> str:
    """The canonical text: sorted keys, one guide or table per line.

    Each line is compact JSON from the C encoder (``indent`` would fall back
    to the much slower pure-Python one), yet a change shows up in a diff
    as the guide or table it touched. Every value is encoded once: the
    digest's compact text is joined from the same pieces as the layout.
    """
    members = {key: _encode_member(value) for key, value in content_of(registry).items()}
    digest = _hash(_join_members(members, one_per_line=False))
    members["digest"] = compact(digest)
    return _join_members(members, one_per_line=True) + "\n"


def fields_from_data(data: Any, source: str) -> dict[str, Any]:
    """Validate ``data`` (parsed JSON): the fields of the registry it holds."""
    validate_schema(data, source)
    if data["schema_version"] not in READABLE_VERSIONS:
        raise RegistryError(
            source,
            f"schema version {data['schema_version']} is not supported "
            f"(this sphinx-xenabi reads versions {', '.join(map(str, sorted(READABLE_VERSIONS)))})",
        )
    expected = content_digest({k: v for k, v in data.items() if k != "digest"})
    if data["digest"] != expected:
        raise RegistryError(
            source,
            "digest mismatch: the content was changed after sphinx-xenabi wrote it "
            "(rebuild the docs instead of editing the JSON)",
        )
    return {
        "release": data["release"],
        "guides": tuple(Guide(g["docname"], g["title"], tuple(g["pages"])) for g in data["guides"]),
        "tables": tuple(_table_from_data(t, source, i) for i, t in enumerate(data["tables"])),
        "generator": data["generator"],
        "schema_version": data["schema_version"],
    }


def read_data(path: str | bytes | os.PathLike[str], max_bytes: int) -> tuple[Any, str]:
    """The parsed JSON of the file at ``path`` and how messages name it.

    Only a regular file of at most ``max_bytes`` is read: a FIFO would block
    and a device such as ``/dev/zero`` never end.
    """
    source = _source_name(path)
    content = _read_regular_file(path, source, max_bytes)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegistryError(source, f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    try:
        return json.loads(text), source
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{source}:{exc.lineno}", f"not JSON ({exc.msg}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        # Nesting or number sizes no generated registry has: refuse, don't crash.
        raise RegistryError(source, f"not a registry: {exc}") from None


def _source_name(path: str | bytes | os.PathLike[str]) -> str:
    """The path as printable text, even when it holds bytes no encoding maps."""
    try:
        name = os.fsdecode(os.fspath(path))
    except TypeError:
        name = repr(path)
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _read_regular_file(path: str | bytes | os.PathLike[str], source: str, max_bytes: int) -> bytes:
    # Non-blocking open: opening a FIFO for reading waits for a writer otherwise.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except (OSError, ValueError) as exc:  # ValueError: a NUL or a lone surrogate in the path
        reason = exc.strerror if isinstance(exc, OSError) else f"unusable path ({exc})"
        raise RegistryError(source, f"cannot read: {reason}") from None
    too_large = f"cannot read: larger than {max_bytes:,} bytes, the limit for a registry"
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = "a directory" if stat.S_ISDIR(status.st_mode) else "a FIFO, socket or device"
            raise RegistryError(source, f"cannot read: not a regular file ({kind})")
        if status.st_size > max_bytes:
            raise RegistryError(source, too_large)
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            content = handle.read(max_bytes + 1)  # the file may have grown since
    except OSError as exc:
        raise RegistryError(source, f"cannot read: {exc.strerror}") from None
    finally:
        os.close(descriptor)
    if len(content) > max_bytes:
        raise RegistryError(source, too_large)
    return content


def _encode_member(value: Any) -> str | list[str]:
    """A member's JSON text, or its items' texts when it is a list."""
    if isinstance(value, list):
        return [compact(item) for item in value]
    return compact(value)


def _join_members(members: Mapping[str, str | list[str]], *, one_per_line: bool) -> str:
    """Join encoded members as ``json.dumps(sort_keys=True)`` does, or one
    member and one list item per line (the published layout)."""
    newline = "\n" if one_per_line else ""
    separator = "," + (newline or " ")
    texts = []
    for key in sorted(members):
        value = members[key]
        if isinstance(value, list):
            value = f"[{newline}{separator.join(value)}{newline}]" if value else "[]"
        texts.append(f"{compact(key)}: {value}")
    return f"{{{newline}{separator.join(texts)}{newline}}}"


def _hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_digest(content: Mapping[str, Any]) -> str:
    """The ``digest`` member of a registry whose other members are ``content``."""
    return _hash(compact(content))


def _cell_to_data(cell: Cell[Any]) -> dict[str, Any]:
    value = list(cell.value) if isinstance(cell.value, tuple) else cell.value
    return {"value": value, "file": cell.file, "line": cell.line}


def _row_to_data(row: Row) -> dict[str, Any]:
    if isinstance(row, RegisterRow):
        return {
            "abi": _cell_to_data(row.abi),
            "index": _cell_to_data(row.index),
            "parameters": _cell_to_data(row.parameters),
            "result": _cell_to_data(row.result),
        }
    if isinstance(row, TransferRow):
        return {"guest": _cell_to_data(row.guest), "instruction": _cell_to_data(row.instruction)}
    return {
        "number": _cell_to_data(row.number),
        "name": _cell_to_data(row.name),
        "availability": {g.value: _cell_to_data(c) for g, c in sorted(row.availability.items())},
    }


def _range_to_data(releases: ReleaseRange | None) -> dict[str, str | None] | None:
    if releases is None:
        return None
    return {
        "first": str(releases.first),
        "last": None if releases.last is None else str(releases.last),
    }


def _table_to_data(table: TableRecord) -> dict[str, Any]:
    return {
        "kind": table.kind.value,
        "docname": table.docname,
        "guide": table.guide,
        "file": table.location.file,
        "line": table.location.line,
        "title": table.title,
        "releases": _range_to_data(table.releases),
        "header": [_cell_to_data(c) for c in table.header],
        "parameter_count": table.parameter_count,
        "rows": [_row_to_data(r) for r in table.rows],
        # Only when there are any: registries of tables without footnotes keep their bytes.
        **({"footnotes": [_cell_to_data(c) for c in table.footnotes]} if table.footnotes else {}),
    }


def _cell_from_data(data: Mapping[str, Any]) -> Cell[Any]:
    value = data["value"]
    if isinstance(value, list):
        value = tuple(value)
    return Cell(value, Location(data["file"], data["line"]))


def _table_from_data(data: Mapping[str, Any], source: str, position: int) -> TableRecord:
    kind = TableKind(data["kind"])
    where = f"{source}: tables[{position}]"
    try:
        releases = None
        if data["releases"] is not None:
            last = data["releases"]["last"]
            releases = ReleaseRange(
                Release.parse(data["releases"]["first"]),
                None if last is None else Release.parse(last),
            )
        rows: list[Row] = []
        for row in data["rows"]:
            if kind is TableKind.REGISTERS:
                rows.append(
                    RegisterRow(
                        _cell_from_data(row["abi"]),
                        _cell_from_data(row["index"]),
                        _cell_from_data(row["parameters"]),
                        _cell_from_data(row["result"]),
                    )
                )
            elif kind is TableKind.TRANSFER:
                rows.append(
                    TransferRow(_cell_from_data(row["guest"]), _cell_from_data(row["instruction"]))
                )
            else:
                rows.append(
                    NumberRow(
                        _cell_from_data(row["number"]),
                        _cell_from_data(row["name"]),
                        {GuestType(g): _cell_from_data(c) for g, c in row["availability"].items()},
                    )
                )
    except (KeyError, ValueError) as exc:
        raise RegistryError(where, f"inconsistent {kind.value} table: {exc}") from None
    return TableRecord(
        kind=kind,
        docname=data["docname"],
        guide=data["guide"],
        location=Location(data["file"], data["line"]),
        title=data["title"],
        releases=releases,
        header=tuple(_cell_from_data(c) for c in data["header"]),
        rows=tuple(rows),
        parameter_count=data["parameter_count"],
        footnotes=tuple(_cell_from_data(c) for c in data.get("footnotes", ())),
    )
