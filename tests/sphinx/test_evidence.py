"""Executed tables: per-row evidence in the rendered page, located failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Build, run_sphinx
from helpers import line_of
from html_tables import read_evidence, read_tables
from sphinx_xenabi.domain.index import STYLESHEET

ABI = "guest-guide/x86/hypercall-abi"
PARAMS_64 = "     - RDI RSI RDX R10 R8\n"


def _evidence(build: Build, page: str = ABI) -> dict[str, list[tuple[str, str]]]:
    """Executed tables by first header cell (and caption): (state, evidence line) per row.

    Checks the markup on the way: each body row carries exactly one of the
    classes xenabi-pass / xenabi-fail / xenabi-skipped, its mark cell says the
    same and links to its own evidence line under the table.
    """
    path = build.outdir / f"{page}.html"
    marked = read_evidence(path)
    executed = [
        t
        for t in read_tables(path)
        if t["rows"] and t["rows"][0][-1] == "Executed"  # type: ignore[index]
    ]
    assert len(marked) == len(executed)
    found: dict[str, list[tuple[str, str]]] = {}
    for table, evidence in zip(executed, marked):
        rows, items = evidence["rows"], evidence["items"]
        assert len(rows) == len(items) == len(table["rows"]) - 1  # type: ignore[arg-type]
        states = []
        for row, item in zip(rows, items):
            (state,) = {"xenabi-pass", "xenabi-fail", "xenabi-skipped"} & set(
                row["classes"].split()
            )
            state = state.removeprefix("xenabi-")
            assert row["mark"] == {"pass": "\u2714 pass", "fail": "\u2718 fail"}.get(
                state, row["mark"]
            )
            assert row["href"] == f"#{item['id']}"
            assert item["classes"] == f"xenabi-{state}"
            assert item["text"].startswith(row["mark"] + " ")
            states.append((state, item["text"].removeprefix(row["mark"] + " ")))
        key = str(table["rows"][0][0]) + ("/" + str(table["caption"]) if table["caption"] else "")  # type: ignore[index]
        found[key] = states
    return found


def test_every_row_of_the_abi_tables_shows_its_evidence(site: Build) -> None:
    executed = _evidence(site)
    assert len(executed) == 3  # current registers, transfer, 4.13-4.16 registers
    registers = executed["ABI"]
    assert registers[0] == (
        "pass",
        "64bit: PV 64, SYSCALL, 5 arguments arrived in RDI RSI RDX R10 R8 for xen_version; "
        "also Intel HVM 64 (VMCALL), AMD HVM 64 (VMMCALL)",
    )
    assert registers[1][0] == "pass"
    assert registers[1][1].startswith(
        "32bit: PV 32, INT 0x82, 5 arguments arrived in EBX ECX EDX ESI EDI"
    )
    history = next(rows for key, rows in executed.items() if "4.13 to 4.16" in key)
    assert "6 arguments arrived in RDI RSI RDX R10 R8 R9" in history[0][1]
    transfer = executed["Guest"]
    for (state, text), guest, insn in zip(
        transfer,
        ("32bit PV", "64bit PV", "Intel HVM", "AMD HVM"),
        ("INT 0x82", "SYSCALL", "VMCALL", "VMMCALL"),
    ):
        assert state == "pass"
        assert text.startswith(f"{guest} ("), text  # named once, not "64bit PV: 64bit PV"
        assert f"{insn} trapped at page offset" in text
        assert "xen_version answered 0x40016" in text


def test_the_stylesheet_is_linked_from_the_pages_and_shipped(site: Build) -> None:
    for page, prefix in ((ABI, "../../"), ("index", "")):
        html = (site.outdir / f"{page}.html").read_text(encoding="utf-8")
        assert f'<link rel="stylesheet" type="text/css" href="{prefix}_static/xenabi.css' in html
    packaged = Path(__file__).resolve().parents[1] / "sphinx_xenabi" / "static" / STYLESHEET
    shipped = site.outdir / "_static" / STYLESHEET
    assert shipped.read_bytes() == packaged.read_bytes()
    css = packaged.read_text(encoding="utf-8")
    for selector in ("tr.xenabi-pass > td.xenabi-mark", "tr.xenabi-fail > td.xenabi-mark"):
        assert selector in css
    # the Read the Docs theme's white-space: nowrap is undone in executed tables
    assert "white-space: normal" in css


def test_evidence_is_logged(site: Build) -> None:
    assert "xenabi: executed 8 of 8 table rows on the emulated CPU" in site.status


@pytest.mark.parametrize(
    ("register", "arrived"),
    [("RCX", "(the return address)"), ("R11", "(RFLAGS)")],
)
def test_a_clobbered_parameter_register_fails_at_its_cell(
    abi_pages_copy: Path, tmp_path: Path, register: str, arrived: str
) -> None:
    page = abi_pages_copy / f"{ABI}.rst"
    line = line_of(page, PARAMS_64.strip())
    page.write_text(
        page.read_text(encoding="utf-8").replace(PARAMS_64, f"     - RDI RSI RDX {register} R8\n"),
        encoding="utf-8",
    )
    build = run_sphinx(abi_pages_copy, tmp_path / "out")
    assert build.statuscode != 0
    assert not build.registry_json.exists()
    expected = (
        f"{ABI}.rst:{line}: ERROR: executed: PV 64, SYSCALL, 4 of 5 arguments arrived intact "
        f"(RDI RSI RDX {register} R8); parameter 4 {register} arrived as "
    )
    assert expected in build.warnings
    assert arrived in build.warnings
    assert "[xenabi.execution]" in build.warnings


def test_a_failing_row_is_marked_in_the_page_when_softened(
    abi_pages_copy: Path, tmp_path: Path
) -> None:
    page = abi_pages_copy / f"{ABI}.rst"
    page.write_text(
        page.read_text(encoding="utf-8").replace(PARAMS_64, "     - RDI RSI RDX RCX R8\n"),
        encoding="utf-8",
    )
    build = run_sphinx(abi_pages_copy, tmp_path / "out", confoverrides={"xenabi_drift": "warning"})
    assert build.statuscode == 0
    registers = _evidence(build)["ABI"]
    assert registers[0][0] == "fail"
    # RCX is drift too: the gate's verdict first, then what arrived
    assert registers[0][1].startswith("64bit: rejected by the drift gate: 64bit parameter 4 is RCX")
    assert "; executed: PV 64, SYSCALL, 4 of 5 arguments arrived intact" in registers[0][1]
    assert registers[1][0] == "pass"  # the 32-bit row still runs clean


def test_execution_can_be_switched_off(abi_pages_copy: Path, tmp_path: Path) -> None:
    build = run_sphinx(
        abi_pages_copy, tmp_path / "out", confoverrides={"xenabi_execute_tables": False}
    )
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
        (rows,) = _evidence(build, "guide/transfer").values()
        return dict(zip(("32bit PV", "64bit PV", "Intel HVM", "AMD HVM"), (s for s, _ in rows)))

    first = run_sphinx(src, out, confdir=src, doctreedir=doctrees)
    assert first.statuscode == 0
    assert set(transfer_evidence(first).values()) == {"pass"}

    # the 64-bit index register is now RBX: Xen reads a wrong number, xen_version fails
    page = src / "guide/registers.rst"
    page.write_text(REGISTERS_PAGE.replace("     - RAX\n     - RDI", "     - RBX\n     - RDI"))
    second = run_sphinx(src, out, confdir=src, doctreedir=doctrees, freshenv=False)
    assert "0 added, 1 changed, 0 removed" in second.status
    evidence = transfer_evidence(second)
    assert evidence["64bit PV"] == "fail", evidence
    assert evidence["32bit PV"] == "pass", evidence


def _small_tree(tmp_path: Path, registers: str, drift: str) -> Path:
    src = tmp_path / "src"
    (src / "guide").mkdir(parents=True)
    (src / "conf.py").write_text(
        f'extensions = ["sphinx_xenabi"]\nrelease = "4.22"\nxenabi_drift = "{drift}"\n'
    )
    (src / "index.rst").write_text("Root\n====\n\n.. toctree::\n\n   guide/index\n")
    (src / "guide/index.rst").write_text("Guide\n=====\n\n.. toctree::\n\n   registers\n")
    (src / "guide/registers.rst").write_text(registers)
    return src


SIX_PARAMETERS = (
    REGISTERS_PAGE.replace("(1 - 5)", "(1 - 6)")
    .replace("RDI RSI RDX R10 R8\n", "RDI RSI RDX R10 R8 R9\n")
    .replace("EBX ECX EDX ESI EDI\n", "EBX ECX EDX ESI EDI EBP\n")
)


def test_a_row_the_gate_rejects_never_shows_a_pass_mark(tmp_path: Path) -> None:
    """Six parameters run clean on a dispatcher built from the same table: still a fail."""
    src = _small_tree(tmp_path, SIX_PARAMETERS, "warning")
    build = run_sphinx(src, tmp_path / "out", confdir=src)
    assert build.statuscode == 0  # warning mode: the page is written
    assert "64bit parameter 6 is R9" in build.warnings and "[xenabi.drift]" in build.warnings
    (rows,) = _evidence(build, "guide/registers").values()
    assert [state for state, _ in rows] == ["fail", "fail"]
    sixty_four, thirty_two = (text for _, text in rows)
    assert sixty_four.startswith("64bit: rejected by the drift gate: 64bit parameter 6 is R9; ")
    assert "passes only 5 parameters" in sixty_four
    assert (
        "It ran clean only because the dispatcher is built from this table: executed: PV 64, "
        "SYSCALL, 6 arguments arrived in RDI RSI RDX R10 R8 R9"
    ) in sixty_four
    assert "32bit parameter 6 is EBP" in thirty_two
    html = (build.outdir / "guide/registers.html").read_text(encoding="utf-8")
    assert "\u2714" not in html
