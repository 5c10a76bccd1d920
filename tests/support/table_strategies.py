"""Hypothesis strategies: ABI tables in every syntax, valid and mutated, with an oracle.

A generated :class:`Table` is one table of the three kinds (registers,
transfer, numbers) in one of thirteen syntaxes: reST list-table, grid, simple
and csv-table (header row in the data or in ``:header:``), grid and simple
tables titled by the ``table`` directive; MyST list-table, csv-table (both
header forms) and pipe table, a pipe table titled by ``{table}`` and one in
a note. Rows are valid or carry one fault (empty cells, unknown ABIs and
guests, registers of the wrong width, a wrong parameter count, duplicates,
bad numbers and availability, a csv field too many, a short row, a spanning
grid cell, a ragged list-table, the empty row docutils makes of a simple
table's doubled border) or harmless decoration (inline markup, footnote
references, non-ASCII text, other spellings, a table nested in a list-table
cell of a row that is skipped anyway).

Each table knows what the extraction must make of it: the problems
(subtype and the cell they are reported at), how many rows are recorded,
and whether docutils itself refuses the table (a ragged list-table). The
page renderers place every cell on a known line, so the tests compare
problems and lines exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from docutils.utils import column_width
from hypothesis import strategies as st

from sphinx_xenabi.model.abi import HYPERCALLS, REGISTERS, TRANSFERS, TransferGuest
from sphinx_xenabi.model.spec import GuestType

RST_SYNTAXES = (
    "list-table",
    "grid",
    "simple",
    "csv",
    "csv-header",
    "table-grid",
    "table-simple",
)
MYST_SYNTAXES = (
    "myst-list-table",
    "myst-csv",
    "myst-csv-header",
    "pipe",
    "table-pipe",
    "note-pipe",
)
SYNTAXES = RST_SYNTAXES + MYST_SYNTAXES
LIST_SYNTAXES = ("list-table", "myst-list-table")
CSV_SYNTAXES = ("csv", "csv-header", "myst-csv", "myst-csv-header")
GRID_SYNTAXES = ("grid", "table-grid")
SIMPLE_SYNTAXES = ("simple", "table-simple")
PIPE_SYNTAXES = ("pipe", "table-pipe", "note-pipe")
# The table directive (reST ``table``, MyST ``{table}``) gives a title.
TABLE_DIRECTIVE_SYNTAXES = ("table-grid", "table-simple", "table-pipe")
TITLED_SYNTAXES = LIST_SYNTAXES + CSV_SYNTAXES + TABLE_DIRECTIVE_SYNTAXES

HEADER = -1  # the row index of the header
TITLE = -2  # the row index of the title

# Counted for the suite's report: how many tables the strategies produced.
GENERATED = {"tables": 0}


@dataclass
class Cell:
    """One cell: its text as the extraction reads it, and how it is dressed."""

    text: str
    markup: str = ""  # "strong", "emphasis", "literal" or ""
    footnote: str = ""  # a footnote label referenced after the text
    nested: bool = False  # a list-table cell that holds a table of its own after the text

    def source(self, myst: bool) -> str:
        text = self.text
        if text and self.markup:
            if myst:
                text = {"strong": f"**{text}**", "emphasis": f"*{text}*", "literal": f"`{text}`"}[
                    self.markup
                ]
            else:
                text = {"strong": f"**{text}**", "emphasis": f"*{text}*", "literal": f"``{text}``"}[
                    self.markup
                ]
        if self.footnote:
            text = f"{text}[^{self.footnote}]" if myst else f"{text} [#{self.footnote}]_"
        return text


@dataclass
class Table:
    kind: str
    syntax: str
    title: str
    header: list[Cell]
    rows: list[list[Cell]]
    # Oracle: (subtype, row, column) of every problem; row HEADER or TITLE for those.
    problems: list[tuple[str, int, int]] = field(default_factory=list)
    recorded: int = 0  # rows the registry must hold
    refused: bool = False  # docutils refuses the table (ragged list-table)
    spans: dict[int, int] = field(default_factory=dict)  # grid: row -> column merged with the next
    made_up: int | None = None  # simple: the row docutils makes of a doubled border
    faults: list[str] = field(default_factory=list)  # what was done to it, for statistics

    @property
    def myst(self) -> bool:
        return self.syntax in MYST_SYNTAXES

    def footnotes(self) -> set[str]:
        cells = [*self.header, *(c for row in self.rows for c in row)]
        return {c.footnote for c in cells if c.footnote}


# -- vocabulary ---------------------------------------------------------------------

_REGISTER_HEADERS = ("ABI", "abi"), ("Hypercall Index", "hypercall index"), ("Result", "RESULT")
_PARAMETERS = ("Parameters (1 - {n})", "parameters(1\u2013{n})", "PARAMETERS (1 \u2014 {n})")
_ABI_SPELLINGS = {"64bit": ("64bit", "64-bit", "64BIT"), "32bit": ("32bit", "32-bit", "32 bit")}
_UNKNOWN_ABIS = ("16bit", "\uff16\uff14bit", "128bit", "x86")
_FOREIGN_REGISTERS = {"64bit": ("EAX", "R16", "XMM0", "\uff32AX"), "32bit": ("RAX", "R8", "AX")}
_GUEST_SPELLINGS = {
    TransferGuest.PV32: ("32bit PV", "32-bit pv"),
    TransferGuest.PV64: ("64bit PV", "64 bit PV"),
    TransferGuest.INTEL_HVM: ("Intel HVM", "intel hvm"),
    TransferGuest.AMD_HVM: ("AMD HVM", "amd-hvm"),
    TransferGuest.ARM64: ("arm64", "ARM 64"),
    TransferGuest.ARM32: ("arm32", "Arm-32"),
}
_UNKNOWN_TRANSFER_GUESTS = ("ARM HVM", "16bit PV", "\u00cfntel HVM")
_INSTRUCTIONS = ("INT 0x82", "int $0x82", "SYSCALL", "VMCALL", "VMMCALL", "vmcall", "HLT")
_GUEST_COLUMNS = {
    GuestType.PV32: ("PV 32", "pv32"),
    GuestType.PV64: ("PV 64", "PV64"),
    GuestType.HVM32: ("HVM 32", "hvm 32"),
    GuestType.HVM64: ("HVM 64", "HVM64"),
    GuestType.ARM64: ("Arm 64", "ARM64"),
    GuestType.ARM32: ("Arm 32", "arm 32"),
}
_UNKNOWN_COLUMNS = ("PV 16", "HVM 128", "ARM 16")
_YES = ("yes", "Y", "true", "\u2713", "\u2714")
_NO_PIPE = ("no", "n", "false", "-", "\u2013", "\u2014", "\u2717")
_NO = tuple(v for v in _NO_PIPE if v != "-")  # "-" alone is a bullet list in reST
_BAD_AVAILABILITY = ("maybe", "sometimes", "\u00bfs\u00ed?")
_BAD_NUMBERS = ("seventeen", "\uff11\uff17", "1_7", "0b10", "-1", "9" * 25, "0x" + "f" * 17)
_TITLES = (
    "",
    "Registers",
    "Xen 4.13 to 4.16",
    "Xen 4.17+",
    "Xen 4.18",
    "Xen 4.10",
    "Table d\u2019\u00e9t\u00e9 \u03bb",
)
_BAD_TITLES = ("Xen 4.18 to 4.14", "Xen 70000.99999", "Xen 4.65536+")
_EXTRA_FIELDS = ("EBP", "extra", "\u00e9")
_NAMES_NON_ASCII = ("x\u00e9n_version", "\u03bb_op", "caf\u00e9_op")


def _case(draw: st.DrawFn, text: str) -> str:
    return draw(st.sampled_from((text, text.lower(), text.upper())))


def _decorated(draw: st.DrawFn, text: str, syntax: str) -> Cell:
    """A cell holding ``text``, sometimes in inline markup or with a footnote reference."""
    markup = draw(st.sampled_from(("", "", "", "strong", "emphasis", "literal")))
    footnote = draw(st.sampled_from(("", "", "", "", "n1", "n2")))
    if syntax in SIMPLE_SYNTAXES and markup == "literal":
        markup = ""  # ``x`` is fine, but keep simple tables' columns narrow
    return Cell(text, markup, footnote)


# -- rows with their faults -------------------------------------------------------------


@dataclass
class _Row:
    cells: list[Cell]
    fault: str = ""
    key: object = None  # what a recorded row claims (ABI, guest, number)
    name: str = ""  # numbers: the name it claims
    parameters: int = 0  # registers: how many parameter registers it names
    problems: list[tuple[str, int]] = field(default_factory=list)  # (subtype, column)
    keeps_row: bool = False  # the problem keeps the row (parameter count, availability)


def _registers_row(draw: st.DrawFn, count: int, syntax: str) -> _Row:
    abi = draw(st.sampled_from(("64bit", "32bit")))
    valid = sorted(REGISTERS[abi])
    index = draw(st.sampled_from(valid))
    params = draw(st.lists(st.sampled_from(valid), min_size=count, max_size=count))
    result = draw(st.sampled_from(valid))
    fault = draw(
        st.sampled_from(("", "", "", "empty", "unknown-abi", "bad-register", "count", "case"))
    )
    row = _Row([], fault, key=abi)
    abi_text = draw(st.sampled_from(_ABI_SPELLINGS[abi]))
    if fault == "unknown-abi":
        abi_text = draw(st.sampled_from(_UNKNOWN_ABIS))
        row.problems = [("unknown-abi", 0)]
    elif fault == "bad-register":
        column = draw(st.sampled_from((1, 2, 3)))
        foreign = draw(st.sampled_from(_FOREIGN_REGISTERS[abi]))
        if column == 1:
            index = foreign
        elif column == 2:
            params[draw(st.integers(0, count - 1))] = foreign
        else:
            result = foreign
        row.problems = [("bad-register", column)]
    elif fault == "count":  # judged against the header's count in tables()
        if count > 1 and draw(st.booleans()):
            params = params[:-1]
        else:
            params = [*params, draw(st.sampled_from(valid))]
    row.parameters = len(params)
    texts = [abi_text, index, " ".join(params), result]
    if fault == "case":
        texts = [_case(draw, t) for t in texts]
    row.cells = [_decorated(draw, t, syntax) for t in texts]
    return row


def _transfer_row(draw: st.DrawFn, syntax: str) -> _Row:
    guest = draw(st.sampled_from(list(TransferGuest)))
    fault = draw(st.sampled_from(("", "", "", "empty", "unknown-guest")))
    row = _Row([], fault, key=guest)
    guest_text = draw(st.sampled_from(_GUEST_SPELLINGS[guest]))
    if fault == "unknown-guest":
        guest_text = draw(st.sampled_from(_UNKNOWN_TRANSFER_GUESTS))
        row.problems = [("unknown-guest", 0)]
    instruction = draw(st.sampled_from((TRANSFERS[guest.value], *_INSTRUCTIONS)))
    row.cells = [_decorated(draw, guest_text, syntax), _decorated(draw, instruction, syntax)]
    return row


def _numbers_row(
    draw: st.DrawFn, columns: list[GuestType | None], syntax: str, used: set[int]
) -> _Row:
    free = sorted(set(HYPERCALLS) - used)
    number = draw(st.sampled_from(free)) if free else 100 + len(used)
    used.add(number)
    name = HYPERCALLS[number].name if number in HYPERCALLS else f"call_{number}"
    fault = draw(st.sampled_from(("", "", "", "empty", "bad-number", "bad-availability", "name")))
    row = _Row([], fault, key=number)
    number_text = draw(st.sampled_from((str(number), hex(number))))
    if fault == "bad-number":
        number_text = draw(st.sampled_from(_BAD_NUMBERS))
        row.problems = [("bad-number", 0)]
    if fault == "name":
        name = draw(st.sampled_from(_NAMES_NON_ASCII))
    row.name = name
    no = _NO_PIPE if syntax in PIPE_SYNTAXES else _NO
    values = [draw(st.sampled_from(_YES + no)) for _ in columns]
    if fault == "bad-availability":
        read = [i for i, guest in enumerate(columns) if guest is not None]
        if read:
            column = draw(st.sampled_from(read))
            values[column] = draw(st.sampled_from(_BAD_AVAILABILITY))
            row.problems, row.keeps_row = [("bad-availability", 2 + column)], True
        else:
            row.fault = ""
    row.cells = [_decorated(draw, t, syntax) for t in (number_text, name, *values)]
    return row


def _blank(draw: st.DrawFn, row: _Row, syntax: str, ignored: set[int]) -> None:
    """Empty one or more cells of a valid row (never a simple table's first column)."""
    first = 1 if syntax in SIMPLE_SYNTAXES else 0
    columns = draw(
        st.sets(st.integers(first, len(row.cells) - 1), min_size=1, max_size=len(row.cells))
    )
    for column in columns:
        row.cells[column] = Cell("")
    row.problems = [("empty-cell", c) for c in sorted(columns) if c not in ignored]


# -- tables ----------------------------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn, syntax: str | None = None) -> Table:
    """One table of a random kind in ``syntax`` (default: any), with its oracle."""
    syntax = syntax or draw(st.sampled_from(SYNTAXES))
    kind = draw(st.sampled_from(("registers", "transfer", "numbers")))
    ignored: set[int] = set()
    header_problems: list[tuple[str, int]] = []
    if kind == "registers":
        count = draw(st.integers(1, 6))  # what the rows name
        # What the header announces: mostly the same, sometimes not, even none.
        announced = draw(st.sampled_from((count, count, count, count + 1, count - 1, 0)))
        header_texts = [
            draw(st.sampled_from(_REGISTER_HEADERS[0])),
            draw(st.sampled_from(_REGISTER_HEADERS[1])),
            draw(st.sampled_from(_PARAMETERS)).format(n=announced),
            draw(st.sampled_from(_REGISTER_HEADERS[2])),
        ]
    elif kind == "transfer":
        header_texts = [
            draw(st.sampled_from(("Guest", "guest"))),
            draw(st.sampled_from(("Transfer instruction", "TRANSFER INSTRUCTION"))),
        ]
    else:
        # "#" alone is a heading in Markdown
        numbers = ("Index", "Number", "Hypercall number") + (
            () if syntax in MYST_SYNTAXES else ("#",)
        )
        header_texts = [
            draw(st.sampled_from(numbers)),
            draw(st.sampled_from(("Name", "Hypercall", "hypercall name"))),
        ]
        columns: list[GuestType | None] = []
        seen: set[GuestType] = set()
        for position in range(draw(st.integers(0, 5))):
            choice = draw(st.sampled_from(("guest", "guest", "guest", "unknown", "empty")))
            guest = draw(st.sampled_from(list(GuestType)))
            if choice == "unknown":
                header_texts.append(draw(st.sampled_from(_UNKNOWN_COLUMNS)))
                header_problems.append(("unknown-guest", 2 + position))
            elif choice == "empty":
                header_texts.append("")
                header_problems.append(("empty-cell", 2 + position))
            elif guest in seen:
                header_texts.append(draw(st.sampled_from(_GUEST_COLUMNS[guest])))
                header_problems.append(("duplicate-column", 2 + position))
            else:
                seen.add(guest)
                header_texts.append(draw(st.sampled_from(_GUEST_COLUMNS[guest])))
                columns.append(guest)
                continue
            columns.append(None)
            ignored.add(2 + position)
        if header_texts[-1] == "":
            header_texts[-1] = draw(
                st.sampled_from(_UNKNOWN_COLUMNS)
            )  # a trailing one names no column
            header_problems[-1] = ("unknown-guest", len(header_texts) - 1)
    header = [Cell(t) for t in header_texts]
    if draw(st.booleans()):
        header = [_decorated(draw, t, syntax) if t else Cell("") for t in header_texts]

    title = ""
    title_problems: list[tuple[str, int, int]] = []
    if syntax in TITLED_SYNTAXES:
        title = draw(st.sampled_from(_TITLES + _BAD_TITLES))
        if title in _BAD_TITLES:
            title_problems.append(("release-range", TITLE, 0))

    rows: list[_Row] = []
    used: set[int] = set()
    # docutils refuses a table without body rows (a header-only pipe table is fine)
    for _ in range(draw(st.integers(0 if syntax in PIPE_SYNTAXES else 1, 5))):
        if kind == "registers":
            row = _registers_row(draw, count, syntax)
        elif kind == "transfer":
            row = _transfer_row(draw, syntax)
        else:
            row = _numbers_row(draw, columns, syntax, used)
        if row.fault == "empty":
            _blank(draw, row, syntax, ignored)
        elif kind == "registers" and not row.problems and row.parameters != announced:
            row.problems, row.keeps_row = [("parameter-count", 2)], True
        rows.append(row)

    # Duplicates: a copy of an earlier row (same key), placed later.
    if rows and draw(st.integers(0, 3)) == 0:
        original = rows[draw(st.integers(0, len(rows) - 1))]
        copy = _Row(
            [Cell(c.text, c.markup, c.footnote) for c in original.cells],
            "duplicate",
            key=original.key,
            name=original.name,
            parameters=original.parameters,
            problems=list(original.problems),
            keeps_row=original.keeps_row,
        )
        rows.insert(draw(st.integers(rows.index(original) + 1, len(rows))), copy)

    _nest_tables(draw, rows, syntax)
    table = Table(kind, syntax, title, header, [r.cells for r in rows])
    table.problems = [(s, HEADER, c) for s, c in header_problems] + title_problems
    _shape_fault(draw, table, rows, ignored)
    _judge_rows(table, rows)
    if any(c.nested for r in rows for c in r.cells):
        table.faults.append("nested-table")
    GENERATED["tables"] += 1
    return table


# Faults that skip a row at its first cell, whatever the others hold.
_SKIPPED_AT_FIRST_CELL = ("unknown-abi", "unknown-guest", "bad-number")


def _nest_tables(draw: st.DrawFn, rows: list[_Row], syntax: str) -> None:
    """Sometimes a table nested in a list-table row's last cell, where it changes no finding."""
    if syntax not in LIST_SYNTAXES:
        return
    for row in rows:
        if row.fault in _SKIPPED_AT_FIRST_CELL and draw(st.booleans()):
            row.cells[-1].nested = True


def _shape_fault(draw: st.DrawFn, table: Table, rows: list[_Row], ignored: set[int]) -> None:
    """A fault of the table's shape, where the syntax allows one."""
    plain = [i for i, r in enumerate(rows) if not r.fault]
    width = len(table.header)
    faults = []
    if table.syntax in CSV_SYNTAXES:
        faults.append("extra-field")
    if table.syntax in (*CSV_SYNTAXES, *PIPE_SYNTAXES) and width > 2:
        faults.append("short-row")
    if table.syntax in GRID_SYNTAXES:
        faults.append("span")
    if table.syntax in SIMPLE_SYNTAXES:
        faults.append("made-up")
    if table.syntax in LIST_SYNTAXES and draw(st.integers(0, 3)) == 0:
        faults.append("ragged-list")
    if not plain or not faults or draw(st.integers(0, 2)):
        return
    fault = draw(st.sampled_from(faults))
    index = draw(st.sampled_from(plain))
    row = rows[index]
    row.fault, row.keeps_row = fault, False  # a row of the wrong shape is never read
    if fault == "extra-field":
        row.cells.append(Cell(draw(st.sampled_from(_EXTRA_FIELDS))))
        row.problems = [("ragged-row", width)]
    elif fault == "short-row":
        keep = draw(st.integers(2, width - 1))
        del row.cells[keep:]
        # The missing cells read as empty ones.
        row.problems = [("empty-cell", c) for c in range(keep, width) if c not in ignored]
    elif fault == "made-up":  # every cell empty, on the border that closes it
        table.made_up = index
        row.cells[:] = [Cell("") for _ in table.header]  # table.rows holds this list
        row.key = None
        row.problems = [("empty-cell", c) for c in range(width) if c not in ignored]
    elif fault == "span":
        column = draw(st.integers(0, width - 2))
        table.spans[index] = column
        row.cells[column] = Cell(row.cells[column].text or "spanned")
        row.cells[column + 1] = Cell(row.cells[column + 1].text)  # merged away, note and all
        row.problems = [("ragged-row", column)]
    else:
        del row.cells[-1]
        table.refused = True


def _judge_rows(table: Table, rows: list[_Row]) -> None:
    """The oracle: which rows are recorded and what is reported, as the extraction reads them."""
    table.faults = sorted({r.fault for r in rows if r.fault} | {s for s, _, _ in table.problems})
    if table.refused:
        table.problems, table.recorded = [], 0
        return
    claimed: set[object] = set()
    names: set[str] = set()
    for position, row in enumerate(rows):
        # Faults that skip the row are reported as they are; a duplicate is
        # only a row that would otherwise be recorded.
        if row.problems and not row.keeps_row:
            table.problems += [(s, position, c) for s, c in row.problems]
            continue
        if row.key in claimed:
            table.problems.append(("duplicate-row", position, 0))
            continue
        claimed.add(row.key)
        if table.kind == "numbers":
            if row.name in names:  # the number stays claimed
                table.problems.append(("duplicate-row", position, 1))
                continue
            names.add(row.name)
        table.problems += [(s, position, c) for s, c in row.problems]
        table.recorded += 1


# -- rendering ---------------------------------------------------------------------------


@dataclass
class Rendered:
    lines: list[str]
    cells: dict[tuple[int, int], int]  # (row, column) -> line offset in ``lines``
    title: int = 0  # the title's (or table's first) line offset


def render(table: Table) -> Rendered:
    return {
        "list-table": _list_table,
        "myst-list-table": _list_table,
        "grid": _grid,
        "simple": _simple,
        "csv": _csv,
        "csv-header": _csv,
        "myst-csv": _csv,
        "myst-csv-header": _csv,
        "pipe": _pipe,
        "table-grid": _titled_grid,
        "table-simple": _titled_simple,
        "table-pipe": _titled_pipe,
        "note-pipe": _pipe_in_a_note,
    }[table.syntax](table)


def _in_directive(inner: Rendered, opening: list[str], indent: str, closing: list[str]) -> Rendered:
    """``inner`` as the content of a directive, between these lines."""
    lines = [line.rstrip() for line in opening]
    cells = {place: len(lines) + offset for place, offset in inner.cells.items()}
    lines += [f"{indent}{line}" if line else "" for line in inner.lines]
    return Rendered([*lines, *closing], cells)


def _titled_grid(table: Table) -> Rendered:
    return _in_directive(_grid(table), [f".. table:: {table.title}", ""], "   ", [])


def _titled_simple(table: Table) -> Rendered:
    return _in_directive(_simple(table), [f".. table:: {table.title}", ""], "   ", [])


def _titled_pipe(table: Table) -> Rendered:
    return _in_directive(_pipe(table), [f"```{{table}} {table.title}"], "", ["```"])


def _pipe_in_a_note(table: Table) -> Rendered:
    return _in_directive(_pipe(table), ["```{note}", "A table in a note:", ""], "", ["```"])


def _all_rows(table: Table) -> list[tuple[int, list[Cell]]]:
    return [(HEADER, table.header), *enumerate(table.rows)]


def _list_table(table: Table) -> Rendered:
    myst = table.myst
    lines = [
        f"```{{list-table}} {table.title}".rstrip()
        if myst
        else f".. list-table:: {table.title}".rstrip()
    ]
    indent = "" if myst else "   "
    lines += [f"{indent}:header-rows: 1", ""]
    cells: dict[tuple[int, int], int] = {}
    for row_index, row in _all_rows(table):
        for column, cell in enumerate(row):
            lead = "* -" if column == 0 else "  -"
            cells[row_index, column] = len(lines)
            lines.append(f"{indent}{lead} {cell.source(myst)}".rstrip())
            if cell.nested:
                lines += _nested_table(myst, indent + "    ")
    if myst:
        lines.append("```")
    return Rendered(lines, cells)


def _nested_table(myst: bool, indent: str) -> list[str]:
    """A small table of no known kind, inside a list-table cell after its text."""
    if myst:
        table = ["| Note | Text |", "|---|---|", "| a |  |"]
    else:
        table = [
            ".. list-table::",
            "   :header-rows: 1",
            "",
            "   * - Note",
            "     - Text",
            "   * - a",
            "     -",
        ]
    return ["", *(f"{indent}{line}" if line else "" for line in table), ""]


def _widths(table: Table, rows: Iterable[list[Cell]]) -> list[int]:
    widths = [1] * len(table.header)
    for row in rows:
        for column, cell in enumerate(row[: len(widths)]):
            widths[column] = max(widths[column], column_width(cell.source(False)))
    return widths


def _pad(text: str, width: int) -> str:
    return text + " " * (width - column_width(text))


def _grid(table: Table) -> Rendered:
    widths = _widths(table, [table.header, *table.rows])
    border = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines = [border]
    cells: dict[tuple[int, int], int] = {}
    for row_index, row in _all_rows(table):
        cells.update({(row_index, c): len(lines) for c in range(len(row))})
        parts = [_pad(c.source(False), w) for c, w in zip(row, widths)]
        span = table.spans.get(row_index)
        if span is not None:
            merged = widths[span] + widths[span + 1] + 3
            text = _pad(row[span].source(False), merged)
            parts = [*parts[:span], text, *parts[span + 2 :]]
        lines.append("| " + " | ".join(parts) + " |")
        lines.append(border.replace("-", "=") if row_index == HEADER else border)
    return Rendered(lines, cells)


def _simple(table: Table) -> Rendered:
    widths = _widths(table, [table.header, *table.rows])
    border = "  ".join("=" * w for w in widths)
    underline = border.replace("=", "-")  # a column span underline that spans nothing
    lines = [border]
    cells: dict[tuple[int, int], int] = {}
    for row_index, row in _all_rows(table):
        if row_index == table.made_up:
            # An empty row is a line of borders after another: close the row
            # before if need be; the last such row is the bottom border.
            if lines[-1] not in (border, underline):
                lines.append(underline)
            cells.update({(row_index, c): len(lines) for c in range(len(row))})
            if row_index < len(table.rows) - 1:
                lines.append(underline)
            continue
        cells.update({(row_index, c): len(lines) for c in range(len(row))})
        lines.append("  ".join(_pad(c.source(False), w) for c, w in zip(row, widths)).rstrip())
        if row_index == HEADER:
            lines.append(border)
    lines.append(border)
    return Rendered(lines, cells)


def _csv_field(text: str) -> str:
    if text != text.strip() or any(c in text for c in ',"'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv(table: Table) -> Rendered:
    myst = table.myst
    opening = f"```{{csv-table}} {table.title}" if myst else f".. csv-table:: {table.title}"
    indent = "" if myst else "   "
    lines = [opening.rstrip()]
    cells: dict[tuple[int, int], int] = {}

    def record(row: list[Cell]) -> str:
        return ", ".join(_csv_field(c.source(myst)) for c in row)

    if table.syntax.endswith("csv-header"):
        cells.update({(HEADER, c): len(lines) for c in range(len(table.header))})
        lines += [f"{indent}:header: {record(table.header)}".rstrip(), ""]
        body = list(enumerate(table.rows))
    else:
        lines += [f"{indent}:header-rows: 1", ""]
        body = _all_rows(table)
    for row_index, row in body:
        width = max(len(row), len(table.header))
        cells.update({(row_index, c): len(lines) for c in range(width + 1)})
        lines.append(f"{indent}{record(row)}".rstrip())
    if myst:
        lines.append("```")
    return Rendered(lines, cells)


def _pipe(table: Table) -> Rendered:
    lines: list[str] = []
    cells: dict[tuple[int, int], int] = {}
    for row_index, row in _all_rows(table):
        cells.update({(row_index, c): len(lines) for c in range(len(table.header))})
        lines.append("| " + " | ".join(c.source(True) for c in row) + " |")
        if row_index == HEADER:
            lines.append("|" + "|".join("---" for _ in table.header) + "|")
    return Rendered(lines, cells)


# -- pages -------------------------------------------------------------------------------


@dataclass
class Page:
    """A page of generated tables: its text and, per table, where its cells stand."""

    name: str
    myst: bool
    tables: list[Table]
    text: str = ""
    placed: list[Rendered] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # 1-based line of each table's first line

    def __post_init__(self) -> None:
        lines = ["# Generated tables", ""] if self.myst else ["Generated tables", "=" * 16, ""]
        for number, table in enumerate(self.tables):
            rendered = render(table)
            lines += [f"Table {number}:", ""]
            self.starts.append(len(lines) + 1)
            self.placed.append(rendered)
            lines += [*rendered.lines, ""]
        notes = sorted(set().union(*(t.footnotes() for t in self.tables)))
        for label in notes:
            lines.append(f"[^{label}]: A note." if self.myst else f".. [#{label}] A note.")
        self.text = "\n".join(lines) + "\n"

    @property
    def file(self) -> str:
        return f"{self.name}.{'md' if self.myst else 'rst'}"

    def line(self, table: int, row: int, column: int) -> int:
        """The 1-based page line of a cell (TITLE: the table's first line)."""
        rendered = self.placed[table]
        offset = rendered.title if row == TITLE else rendered.cells[row, column]
        return self.starts[table] + offset

    def expected_problems(self) -> list[tuple[str, int]]:
        return sorted(
            (subtype, self.line(i, row, column))
            for i, table in enumerate(self.tables)
            for subtype, row, column in table.problems
        )

    def known_lines(self) -> set[int]:
        """Every line a message about these tables may stand at."""
        return {
            self.starts[i] + offset
            for i, rendered in enumerate(self.placed)
            for offset in (rendered.title, *rendered.cells.values())
        }


@st.composite
def pages(draw: st.DrawFn, min_tables: int = 1, max_tables: int = 14) -> tuple[Page, Page]:
    """A reST page and a MyST page of tables (either may hold none)."""
    chosen = draw(st.lists(st.sampled_from(SYNTAXES), min_size=min_tables, max_size=max_tables))
    generated = [draw(tables(syntax)) for syntax in chosen]
    return (
        Page("guide", False, [t for t in generated if not t.myst]),
        Page("guide_md", True, [t for t in generated if t.myst]),
    )
