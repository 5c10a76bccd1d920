"""Arm in ``check``: every Arm fault in the docs or the source fails at its cell.

The docs are a copy of the real ABI pages (``abi_pages_copy``); the source is a
copy of Xen's head tree from ``../shared/xen-src``. One build checks several
faults at once, each reported at its own cell.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sphinx_xenabi.cli import main
from sphinx_xenabi.model.spec import GuestType
from support.abi_pairs import Tables
from support.lines import line_of, replace_once
from support.paths import REPO
from support.xen_trees import copy_real_tree

ARM = "guest-guide/arm/hypercall-abi.rst"
NUMBERS = "guest-guide/x86/hypercall-numbers.md"


def check(capsys: pytest.CaptureFixture[str], docs: Path, *args: str) -> tuple[int, str]:
    code = main(["check", str(docs), "--conf-dir", str(REPO), "-q", *args])
    return code, capsys.readouterr().out


def drift_lines(out: str) -> list[str]:
    """The drift findings, without the evidence of a failed run attached to some."""
    return [
        re.sub(r"; on the emulated CPU the row failed: .*(?= \[xenabi\.drift\]$)", "", line)
        for line in out.splitlines()
        if line.endswith("[xenabi.drift]")
    ]


def flip_arm64_cell(docs: Path, name: str) -> int:
    """Write "no" in the Arm 64 cell of ``name``'s numbers row; its line."""
    page = docs / NUMBERS
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index(f"  - {name}\n")
    arm64 = start + 5  # name, PV 32, PV 64, HVM 32, HVM 64, then Arm 64
    assert lines[arm64] == "  - yes\n"
    lines[arm64] = "  - no\n"
    page.write_text("".join(lines), encoding="utf-8")
    return arm64 + 1


def test_each_arm_fault_in_the_docs_fails_at_its_cell(
    abi_pages_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = abi_pages_copy
    page = docs / ARM
    replace_once(page, "     - x16\n", "     - x17\n")
    replace_once(page, "     - r12\n", "     - r11\n")
    replace_once(page, "   * - arm64\n     - HVC #0xEA1\n", "   * - arm64\n     - HVC #0xEA2\n")
    flipped = flip_arm64_cell(docs, "xen_version")
    code, out = check(capsys, docs)
    assert code == 1
    at = f"{docs / ARM}:"
    assert drift_lines(out) == [
        f"{at}{line_of(docs / ARM, '- x17')}: ERROR: arm64 hypercall index is X17; "
        "Xen 4.17+ uses X16 [xenabi.drift]",
        f"{at}{line_of(docs / ARM, '- r11')}: ERROR: arm32 hypercall index is R11; "
        "Xen 4.17+ uses R12 [xenabi.drift]",
        f"{at}{line_of(docs / ARM, '- HVC #0xEA2')}: ERROR: arm64 transfer instruction is "
        "HVC #0xEA2; Xen uses HVC 0xea1 (22 D4 01 D4) [xenabi.drift]",
        f"{docs / NUMBERS}:{flipped}: ERROR: Arm 64 availability of xen_version is no; "
        "in Xen 4.22 it is yes [xenabi.drift]",
    ]


def test_a_whitespace_only_edit_of_the_arm_page_changes_nothing(
    abi_pages_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = abi_pages_copy
    page = docs / ARM
    text = page.read_text(encoding="utf-8")
    edited = re.sub(r"^(     - )(x16|r0 r1 r2 r3 r4)$", r"\1 \2  ", text, flags=re.MULTILINE)
    assert edited != text
    page.write_text(edited, encoding="utf-8")
    code, out = check(capsys, docs)
    assert (code, drift_lines(out)) == (0, [])


@pytest.mark.site  # reads a real Xen tree (the slow tier)
def test_a_changed_arm_source_fails_the_docs_at_the_cell_citing_the_line(
    abi_pages_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = copy_real_tree("head", tmp_path / "xen")
    code, out = check(capsys, abi_pages_copy, "--xen-source", str(source))
    assert (code, drift_lines(out)) == (0, [])  # the docs agree with head as it is

    traps = source / "xen/arch/arm/traps.c"
    text = traps.read_text(encoding="utf-8")
    assert text.count("&regs->x16") == 1
    traps.write_text(text.replace("&regs->x16", "&regs->x17"), encoding="utf-8")
    trap_line = 1 + text[: text.index("&regs->x16")].count("\n")
    defs = source / "xen/include/hypercall-defs.c"
    lines = defs.read_text(encoding="utf-8").splitlines(keepends=True)
    (row,) = [i for i, line in enumerate(lines) if line.startswith("console_io ")]
    assert lines[row].rstrip().endswith("do")
    lines[row] = lines[row].rstrip()[:-2] + "-\n"
    defs.write_text("".join(lines), encoding="utf-8")

    code, out = check(capsys, abi_pages_copy, "--xen-source", str(source))
    found = drift_lines(out)
    assert code == 1
    index_cell = line_of(abi_pages_copy / ARM, "- x16")
    assert any(
        line.startswith(
            f"{abi_pages_copy / ARM}:{index_cell}: ERROR: arm64 hypercall index is X16;"
        )
        and f"uses X17 (xen/arch/arm/traps.c:{trap_line}" in line
        for line in found
    ), found
    assert any(
        "availability of console_io is yes; in" in line
        and f"it is no (the call returns -ENOSYS) (xen/include/hypercall-defs.c:{row + 1}" in line
        for line in found
    ), found


ARM_CONVENTIONS = {
    "arm64": ("X16", ("X0", "X1", "X2", "X3", "X4"), "X0"),
    "arm32": ("R12", ("R0", "R1", "R2", "R3", "R4"), "R0"),
}


@pytest.mark.parametrize("output", ["text", "markdown", "json", "github"])
def test_the_diff_of_two_arm_revisions_in_every_format(
    output: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """arm64's number moved from x16 to x17, and hypercall 42 became callable from Arm."""
    old = Tables(conventions=ARM_CONVENTIONS, transfers={"arm64": "HVC #0xEA1"})
    moved = {**ARM_CONVENTIONS, "arm64": ("X17", ARM_CONVENTIONS["arm64"][1], "X0")}
    arm = frozenset({GuestType.ARM64, GuestType.ARM32})
    new = old.edit(conventions=moved, hypercalls={**old.hypercalls, 42: ("hypfs_op", arm)})
    paths = tmp_path / "old.json", tmp_path / "new.json"
    for path, tables in zip(paths, (old, new)):
        tables.registry().dump(path)
    code = main(["diff", *map(str, paths), "--format", output])
    out = capsys.readouterr().out
    assert code == 1  # a breaking change
    if output == "json":
        changes = json.loads(out)["changes"]
        assert [(c["rule"], c["message"]) for c in changes] == [
            ("index-register-changed", "arm64 hypercall index register changed from X16 to X17"),
            ("hypercall-added", "hypercall 42 (hypfs_op) added, available to Arm 64, Arm 32"),
        ]
    else:
        assert "arm64 hypercall index register changed from X16 to X17" in out
        assert "hypercall 42 (hypfs_op) added, available to Arm 64, Arm 32" in out
