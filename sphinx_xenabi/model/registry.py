"""The runtime registry: typed records of the guides' ABI tables and their JSON.

The registry is what the extension extracts from the guides and publishes as
``xenabi-registry.json``. Every value keeps the file and line of the table
cell it came from, so the drift gate and the emulator can point at cells.

The JSON form is deterministic (sorted keys, tables sorted by document and
line, no timestamps) and carries a digest of its own content, so
:func:`load` can tell a hand-edited file from a generated one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from sphinx_xenabi._version import __version__
from sphinx_xenabi.model.spec import (
    AbiSpec,
    Convention,
    Evidence,
    GuestType,
    Hypercall,
    Release,
    ReleaseRange,
    evidence_key,
)

SCHEMA_VERSION = 1
REGISTRY_FILENAME = "xenabi-registry.json"
GENERATOR = f"sphinx-xenabi {__version__}"
# The site's registry is tens of kilobytes and a 2,000-page tree's a few
# megabytes; a file beyond this is refused before it is read.
MAX_REGISTRY_BYTES = 64 * 1024 * 1024
# Messages quote offending values; a hostile file's can be megabytes long.
MAX_MESSAGE_CHARS = 300

T = TypeVar("T")


class RegistryError(ValueError):
    """A registry file that cannot be trusted: malformed, foreign or edited."""

    def __init__(self, source: str, message: str) -> None:
        if len(message) > MAX_MESSAGE_CHARS:
            cut = len(message) - MAX_MESSAGE_CHARS
            message = f"{message[:MAX_MESSAGE_CHARS]}... ({cut} more characters)"
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class TableKind(StrEnum):
    REGISTERS = "registers"
    TRANSFER = "transfer"
    NUMBERS = "numbers"


# The records live in the build environment for the whole build, one Cell
# and one Location per table cell: slots keep them to one object each for
# the garbage collector to traverse, and ``__reduce__`` keeps pickling them
# (the environment, parallel readers) as cheap as pickling a tuple.


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """Where a value was written: source file (relative to the docs) and line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    def __reduce__(self) -> tuple[type[Location], tuple[str, int]]:
        return Location, (self.file, self.line)


@dataclass(frozen=True, slots=True)
class Cell(Generic[T]):
    """One table cell's value and the place it was written."""

    value: T
    location: Location

    def __reduce__(self) -> tuple[type[Cell[T]], tuple[T, Location]]:
        return Cell, (self.value, self.location)


@dataclass(frozen=True, slots=True)
class RegisterRow:
    abi: Cell[str]
    index: Cell[str]
    parameters: Cell[tuple[str, ...]]
    result: Cell[str]


@dataclass(frozen=True, slots=True)
class TransferRow:
    guest: Cell[str]
    instruction: Cell[str]


@dataclass(frozen=True, slots=True)
class NumberRow:
    number: Cell[int]
    name: Cell[str]
    # Only the guest-type columns the table has; a missing column states nothing.
    availability: Mapping[GuestType, Cell[bool]] = field(default_factory=dict)


Row = RegisterRow | TransferRow | NumberRow


@dataclass(frozen=True, slots=True)
class TableRecord:
    """One recognised table of the guides."""

    kind: TableKind
    docname: str
    guide: str | None
    location: Location
    title: str
    releases: ReleaseRange | None
    header: tuple[Cell[str], ...]
    rows: tuple[Row, ...]
    # The N of a registers table's "Parameters (1 - N)" header.
    parameter_count: int | None = None
    # The footnotes the cells cite (text, where the footnote stands): not ABI,
    # but a reviewer of a change wants to see them change.
    footnotes: tuple[Cell[str], ...] = ()

    def applies_to(self, release: Release) -> bool:
        return self.releases is None or release in self.releases


@dataclass(frozen=True)
class Guide:
    """A guide listed by the root document and the pages reachable from it."""

    docname: str
    title: str
    pages: tuple[str, ...]


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

    def guide_of(self, docname: str) -> str | None:
        for guide in self.guides:
            if docname in guide.pages:
                return guide.docname
        return None

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

    def spec_for(self, release: Release | None = None) -> AbiSpec:
        """The ABI the docs state for ``release`` (default: the described one, else
        the newest release the model knows).

        Rows that appear twice keep their first occurrence; the extraction
        already warned about duplicates. The spec's evidence locates each
        fact at its cell (keys as :func:`~sphinx_xenabi.model.spec.evidence_key` spells them), so the
        docs are located as a Xen source is; ``ranges`` and ``footnotes``
        hold what the tables' titles and footnotes state.
        """
        if release is None:
            # As the drift gate does: an unstated release is the newest the model knows.
            from sphinx_xenabi.model.abi import NEWEST_MODELLED_RELEASE

            release = self.described_release or NEWEST_MODELLED_RELEASE
        evidence: dict[str, Evidence] = {}
        ranges: dict[str, ReleaseRange] = {}
        footnotes: dict[str, tuple[Evidence, ...]] = {}

        def locate(key: str, cell: Cell[Any]) -> None:
            evidence.setdefault(key, _evidence_of(cell))

        def note_table(table: TableRecord) -> None:
            kind = table.kind.value
            key = evidence_key("table", kind)
            if key in evidence:
                return  # the first table of a kind speaks for it, as its rows do
            evidence[key] = Evidence(table.location.file, table.location.line, table.title)
            if table.releases is not None:
                ranges[kind] = table.releases
            if table.footnotes:
                footnotes[kind] = tuple(_evidence_of(c) for c in table.footnotes)

        conventions: dict[str, Convention] = {}
        parameter_count: int | None = None
        for table in self.tables_for(TableKind.REGISTERS, release):
            note_table(table)
            if len(table.header) > 2:
                locate(evidence_key("parameter-count"), table.header[2])
            if parameter_count is None:
                parameter_count = table.parameter_count
            for row in table.rows:
                assert isinstance(row, RegisterRow)
                abi = row.abi.value
                conventions.setdefault(
                    abi, Convention(abi, row.index.value, row.parameters.value, row.result.value)
                )
                locate(evidence_key("convention", abi), row.abi)
                locate(evidence_key("convention", abi, "index"), row.index)
                locate(evidence_key("convention", abi, "parameters"), row.parameters)
                locate(evidence_key("convention", abi, "result"), row.result)
        transfers: dict[str, str] = {}
        for table in self.tables_for(TableKind.TRANSFER, release):
            note_table(table)
            for row in table.rows:
                assert isinstance(row, TransferRow)
                transfers.setdefault(row.guest.value, row.instruction.value)
                locate(evidence_key("transfer", row.guest.value), row.instruction)
        hypercalls: dict[int, Hypercall] = {}
        for table in self.tables_for(TableKind.NUMBERS, release):
            note_table(table)
            for row in table.rows:
                assert isinstance(row, NumberRow)
                number = row.number.value
                available = frozenset(g for g, cell in row.availability.items() if cell.value)
                hypercalls.setdefault(number, Hypercall(number, row.name.value, available))
                locate(evidence_key("hypercall", number), row.number)
                locate(evidence_key("hypercall", number, "name"), row.name)
                for guest, cell in row.availability.items():
                    locate(evidence_key("available", number, guest.value), cell)
        return AbiSpec(
            release,
            conventions,
            transfers,
            hypercalls,
            evidence=MappingProxyType(evidence),
            ranges=MappingProxyType(ranges),
            footnotes=MappingProxyType(footnotes),
            stated_parameter_count=parameter_count,
        )

    # -- JSON ---------------------------------------------------------------

    def _content(self) -> dict[str, Any]:
        """The JSON members other than the digest."""
        return {
            "schema_version": self.schema_version,
            "generator": self.generator,
            "release": self.release,
            "guides": [
                {"docname": g.docname, "title": g.title, "pages": list(g.pages)}
                for g in sorted(self.guides, key=lambda g: g.docname)
            ],
            "tables": [_table_to_data(t) for t in sort_tables(self.tables)],
        }

    def to_data(self) -> dict[str, Any]:
        content = self._content()
        content["digest"] = _digest(content)
        return content

    def to_json(self) -> str:
        """The canonical text: sorted keys, one guide or table per line.

        Each line is compact JSON from the C encoder (``indent`` would fall back
        to the much slower pure-Python one), yet a change shows up in a diff
        as the guide or table it touched. Every value is encoded once: the
        digest's compact text is joined from the same pieces as the layout.
        """
        members = {key: _encode_member(value) for key, value in self._content().items()}
        digest = _hash(_join_members(members, one_per_line=False))
        members["digest"] = _canonical(digest)
        return _join_members(members, one_per_line=True) + "\n"

    def dump(self, path: str | os.PathLike[str]) -> None:
        """Write the JSON atomically: readers never see a half-written file."""
        write_atomic(Path(path), self.to_json())

    @classmethod
    def from_data(cls, data: Any, source: str = "<registry>") -> Registry:
        """Validate ``data`` (parsed JSON) and build the registry from it."""
        _validate_schema(data, source)
        if data["schema_version"] != SCHEMA_VERSION:
            raise RegistryError(
                source,
                f"schema version {data['schema_version']} is not supported "
                f"(this sphinx-xenabi reads version {SCHEMA_VERSION})",
            )
        expected = _digest({k: v for k, v in data.items() if k != "digest"})
        if data["digest"] != expected:
            raise RegistryError(
                source,
                "digest mismatch: the content was changed after sphinx-xenabi wrote it "
                "(rebuild the docs instead of editing the JSON)",
            )
        tables = tuple(_table_from_data(t, source, i) for i, t in enumerate(data["tables"]))
        guides = tuple(Guide(g["docname"], g["title"], tuple(g["pages"])) for g in data["guides"])
        return cls(
            release=data["release"],
            guides=guides,
            tables=tables,
            generator=data["generator"],
            schema_version=data["schema_version"],
        )


def load(path: str | bytes | os.PathLike[str], *, max_bytes: int = MAX_REGISTRY_BYTES) -> Registry:
    """Read and validate a registry JSON file; raise :class:`RegistryError`.

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
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{source}:{exc.lineno}", f"not JSON ({exc.msg}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        # Nesting or number sizes no generated registry has: refuse, don't crash.
        raise RegistryError(source, f"not a registry: {exc}") from None
    return Registry.from_data(data, source)


def _evidence_of(cell: Cell[Any]) -> Evidence:
    value = cell.value
    text = " ".join(value) if isinstance(value, tuple) else str(value)
    return Evidence(cell.location.file, cell.location.line, text)


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


def sort_tables(tables: Iterable[TableRecord]) -> list[TableRecord]:
    return sorted(tables, key=lambda t: (t.docname, t.location.line, t.kind.value))


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory, then rename over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


# -- JSON helpers -------------------------------------------------------------


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _encode_member(value: Any) -> str | list[str]:
    """A member's JSON text, or its items' texts when it is a list."""
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return _canonical(value)


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
        texts.append(f"{_canonical(key)}: {value}")
    return f"{{{newline}{separator.join(texts)}{newline}}}"


def _hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest(content: Mapping[str, Any]) -> str:
    return _hash(_canonical(content))


def _cell_to_data(cell: Cell[Any]) -> dict[str, Any]:
    value = list(cell.value) if isinstance(cell.value, tuple) else cell.value
    return {"value": value, "file": cell.location.file, "line": cell.location.line}


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


@cache
def registry_schema() -> dict[str, Any]:
    """The JSON Schema shipped with the package (``registry.schema.json``)."""
    text = resources.files(__package__).joinpath("registry.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _validate_schema(data: Any, source: str) -> None:
    import jsonschema  # deferred: only readers of foreign JSON need it

    validator = jsonschema.Draft202012Validator(registry_schema())
    # Fail fast: errors are found lazily, and a hostile file can hold millions.
    # best_match picks the most telling of the first few (it reads them all).
    first = jsonschema.exceptions.best_match(itertools.islice(validator.iter_errors(data), 8))
    if first is not None:
        pointer = "/" + "/".join(str(p) for p in first.absolute_path)
        raise RegistryError(source, f"at {pointer}: {first.message}")
