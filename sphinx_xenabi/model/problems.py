"""Located problems: the one shape of everything the extension reports, and its subtypes.

A :class:`Problem` is born where a fault is found (a table row read, a drift
check, a directive, the build's result) and travels unchanged to the log,
the page and every ``check`` format: no layer re-types it.

A message is logged as ``xenabi.<subtype>``, so a project silences one kind
with ``suppress_warnings = ["xenabi.<subtype>"]``: the values below are that
contract and never change. Each member's docstring (reST) says when the
message comes and what to do about it; ``docs/tooling/warnings.rst`` renders
them with the ``xenabi-warnings`` directive, so the page cannot drift from
this enum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sphinx_xenabi.model.location import Location

Level = Literal["warning", "error"]

# One hostile cell (25,000 register names) must not flood the log: messages
# quote cells, so each is cut to a bounded length, and a cell says at most
# MAX_PER_CELL things of one kind, then how many more there are.
MAX_MESSAGE_CHARS = 500
MAX_PER_CELL = 10


class WarningSubtype(StrEnum):
    """The subtypes of the ``xenabi`` messages, in the order the docs list them.

    A member is its subtype string (``WarningSubtype.DRIFT == "drift"``).
    """

    _value_: str

    def __new__(cls, value: str, doc: str) -> WarningSubtype:
        member = str.__new__(cls, value)
        member._value_ = value
        member.__doc__ = doc
        return member

    @property
    def name_in_logs(self) -> str:
        """``xenabi.drift``: as the log prints it and ``suppress_warnings`` names it."""
        return f"xenabi.{self.value}"

    DRIFT = (
        "drift",
        "A table disagrees with the reference model (or the Xen source) for the release it "
        "describes. An error by default, which fails the build (see :confval:`xenabi_drift`). "
        "Correct the cell the message points at; if the model is the one that is wrong, the "
        "table describes another release: say so in its title (``Xen 4.13 to 4.16``).",
    )
    UNCHECKED = (
        "unchecked",
        "A table describes a release the model does not cover (before the first modelled "
        "release); it is recorded but not checked. Informational: check such a table against "
        "the source of that release with :confval:`xenabi_xen_source`, or suppress the kind.",
    )
    PARAMETER_COUNT = (
        "parameter-count",
        "A registers row names a different number of parameters than its header announces "
        "(``Parameters (1 - 6)``). Make the header and the row agree; the row is kept, so the "
        "drift check can also say what the model expects.",
    )
    BAD_REGISTER = (
        "bad-register",
        "A cell names something that is not a general purpose register of the row's ABI width "
        "(``EAX`` in a ``64bit`` row, a typo). Name the register as the ABI has it; the row is "
        "skipped.",
    )
    UNKNOWN_ABI = (
        "unknown-abi",
        "A registers row is neither ``64bit`` nor ``32bit``. Write one of the two; the row is "
        "skipped.",
    )
    UNKNOWN_GUEST = (
        "unknown-guest",
        "A transfer row or a numbers column names no known guest type. Use ``32bit PV``, "
        "``64bit PV``, ``Intel HVM`` or ``AMD HVM`` in a transfer table and ``PV 32``, ``PV "
        "64``, ``HVM 32`` or ``HVM 64`` as a numbers column; the row or column is ignored.",
    )
    BAD_NUMBER = (
        "bad-number",
        "A hypercall number is not a non-negative integer of at most 64 bits. Write it in "
        "decimal or as ``0x`` hexadecimal; the row is skipped.",
    )
    BAD_AVAILABILITY = (
        "bad-availability",
        "An availability cell of a numbers table is neither yes nor no. Write ``yes`` or ``no`` "
        "(``✓`` and ``-`` are read too); the row is skipped.",
    )
    DUPLICATE_ROW = (
        "duplicate-row",
        "A row repeats an ABI, guest, number or name given earlier in the table. Remove one of "
        "the two or split the table by release; the later row is skipped.",
    )
    DUPLICATE_COLUMN = (
        "duplicate-column",
        "A numbers table names a guest type column twice; the later column is ignored. Remove "
        "or rename it.",
    )
    EMPTY_CELL = (
        "empty-cell",
        "A cell of a recognised table is empty (the row is skipped), or a numbers table's guest "
        "column has an empty header (the column is ignored). Fill it in. Empty cells in an "
        "ignored column are not reported.",
    )
    RAGGED_ROW = (
        "ragged-row",
        "A row has a different number of cells than the header (a csv record with a field too "
        "many, say), or a spanning cell. Give the row one cell per column; it is skipped.",
    )
    ORPHAN = (
        "orphan",
        "A document with ABI tables is reachable from no guide listed by the root document (its "
        "tables are recorded without a guide). Add it to a guide's toctree. Pages without "
        "tables are not reported.",
    )
    NONE = (
        "none",
        "``check`` only: the tree has no ABI table, no ``xenabi-verifies`` block and no "
        "requirement item, so nothing was checked; located at "
        "the root document, and ``check`` exits with 1. Point ``check`` at the docs that hold "
        "the tables. (An html build says nothing: a project may use the extension for its "
        "hypercall cross-references alone.)",
    )
    EXECUTION = (
        "execution",
        "A table row failed when run as machine code in the CPU emulator (html builds with "
        ":confval:`xenabi_execute_tables`); it fails the build like drift. The message and the "
        "row's evidence line say what ran and what arrived: correct the row.",
    )
    VERIFICATION = (
        "verification",
        "An example of an ``xenabi-verifies`` block failed when run against the reference (the "
        "Xen source, or the model for the release the docs describe) in a build that executes "
        "tables (:confval:`xenabi_execute_tables`, html and ``check``); it fails the build like "
        "drift, located at the example's ``>>>`` line and naming the requirement ids the block "
        "verifies. The message says what the example expected and what it got: correct the "
        "example, or the requirement it verifies.",
    )
    UNVERIFIED_CLAIM = (
        "unverified-claim",
        "A requirement that ``xenabi-verifies`` blocks verify states a concrete value in its "
        "``Description`` or ``Comments`` (a register such as ``x16``, an immediate such as "
        "``0xEA1``, a hypercall or command number, a ``char[N]`` size) that no passing example "
        "of those blocks mentions, so the requirement is unverified: changing ``x16`` to "
        "``x17`` in its text cannot leave it verified. A warning at the field: add an example "
        "that asserts the value, or correct the text.",
    )
    UNVERIFIED_REQUIREMENT = (
        "unverified-requirement",
        "``check`` only: a requirement item is unverified and no ``xenabi.unverified-claim`` "
        "warning says why (no ``xenabi-verifies`` example names it, or the build ran none); "
        "located at its id. A warning that does not make ``check`` exit 1: the item's status "
        "says it, in every format (a skipped case in JUnit). Write a block that verifies it.",
    )
    RELEASE_RANGE = (
        "release-range",
        "A table title states a release range that ends before it starts, or a release no Xen "
        "can have (a part above 65535); the range is ignored and the table describes the "
        "release the project documents. Write it as ``Xen 4.13 to 4.16`` or ``Xen 4.17+``.",
    )
    DIRECTIVE = (
        "directive",
        "A ``xenabi-hypercall-page`` directive names an unknown guest or bad ``:indices:``; a "
        "``xenabi-abi-diff`` directive names a release the model does not cover, or renders "
        "Markdown outside a Markdown page; a ``xenabi-abi-history`` directive has fewer than "
        "two source trees; a ``xenabi-verifies`` directive names something that is not a "
        "requirement id (``type~name~revision``) or holds no doctest example. An error: the "
        "message says what the directive takes.",
    )
    SOURCE = (
        "source",
        "The Xen source tree to check against cannot be read (an error, and the build fails), "
        "or it contradicts itself (a warning: the PV and HVM dispatch, the debug poisoning or "
        "``gen_hypercall.awk``'s limit name different registers or counts; Arm's ``traps.c`` "
        "and the convention ``arch-arm.h`` states differ); a tree "
        ":confval:`xenabi_history_sources` names cannot be read (an error). Fix the path in "
        ":confval:`xenabi_xen_source` or :confval:`xenabi_history_sources`, or set "
        "``xenabi_xen_source = False`` to check against the built-in model.",
    )
    UNKNOWN_HYPERCALL = (
        "unknown-hypercall",
        "A ``:xenabi:hypercall:`` reference names no hypercall of a numbers table (with ``-n`` "
        "only, as for Sphinx's own roles). Correct the name or number, or add the hypercall to "
        "a numbers table.",
    )
    DUPLICATE_HYPERCALL = (
        "duplicate-hypercall",
        "A numbers table pairs a hypercall name and number differently from a table before it; "
        "references go to the first definition. Make the tables agree.",
    )
    BAD_REQUIREMENT = (
        "bad-requirement",
        "A requirement item cannot be read as written (:doc:`requirements`): a section's first "
        "paragraph is a lone literal with a ``~`` that is no ``type~name~revision`` id (the "
        "section is no item), a ``Covers`` entry is no id, a ``Needs`` entry is no artifact "
        "type, a field is given twice or ``Covers`` and ``Needs`` hold no list. The message "
        "says what was expected; the entry, or the item, is skipped.",
    )
    DUPLICATE_REQUIREMENT = (
        "duplicate-requirement",
        "Two requirement items have the same id (type, name and revision). Links and "
        "references go to the first; give the later item its own name, or a new revision if "
        "it replaces the first.",
    )
    UNKNOWN_REQUIREMENT = (
        "unknown-requirement",
        "A ``:xenabi:requirement:`` reference names no requirement item (with ``-n`` only, as "
        "for Sphinx's own roles). Correct the id; the revision may be left out.",
    )
    COVERS_UNKNOWN = (
        "covers-unknown",
        "A ``Covers`` entry names an id no item has at any revision (OpenFastTrace calls "
        "the link orphaned). Correct the id, or write the item it names.",
    )
    COVERS_OUTDATED = (
        "covers-outdated",
        "A ``Covers`` entry names an earlier revision of an item than the one written "
        "(OpenFastTrace: outdated): the item changed since it was covered. Review the "
        "covering item against the new revision, then name that revision.",
    )
    COVERS_PREDATED = (
        "covers-predated",
        "A ``Covers`` entry names a later revision of an item than any written "
        "(OpenFastTrace: predated). Name the revision that exists, or raise the item's "
        "revision if it was changed.",
    )
    COVERS_UNWANTED = (
        "covers-unwanted",
        "A ``Covers`` entry links to an item whose ``Needs`` does not list the covering "
        "item's type (OpenFastTrace: unwanted). Add the type to the covered item's "
        "``Needs``, or cover the item that needs it.",
    )
    UNCOVERED_REQUIREMENT = (
        "uncovered-requirement",
        "A requirement item needs an artifact type (``Needs``) that no item of that type covers "
        "at its revision (OpenFastTrace: uncovered); located at the ``Needs`` entry. Write "
        "the item that covers it, correct the covering item's ``Covers``, or drop the type "
        "from ``Needs``.",
    )
    REGISTRY = (
        "registry",
        "``xenabi-registry.json`` (or ``xenabi-requirements.json``, ``xenabi-needs.json``) "
        "cannot be written (the target is a directory, the disk is "
        "full or read-only) or the previous build's cannot be removed. An error, located at the "
        "file, and the build fails. Make the target a writable file; a project that wants no "
        "registry sets ``xenabi_write_registry = False`` (``xenabi_write_requirements``, "
        "``xenabi_write_needs`` for the others).",
    )


# Subtypes that inform and never make ``check`` exit 1 (nor fail a JUnit case).
INFORMATIONAL = frozenset(
    {
        WarningSubtype.UNCHECKED,
        WarningSubtype.ORPHAN,
        WarningSubtype.SOURCE,
        WarningSubtype.UNVERIFIED_CLAIM,
        WarningSubtype.UNVERIFIED_REQUIREMENT,
        WarningSubtype.UNCOVERED_REQUIREMENT,
    }
)


@dataclass(frozen=True)
class Problem:
    """One located problem: its kind, what it says, where, and how loud.

    ``location`` is a table cell, a whole document (line 0: the document's
    path, relative to the docs like every location) or None for the build as
    a whole (a Xen source that cannot be read).
    """

    subtype: WarningSubtype
    message: str
    location: Location | None = None
    level: Level = "warning"

    @property
    def fails(self) -> bool:
        """Whether it makes ``check`` exit 1 (informational subtypes do not)."""
        return self.subtype not in INFORMATIONAL

    def at_level(self, level: Level) -> Problem:
        return replace(self, level=level)


def bounded(message: str) -> str:
    """``message`` cut to MAX_MESSAGE_CHARS, saying how much was left out."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return (
        f"{message[:MAX_MESSAGE_CHARS]}... ({len(message) - MAX_MESSAGE_CHARS:,} more characters)"
    )


def capped(problems: Iterable[Problem]) -> list[Problem]:
    """At most MAX_PER_CELL problems of one subtype per cell, then one that counts the rest."""
    problems = list(problems)
    totals = Counter((p.subtype, p.location) for p in problems)
    seen: Counter[tuple[WarningSubtype, Location | None]] = Counter()
    shown: list[Problem] = []
    for problem in problems:
        key = (problem.subtype, problem.location)
        seen[key] += 1
        if seen[key] <= MAX_PER_CELL:
            shown.append(problem)
        elif seen[key] == MAX_PER_CELL + 1:
            hidden = totals[key] - MAX_PER_CELL
            more = f"and {hidden:,} more {problem.subtype} finding(s) at this cell"
            shown.append(replace(problem, message=more))
    return shown
