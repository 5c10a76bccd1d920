"""The drift gate on copies of the real pages: each mutation fails the build at its cell.

The copies are the real ABI pages alone (``abi_pages_copy``, the test-abi-pages
root), built with the repository's conf.py: Sphinx reads seven pages, not the site.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx_xenabi.cli.indentation import check_paths
from support.building import Build, run_sphinx
from support.lines import line_of, replace_once

ABI = "guest-guide/x86/hypercall-abi.rst"
NUMBERS = "guest-guide/x86/hypercall-numbers.md"
REGISTRY = "xenabi-registry.json"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

# The six-parameter table of the seed document, as the current table's rows.
FIVE_PARAMETER_ROWS = (
    "     - Parameters (1 - 5) [#params]_\n",
    "     - RDI RSI RDX R10 R8\n",
    "     - EBX ECX EDX ESI EDI\n",
)
SIX_PARAMETER_ROWS = (
    "     - Parameters (1 - 6) [#params]_\n",
    "     - RDI RSI RDX R10 R8 R9\n",
    "     - EBX ECX EDX ESI EDI EBP\n",
)


def build(srcdir: Path, tmp_path: Path, buildername: str = "html", **overrides: object) -> Build:
    return run_sphinx(
        srcdir, tmp_path / buildername, buildername=buildername, confoverrides=overrides or None
    )


def warnings_of(result: Build) -> str:
    return _ANSI.sub("", result.warnings)


def assert_drift(result: Build, page: str, line: int, message: str) -> None:
    """The build failed, and said ``message`` at ``page:line`` as a drift error."""
    assert result.statuscode != 0
    # A row whose run failed too carries that evidence, in the same one report.
    expected = re.escape(f"{page}:{line}: ERROR: {message}") + (
        r"(; on the emulated CPU the row failed: [^\n]*)? \[xenabi\.drift\]"
    )
    assert re.search(expected, warnings_of(result)), warnings_of(result)


# -- mutations of the real pages ---------------------------------------------------


def test_r10_to_rcx_in_the_64bit_row(drifted_abi_pages: Path, drifted_abi_build: Build) -> None:
    # "     - RDI RSI RDX R10 R8" made "     - RDI RSI RDX RCX R8" (conftest), html build
    page = drifted_abi_pages / ABI
    result = drifted_abi_build
    line = line_of(page, "- RDI RSI RDX RCX R8")
    assert_drift(result, ABI, line, "64bit parameter 4 is RCX; Xen 4.17+ uses R10")
    assert not (result.outdir / REGISTRY).exists()


def test_dropped_parameter(abi_pages_copy: Path, tmp_path: Path) -> None:
    page = abi_pages_copy / ABI
    replace_once(page, "     - EBX ECX EDX ESI EDI\n", "     - EBX ECX EDX ESI\n")
    result = build(abi_pages_copy, tmp_path)
    line = line_of(page, "- EBX ECX EDX ESI")
    assert_drift(result, ABI, line, "32bit parameter 5 is missing; Xen 4.17+ passes it in EDI")
    assert not (result.outdir / REGISTRY).exists()


def test_wrong_32bit_result_register(abi_pages_copy: Path, tmp_path: Path) -> None:
    page = abi_pages_copy / ABI
    # The result cell follows the parameters cell of the current table's 32-bit row.
    replace_once(
        page, "     - EBX ECX EDX ESI EDI\n     - EAX\n", "     - EBX ECX EDX ESI EDI\n     - EBX\n"
    )
    result = build(abi_pages_copy, tmp_path)
    line = line_of(page, "- EBX")
    assert_drift(result, ABI, line, "32bit result is EBX; Xen 4.17+ returns it in EAX")
    assert not (result.outdir / REGISTRY).exists()


def test_vmcall_and_vmmcall_swapped(abi_pages_copy: Path, tmp_path: Path) -> None:
    page = abi_pages_copy / ABI
    replace_once(
        page,
        "   * - Intel HVM\n     - VMCALL\n   * - AMD HVM\n     - VMMCALL\n",
        "   * - Intel HVM\n     - VMMCALL\n   * - AMD HVM\n     - VMCALL\n",
    )
    result = build(abi_pages_copy, tmp_path)
    assert_drift(
        result,
        ABI,
        line_of(page, "- VMMCALL"),
        "Intel HVM transfer instruction is VMMCALL; Xen uses VMCALL (0F 01 C1)",
    )
    assert_drift(
        result,
        ABI,
        line_of(page, "- VMCALL"),
        "AMD HVM transfer instruction is VMCALL; Xen uses VMMCALL (0F 01 D9)",
    )
    assert not (result.outdir / REGISTRY).exists()


def test_wrong_number_in_the_myst_numbers_table(abi_pages_copy: Path, tmp_path: Path) -> None:
    page = abi_pages_copy / NUMBERS
    replace_once(page, "* - 41\n  - dm_op\n", "* - 44\n  - dm_op\n")
    result = build(abi_pages_copy, tmp_path)
    assert_drift(
        result,
        NUMBERS,
        line_of(page, "* - 44"),
        "hypercall number 44 (dm_op) is not defined in Xen 4.22; Xen 4.22 numbers dm_op 41",
    )
    assert "numbers table has no row for hypercall 41 (dm_op)" in warnings_of(result)
    assert not (result.outdir / REGISTRY).exists()


def test_six_parameter_table_titled_for_4_18(abi_pages_copy: Path, tmp_path: Path) -> None:
    """The seed's table claimed for a release after the sixth parameter went."""
    page = abi_pages_copy / ABI
    replace_once(
        page,
        ".. list-table:: Registers in Xen 4.13 to 4.16\n",
        ".. list-table:: Registers in Xen 4.18\n",
    )
    result = build(abi_pages_copy, tmp_path)
    assert_drift(
        result,
        ABI,
        line_of(page, "- Parameters (1 - 6)"),
        "header announces 6 parameters; Xen 4.17+ passes 5",
    )
    assert_drift(
        result,
        ABI,
        line_of(page, "- RDI RSI RDX R10 R8 R9"),
        "64bit parameter 6 is R9; Xen 4.17+ passes only 5 parameters",
    )
    assert_drift(
        result,
        ABI,
        line_of(page, "- EBX ECX EDX ESI EDI EBP"),
        "32bit parameter 6 is EBP; Xen 4.17+ passes only 5 parameters",
    )
    assert not (result.outdir / REGISTRY).exists()


def _make_current_table_six_parameter(page: Path) -> None:
    for five, six in zip(FIVE_PARAMETER_ROWS, SIX_PARAMETER_ROWS):
        replace_once(page, five, six)


def test_six_parameter_table_for_release_4_18(abi_pages_copy: Path, tmp_path: Path) -> None:
    page = abi_pages_copy / ABI
    _make_current_table_six_parameter(page)
    result = build(abi_pages_copy, tmp_path, xenabi_xen_release="4.18")
    assert_drift(
        result,
        ABI,
        line_of(page, "- Parameters (1 - 6) [#params]_"),
        "header announces 6 parameters; Xen 4.17+ passes 5",
    )
    rows = [
        line
        for line, text in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if text.strip() == "- RDI RSI RDX R10 R8 R9"
    ]
    current_row = rows[0]  # the current table comes before the History one
    assert_drift(
        result, ABI, current_row, "64bit parameter 6 is R9; Xen 4.17+ passes only 5 parameters"
    )


def test_six_parameter_table_for_release_4_16_passes(abi_pages_copy: Path, tmp_path: Path) -> None:
    """The same table is right for the releases it was true for."""
    _make_current_table_six_parameter(abi_pages_copy / ABI)
    result = build(abi_pages_copy, tmp_path, xenabi_xen_release="4.16")
    # The registers table passes; the numbers table describes today's Xen,
    # and 4.16 still let PV guests call xenoprof_op (dropped in 4.22).
    lines = warnings_of(result).splitlines()
    findings = [x for x in lines if "[xenabi." in x and not x.startswith("ERROR: xenabi: ")]
    assert len(findings) == 2, findings
    assert all("availability of xenoprof_op is no; in Xen 4.16 it is yes" in f for f in findings)
    assert all("hypercall-numbers.md" in f for f in findings)


def _dedent_explicit_markup(text: str) -> str:
    """Indent every directive's (and footnote's) body by 2 spaces instead of 3."""
    out: list[str] = []
    in_block = False
    for line in text.splitlines(keepends=True):
        if line.startswith(".. "):
            in_block = True
        elif line.strip() and not line.startswith(" "):
            in_block = False
        elif in_block and line.startswith("   "):
            line = line[1:]
        out.append(line)
    return "".join(out)


def test_whitespace_only_reindent_passes(
    abi_pages_build: Build, abi_pages_copy: Path, tmp_path: Path
) -> None:
    """Like the seed change in reverse: list-table bodies at 2 spaces instead of 3."""
    page = abi_pages_copy / ABI
    original = page.read_text(encoding="utf-8")
    reindented = _dedent_explicit_markup(original)
    assert reindented != original
    assert reindented.split() == original.split()  # whitespace only
    assert "\n  * - 64bit\n    - RAX\n" in reindented
    page.write_text(reindented, encoding="utf-8")
    assert check_paths([page])  # the indentation lint does see the change

    result = build(abi_pages_copy, tmp_path)
    assert result.statuscode == 0, warnings_of(result)
    assert "[xenabi." not in warnings_of(result)
    assert abi_pages_build.statuscode == 0  # the same pages, unchanged
    assert (result.outdir / REGISTRY).read_bytes() == abi_pages_build.registry_json.read_bytes()


# -- what a failing gate does, and how to soften it ------------------------------


def test_drift_warning_mode_downgrades(abi_pages_copy: Path, tmp_path: Path) -> None:
    page = abi_pages_copy / ABI
    replace_once(page, "     - RDI RSI RDX R10 R8\n", "     - RDI RSI RDX RCX R8\n")
    result = build(abi_pages_copy, tmp_path, xenabi_drift="warning")
    line = line_of(page, "- RDI RSI RDX RCX R8")
    assert result.statuscode == 0
    warnings = warnings_of(result)
    assert (
        f"{ABI}:{line}: WARNING: 64bit parameter 4 is RCX; Xen 4.17+ uses R10; "
        "on the emulated CPU the row failed: executed: PV 64" in warnings
    )
    assert warnings.count(f"{ABI}:{line}:") == 1  # one report for the one mistake
    assert "ERROR" not in warnings
    assert (result.outdir / REGISTRY).is_file()


def test_gate_fails_the_doctest_builder(abi_pages_copy: Path, tmp_path: Path) -> None:
    """A mutation no doctest shows: the failure is the gate's, not a doctest's."""
    page = abi_pages_copy / NUMBERS
    replace_once(page, "* - 41\n  - dm_op\n", "* - 44\n  - dm_op\n")
    result = build(abi_pages_copy, tmp_path, "doctest")
    assert result.statuscode != 0
    assert_drift(
        result,
        NUMBERS,
        line_of(page, "* - 44"),
        "hypercall number 44 (dm_op) is not defined in Xen 4.22; Xen 4.22 numbers dm_op 41",
    )
    output = (result.outdir / "output.txt").read_text(encoding="utf-8")
    assert re.search(r"^\s*0 failures in tests$", output, re.MULTILINE), output


_GUESSED = "is not MAJOR.MINOR; checking tables that state no release against the newest"


def test_unparseable_release_checks_the_newest_revision(
    abi_pages_copy: Path, tmp_path: Path
) -> None:
    result = build(abi_pages_copy, tmp_path, release="unknown version")
    assert result.statuscode == 0, warnings_of(result)
    status = _ANSI.sub("", result.status)
    assert status.count(_GUESSED) == 1
    assert "'unknown version'" in status
    assert "model revision (Xen 4.17+)" in status


def test_unparseable_release_fails_a_six_parameter_table(
    abi_pages_copy: Path, tmp_path: Path
) -> None:
    page = abi_pages_copy / ABI
    _make_current_table_six_parameter(page)
    result = build(abi_pages_copy, tmp_path, release="unknown version")
    assert_drift(
        result,
        ABI,
        line_of(page, "- Parameters (1 - 6) [#params]_"),
        "header announces 6 parameters; Xen 4.17+ passes 5",
    )
    assert _ANSI.sub("", result.status).count(_GUESSED) == 1


def test_table_for_an_unmodelled_release_is_unchecked(abi_pages_copy: Path, tmp_path: Path) -> None:
    page = abi_pages_copy / ABI
    replace_once(
        page,
        ".. list-table:: Registers in Xen 4.13 to 4.16\n",
        ".. list-table:: Registers in Xen 4.10\n",
    )
    result = build(abi_pages_copy, tmp_path)
    assert result.statuscode == 0, warnings_of(result)
    line = line_of(page, ".. list-table:: Registers in Xen 4.10")
    warnings = warnings_of(result)
    assert (
        f"{ABI}:{line}: WARNING: registers table describes Xen 4.10, which the model does not "
        "cover (it starts at Xen 4.13); not checked [xenabi.unchecked]"
    ) in warnings
    assert "[xenabi.drift]" not in warnings


# -- inputs a user gets wrong ----------------------------------------------------------


def test_a_number_beyond_the_page_is_drift_not_a_crash(
    abi_pages_copy: Path, tmp_path: Path
) -> None:
    numbers = abi_pages_copy / NUMBERS
    replace_once(numbers, "* - 17\n", "* - 128\n")
    result = build(abi_pages_copy, tmp_path, xenabi_drift="warning")
    assert result.statuscode == 0, warnings_of(result)
    text = warnings_of(result)
    assert "Extension error" not in text and "Traceback" not in text
    assert f"{NUMBERS}:{line_of(numbers, '* - 128')}: WARNING: hypercall number 128" in text
    assert "[xenabi.execution]" not in text  # the ABI rows are not blamed


def test_suppressing_drift_silences_it_whole(abi_pages_copy: Path, tmp_path: Path) -> None:
    """suppress_warnings works on the summary line too: no silent failure, no stray line."""
    replace_once(abi_pages_copy / ABI, "     - RDI RSI RDX R10 R8\n", "     - RDI RSI RDX R10 R9\n")
    shown = build(abi_pages_copy, tmp_path / "shown")
    assert shown.statuscode != 0
    summary = "ERROR: xenabi: 1 disagreement(s) between the docs and the reference model; "
    assert summary in warnings_of(shown)
    assert f"{summary}the build fails" in warnings_of(shown)
    assert "the build fails (set xenabi_drift" in warnings_of(shown)
    line = next(x for x in warnings_of(shown).splitlines() if x.startswith(summary))
    assert line.endswith("[xenabi.drift]")  # typed, so suppress_warnings reaches it

    result = build(
        abi_pages_copy, tmp_path / "quiet", suppress_warnings=["xenabi.drift", "xenabi.execution"]
    )
    assert "64bit parameter 5 is R9" not in warnings_of(result)  # the finding is silenced
    assert "disagreement(s)" not in warnings_of(result)  # and so is its summary
    assert result.statuscode == 0  # a build never fails on what it does not show


def test_a_build_failing_on_warnings_publishes_no_registry(
    abi_pages_copy: Path, tmp_path: Path
) -> None:
    page = abi_pages_copy / "index.rst"
    page.write_text(
        page.read_text(encoding="utf-8") + "\nSee :doc:`no-such-page`.\n", encoding="utf-8"
    )
    build = run_sphinx(
        abi_pages_copy,
        tmp_path / "out",
        doctreedir=tmp_path / "doctrees",
        confoverrides={"nitpicky": False},  # sphinx-build -W, without -n
        warningiserror=True,
    )
    assert build.statuscode != 0
    assert "no-such-page" in build.warnings
    assert not (tmp_path / "out" / REGISTRY).exists()


def test_a_reversed_release_range_is_reported(abi_pages_copy: Path, tmp_path: Path) -> None:
    page = abi_pages_copy / ABI
    replace_once(page, "Registers in Xen 4.13 to 4.16", "Registers in Xen 4.16 to 4.13")
    result = build(abi_pages_copy, tmp_path, xenabi_drift="warning")
    line = line_of(page, ".. list-table:: Registers in Xen 4.16 to 4.13")
    assert (
        f"{ABI}:{line}: WARNING: table title states Xen 4.16 to 4.13, a range that ends "
        "before it starts" in warnings_of(result)
    )
    assert "[xenabi.release-range]" in warnings_of(result)
