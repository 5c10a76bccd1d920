"""Which guest types may call each hypercall, and with how many parameters.

Each dispatch file decides for the guest types it serves, in the form it is
written in (:mod:`.forms`): ``pv/hypercall.c`` for PV guests,
``hvm/hypercall.c`` for HVM guests, Arm's ``traps.c`` for Arm guests. A tree
may mix the forms (July 2022: ``hypercall-defs.c`` beside x86's C arrays).

Generated (4.17 and later): ``xen/include/hypercall-defs.c`` after the
preprocessor, read the way ``gen_hypercall.awk`` reads it: ``prefix:`` blocks of prototypes,
``caller:`` lines that switch guest types on, and the final ``table:`` whose
columns name, per guest type, the prefix of the handler (``-`` for none).
Arm's one ``arm`` column serves AArch64 and AArch32 guests alike, read in
the Arm build's configuration; its ``dep`` handlers (``dep_sched_op_compat``
...) exist only to return -ENOSYS, so they make nothing available.

C arrays (up to 4.16): ``pv_hypercall_table`` and ``hvm_hypercall_table``
(one entry per hypercall, native and compat handler) and the argument counts
of ``hypercall_args_table`` (``ARGS(name, n)``, ``COMP(name, n, compat)``).
The pv/ and hvm/ directories are built only with CONFIG_PV and CONFIG_HVM
(Xen's Makefiles, which the reader does not parse, say so). Arm's
``arm_hypercall_table`` in ``traps.c`` holds handler and count together
(``HYPERCALL(name, n)``, ``HYPERCALL_ARM``, and ``HYPERCALL_DEPRECATED``,
whose ``do_deprecated_hypercall`` returns -ENOSYS).

Each answer keeps its evidence and the ``#if`` condition of its entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sphinx_xenabi.model.spec import Architecture, Evidence, GuestType
from sphinx_xenabi.model.xen_source.conditions import config_options
from sphinx_xenabi.model.xen_source.forms import Form, dispatch_form
from sphinx_xenabi.model.xen_source.paths import (
    ARGS_TABLE_C,
    ARM_TRAPS_C,
    HVM_HYPERCALL_C,
    HYPERCALL_DEFS,
    PV_HYPERCALL_C,
)
from sphinx_xenabi.model.xen_source.preprocessor import joined, line_at
from sphinx_xenabi.model.xen_source.tree import SourceError, XenTree

if TYPE_CHECKING:
    from sphinx_xenabi.model.xen_source.configuration import Configuration
    from sphinx_xenabi.model.xen_source.numbers import NumberedHypercall

# Which column of hypercall-defs.c's table states a guest type: x86's name
# their guest type, Arm's one column serves both execution states.
_COLUMNS = {
    **{guest: guest.value for guest in GuestType.of(Architecture.X86)},
    **{guest: "arm" for guest in GuestType.of(Architecture.ARM)},
}
# The handler prefix of Arm's deprecated hypercalls (their stubs return -ENOSYS).
DEPRECATED_PREFIX = "dep"


def guests_of(architecture: Architecture) -> tuple[GuestType, ...]:
    """The architecture's guest types in GuestType's order (a stable reading order)."""
    return tuple(guest for guest in GuestType if guest.architecture is architecture)


@dataclass(frozen=True)
class Entry:
    """What the source says about one hypercall for one guest type."""

    guest: GuestType
    available: bool
    evidence: Evidence | None  # the entry, or what explains its absence
    condition: str = ""  # the #if condition of the entry ("" when unconditional)
    handler: str | None = None  # "do", "compat", "hvm" ... (the handler's prefix)
    arguments: int | None = None
    arguments_evidence: Evidence | None = None


def _why_compiled_out(condition: str, configuration: Configuration) -> str:
    off = [option for option in config_options(condition) if option not in configuration]
    on = [option for option in config_options(condition) if option in configuration]
    states = [configuration.state(option) for option in off] or [
        configuration.state(option) for option in on
    ]
    return f"compiled out ({condition}): {', '.join(states)}" if states else "compiled out"


def _inactive_line(
    tree: XenTree, relative: str, pattern: re.Pattern[str], after: int, active: set[int]
) -> int | None:
    """The first source line after ``after`` matching ``pattern`` that did not survive."""
    for number, line in enumerate(tree.lines(relative), start=1):
        if number > after and number not in active and pattern.search(line):
            return number
    return None


def _absent(
    tree: XenTree,
    relative: str,
    guest: GuestType,
    pattern: re.Pattern[str],
    after: int,
    active: set[int],
    configuration: Configuration,
    what: str,
) -> Entry:
    """No entry survived: cite the compiled-out one, else say there is none."""
    line = _inactive_line(tree, relative, pattern, after, active)
    if line is None:
        return Entry(guest, False, Evidence(relative, 0, "", f"no {what} entry in {relative}"))
    condition = tree.conditions(relative).get(line, "")
    note = _why_compiled_out(condition, configuration)
    return Entry(guest, False, tree.source_line(relative, line, note), condition)


def _parameter_count(arguments: str) -> int:
    arguments = arguments.strip()
    if not arguments or arguments == "void":
        return 0
    return arguments.count(",") + 1  # prototypes here hold no function-pointer types


# --- 4.17 and later ---------------------------------------------------------

_DIRECTIVE = re.compile(r"^(prefix|caller|table|rettype|handle|defhandle):\s*(.*)$")
_PROTOTYPE = re.compile(r"^(\w+)\s*\((.*)\)$")


@dataclass
class _Defs:
    """``hypercall-defs.c`` as ``gen_hypercall.awk`` sees it, lines kept."""

    prototypes: dict[tuple[str, str], tuple[int, int]]  # (prefix, name) -> (count, line)
    callers: dict[str, int]  # guest type -> line of its "caller:"
    columns: list[str]
    table_line: int
    rows: dict[str, tuple[list[str], int]]  # name -> (cells, line)
    active: set[int]  # the source lines that survived the preprocessor


def _parse_hypercall_defs(
    tree: XenTree,
    configuration: Configuration,
    architecture: Architecture,
    guests: tuple[GuestType, ...],
) -> _Defs:
    lines = tree.preprocessed(HYPERCALL_DEFS, configuration.enabled, architecture).lines
    where = tree.root / HYPERCALL_DEFS
    defs = _Defs({}, {}, [], 0, {}, {line.line for line in lines})
    prefixes: list[str] = []
    for line in lines:
        directive = _DIRECTIVE.match(line.text)
        if directive is not None:
            kind, value = directive.groups()
            if kind == "prefix":
                prefixes = value.split()
            elif kind == "caller":
                defs.callers[value.strip()] = line.line
            elif kind == "table":
                defs.columns, defs.table_line = value.split(), line.line
        elif defs.table_line:
            name, *cells = line.text.split()
            if len(cells) != len(defs.columns):
                raise SourceError(
                    f"{where}:{line.line}: table row {name} has {len(cells)} columns; "
                    f"the table: line names {len(defs.columns)}"
                )
            defs.rows[name] = (cells, line.line)
        elif (prototype := _PROTOTYPE.match(line.text)) is not None:
            count = _parameter_count(prototype.group(2))
            for prefix in prefixes:
                defs.prototypes[(prefix, prototype.group(1))] = (count, line.line)
        else:
            raise SourceError(
                f"{where}:{line.line}: expected a prototype such as 'name(type arg, ...)' "
                f"or a directive, found {line.text!r}"
            )
    if not defs.table_line:
        raise SourceError(f"{where}: no 'table:' line (expected the hypercall table)")
    for column in dict.fromkeys(_COLUMNS[g] for g in guests):
        if column not in defs.columns:
            raise SourceError(
                f"{where}:{defs.table_line}: the table has no {column} column "
                f"(found {' '.join(defs.columns)})"
            )
    return defs


def _defs_entry(
    tree: XenTree, defs: _Defs, name: str, guest: GuestType, configuration: Configuration
) -> Entry:
    """One table cell of hypercall-defs.c, read as the generator reads it."""
    column = _COLUMNS[guest]
    if column not in defs.callers:  # the column is ignored without its "caller:"
        pattern = re.compile(rf"^\s*caller:\s*{column}\s*$")
        return _absent(
            tree, HYPERCALL_DEFS, guest, pattern, 0, defs.active, configuration, "caller:"
        )
    if name not in defs.rows:
        pattern = re.compile(rf"^\s*{re.escape(name)}\s")
        what = f"{name} table"
        return _absent(
            tree, HYPERCALL_DEFS, guest, pattern, defs.table_line, defs.active, configuration, what
        )
    cells, row_line = defs.rows[name]
    cell = cells[defs.columns.index(column)]
    evidence = tree.source_line(HYPERCALL_DEFS, row_line)
    condition = tree.conditions(HYPERCALL_DEFS).get(row_line, "")
    if cell == "-":
        return Entry(guest, False, evidence, condition)
    prefix = cell.split(":")[0]  # "compat:2": the handler prefix and its priority
    if (prefix, name) not in defs.prototypes:
        raise SourceError(
            f"{tree.root / HYPERCALL_DEFS}:{row_line}: {column} calls {prefix}_{name}, "
            "which no prototype declares"
        )
    count, line = defs.prototypes[(prefix, name)]
    arguments = tree.source_line(HYPERCALL_DEFS, line)
    if prefix == DEPRECATED_PREFIX:
        note = _deprecated_note(tree, f"{prefix}_{name}")
        evidence = tree.source_line(HYPERCALL_DEFS, row_line, note)
        return Entry(guest, False, evidence, condition, prefix, count, arguments)
    return Entry(guest, True, evidence, condition, prefix, count, arguments)


def _deprecated_note(tree: XenTree, handler: str) -> str:
    """Why a deprecated Arm entry makes nothing available, citing the -ENOSYS."""
    note = f"deprecated: {handler} returns -ENOSYS"
    if not tree.exists(ARM_TRAPS_C):
        return note
    text = tree.text(ARM_TRAPS_C)
    body = re.search(r"\bdo_deprecated_hypercall\s*\(\s*void\s*\)\s*\{(.*?)^\}", text, re.M | re.S)
    if body is None or (enosys := re.search(r"return\s+-ENOSYS\s*;", body.group(1))) is None:
        return note
    line = text.count("\n", 0, body.start(1) + enosys.start()) + 1
    via = "" if handler == "do_deprecated_hypercall" else "do_deprecated_hypercall, "
    return f"{note} ({via}{ARM_TRAPS_C}:{line})"


def _read_hypercall_defs(
    tree: XenTree,
    configuration: Configuration,
    numbers: dict[int, NumberedHypercall],
    architecture: Architecture,
    guests: tuple[GuestType, ...],
) -> dict[int, dict[GuestType, Entry]]:
    defs = _parse_hypercall_defs(tree, configuration, architecture, guests)
    return {
        number: {
            guest: _defs_entry(tree, defs, hypercall.name, guest, configuration) for guest in guests
        }
        for number, hypercall in numbers.items()
    }


# --- up to 4.16 -------------------------------------------------------------

_ENTRY = re.compile(r"\[\s*__HYPERVISOR_(\w+)\s*\]\s*=\s*\{([^}]*)\}")
_HANDLER = re.compile(r"\(\s*hypercall_fn_t\s*\*\s*\)\s*(\w+)")
_COMPAT_DISPATCH = re.compile(r"_hypercall_table\s*\[\s*\w+\s*\]\s*\.\s*compat\s*\(")


def _table(
    tree: XenTree, relative: str, table: str, enabled: Iterable[str]
) -> tuple[dict[str, tuple[list[str], int]], bool]:
    """name -> (handlers, line) of the C array ``table``; whether compat is dispatched."""
    text, numbers = joined(tree.preprocessed(relative, enabled).lines)
    start = re.search(rf"\b{table}\s*\[\s*\]\s*=\s*\{{", text)
    if start is None:
        raise SourceError(
            f"{tree.root / relative}: no '{table}[] = {{ ... }}' array (expected the dispatch table)"
        )
    end = text.find("};", start.end())
    entries: dict[str, tuple[list[str], int]] = {}
    for match in _ENTRY.finditer(text, start.end(), end):
        entries[match.group(1)] = (
            _HANDLER.findall(match.group(2)),
            line_at(match.start(), text, numbers),
        )
    return entries, _COMPAT_DISPATCH.search(text) is not None


def _argument_counts(
    tree: XenTree, enabled: Iterable[str]
) -> tuple[dict[str, tuple[int, int, int]], int]:
    """name -> (native count, compat count, line) from ``hypercall_args_table``; its line."""
    text, numbers = joined(tree.preprocessed(ARGS_TABLE_C, enabled).lines)
    start = text.find("hypercall_args_table")
    if start < 0:
        raise SourceError(
            f"{tree.root / ARGS_TABLE_C}: no hypercall_args_table (expected the argument counts)"
        )
    counts: dict[str, tuple[int, int, int]] = {}
    for match in _ENTRY.finditer(text, start, text.find("};", start)):
        values = [int(value) for value in re.findall(r"\d+", match.group(2))]
        if not values:
            continue
        counts[match.group(1)] = (
            values[0],
            values[-1],
            line_at(match.start(), text, numbers),
        )
    return counts, line_at(start, text, numbers)


def _table_names(hypercall: NumberedHypercall) -> tuple[str, ...]:
    """How the C tables may name a hypercall: by name, or an arch one by slot."""
    slot = re.search(r"\barch_\d+\b", hypercall.evidence.note)
    return (hypercall.name, slot.group(0)) if slot else (hypercall.name,)


def _c_table_absence(
    tree: XenTree,
    configuration: Configuration,
    guest: GuestType,
    table: tuple[str, dict[str, tuple[list[str], int]], bool],
    names: tuple[str, ...],
) -> Entry | None:
    """Why ``guest`` cannot call the hypercall ``names`` name, or None when it can."""
    relative, entries, compat_dispatched = table
    directory_option = "CONFIG_HVM" if guest.is_hvm else "CONFIG_PV"
    if directory_option not in configuration:
        note = (
            f"{relative.rsplit('/', 1)[0]}/ is built only with {directory_option}: "
            f"{configuration.state(directory_option)}"
        )
        return Entry(guest, False, Evidence(relative, 0, "", note), f"defined({directory_option})")
    if guest.width == 32 and not compat_dispatched:
        pattern = _COMPAT_DISPATCH
        return _absent(tree, relative, guest, pattern, 0, set(), configuration, "compat dispatch")
    if any(name in entries for name in names):
        return None
    alternatives = "|".join(names)
    pattern = re.compile(rf"\b(?:HYPERCALL|COMPAT_CALL|HVM_CALL)\(\s*(?:{alternatives})\s*\)")
    active = {line.line for line in tree.preprocessed(relative, configuration.enabled).lines}
    what = f"{names[0]} table"
    return _absent(tree, relative, guest, pattern, 0, active, configuration, what)


def _read_c_tables(
    tree: XenTree,
    configuration: Configuration,
    numbers: dict[int, NumberedHypercall],
    guests: tuple[GuestType, ...],
) -> dict[int, dict[GuestType, Entry]]:
    enabled = configuration.enabled
    tables = {
        relative: (relative, *_table(tree, relative, f"{kind}_hypercall_table", enabled))
        for kind, relative in (("pv", PV_HYPERCALL_C), ("hvm", HVM_HYPERCALL_C))
        if any(_x86_file(guest) == relative for guest in guests)
    }
    counts, counts_line = _argument_counts(tree, enabled)
    result: dict[int, dict[GuestType, Entry]] = {}
    for number, hypercall in numbers.items():
        names = _table_names(hypercall)
        entries: dict[GuestType, Entry] = {}
        for guest in guests:
            found = tables[_x86_file(guest)]
            absence = _c_table_absence(tree, configuration, guest, found, names)
            if absence is not None:
                entries[guest] = absence
                continue
            relative, table, _ = found
            slot = next(name for name in names if name in table)
            handlers, line = table[slot]
            handler = handlers[0] if guest.width == 64 or len(handlers) == 1 else handlers[-1]
            # No entry means 0: C zero-initialises the rest of the array (iret).
            native, compat, count_line = counts.get(slot, (0, 0, counts_line))
            entries[guest] = Entry(
                guest,
                True,
                tree.source_line(relative, line),
                tree.conditions(relative).get(line, ""),
                handler.rsplit("_" + slot, 1)[0] if handler.endswith(slot) else handler,
                native if guest.width == 64 else compat,
                tree.source_line(ARGS_TABLE_C, count_line),
            )
        result[number] = entries
    return result


# --- Arm up to 4.16: one table in traps.c ----------------------------------

_TRAP_TABLE = re.compile(r"\barm_hypercall_table\s*\[\s*\]\s*=\s*\{")
_TRAP_HANDLER = re.compile(r"\.fn\s*=\s*\(\s*\w+\s*\)\s*&?\s*(\w+)")
_TRAP_COUNT = re.compile(r"\.nr_args\s*=\s*(\d+)")
_DEPRECATED_HANDLER = "do_deprecated_hypercall"


def _trap_table(tree: XenTree, configuration: Configuration) -> dict[str, tuple[str, int, int]]:
    """name -> (handler, argument count, line) of ``arm_hypercall_table``."""
    preprocessed = tree.preprocessed(ARM_TRAPS_C, configuration.enabled, Architecture.ARM)
    text, numbers = joined(preprocessed.lines)
    where = tree.root / ARM_TRAPS_C
    start = _TRAP_TABLE.search(text)
    if start is None:  # the array is there, but this configuration compiles it out
        raise SourceError(
            f"{where}: no 'arm_hypercall_table[] = {{ ... }}' array in the {configuration.name} "
            "build (expected Arm's dispatch table)"
        )
    entries: dict[str, tuple[str, int, int]] = {}
    for match in _ENTRY.finditer(text, start.end(), text.find("};", start.end())):
        line = line_at(match.start(), text, numbers)
        handler, count = _TRAP_HANDLER.search(match.group(2)), _TRAP_COUNT.search(match.group(2))
        if handler is None or count is None:
            raise SourceError(
                f"{where}:{line}: the {match.group(1)} entry has no '.fn = (...) &handler' "
                "and '.nr_args = N' (expected HYPERCALL(name, n) or its siblings)"
            )
        entries[match.group(1)] = (handler.group(1), int(count.group(1)), line)
    return entries


def _read_trap_table(
    tree: XenTree, configuration: Configuration, numbers: dict[int, NumberedHypercall]
) -> dict[int, dict[GuestType, Entry]]:
    table = _trap_table(tree, configuration)
    active = {
        line.line
        for line in tree.preprocessed(ARM_TRAPS_C, configuration.enabled, Architecture.ARM).lines
    }
    result: dict[int, dict[GuestType, Entry]] = {}
    for number, hypercall in numbers.items():
        name = hypercall.name
        entries: dict[GuestType, Entry] = {}
        for guest in guests_of(Architecture.ARM):
            if name not in table:
                pattern = re.compile(rf"\bHYPERCALL\w*\(\s*{re.escape(name)}\s*,")
                what = f"{name} arm_hypercall_table"
                entries[guest] = _absent(
                    tree, ARM_TRAPS_C, guest, pattern, 0, active, configuration, what
                )
                continue
            handler, count, line = table[name]
            deprecated = handler == _DEPRECATED_HANDLER
            note = _deprecated_note(tree, handler) if deprecated else ""
            prefix = handler.removesuffix(f"_{name}") if handler.endswith(f"_{name}") else handler
            entries[guest] = Entry(
                guest,
                not deprecated,
                tree.source_line(ARM_TRAPS_C, line, note),
                tree.conditions(ARM_TRAPS_C).get(line, ""),
                prefix,
                count,
                tree.source_line(ARM_TRAPS_C, line),
            )
        result[number] = entries
    return result


def _x86_file(guest: GuestType) -> str:
    """The dispatch file that serves an x86 guest type."""
    return HVM_HYPERCALL_C if guest.is_hvm else PV_HYPERCALL_C


def read_availability(
    tree: XenTree,
    configuration: Configuration,
    numbers: dict[int, NumberedHypercall],
    architecture: Architecture = Architecture.X86,
) -> dict[int, dict[GuestType, Entry]]:
    """Per hypercall number, per guest type of ``architecture``: available or not, and why.

    ``configuration`` is that architecture's build. Each guest type is read
    in the form of the file that dispatches its hypercalls.
    """
    if architecture is Architecture.ARM:
        if dispatch_form(tree, ARM_TRAPS_C) is Form.C_TABLES:
            return _read_trap_table(tree, configuration, numbers)
        guests = guests_of(Architecture.ARM)
        return _read_hypercall_defs(tree, configuration, numbers, architecture, guests)
    guests = guests_of(Architecture.X86)
    forms = {guest: dispatch_form(tree, _x86_file(guest)) for guest in guests}
    generated = tuple(g for g in guests if forms[g] is Form.HYPERCALL_DEFS)
    tabled = tuple(g for g in guests if forms[g] is Form.C_TABLES)
    read: dict[int, dict[GuestType, Entry]] = {number: {} for number in numbers}
    parts = []
    if generated:
        parts.append(_read_hypercall_defs(tree, configuration, numbers, architecture, generated))
    if tabled:
        parts.append(_read_c_tables(tree, configuration, numbers, tabled))
    for part in parts:
        for number, entries in part.items():
            read[number].update(entries)
    return {number: {guest: read[number][guest] for guest in guests} for number in numbers}
