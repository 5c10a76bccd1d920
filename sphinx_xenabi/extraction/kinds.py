"""Table-kind recognition: which kind of ABI table a header row announces.

Tables are recognised by their header row alone, so reST and MyST (which
produce the same nodes), list-tables, grid tables and csv-tables are all
read the same way. A title may state the releases a table describes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sphinx_xenabi.model.records import TableKind
from sphinx_xenabi.model.spec import (
    RELEASE_PART_MAX,
    GuestType,
    Release,
    ReleaseOverflowError,
    ReleaseRange,
)

# At most four digits: int() refuses very long numbers, and no ABI has 10,000 parameters.
_PARAMETERS_HEADER = re.compile(
    r"^parameters\s*\(\s*1\s*[-\u2013\u2014]\s*0*([0-9]{1,4})\s*\)$", re.ASCII
)
_NUMBER_HEADERS = frozenset({"index", "#", "no.", "number", "hypercall number", "hypercall index"})
_NAME_HEADERS = frozenset({"name", "hypercall", "hypercall name"})

# Table titles state their releases as "Xen 4.13 to 4.16", "Xen 4.17+",
# "Xen 4.17 and later" or just "Xen 4.18".
_RANGE_BOUNDED = re.compile(
    r"\bXen\s+(\d+\.\d+)\s*(?:to|through|-|\u2013|\u2014)\s*(\d+\.\d+)", re.IGNORECASE | re.ASCII
)
_RANGE_OPEN = re.compile(
    r"\bXen\s+(\d+\.\d+)\s*(?:\+|and\s+later|or\s+later|and\s+newer|onwards)",
    re.IGNORECASE | re.ASCII,
)
_RANGE_SINGLE = re.compile(r"\bXen\s+(\d+\.\d+)\b", re.IGNORECASE | re.ASCII)


def normalise_header(text: str) -> str:
    return " ".join(text.split()).lower()


def releases_from_title(title: str) -> ReleaseRange | None:
    """The release range a table title states, if any.

    ValueError when it names a release that cannot be one (Xen 70000.99999).
    """
    if match := _RANGE_BOUNDED.search(title):
        return ReleaseRange(_title_release(match.group(1)), _title_release(match.group(2)))
    if match := _RANGE_OPEN.search(title):
        return ReleaseRange(_title_release(match.group(1)), None)
    if match := _RANGE_SINGLE.search(title):
        release = _title_release(match.group(1))
        return ReleaseRange(release, release)
    return None


def _title_release(text: str) -> Release:
    try:
        return Release.parse(text)
    except ReleaseOverflowError:
        raise ValueError(
            f"Xen {text}, which is not a Xen release (major and minor are at most "
            f"{RELEASE_PART_MAX})"
        ) from None


@dataclass(frozen=True)
class Schema:
    kind: TableKind
    parameter_count: int | None = None
    guest_columns: tuple[GuestType | None, ...] = ()


def match_header(texts: Sequence[str]) -> Schema | None:
    """Which kind of table a header row (cell texts) announces, if any."""
    header = [normalise_header(t) for t in texts]
    if (
        len(header) == 4
        and header[0] == "abi"
        and header[1] == "hypercall index"
        and header[3] == "result"
    ):
        if match := _PARAMETERS_HEADER.match(header[2]):
            return Schema(TableKind.REGISTERS, parameter_count=int(match.group(1)))
    if header == ["guest", "transfer instruction"]:
        return Schema(TableKind.TRANSFER)
    if len(header) >= 2 and header[0] in _NUMBER_HEADERS and header[1] in _NAME_HEADERS:
        columns: list[GuestType | None] = []
        for text in header[2:]:
            try:
                columns.append(GuestType.parse(text))
            except ValueError:
                columns.append(None)
        return Schema(TableKind.NUMBERS, guest_columns=tuple(columns))
    return None


def named_columns(texts: list[str]) -> list[str]:
    """The header without its trailing empty cells: they name no column.

    docutils pads a csv-table's header to its longest record, and a trailing
    comma writes one; the body cells under them are checked to be empty.
    """
    named = list(texts)
    while named and not named[-1]:
        named.pop()
    return named
