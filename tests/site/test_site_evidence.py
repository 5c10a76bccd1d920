"""The site's executed tables: every row's evidence, the stylesheet, the log line.

How evidence is made and marked: tests/sphinx/test_evidence.py.
"""

from __future__ import annotations

from sphinx_xenabi.domain.index import STYLESHEET
from support.building import Build
from support.html_tables import executed_evidence
from support.paths import REPO

ABI = "guest-guide/x86/hypercall-abi"


def _evidence(build: Build, page: str = ABI) -> dict[str, list[tuple[str, str]]]:
    return executed_evidence(build.outdir / f"{page}.html")


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
    packaged = REPO / "sphinx_xenabi" / "static" / STYLESHEET
    shipped = site.outdir / "_static" / STYLESHEET
    assert shipped.read_bytes() == packaged.read_bytes()
    css = packaged.read_text(encoding="utf-8")
    for selector in ("tr.xenabi-pass > td.xenabi-mark", "tr.xenabi-fail > td.xenabi-mark"):
        assert selector in css
    # the Read the Docs theme's white-space: nowrap is undone in executed tables
    assert "white-space: normal" in css


def test_evidence_is_logged(site: Build) -> None:
    assert "xenabi: executed 12 of 12 table rows on the emulated CPU" in site.status
