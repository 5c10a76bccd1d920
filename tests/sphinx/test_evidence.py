"""Executed tables: per-row evidence in the rendered page, located failures.

The evidence on the real site: tests/site/test_site_evidence.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.building import Build, run_sphinx
from support.html_tables import executed_evidence
from support.lines import line_of
from support.pages import REGISTERS_PAGE, TRANSFER_PAGE

ABI = "guest-guide/x86/hypercall-abi"
PARAMS_64 = "     - RDI RSI RDX R10 R8\n"


def _evidence(build: Build, page: str = ABI) -> dict[str, list[tuple[str, str]]]:
    return executed_evidence(build.outdir / f"{page}.html")


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
    # One error for one mistake: the drift finding, with what the run showed.
    expected = (
        f"{ABI}.rst:{line}: ERROR: 64bit parameter 4 is {register}; Xen 4.17+ uses R10; "
        "on the emulated CPU the row failed: executed: PV 64, SYSCALL, 4 of 5 arguments "
        f"arrived intact (RDI RSI RDX {register} R8); parameter 4 {register} arrived as "
    )
    assert expected in build.warnings
    assert arrived in build.warnings
    assert build.warnings.count(f"{ABI}.rst:{line}:") == 1
    assert "[xenabi.execution]" not in build.warnings


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
