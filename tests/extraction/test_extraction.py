"""Extraction of the ABI tables from reST and MyST sources (roots under ``tests/roots``).

Each root under ``tests/roots`` is a small documentation tree with its own
``conf.py``: the reST and MyST roots hold the same pages (same docnames), so
their registries must agree once locations are set aside; the malformed root
holds one fault per problem kind; the others cover unrelated tables, header
variants and pages outside every guide.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from docutils import nodes
from docutils.core import publish_doctree
from sphinx.util.console import strip_colors

from sphinx_xenabi.extraction.document import extract_tables
from sphinx_xenabi.extraction.kinds import match_header, releases_from_title
from sphinx_xenabi.extraction.rows import parse_number
from sphinx_xenabi.extraction.table import stamped_rows
from sphinx_xenabi.extraction.table_walk import find_tables, has_table
from sphinx_xenabi.model.abi import HYPERCALLS
from sphinx_xenabi.model.published_files import REGISTRY_FILENAME
from sphinx_xenabi.model.records import TableKind
from sphinx_xenabi.model.registry import load
from support.building import Build, build_test_root
from support.lines import line_in as line_of
from support.messages import warnings_of, xenabi_warnings
from support.pages import REGISTERS_PAGE

# The problem kinds extraction reports (the gate's drift/unchecked are not extraction's).
EXTRACTION_SUBTYPES = frozenset(
    {
        "ragged-row",
        "empty-cell",
        "duplicate-row",
        "unknown-abi",
        "bad-register",
        "parameter-count",
        "unknown-guest",
        "bad-number",
        "bad-availability",
    }
)

# -- helpers ------------------------------------------------------------------


def registry_of(build: Build) -> dict[str, Any]:
    """The registry JSON ``build`` published (parsed)."""
    path = build.outdir / REGISTRY_FILENAME
    assert path.is_file(), f"no {REGISTRY_FILENAME}; warnings:\n{build.warnings}"
    return json.loads(path.read_text(encoding="utf-8"))


def strip_locations(data: Any) -> Any:
    """The registry without file/line (and hence without its digest)."""
    if isinstance(data, dict):
        return {
            k: strip_locations(v) for k, v in data.items() if k not in ("file", "line", "digest")
        }
    if isinstance(data, list):
        return [strip_locations(v) for v in data]
    return data


def iter_cells(table: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(role, cell) for the header and every body cell of a table."""
    cells = [("header", c) for c in table["header"]]
    for row in table["rows"]:
        for role, cell in row.items():
            if role == "availability":
                cells.extend((f"availability.{g}", c) for g, c in cell.items())
            else:
                cells.append((role, cell))
    return cells


def cell_text(cell: dict[str, Any]) -> str:
    value = cell["value"]
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def source_line(srcdir: Path, file: str, line: int) -> str:
    lines = (srcdir / file).read_text(encoding="utf-8").splitlines()
    assert 1 <= line <= len(lines), f"{file}:{line} is outside the file"
    return lines[line - 1]


def is_pipe_table(srcdir: Path, table: dict[str, Any]) -> bool:
    return source_line(srcdir, table["file"], table["line"]).lstrip().startswith("|")


def rows_of(table: dict[str, Any]) -> list[dict[str, Any]]:
    """A table's rows with values only (availability as a plain dict)."""
    result = []
    for row in table["rows"]:
        plain: dict[str, Any] = {}
        for role, cell in row.items():
            if role == "availability":
                plain[role] = {g: c["value"] for g, c in cell.items()}
            else:
                plain[role] = cell["value"]
        result.append(plain)
    return result


# What the reST, MyST and mixed roots all state (locations aside).
REGISTERS_5 = [
    {
        "abi": "64bit",
        "index": "RAX",
        "parameters": ["RDI", "RSI", "RDX", "R10", "R8"],
        "result": "RAX",
    },
    {
        "abi": "32bit",
        "index": "EAX",
        "parameters": ["EBX", "ECX", "EDX", "ESI", "EDI"],
        "result": "EAX",
    },
]
REGISTERS_6 = [
    {
        "abi": "64bit",
        "index": "RAX",
        "parameters": ["RDI", "RSI", "RDX", "R10", "R8", "R9"],
        "result": "RAX",
    },
    {
        "abi": "32bit",
        "index": "EAX",
        "parameters": ["EBX", "ECX", "EDX", "ESI", "EDI", "EBP"],
        "result": "EAX",
    },
]
TRANSFER = [
    {"guest": "32bit PV", "instruction": "INT 0x82"},
    {"guest": "64bit PV", "instruction": "SYSCALL"},
    {"guest": "Intel HVM", "instruction": "VMCALL"},
    {"guest": "AMD HVM", "instruction": "VMMCALL"},
]


_ALL = ("pv32", "pv64", "hvm32", "hvm64")


def numbers_rows() -> list[dict[str, Any]]:
    rows = []
    for number, call in sorted(HYPERCALLS.items()):
        rows.append(
            {
                "number": number,
                "name": call.name,
                "availability": {g: any(a.value == g for a in call.available) for g in _ALL},
            }
        )
    return rows


def root_registry(tmp_path: Path, name: str) -> tuple[Build, dict[str, Any]]:
    """Build a copy of ``tests/roots/test-<name>`` in ``tmp_path``: the build and its registry."""
    build = build_test_root(name, tmp_path)
    return build, registry_of(build)


# -- reST / MyST / mixed ------------------------------------------------------------


def test_rst_root_records_every_table(tmp_path: Path) -> None:
    build = build_test_root("rst", tmp_path)
    data = registry_of(build)
    assert build.statuscode == 0
    assert strip_colors(build.warnings) == ""
    assert data["release"] == "4.22"
    assert [(g["docname"], g["title"], g["pages"]) for g in data["guides"]] == [
        ("admin/index", "Admin guide", ["admin/index", "admin/intro"]),
        ("guest/index", "Guest guide", ["guest/index", "guest/abi", "guest/numbers"]),
    ]
    summary = [
        (
            t["kind"],
            t["docname"],
            t["guide"],
            t["file"],
            t["title"],
            t["releases"],
            t["parameter_count"],
        )
        for t in data["tables"]
    ]
    assert summary == [
        ("registers", "guest/abi", "guest/index", "guest/abi.rst", "", None, 5),
        ("transfer", "guest/abi", "guest/index", "guest/abi.rst", "", None, None),
        (
            "registers",
            "guest/abi",
            "guest/index",
            "guest/abi.rst",
            "Registers in Xen 4.13 to 4.16",
            {"first": "4.13", "last": "4.16"},
            6,
        ),
        ("numbers", "guest/numbers", "guest/index", "guest/numbers.rst", "", None, None),
    ]
    registers, transfer, history, numbers = data["tables"]
    assert rows_of(registers) == REGISTERS_5
    assert rows_of(transfer) == TRANSFER
    assert rows_of(history) == REGISTERS_6
    assert rows_of(numbers) == numbers_rows()
    assert len(numbers["rows"]) == 44


def test_header_with_footnote_reference_is_recognised(tmp_path: Path) -> None:
    """``Parameters (1 - 5) [#params]_``: the footnote reference is not part of the header."""
    build = build_test_root("rst", tmp_path)
    source = (build.srcdir / "guest/abi.rst").read_text(encoding="utf-8")
    assert "- Parameters (1 - 5) [#params]_" in source
    data = registry_of(build)
    registers = data["tables"][0]
    assert [h["value"] for h in registers["header"]] == [
        "ABI",
        "Hypercall Index",
        "Parameters (1 - 5)",
        "Result",
    ]
    assert registers["parameter_count"] == 5
    assert registers["header"][2]["line"] == line_of(
        build.srcdir, "guest/abi.rst", "- Parameters (1 - 5) [#params]_"
    )
    # the reference really is a footnote reference in the rendered header
    html = (build.outdir / "guest/abi.html").read_text(encoding="utf-8")
    assert 'class="footnote-reference' in html


@pytest.mark.parametrize("root", ["rst", "myst", "mixed", "parallel"])
def test_cells_are_located_at_their_source_lines(tmp_path: Path, root: str) -> None:
    """Every cell's file:line is the source line that holds its text."""
    build, data = root_registry(tmp_path, root)
    srcdir = build.srcdir
    checked = 0
    for table in data["tables"]:
        assert source_line(srcdir, table["file"], table["line"]).strip(), table
        for role, cell in iter_cells(table):
            text = source_line(srcdir, cell["file"], cell["line"])
            assert cell_text(cell).lower() in text.lower(), (role, cell, text)
            checked += 1
    assert checked > 20


def test_myst_root_gives_the_rst_registry(tmp_path: Path) -> None:
    _, rst = root_registry(tmp_path, "rst")
    myst_build, myst = root_registry(tmp_path, "myst")
    assert myst_build.statuscode == 0
    assert strip_colors(myst_build.warnings) == ""
    # every MyST source really is Markdown
    assert not list(myst_build.srcdir.rglob("*.rst"))
    assert {t["file"] for t in myst["tables"]} == {"guest/abi.md", "guest/numbers.md"}
    assert strip_locations(myst) == strip_locations(rst)
    assert len(myst["tables"]) == 4


def test_mixed_root_gives_the_rst_registry(tmp_path: Path) -> None:
    _, rst = root_registry(tmp_path, "rst")
    mixed_build, mixed = root_registry(tmp_path, "mixed")
    assert mixed_build.statuscode == 0
    assert strip_colors(mixed_build.warnings) == ""
    files = [(t["kind"], t["file"]) for t in mixed["tables"]]
    assert files == [
        ("registers", "guest/abi.md"),
        ("transfer", "guest/abi.md"),
        ("registers", "guest/abi.md"),  # an eval-rst block inside the MyST page
        ("numbers", "guest/numbers.rst"),
    ]
    assert strip_locations(mixed) == strip_locations(rst)
    # the eval-rst table is located in the Markdown file, at its own lines
    history = mixed["tables"][2]
    srcdir = mixed_build.srcdir
    assert history["line"] == line_of(
        srcdir, "guest/abi.md", ".. list-table:: Registers in Xen 4.13 to 4.16"
    )
    assert history["rows"][1]["parameters"]["line"] == line_of(
        srcdir, "guest/abi.md", "- EBX ECX EDX ESI EDI EBP"
    )


def test_myst_pipe_table_cells_are_located_on_their_rows(tmp_path: Path) -> None:
    build = build_test_root("myst", tmp_path)
    data = registry_of(build)
    srcdir = build.srcdir
    transfer = next(t for t in data["tables"] if t["kind"] == "transfer")
    assert is_pipe_table(srcdir, transfer)
    for row in transfer["rows"]:
        guest = row["guest"]
        assert guest["value"] in source_line(srcdir, guest["file"], guest["line"]), guest


# -- header variants and table syntaxes -------------------------------------------


def test_headers_are_matched_case_and_space_insensitively_in_any_table_syntax(
    tmp_path: Path,
) -> None:
    build = build_test_root("headers", tmp_path)
    data = registry_of(build)
    assert build.statuscode == 0
    assert xenabi_warnings(build, EXTRACTION_SUBTYPES) == []
    by_kind = {t["kind"]: t for t in data["tables"]}
    assert set(by_kind) == {"registers", "transfer", "numbers"}
    assert len(data["tables"]) == 3
    # list-table, "parameters(1–5)" with an en dash and no spaces; values upper-cased
    assert by_kind["registers"]["parameter_count"] == 5
    assert rows_of(by_kind["registers"]) == REGISTERS_5
    # csv-table with ":header:"
    assert rows_of(by_kind["transfer"]) == TRANSFER
    # grid table with a subset of the guest columns, spelt "pv 64" and "HVM32"
    assert rows_of(by_kind["numbers"]) == [
        {"number": 17, "name": "xen_version", "availability": {"pv64": True, "hvm32": True}},
        {"number": 23, "name": "iret", "availability": {"pv64": True, "hvm32": False}},
    ]
    srcdir = build.srcdir
    numbers = by_kind["numbers"]
    assert numbers["rows"][1]["name"]["line"] == line_of(
        srcdir, "guide/variants.rst", "| 23    | iret        | yes   | no    |"
    )


def test_csv_table_cells_are_located_inside_the_directive(tmp_path: Path) -> None:
    build = build_test_root("headers", tmp_path)
    data = registry_of(build)
    srcdir = build.srcdir
    transfer = next(t for t in data["tables"] if t["kind"] == "transfer")
    directive = line_of(srcdir, "guide/variants.rst", ".. csv-table::")
    assert transfer["line"] >= directive
    for row in transfer["rows"]:
        guest = row["guest"]
        assert guest["value"] in source_line(srcdir, guest["file"], guest["line"]), guest


# -- malformed tables --------------------------------------------------------------

# (file, subtype, the source line's stripped text, its occurrence, a message fragment)
MALFORMED = [
    (
        "guide/registers.rst",
        "parameter-count",
        "- RDI RSI RDX R10 R8 R9",
        1,
        "64bit row names 6 parameter registers (RDI RSI RDX R10 R8 R9); the header announces 5",
    ),
    (
        "guide/registers.rst",
        "duplicate-row",
        "* - 64bit",
        2,
        "duplicate ABI 64bit (first given at line {first})",
    ),
    (
        "guide/registers.rst",
        "bad-register",
        "- RDI RSI RDX R16 R8",
        1,
        "64bit parameter register 'R16' is not a 64-bit x86 general purpose register",
    ),
    (
        "guide/registers.rst",
        "bad-register",
        "- EBX ECX RAX ESI EDI",
        1,
        "32bit parameter register 'RAX' is not a 32-bit x86 general purpose register",
    ),
    (
        "guide/registers.rst",
        "unknown-abi",
        "* - 16bit",
        1,
        "ABI '16bit' is not one of 32bit, 64bit",
    ),
    ("guide/registers.rst", "empty-cell", "-", 1, "empty 'Parameters (1 - 5)' cell"),
    (
        "guide/transfer.rst",
        "unknown-guest",
        "* - ARM HVM",
        1,
        "unknown transfer-table guest 'ARM HVM'",
    ),
    (
        "guide/transfer.rst",
        "duplicate-row",
        "* - 64bit PV",
        2,
        "duplicate guest '64bit PV' (first given at line {first})",
    ),
    ("guide/transfer.rst", "empty-cell", "-", 1, "empty 'Transfer instruction' cell"),
    (
        "guide/numbers.rst",
        "unknown-guest",
        "- PV 16",
        1,
        "numbers table column 'PV 16' is not a guest type",
    ),
    (
        "guide/numbers.rst",
        "bad-number",
        "* - seventeen",
        1,
        "hypercall number 'seventeen' is not a non-negative integer",
    ),
    (
        "guide/numbers.rst",
        "bad-availability",
        "- maybe",
        1,
        "HVM 32 availability of xen_version is 'maybe'",
    ),
    (
        "guide/numbers.rst",
        "duplicate-row",
        "* - 17",
        2,
        "duplicate hypercall number 17 (first given at line {first})",
    ),
    (
        "guide/ragged.rst",
        "ragged-row",
        "| This note spans both columns     |",
        1,
        "transfer table row has 1 cells (expected 2: Guest | Transfer instruction)",
    ),
]


def test_each_fault_is_a_located_warning_of_its_subtype(tmp_path: Path) -> None:
    # no exception: the build completes and publishes
    build = build_test_root("malformed", tmp_path)
    assert build.statuscode == 0
    srcdir = build.srcdir
    got = sorted(
        (w["file"], w["line"], w["type"].removeprefix("xenabi."), w["message"])
        for w in xenabi_warnings(build, EXTRACTION_SUBTYPES)
    )
    expected_locations = []
    for file, subtype, needle, occurrence, fragment in MALFORMED:
        line = line_of(srcdir, file, needle, occurrence)
        first = line_of(srcdir, file, needle, 1) if "{first}" in fragment else None
        expected_locations.append((file, line, subtype, fragment.format(first=first)))
    assert [(f, ln, s) for f, ln, s, _ in got] == sorted(
        (f, ln, s) for f, ln, s, _ in expected_locations
    )
    for (file, line, subtype, message), (_, _, _, fragment) in zip(got, sorted(expected_locations)):
        assert fragment in message, (file, line, subtype, message)
    # every extraction warning is a WARNING (not an error) of type xenabi
    assert all(w["level"] == "WARNING" for w in xenabi_warnings(build, EXTRACTION_SUBTYPES))


def test_malformed_tables_keep_their_good_rows(tmp_path: Path) -> None:
    build = build_test_root("malformed", tmp_path)
    data = registry_of(build)
    by_file: dict[str, list[dict[str, Any]]] = {}
    for table in data["tables"]:
        by_file.setdefault(table["file"], []).append(table)
    first, second, third = by_file["guide/registers.rst"]
    # the six-register row is recorded as written (and reported); the duplicate is not
    assert rows_of(first) == [
        {
            "abi": "64bit",
            "index": "RAX",
            "parameters": ["RDI", "RSI", "RDX", "R10", "R8", "R9"],
            "result": "RAX",
        },
        REGISTERS_5[1],
    ]
    assert rows_of(second) == []  # R16, RAX in a 32bit row, 16bit: nothing recorded
    assert second["parameter_count"] == 5
    assert rows_of(third) == [REGISTERS_5[1]]
    (transfer,) = by_file["guide/transfer.rst"]
    assert rows_of(transfer) == TRANSFER[:3]
    (numbers,) = by_file["guide/numbers.rst"]
    assert [h["value"] for h in numbers["header"]] == [
        "Index",
        "Name",
        "PV 32",
        "PV 64",
        "HVM 32",
        "PV 16",
    ]
    assert rows_of(numbers) == [
        {
            "number": 0,
            "name": "set_trap_table",
            "availability": {"pv32": True, "pv64": True, "hvm32": False},
        },
        {"number": 17, "name": "xen_version", "availability": {"pv32": True, "pv64": True}},
        {
            "number": 1,
            "name": "mmu_update",
            "availability": {"pv32": True, "pv64": True, "hvm32": False},
        },
    ]
    (ragged,) = by_file["guide/ragged.rst"]
    assert rows_of(ragged) == TRANSFER
    # the published file is a valid registry
    assert load(build.outdir / REGISTRY_FILENAME).to_data() == data


# -- tables of no ABI kind ----------------------------------------------------------


def test_unrelated_tables_give_no_records_and_no_warnings(tmp_path: Path) -> None:
    build = build_test_root("unrelated", tmp_path)
    data = registry_of(build)
    assert build.statuscode == 0
    assert data["tables"] == []
    # no xenabi.none either: only `check` says that nothing was checked
    assert xenabi_warnings(build) == []
    assert strip_colors(build.warnings) == ""
    # the tables are there: nine in the reST page, two in the MyST page
    tables = (build.outdir / "guide/tables.html").read_text(encoding="utf-8").count("<table")
    more = (build.outdir / "guide/more.html").read_text(encoding="utf-8").count("<table")
    assert (tables, more) == (9, 2)
    assert [g["pages"] for g in data["guides"]] == [["guide/index", "guide/tables", "guide/more"]]


# -- documents outside every guide ---------------------------------------------------


def test_page_outside_every_guide_warns_at_its_document(tmp_path: Path) -> None:
    build = build_test_root("orphan", tmp_path)
    data = registry_of(build)
    assert build.statuscode == 0
    orphans = sorted((w["file"], w["line"]) for w in xenabi_warnings(build, frozenset({"orphan"})))
    assert orphans == [("stray.rst", None)]  # lonely.rst has no tables to record
    for warning in xenabi_warnings(build, frozenset({"orphan"})):
        assert "reachable from no guide" in warning["message"]
    # Sphinx's own complaint only for the page without ":orphan:" metadata
    # (matched by its words: Sphinx 8.1 logs it without the toc.not_included type)
    not_included = [
        w["file"] for w in warnings_of(build) if "isn't included in any toctree" in w["message"]
    ]
    assert not_included == ["lonely.rst"]
    # the orphan's table is still recorded, without a guide
    assert [(t["docname"], t["guide"]) for t in data["tables"]] == [
        ("guide/abi", "guide/index"),
        ("stray", None),
    ]
    assert rows_of(data["tables"][1]) == TRANSFER
    pages = {p for g in data["guides"] for p in g["pages"]}
    assert "stray" not in pages and "lonely" not in pages


@pytest.mark.parametrize(
    ("text", "expected"),
    [("17", 17), ("0", 0), ("0x11", 17), ("0X1f", 31)]
    + [
        (bad, None) for bad in ("1_7", "\uff11\uff17", "0b10", "0o21", "017", "-1", "+1", "", "17 ")
    ],
)
def test_hypercall_numbers_are_ascii_decimal_or_hex(text: str, expected: int | None) -> None:
    assert parse_number(text) == expected


def test_non_ascii_digits_are_no_parameter_count_or_release() -> None:
    header = ["ABI", "Hypercall Index", "Parameters (1 - \uff15)", "Result"]
    assert match_header(header) is None
    assert match_header([*header[:2], "Parameters (1 - 5)", "Result"]) is not None
    assert releases_from_title("Registers in Xen \uff14.13 to 4.16") is None


NESTED_TABLES = """
Intro paragraph with *inline* markup and a `link <https://xenproject.org>`_.

.. list-table:: Outer
   :header-rows: 1

   * - A
     - B
   * - .. list-table:: Inner
          :header-rows: 1

          * - C
          * - D
     - text

.. note::

   - a list item holding a table:

     +---+---+
     | E | F |
     +---+---+

.. csv-table:: Last

   1, 2
"""


def test_find_tables_matches_findall_in_document_order() -> None:
    doctree = publish_doctree(NESTED_TABLES, settings_overrides={"report_level": 5})
    expected = list(doctree.findall(nodes.table))
    assert len(expected) == 4
    assert find_tables(doctree) == expected


@pytest.mark.parametrize(
    "source",
    [
        NESTED_TABLES,
        "Prose only, with ``literal`` and *emphasis*.\n\n- a list\n- of items\n",
        ".. note::\n\n   .. list-table::\n\n      * - in\n        - a note\n",
        "- item\n\n  =====  =====\n  a      b\n  =====  =====\n",
        "Term\n   Definition with a literal block::\n\n      +---+\n      | x |\n      +---+\n",
    ],
    ids=["nested", "none", "in-an-admonition", "in-a-list-item", "grid-in-a-literal-block"],
)
def test_has_table_answers_as_next_node_does(source: str) -> None:
    doctree = publish_doctree(source, settings_overrides={"report_level": 5})
    assert has_table(doctree) is (doctree.next_node(nodes.table) is not None)


UNRELATED_TABLE = """
.. list-table::
   :header-rows: 1

   * - Unrelated
     - Table
   * - a
     - b
"""


def test_read_tables_carry_their_kind_and_row_locations() -> None:
    doctree = publish_doctree(REGISTERS_PAGE + UNRELATED_TABLE, source_path="/docs/abi.rst")
    extraction = extract_tables(doctree, "abi", "abi.rst", lambda source: "abi.rst")
    (record,) = extraction.tables
    registers, unrelated = find_tables(doctree)
    kind, rows = stamped_rows(registers)
    assert kind is TableKind.REGISTERS
    assert [location for _, location in rows] == [row.abi.location for row in record.rows]
    lines = (REGISTERS_PAGE + UNRELATED_TABLE).splitlines()
    assert [location.line for _, location in rows] == [
        lines.index("   * - 64bit") + 1,
        lines.index("   * - 32bit") + 1,
    ]
    assert stamped_rows(unrelated) is None
