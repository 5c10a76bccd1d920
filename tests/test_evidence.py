"""Executed tables: per-row evidence in the rendered page, located failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Build, run_sphinx
from html_tables import read_tables

ABI = "guest-guide/x86/hypercall-abi"
PARAMS_64 = "     - RDI RSI RDX R10 R8\n"


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    matches = [number for number, line in enumerate(lines, 1) if line == text]
    assert len(matches) == 1, matches
    return matches[0]


def _evidence(build: Build) -> dict[str, list[list[str]]]:
    tables = read_tables(build.outdir / f"{ABI}.html")
    return {
        str(t["rows"][0][0]) + ("/" + str(t["caption"]) if t["caption"] else ""): t["rows"]  # type: ignore[index]
        for t in tables
        if t["rows"] and t["rows"][0][-1] == "Executed"  # type: ignore[index]
    }


def test_every_row_of_the_abi_tables_shows_its_evidence(site: Build) -> None:
    executed = _evidence(site)
    assert len(executed) == 3  # current registers, transfer, 4.13-4.16 registers
    registers = executed["ABI"]
    assert registers[1][-1] == (
        "\u2714 executed: PV 64, SYSCALL, 5 arguments arrived in RDI RSI RDX R10 R8 for xen_version; "
        "also Intel HVM 64 (VMCALL), AMD HVM 64 (VMMCALL)"
    )
    assert registers[2][-1].startswith(
        "\u2714 executed: PV 32, INT 0x82, 5 arguments arrived in EBX ECX EDX ESI EDI"
    )
    history = next(rows for key, rows in executed.items() if "4.13 to 4.16" in key)
    assert "6 arguments arrived in RDI RSI RDX R10 R8 R9" in history[1][-1]
    transfer = executed["Guest"]
    assert [row[0] for row in transfer[1:]] == ["32bit PV", "64bit PV", "Intel HVM", "AMD HVM"]
    for row, insn in zip(transfer[1:], ("INT 0x82", "SYSCALL", "VMCALL", "VMMCALL")):
        assert row[-1].startswith("\u2714 executed:"), row
        assert f"{insn} trapped at page offset" in row[-1]
        assert "xen_version answered 0x40016" in row[-1]


def test_evidence_is_logged(site: Build) -> None:
    assert "xenabi: executed 8 of 8 table rows on the emulated CPU" in site.status


@pytest.mark.parametrize(
    ("register", "arrived"),
    [("RCX", "(the return address)"), ("R11", "(RFLAGS)")],
)
def test_a_clobbered_parameter_register_fails_at_its_cell(
    docs_copy: Path, tmp_path: Path, register: str, arrived: str
) -> None:
    page = docs_copy / f"{ABI}.rst"
    line = _line_of(page, PARAMS_64)
    page.write_text(
        page.read_text(encoding="utf-8").replace(PARAMS_64, f"     - RDI RSI RDX {register} R8\n"),
        encoding="utf-8",
    )
    build = run_sphinx(docs_copy, tmp_path / "out")
    assert build.statuscode != 0
    assert not build.registry_json.exists()
    expected = (
        f"{ABI}.rst:{line}: ERROR: executed: PV 64, SYSCALL, 4 of 5 arguments arrived intact "
        f"(RDI RSI RDX {register} R8); parameter 4 {register} arrived as "
    )
    assert expected in build.warnings
    assert arrived in build.warnings
    assert "[xenabi.execution]" in build.warnings


def test_a_failing_row_is_marked_in_the_page_when_softened(docs_copy: Path, tmp_path: Path) -> None:
    page = docs_copy / f"{ABI}.rst"
    page.write_text(
        page.read_text(encoding="utf-8").replace(PARAMS_64, "     - RDI RSI RDX RCX R8\n"),
        encoding="utf-8",
    )
    build = run_sphinx(docs_copy, tmp_path / "out", confoverrides={"xenabi_drift": "warning"})
    assert build.statuscode == 0
    registers = _evidence(build)["ABI"]
    assert registers[1][-1].startswith("\u2718 executed: PV 64, SYSCALL, 4 of 5 arguments")
    assert registers[2][-1].startswith("\u2714")  # the 32-bit row still runs clean


def test_execution_can_be_switched_off(docs_copy: Path, tmp_path: Path) -> None:
    build = run_sphinx(docs_copy, tmp_path / "out", confoverrides={"xenabi_execute_tables": False})
    assert build.statuscode == 0
    assert _evidence(build) == {}
    assert "table rows on the emulated CPU" not in build.status


REGISTERS_PAGE = """Registers
=========

.. list-table::
   :header-rows: 1

   * - ABI
     - Hypercall Index
     - Parameters (1 - 5)
     - Result
   * - 64bit
     - RAX
     - RDI RSI RDX R10 R8
     - RAX
   * - 32bit
     - EAX
     - EBX ECX EDX ESI EDI
     - EAX
"""

TRANSFER_PAGE = """Transfer
========

.. list-table::
   :header-rows: 1

   * - Guest
     - Transfer instruction
   * - 32bit PV
     - INT 0x82
   * - 64bit PV
     - SYSCALL
   * - Intel HVM
     - VMCALL
   * - AMD HVM
     - VMMCALL
"""


def test_an_edit_elsewhere_rewrites_the_evidence_without_rereading(tmp_path: Path) -> None:
    """Transfer rows run with the register table of another page: its edit shows here."""
    src = tmp_path / "src"
    (src / "guide").mkdir(parents=True)
    (src / "conf.py").write_text(
        'extensions = ["sphinx_xenabi"]\nrelease = "4.22"\nxenabi_drift = "warning"\n'
    )
    (src / "index.rst").write_text("Root\n====\n\n.. toctree::\n\n   guide/index\n")
    (src / "guide/index.rst").write_text(
        "Guide\n=====\n\n.. toctree::\n\n   registers\n   transfer\n"
    )
    (src / "guide/registers.rst").write_text(REGISTERS_PAGE)
    (src / "guide/transfer.rst").write_text(TRANSFER_PAGE)
    out, doctrees = tmp_path / "out", tmp_path / "doctrees"

    def transfer_evidence(build: Build) -> dict[str, str]:
        tables = read_tables(build.outdir / "guide/transfer.html")
        return {row[0]: row[-1] for row in tables[0]["rows"][1:]}  # type: ignore[index]

    first = run_sphinx(src, out, confdir=src, doctreedir=doctrees)
    assert first.statuscode == 0
    assert all(text.startswith("\u2714") for text in transfer_evidence(first).values())

    # the 64-bit index register is now RBX: Xen reads a wrong number, xen_version fails
    page = src / "guide/registers.rst"
    page.write_text(REGISTERS_PAGE.replace("     - RAX\n     - RDI", "     - RBX\n     - RDI"))
    second = run_sphinx(src, out, confdir=src, doctreedir=doctrees, freshenv=False)
    assert "0 added, 1 changed, 0 removed" in second.status
    evidence = transfer_evidence(second)
    assert evidence["64bit PV"].startswith("\u2718"), evidence
    assert evidence["32bit PV"].startswith("\u2714"), evidence
