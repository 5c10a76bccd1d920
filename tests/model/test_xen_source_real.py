"""The Xen source reader and the source-backed check on the real Xen trees.

The trees are ``../shared/xen-src/{4.13.0,4.16.0,4.17.0,4.18.0,head}``
(unchanged Xen files); every test here skips, saying why, where they are
absent. Mutation tests work on copies in a temporary directory. The project's
docs are checked as its ABI pages (``abi_pages``: docs/guest-guide with the
repository's conf.py), which hold every table of the site.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sphinx_xenabi.cli import main
from sphinx_xenabi.model import abi, page
from sphinx_xenabi.model.abi import TransferGuest
from sphinx_xenabi.model.dispatcher import DEFAULT_HANDLERS
from sphinx_xenabi.model.spec import Architecture, GuestType
from sphinx_xenabi.model.xen_source import read_xen_source
from support.paths import DOCS, REPO
from support.xen_trees import REAL_TREES, copy_real_tree, edit, real_tree

# Real Xen source trees and their docs, whole: the slow tier (see pyproject's markers).
pytestmark = pytest.mark.site


@pytest.mark.parametrize("name", REAL_TREES)
def test_the_model_agrees_with_the_real_source_field_by_field(name: str) -> None:
    source = read_xen_source(real_tree(name))
    derived = source.spec()
    model = abi.revision_for(derived.release)
    assert dict(derived.conventions) == dict(model.conventions)
    assert dict(derived.transfers) == dict(model.transfers)
    assert set(derived.hypercalls) == set(model.hypercalls)
    for number, hypercall in model.hypercalls.items():
        assert derived.hypercalls[number] == hypercall, number
    for guest in TransferGuest.with_pages():
        for index in range(abi.STUB_COUNT):
            assert source.stubs[guest].stub(index) == page.stub_bytes(guest, index), (guest, index)
    assert {w: p.value for w, p in source.poisoning.items()} == dict(abi.DEBUG_POISON)
    assert source.vector[0] == abi.TRANSFER_INSTRUCTIONS[TransferGuest.PV32].encoding[1]
    # Arm's debug poisoning: the value, the number register, and whether -ENOSYS spares it.
    for arm_guest in GuestType.of(Architecture.ARM):
        poisoning = source.traps[arm_guest].poisoning
        assert poisoning is not None, arm_guest
        expected = abi.poisoning_for(arm_guest, derived.release)
        assert (poisoning.value, poisoning.number_register, poisoning.after_enosys) == (
            expected.value,
            expected.number_register,
            expected.after_enosys,
        ), arm_guest
    # The dispatcher's xen_version handler takes what Xen's prototype takes.
    for guest in GuestType:
        assert source.entries[17][guest].arguments == DEFAULT_HANDLERS["xen_version"].arity


@pytest.mark.parametrize("configuration", ["all", "defconfig"])
@pytest.mark.parametrize("name", REAL_TREES)
def test_every_real_tree_reads_without_a_warning(name: str, configuration: str) -> None:
    source = read_xen_source(real_tree(name), configuration)
    assert source.warnings == ()
    assert len(source.hypercalls) >= 42


def test_defconfig_turns_off_what_xen_turns_off() -> None:
    # In the default x86_64 configuration of 4.16 and later PV32 is off, ARGO
    # and XSM are off, and XENOPROF is off from 4.18 (xen-src/README.md).
    for name in ("4.16.0", "4.17.0", "4.18.0", "head"):
        spec = read_xen_source(real_tree(name), "defconfig").spec()
        assert not any(GuestType.PV32 in h.available for h in spec.hypercalls.values()), name
        assert spec.hypercalls[39].available == frozenset(), name  # argo_op
    prof_417 = read_xen_source(real_tree("4.17.0"), "defconfig").spec().hypercalls[31]
    prof_418 = read_xen_source(real_tree("4.18.0"), "defconfig")
    assert prof_417.available == {GuestType.PV64}
    assert prof_418.spec().hypercalls[31].available == frozenset()
    evidence = prof_418.entries[31][GuestType.PV64].evidence
    assert evidence is not None and "CONFIG_XENOPROF is off in defconfig" in evidence.note


@pytest.mark.parametrize("name", REAL_TREES)
def test_source_command_json_is_byte_identical(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = real_tree(name)
    assert main(["source", str(tree), "-o", str(tmp_path / "a.json")]) == 0
    wrote = capsys.readouterr().err  # the reference named as findings name it
    assert wrote.startswith(f"wrote {tmp_path / 'a.json'}: the Xen ")
    assert " source (built with every hypercall enabled), " in wrote
    assert main(["source", str(tree)]) == 0
    printed = capsys.readouterr().out
    assert (tmp_path / "a.json").read_text(encoding="utf-8") == printed
    data = json.loads(printed)
    assert data["xen"]["version"] == (name if name != "head" else data["xen"]["version"])
    assert data["max_parameters"] == (6 if name in ("4.13.0", "4.16.0") else 5)


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("name", ["4.13.0", "4.16.0", "4.18.0", "head"])
def test_check_of_each_tree_with_its_own_source_passes(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = real_tree(name)
    code, out = _check(capsys, str(tree / "docs"))
    assert code == 0, out
    assert f"checking the tables against the Xen {name if name != 'head' else ''}" in out
    assert "(the docs sit in this Xen tree)" in out
    assert "agree with the Xen" in out


def test_check_of_4_17_fails_at_both_parameter_cells_citing_the_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = _check(capsys, str(real_tree("4.17.0") / "docs"))
    assert code == 1
    drift = [line for line in out.splitlines() if "[xenabi.drift]" in line]
    cells = {re.search(r"hypercall-abi\.rst:(\d+)", line).group(1): line for line in drift}  # type: ignore[union-attr]
    assert "64bit parameter 6 is R9" in cells["26"]
    assert "xen/arch/x86/pv/hypercall.c:58)" in cells["26"]
    assert "32bit parameter 6 is EBP" in cells["31"]
    assert "xen/arch/x86/pv/hypercall.c:82)" in cells["31"]
    assert "passes only 5 parameters" in cells["26"] and "passes only 5 parameters" in cells["31"]


def test_the_4_17_docs_were_right_for_the_4_16_source(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(
        capsys, str(real_tree("4.17.0") / "docs"), "--xen-source", str(real_tree("4.16.0"))
    )
    assert code == 0, out
    assert "agree with the Xen 4.16.0 source (built with every hypercall enabled)" in out


def test_model_flag_ignores_the_surrounding_tree(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(capsys, str(real_tree("4.18.0") / "docs"), "--model")
    assert code == 0, out
    assert "agree with the reference model" in out


def test_a_mutated_dispatch_fails_the_unchanged_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = copy_real_tree("4.18.0", tmp_path / "xen")
    edit(
        tree / "xen/arch/x86/pv/hypercall.c",
        "call_handlers_pv64(eax, regs->rax, rdi, rsi, rdx, r10, r8);",
        "call_handlers_pv64(eax, regs->rax, rdi, rsi, rdx, rcx, r8);",
    )
    code, out = _check(capsys, str(tree / "docs"))
    assert code == 1
    drift = [line for line in out.splitlines() if "[xenabi.drift]" in line]
    assert len(drift) == 1, drift
    assert "64bit parameter 4 is R10" in drift[0] and "uses RCX" in drift[0]
    assert "pv/hypercall.c:" in drift[0]
    assert "contradicts itself" in out  # HVM and the poisoning still say R10


def _numbers_row_line(name: str) -> int:
    lines = (DOCS / "guest-guide/x86/hypercall-numbers.md").read_text().split("\n")
    return next(i for i, line in enumerate(lines, 1) if line.strip() == f"- {name}")


def test_a_removed_availability_row_fails_the_project_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], abi_pages: Path
) -> None:
    tree = copy_real_tree("head", tmp_path / "xen")
    defs = tree / "xen/include/hypercall-defs.c"
    text = defs.read_text()
    row = re.search(r"^console_io\s.*\n", text, re.MULTILINE)
    assert row is not None
    defs.write_text(text.replace(row.group(0), ""))
    code, out = _check(capsys, str(abi_pages), "--conf-dir", str(REPO), "--xen-source", str(tree))
    assert code == 1
    drift = [line for line in out.splitlines() if "[xenabi.drift]" in line]
    assert len(drift) == 6, drift  # the six availability cells of console_io, Arm's included
    first = _numbers_row_line("console_io") + 1
    lines = {int(re.search(r"hypercall-numbers\.md:(\d+)", d).group(1)) for d in drift}  # type: ignore[union-attr]
    assert lines == set(range(first, first + 6))
    assert all("availability of console_io is yes" in d for d in drift)
    assert all("no console_io table entry in xen/include/hypercall-defs.c" in d for d in drift)


def test_a_renumbered_hypercall_fails_the_project_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], abi_pages: Path
) -> None:
    tree = copy_real_tree("head", tmp_path / "xen")
    edit(
        tree / "xen/include/public/xen.h",
        "#define __HYPERVISOR_console_io           18",
        "#define __HYPERVISOR_console_io           44",
    )
    code, out = _check(capsys, str(abi_pages), "--conf-dir", str(REPO), "--xen-source", str(tree))
    assert code == 1
    drift = [line for line in out.splitlines() if "[xenabi.drift]" in line]
    number_cell = f"hypercall-numbers.md:{_numbers_row_line('console_io') - 1}:"
    assert any(
        number_cell in d and "numbers console_io 44 (xen/include/public/xen.h:" in d for d in drift
    ), drift
    assert any("no row for hypercall 44 (console_io)" in d for d in drift), drift


def test_a_whitespace_only_source_edit_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = copy_real_tree("4.17.0", tmp_path / "xen")
    before = read_xen_source(tree).to_json()
    for relative in ("xen/include/hypercall-defs.c", "xen/arch/x86/pv/hypercall.c"):
        path = tree / relative
        path.write_text(
            "\n".join(line.replace("    ", "\t") + " " for line in path.read_text().split("\n"))
        )
    assert read_xen_source(tree).to_json() == before


@pytest.mark.parametrize("missing", ["xen/arch/x86/hvm/hypercall.c", "xen/include/public/xen.h"])
def test_a_real_tree_with_a_missing_file_is_a_one_line_error(
    missing: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], abi_pages: Path
) -> None:
    tree = copy_real_tree("4.18.0", tmp_path / "xen")
    (tree / missing).unlink()
    code, out = _check(capsys, str(abi_pages), "--conf-dir", str(REPO), "--xen-source", str(tree))
    assert code == 2
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and missing in errors[0], out
    assert "Traceback" not in out
