"""Hostile input: each defect of issue 12 as a regression test.

Bad input gets a clear, located warning or error and nothing is lost or left
half-true: no traceback, no wrong line, no dropped table, no stale or
unloadable artifact. One small root under ``tests/roots`` per scenario.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sphinx.errors import ConfigError
from sphinx.util.console import strip_colors

from sphinx_xenabi import cli
from sphinx_xenabi.cli import check
from sphinx_xenabi.cli.errors import EXIT_ERROR
from sphinx_xenabi.emulator.row_execution import execute_registry
from sphinx_xenabi.model import registry as registry_module
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.published_files import REGISTRY_FILENAME
from sphinx_xenabi.model.records import Cell, RegisterRow, TableKind, TableRecord
from sphinx_xenabi.model.registry import Registry, load
from sphinx_xenabi.model.registry_schema import RegistryError
from sphinx_xenabi.model.spec import Release
from sphinx_xenabi.results import publishing
from support.building import Build, build_root, build_test_root, copy_root
from support.cli import run_cli
from support.lines import line_in as line_of
from support.messages import warnings_of, xenabi_warnings

# -- helpers ------------------------------------------------------------------------


def build(tmp_path: Path, name: str, **overrides: Any) -> Build:
    """The html build of a private copy of ``tests/roots/test-<name>``."""
    return build_test_root(name, tmp_path, confoverrides=overrides)


def edited(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A private copy of ``tests/roots/test-<name>`` to edit, and where to build it."""
    return copy_root(name, tmp_path / name), tmp_path / f"{name}-html"


def published(result: Build) -> Path:
    """Where the build publishes its registry."""
    return result.outdir / REGISTRY_FILENAME


def at(result: Build, subtype: str) -> list[tuple[str, int | None, str]]:
    """(file, line, message) of every ``xenabi.<subtype>`` message."""
    return [
        (w["file"], w["line"], w["message"]) for w in xenabi_warnings(result, frozenset({subtype}))
    ]


def no_crash(result: Build) -> None:
    output = strip_colors(result.status + result.warnings)
    assert "Extension error" not in output and "Traceback" not in output, output


# -- 1. a registers row that names fewer parameters than xen_version takes ---------------


def test_a_row_with_one_parameter_is_an_execution_failure_at_its_cell(tmp_path: Path) -> None:
    # raised ExtensionError (ArityError in env-updated) before the fix
    result = build(tmp_path, "arity")
    target = published(result)
    no_crash(result)
    assert result.statuscode == 1
    assert not target.exists()
    line = line_of(result.srcdir, "guide.rst", "- EBX")
    # One report at the cell: the drift finding, carrying what the run showed.
    assert at(result, "execution") == []
    # (Each missing parameter is a drift finding; the first carries the run.)
    finding, *others = at(result, "drift")
    assert finding[:2] == ("guide.rst", line)
    assert not any("emulated CPU" in other[2] for other in others)
    assert "on the emulated CPU the row failed: " in finding[2]
    assert "xen_version takes 2 parameters but the 32bit convention" in finding[2]
    assert "passes only 1 (EBX)" in finding[2]


@pytest.mark.parametrize(
    ("parameters", "reason"),
    [(("EBX",), "passes only 1 (EBX)"), ((), "convention has 0 parameters")],
    ids=["one", "none"],
)
def test_a_row_with_too_few_parameters_is_a_failed_row_not_an_exception(
    parameters: tuple[str, ...], reason: str
) -> None:
    here, cell = Location("abi.rst", 10), Location("abi.rst", 11)
    row = RegisterRow(
        Cell("32bit", here), Cell("EAX", here), Cell(parameters, cell), Cell("EAX", here)
    )
    table = TableRecord(
        TableKind.REGISTERS, "abi", None, here, "", None, (), (row,), parameter_count=5
    )
    (outcome,) = execute_registry(Registry("4.22", (), (table,)), Release(4, 22))
    assert not outcome.ok
    assert outcome.location == cell
    assert reason in outcome.summary


@pytest.mark.parametrize("command", ["check", "extract"])
def test_the_command_line_reports_the_short_row_as_findings(
    tmp_path: Path, rootdir: Path, command: str
) -> None:
    docs = tmp_path / "arity"
    shutil.copytree(rootdir / "test-arity", docs)
    result = run_cli(command, docs)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 1, output
    line = line_of(docs, "guide.rst", "- EBX")
    assert f"{docs / 'guide.rst'}:{line}:" in output
    assert "xen_version takes 2 parameters but the 32bit convention" in output


def test_an_unexpected_failure_on_the_command_line_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(check, "read_tree", broken)
    (tmp_path / "conf.py").write_text("", encoding="utf-8")
    assert cli.main(["check", str(tmp_path)]) == EXIT_ERROR
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("error: internal error: RuntimeError: a bug")
    assert "Traceback" not in captured.err + captured.out


# -- 2. a successful build publishes a registry that load() accepts ---------------------


def test_a_published_registry_always_loads(tmp_path: Path) -> None:
    result = build(tmp_path, "unloadable")
    target = published(result)
    assert result.statuscode == 0, result.warnings
    registry = load(target)  # RegistryError (empty header value, parameter_count 0) before
    numbers, registers = sorted(registry.tables, key=lambda t: t.kind.value)
    assert [h.value for h in numbers.header] == ["Index", "Name", "PV 64"]
    assert [r.name.value for r in numbers.rows] == ["xen_version"]
    assert registers.parameter_count == 0
    srcdir = result.srcdir
    row_line = line_of(srcdir, "guide.rst", "- RDI RSI RDX R10 R8 R9")
    assert at(result, "parameter-count") == [
        (
            "guide.rst",
            row_line,
            "64bit row names 6 parameter registers (RDI RSI RDX R10 R8 R9); the header announces 0",
        )
    ]


# -- 3. a csv row with one field too many ------------------------------------------------


def test_a_widened_csv_table_keeps_its_kind_and_reports_the_row(tmp_path: Path) -> None:
    result = build(tmp_path, "widened")
    target = published(result)
    assert result.statuscode == 0
    data = json.loads(target.read_text(encoding="utf-8"))
    (table,) = data["tables"]  # the table was dropped without a word before
    assert table["kind"] == "registers"
    assert [h["value"] for h in table["header"]] == [
        "ABI",
        "Hypercall Index",
        "Parameters (1 - 5)",
        "Result",
    ]
    assert [r["abi"]["value"] for r in table["rows"]] == ["64bit"]
    line = line_of(result.srcdir, "guide.rst", "32bit, EAX, EBX ECX EDX ESI EDI, EAX, EBP")
    ((file, ragged_line, message),) = at(result, "ragged-row")
    assert (file, ragged_line) == ("guide.rst", line)
    assert "registers table row has 5 cells (expected 4" in message


# -- 4. MyST pipe tables with inline markup -----------------------------------------------


def test_pipe_table_cells_with_inline_markup_are_located_on_their_rows(tmp_path: Path) -> None:
    result = build(tmp_path, "pipe-markup")
    target = published(result)
    srcdir = result.srcdir
    data = json.loads(target.read_text(encoding="utf-8"))
    transfer, registers = sorted(data["tables"], key=lambda t: t["kind"], reverse=True)
    lines = (srcdir / "guide.md").read_text(encoding="utf-8").splitlines()
    for table in (transfer, registers):
        assert lines[table["line"] - 1].startswith("| Guest" if table is transfer else "| ABI")
        for header in table["header"]:
            assert header["line"] == table["line"]
        for row in table["rows"]:
            for cell in row.values():
                text = " ".join(cell["value"]) if isinstance(cell["value"], list) else cell["value"]
                assert text in lines[cell["line"] - 1], (cell, lines[cell["line"] - 1])
    typo = line_of(srcdir, "guide.md", "| AMD HVM | VMMCAL |")
    ((file, line, message),) = at(result, "drift")
    assert (file, line) == ("guide.md", typo)
    assert "AMD HVM transfer instruction is VMMCAL" in message


# -- 5. empty cells are reported at their own line --------------------------------------


def test_empty_cells_are_reported_at_their_own_line(tmp_path: Path) -> None:
    result = build(tmp_path, "empty-cells")
    srcdir = result.srcdir

    def line(needle: str, occurrence: int = 1) -> int:
        return line_of(srcdir, "guide.rst", needle, occurrence)

    expected = [
        # grid
        (line("| 32bit PV  |                      |"), "empty 'Transfer instruction' cell"),
        (line("|           | SYSCALL              |"), "empty 'Guest' cell"),
        (line("|           |                      |"), "empty 'Guest' cell"),
        (line("|           |                      |"), "empty 'Transfer instruction' cell"),
        # simple
        (line("64bit PV"), "empty 'Transfer instruction' cell"),
        (line("AMD HVM"), "empty 'Transfer instruction' cell"),
        # csv: the second field of a record that starts on the line before
        (line("32bit PV,"), "empty 'Transfer instruction' cell"),
        (line(", SYSCALL"), "empty 'Guest' cell"),
        (line('HVM",'), "empty 'Transfer instruction' cell"),
        # csv header
        (line(":header: Index, Name, , PV 64"), "empty header cell (column 3)"),
        # list-table: the empty item stands two lines below the cell before it
        (line("-", 1), "empty 'Transfer instruction' cell"),
    ]
    got = sorted(
        (w["line"], w["message"]) for w in xenabi_warnings(result, frozenset({"empty-cell"}))
    )
    assert [g[0] for g in got] == sorted(e[0] for e in expected)
    for (got_line, message), (want_line, fragment) in zip(got, sorted(expected)):
        assert got_line == want_line and fragment in message, (got_line, message)


# -- 6. interrupted builds: see test_interrupted_builds.py ----------------------------------

# -- 7. a registry that cannot be written --------------------------------------------------


def _registry_error(result: Build) -> list[str]:
    return [
        line for line in strip_colors(result.warnings).splitlines() if "[xenabi.registry]" in line
    ]


def test_a_registry_target_that_is_a_directory_is_one_located_error(tmp_path: Path) -> None:
    src, out = edited(tmp_path, "interrupt")
    target = out / REGISTRY_FILENAME
    target.mkdir(parents=True)
    result = build_root(src, out)  # Sphinx's "Extension error" crash report before the fix
    no_crash(result)
    assert result.statuscode == 1
    (message,) = _registry_error(result)
    assert message.startswith(f"ERROR: {target}: cannot write the registry: Is a directory")
    assert target.is_dir()


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_failed_registry_write_is_one_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def failing(path: Path, text: str) -> None:
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(publishing, "write_atomic", failing)
    result = build(tmp_path, "interrupt")
    target = published(result)
    no_crash(result)
    assert result.statuscode == 1
    (message,) = _registry_error(result)
    assert message.startswith(f"ERROR: {target}: cannot write the registry: {os.strerror(code)}")
    assert not target.exists()


def test_a_failed_write_fails_sphinx_build_without_a_crash_report(
    tmp_path: Path, rootdir: Path
) -> None:
    srcdir, outdir = tmp_path / "src", tmp_path / "out"
    shutil.copytree(rootdir / "test-interrupt", srcdir)
    (outdir / REGISTRY_FILENAME).mkdir(parents=True)
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(srcdir), str(outdir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert "Extension error" not in result.stderr and "Traceback" not in result.stderr
    (line,) = strip_colors(result.stderr).strip().splitlines()
    assert line.startswith(f"ERROR: {outdir / REGISTRY_FILENAME}: cannot write the registry")


# -- 8 and 9. load() refuses what it cannot read, quickly and briefly ------------------------


@pytest.mark.parametrize("path", ["\ud800", "bad\0path", b"bad\0path"])
def test_an_unusable_path_is_a_registry_error(path: Any) -> None:
    with pytest.raises(RegistryError, match="cannot read"):
        load(path)  # UnicodeEncodeError, ValueError before


def _assert_prompt_and_brief(path: Path, seconds: float = 5.0) -> RegistryError:
    started = time.monotonic()
    with pytest.raises(RegistryError) as caught:
        load(path)
    assert time.monotonic() - started < seconds
    assert len(str(caught.value)) < 400 + len(str(path)), len(str(caught.value))
    return caught.value


def test_a_long_list_of_bad_tables_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / REGISTRY_FILENAME
    path.write_text(json.dumps({"tables": [0] * 100_000}), encoding="utf-8")
    error = _assert_prompt_and_brief(path)  # 52 s and every error collected before
    assert "at /" in error.message


def test_a_huge_bad_value_gives_a_short_message(tmp_path: Path) -> None:
    path = tmp_path / REGISTRY_FILENAME
    data = {
        "schema_version": 1,
        "generator": "sphinx-xenabi 1",
        "release": "4.22",
        "guides": [],
        "tables": ["x" * 1_000_000],
        "digest": "sha256:" + "0" * 64,
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    _assert_prompt_and_brief(path)  # a 1,000,067-character message before


REGISTRY_LIMIT = 64 * 1024 * 1024  # what the documentation states


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / REGISTRY_FILENAME
    with path.open("wb") as handle:
        handle.truncate(REGISTRY_LIMIT + 1)  # sparse: nothing to read
    error = _assert_prompt_and_brief(path)  # read whole and refused as "not JSON" before
    assert f"larger than {REGISTRY_LIMIT:,} bytes" in error.message
    assert registry_module.MAX_REGISTRY_BYTES == REGISTRY_LIMIT


def _load_in_thread(path: str | Path) -> BaseException | None:
    """load(path) in a thread, so a load that blocks fails the test instead of hanging it."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load(path)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert outcome, f"load({path}) did not return within 10 s"
    return outcome[0]


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / REGISTRY_FILENAME
    os.mkfifo(fifo)
    try:
        error = _load_in_thread(fifo)
    finally:
        try:  # unblock a load() that opened the FIFO for reading
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass  # no reader: load() never opened it
    assert isinstance(error, RegistryError) and "not a regular file" in error.message


def test_a_device_is_refused() -> None:
    error = _load_in_thread("/dev/zero")
    assert isinstance(error, RegistryError) and "not a regular file" in error.message


# -- 10 and 12a. numbers tables: a repeated guest column, an ignored column ---------------


def test_a_repeated_guest_column_is_reported_and_ignored(tmp_path: Path) -> None:
    result = build(tmp_path, "numbers-columns")
    target = published(result)
    srcdir = result.srcdir
    second = line_of(srcdir, "guide.rst", "- PV 32", 2)
    assert at(result, "duplicate-column") == [
        (
            "guide.rst",
            second,
            "numbers table column 'PV 32' repeats the PV 32 column "
            f"(first given at line {second - 1}); column ignored",
        )
    ]
    data = json.loads(target.read_text(encoding="utf-8"))
    repeated, _ = data["tables"]
    (row,) = repeated["rows"]
    assert {g: c["value"] for g, c in row["availability"].items()} == {"pv32": True}


def test_an_empty_cell_in_an_ignored_column_keeps_its_row(tmp_path: Path) -> None:
    result = build(tmp_path, "numbers-columns")
    target = published(result)
    srcdir = result.srcdir
    data = json.loads(target.read_text(encoding="utf-8"))
    _, ignored = data["tables"]
    # the empty cell in the ignored "PV 16" column dropped its row before
    assert [r["name"]["value"] for r in ignored["rows"]] == ["xen_version", "iret"]
    assert at(result, "empty-cell") == []
    assert [w[1] for w in at(result, "unknown-guest")] == [line_of(srcdir, "guide.rst", "- PV 16")]


# -- 11 and 12c. releases that cannot be meant -------------------------------------------------


def test_a_release_written_as_a_float_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        build(tmp_path, "float-release")
    message = str(caught.value)
    assert "xenabi_xen_release = 4.2 is a float" in message
    assert "'4.20'" in message


def test_a_float_release_is_a_one_line_error_on_the_command_line(
    tmp_path: Path, rootdir: Path
) -> None:
    docs = tmp_path / "float-release"
    shutil.copytree(rootdir / "test-float-release", docs)
    result = run_cli("check", docs)
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "xenabi_xen_release = 4.2 is a float" in line


@pytest.mark.parametrize(
    ("setting", "value"),
    [("xenabi_xen_release", "70000.99999"), ("release", "4.65536")],
)
def test_a_release_that_overflows_is_a_configuration_error(
    tmp_path: Path, setting: str, value: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build(tmp_path, "arity", **{setting: value})
    assert f"{setting} = {value!r} is not a Xen release" in str(caught.value)
    assert "at most 65535" in str(caught.value)


def test_a_title_release_that_overflows_is_a_release_range_warning(tmp_path: Path) -> None:
    src, out = edited(tmp_path, "interrupt")
    page = src / "page1.rst"
    page.write_text(
        page.read_text(encoding="utf-8").replace(
            "Mode transfer, page 1", "Mode transfer in Xen 70000.99999"
        ),
        encoding="utf-8",
    )
    result = build_root(src, out)
    no_crash(result)
    assert result.statuscode == 0, result.warnings
    title = line_of(result.srcdir, "page1.rst", ".. list-table:: Mode transfer in Xen 70000.99999")
    ((file, line, message),) = at(result, "release-range")
    assert (file, line) == ("page1.rst", title)
    assert "Xen 70000.99999, which is not a Xen release" in message
    assert at(result, "execution") == []


# -- 12b. one huge cell -----------------------------------------------------------------------


def test_one_huge_cell_gives_a_few_short_messages(tmp_path: Path) -> None:
    src, out = edited(tmp_path, "arity")
    page = src / "guide.rst"
    huge = " ".join(["EBX", "ECX", "EDX", "ESI", "EDI"] * 5_000)  # 100 KB, 25,000 registers
    page.write_text(
        page.read_text(encoding="utf-8").replace("     - EBX\n", f"     - {huge}\n"),
        encoding="utf-8",
    )
    result = build_root(src, out, confoverrides={"xenabi_drift": "warning"})
    no_crash(result)
    line = line_of(result.srcdir, "guide.rst", f"- {huge}")
    at_cell = [w for w in xenabi_warnings(result) if w["line"] == line]
    assert 2 <= len(at_cell) <= 16, len(at_cell)  # 24,995 drift warnings before
    assert all(len(w["message"]) <= 600 for w in at_cell), max(len(w["message"]) for w in at_cell)
    summary = [w for w in at_cell if w["type"] == "xenabi.drift" and "more" in w["message"]]
    assert summary and "and 24,985 more drift finding(s) at this cell" in summary[0]["message"]
    longest = max(len(line) for line in strip_colors(result.warnings).splitlines())
    assert longest < 1_000 + len(str(page))


# Every warning of the scenarios above is typed and located.
@pytest.mark.parametrize("name", ["unloadable", "widened", "empty-cells", "numbers-columns"])
def test_every_message_of_a_scenario_is_located_and_typed(tmp_path: Path, name: str) -> None:
    result = build(tmp_path, name)
    messages = warnings_of(result)
    assert messages
    for message in messages:
        assert message["type"].startswith("xenabi."), message
        assert message["file"] == "guide.rst" and message["line"], message


# -- found by the property suite ----------------------------------------------------------


def test_myst_csv_table_cells_are_located_at_their_own_lines(tmp_path: Path) -> None:
    """MyST numbers a directive's content from 0 at its first line, not from the page's top."""
    # every cell one to four lines early, at the options or the directive, before
    result = build(tmp_path, "myst-csv")
    srcdir = result.srcdir

    def line(needle: str) -> int:
        return line_of(srcdir, "guide.md", needle)

    got = sorted(
        (w["line"], w["type"]) for w in xenabi_warnings(result) if w["type"] != "xenabi.drift"
    )
    assert got == sorted(
        [
            (line("ARM HVM, VMCALL"), "xenabi.unknown-guest"),
            (line("Intel HVM,"), "xenabi.empty-cell"),
            (line(":header: Index, Name, PV 32, , PV 64"), "xenabi.empty-cell"),
            (line("seventeen, xen_version, yes, , yes"), "xenabi.bad-number"),
            (line("64bit, RAX, RDI RSI RDX R10 R8 R9, RAX"), "xenabi.parameter-count"),
            (line("16bit, AX, BX CX DX SI DI, AX"), "xenabi.unknown-abi"),
        ]
    )
    registry = load(result.outdir / REGISTRY_FILENAME)
    transfer, numbers, registers = registry.tables
    assert transfer.location.line == line("```{csv-table} Mode transfer in Xen 4.18")
    assert [c.location.line for c in transfer.header] == [line("Guest, Transfer instruction")] * 2
    (row,) = transfer.rows
    assert (row.guest.location.line, row.instruction.location.line) == (
        line("32bit PV, INT 0x82"),
    ) * 2
    assert {h.location.line for h in numbers.header} == {
        line(":header: Index, Name, PV 32, , PV 64")
    }
    assert [r.number.location.line for r in numbers.rows] == [line("0, set_trap_table, yes, , yes")]
    assert {h.location.line for h in registers.header} == {
        line("header: ABI, Hypercall Index, Parameters (1 - 5), Result")
    }
