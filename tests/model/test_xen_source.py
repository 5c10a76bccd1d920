"""The Xen source reader on small trees written in Xen's formats (tests/support/xen_trees.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sphinx_xenabi.model.drift import check_table
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.records import Cell, RegisterRow, TableKind, TableRecord
from sphinx_xenabi.model.spec import Architecture, GuestType, Release
from sphinx_xenabi.model.xen_source import (
    ConfigurationError,
    SourceError,
    read_xen_source,
)
from sphinx_xenabi.model.xen_source.conditions import line_conditions
from support.xen_trees import (
    c_tables_tree,
    edit,
    hypercall_defs_tree,
    july_2022_tree,
    mixed_dispatch_tree,
    spring_2019_tree,
)

PV = {GuestType.PV32, GuestType.PV64}
# The fixtures are x86-only trees (no xen/arch/arm/): their facts are x86's.
ALL = set(GuestType.of(Architecture.X86))


@pytest.fixture(params=["hypercall-defs", "c-tables"])
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    build = hypercall_defs_tree if request.param == "hypercall-defs" else c_tables_tree
    return build(tmp_path / "xen-tree")


def test_release_and_layout_come_from_the_tree(tree: Path) -> None:
    source = read_xen_source(tree)
    assert source.release == (
        Release(4, 19) if source.layout == "hypercall-defs" else Release(4, 13)
    )
    assert source.version in ("4.19.0", "4.13.0")
    assert source.release_evidence.file == "xen/Makefile"
    assert source.warnings == ()


def test_numbers_with_the_arch_aliases(tree: Path) -> None:
    spec = read_xen_source(tree).spec()
    names = {n: h.name for n, h in spec.hypercalls.items()}
    # arch_0 and arch_1 are named by their aliases; arch_2 nothing names, so unused.
    assert names == {
        0: "set_trap_table",
        17: "xen_version",
        23: "iret",
        31: "xenoprof_op",
        34: "hvm_op",
        48: "mca",
        49: "paging_domctl_cont",
    }
    mca = spec.evidence["hypercall/48"]
    assert (mca.file, mca.line) == ("xen/include/public/arch-x86/xen-mca.h", 1)
    assert "arch_0 is 48" in mca.note
    # The compatibility alias inside "#if __XEN_INTERFACE_VERSION__ < ..." is not Xen's view.
    assert "sched_op_new" not in names.values()


def test_availability_per_guest_type(tree: Path) -> None:
    spec = read_xen_source(tree).spec()
    available = {h.name: set(h.available) for h in spec.hypercalls.values()}
    assert available["set_trap_table"] == PV
    assert available["iret"] == PV
    assert available["xen_version"] == ALL
    assert available["hvm_op"] == ALL
    assert available["xenoprof_op"] == PV  # CONFIG_XENOPROF is on in "all"
    assert available["paging_domctl_cont"] == ALL


def test_a_tree_without_arm_states_no_arm_facts(tree: Path) -> None:
    source = read_xen_source(tree)
    assert source.traps == {} and Architecture.ARM not in source.configurations
    assert set(source.conventions) == {"64bit", "32bit"}
    assert all(set(entries) == ALL for entries in source.entries.values())
    assert json.loads(source.to_json())["traps"] == {}


def test_registers_from_the_dispatch_calls(tree: Path) -> None:
    source = read_xen_source(tree)
    six = source.layout == "c-tables"
    conventions = source.spec().conventions
    assert (
        conventions["64bit"].parameters
        == ("RDI", "RSI", "RDX", "R10", "R8", "R9")[: 6 if six else 5]
    )
    assert (
        conventions["32bit"].parameters
        == ("EBX", "ECX", "EDX", "ESI", "EDI", "EBP")[: 6 if six else 5]
    )
    assert (conventions["64bit"].index, conventions["64bit"].result) == ("RAX", "RAX")
    assert (conventions["32bit"].index, conventions["32bit"].result) == ("EAX", "EAX")
    assert source.poisoning[64].value == 0xDEADBEEFDEADF00D
    assert source.poisoning[32].value == 0xDEADF00D
    evidence = source.spec().evidence["convention/64bit/parameters"]
    assert evidence.file == "xen/arch/x86/pv/hypercall.c"
    assert ("call_handlers_pv64" if not six else ".native(rdi") in evidence.text


def test_stubs_and_transfer_instructions(tree: Path) -> None:
    from sphinx_xenabi.model.abi import TransferGuest
    from sphinx_xenabi.model.page import stub_bytes

    source = read_xen_source(tree)
    assert dict(source.spec().transfers) == {
        "64bit PV": "SYSCALL",
        "32bit PV": "INT 0x82",
        "Intel HVM": "VMCALL",
        "AMD HVM": "VMMCALL",
    }
    for guest in TransferGuest.with_pages():
        for index in (0, 17, 23, 127):
            assert source.stubs[guest].stub(index) == stub_bytes(guest, index), (guest, index)


def test_per_hypercall_parameter_counts(tree: Path) -> None:
    source = read_xen_source(tree)
    xen_version = source.entries[17]
    assert xen_version[GuestType.PV64].arguments == 2
    assert xen_version[GuestType.PV32].handler == "compat"
    assert source.entries[23][GuestType.PV64].arguments == 0  # iret() / no ARGS entry


def test_a_compiled_out_entry_says_which_option(tree: Path) -> None:
    config = tree / "no-xenoprof.config"
    config.write_text("CONFIG_PV=y\nCONFIG_PV32=y\n# CONFIG_XENOPROF is not set\n")
    source = read_xen_source(tree, str(config))
    entry = source.entries[31][GuestType.PV64]
    assert not entry.available
    assert entry.condition == "defined(CONFIG_XENOPROF)"
    assert entry.evidence is not None
    assert f"CONFIG_XENOPROF is off in {config}" in entry.evidence.note
    assert source.spec().hypercalls[31].available == frozenset()
    assert source.origin == f"the Xen {source.version} source (built with {config})"


def test_defconfig_is_evaluated_by_kconfig(tmp_path: Path) -> None:
    # The fixture's Kconfig leaves PV32 off by default: no 32-bit PV guests.
    source = read_xen_source(hypercall_defs_tree(tmp_path / "t"), "defconfig")
    assert GuestType.PV32 not in source.spec().hypercalls[17].available
    entry = source.entries[17][GuestType.PV32]
    assert entry.evidence is not None and "CONFIG_PV32 is off in defconfig" in entry.evidence.note
    assert "32bit" in source.conventions  # still stated by the 32-bit HVM dispatch
    assert source.origin == "the Xen 4.19.0 source (built with its x86_64 defconfig)"


def test_a_configuration_says_in_words_what_it_is() -> None:
    from sphinx_xenabi.model.xen_source.configuration import Configuration, all_options

    described = {
        all_options(()).description,
        all_options((), Architecture.ARM).description,
        Configuration("defconfig", frozenset()).description,
        Configuration("defconfig (arm64)", frozenset()).description,
        Configuration("/src/xen/.config", frozenset()).description,
    }
    assert described == {
        "built with every hypercall enabled",
        "built for arm64 with every hypercall enabled",
        "built with its x86_64 defconfig",
        "built with its arm64 defconfig",
        "built with /src/xen/.config",
    }


def test_a_mutated_dispatch_register_is_read_and_found(tmp_path: Path) -> None:
    tree = hypercall_defs_tree(tmp_path / "t")
    edit(
        tree / "xen/arch/x86/pv/hypercall.c",
        "call_handlers_pv64(eax, regs->rax, rdi, rsi, rdx, r10, r8)",
        "call_handlers_pv64(eax, regs->rax, rdi, rsi, rdx, rcx, r8)",
    )
    source = read_xen_source(tree)
    spec = source.spec()
    assert spec.conventions["64bit"].parameters == ("RDI", "RSI", "RDX", "RCX", "R8")
    # The source now contradicts itself (HVM and the poisoning say R10): said, not hidden.
    assert any("hvm64 passes" in w for w in source.warnings)
    assert any("poisons" in w for w in source.warnings)
    docs = _registers_table(("RDI", "RSI", "RDX", "R10", "R8"))
    findings = list(check_table(docs, spec))
    assert [f.location.line for f in findings] == [3]
    assert "64bit parameter 4 is R10" in findings[0].message
    assert "uses RCX (xen/arch/x86/pv/hypercall.c:" in findings[0].message


def _registers_table(
    params64: tuple[str, ...],
    params32: tuple[str, ...] = ("EBX", "ECX", "EDX", "ESI", "EDI"),
) -> TableRecord:
    def cell(value: object, line: int) -> Cell[object]:
        return Cell(value, Location("abi.rst", line))

    rows = (
        RegisterRow(cell("64bit", 3), cell("RAX", 3), cell(params64, 3), cell("RAX", 3)),  # type: ignore[arg-type]
        RegisterRow(
            cell("32bit", 4),  # type: ignore[arg-type]
            cell("EAX", 4),  # type: ignore[arg-type]
            cell(params32, 4),  # type: ignore[arg-type]
            cell("EAX", 4),  # type: ignore[arg-type]
        ),
    )
    header = tuple(cell(text, 2) for text in ("ABI", "Index", "Parameters", "Result"))
    return TableRecord(
        kind=TableKind.REGISTERS,
        docname="abi",
        guide=None,
        location=Location("abi.rst", 1),
        title=None,
        header=header,  # type: ignore[arg-type]
        rows=rows,
        releases=None,
        parameter_count=None,
    )


def test_whitespace_only_edits_change_nothing(tree: Path) -> None:
    before = read_xen_source(tree).to_json()
    for path in tree.rglob("*"):
        if path.is_file() and path.suffix in (".c", ".h"):
            lines = path.read_text().split("\n")
            # Re-indent with tabs, re-align columns, add trailing blanks.
            path.write_text(
                "\n".join(line.replace("    ", "\t").replace(" ", "  ") + "  " for line in lines)
            )
    assert read_xen_source(tree).to_json() == before


def test_json_is_deterministic_and_documented_shape(tree: Path) -> None:
    first, second = read_xen_source(tree).to_json(), read_xen_source(tree).to_json()
    assert first == second
    data = json.loads(first)
    assert data["format"] == "sphinx-xenabi xen-source 1"
    assert data["xen"]["configuration"] == "all"
    assert data["stubs"]["64bit PV"]["ordinary"] == "51 41 53 B8 <i LE32> 0F 05 41 5B 59 C3"
    assert data["hypercall_vector"]["value"] == "0x82"
    assert [h["number"] for h in data["hypercalls"]] == sorted(
        h["number"] for h in data["hypercalls"]
    )


@pytest.mark.parametrize(
    "missing",
    ["xen/include/hypercall-defs.c", "xen/arch/x86/pv/hypercall.c", "xen/Makefile"],
)
def test_a_missing_file_is_one_error_naming_it(tmp_path: Path, missing: str) -> None:
    tree = hypercall_defs_tree(tmp_path / "t")
    (tree / missing).unlink()
    with pytest.raises(SourceError) as raised:
        read_xen_source(tree)
    message = str(raised.value)
    assert "\n" not in message
    assert f"{missing}: missing" in message


def test_an_unreadable_file_is_one_error_naming_it(tmp_path: Path) -> None:
    tree = hypercall_defs_tree(tmp_path / "t")
    (tree / "xen/arch/x86/hvm/hypercall.c").write_bytes(b"\xff\xfe not text")
    with pytest.raises(SourceError, match=r"hvm/hypercall\.c: not UTF-8 text"):
        read_xen_source(tree)


def test_a_malformed_table_row_names_its_line(tmp_path: Path) -> None:
    tree = hypercall_defs_tree(tmp_path / "t")
    edit(
        tree / "xen/include/hypercall-defs.c",
        "mca                                do       do       -        -        -",
        "mca do do -",
    )
    with pytest.raises(SourceError, match=r"hypercall-defs\.c:\d+: table row mca has 3 columns"):
        read_xen_source(tree)


def test_not_a_xen_tree(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"xen/include/public/xen\.h: missing"):
        read_xen_source(tmp_path)


def test_a_missing_config_file(tmp_path: Path) -> None:
    tree = hypercall_defs_tree(tmp_path / "t")
    with pytest.raises(ConfigurationError, match="no such configuration file"):
        read_xen_source(tree, str(tmp_path / "absent.config"))


def test_line_conditions_follow_nesting_and_else() -> None:
    text = "a\n#ifdef A\nb\n#ifndef B\nc\n#else\nd\n#endif\n#elif defined(C)\ne\n#endif\nf\n"
    guards = line_conditions(text)
    assert guards[3] == "defined(A)"
    assert guards[5] == "defined(A) && !defined(B)"
    assert guards[7] == "defined(A) && !(!defined(B))"
    assert guards[10] == "!(defined(A)) && defined(C)"
    assert 1 not in guards and 12 not in guards


def test_a_ranged_table_uses_the_source_only_for_the_source_release(tmp_path: Path) -> None:
    import dataclasses

    from sphinx_xenabi.model.drift import check_registry
    from sphinx_xenabi.model.registry import Registry
    from sphinx_xenabi.model.spec import ReleaseRange

    source = read_xen_source(hypercall_defs_tree(tmp_path / "t")).spec()  # 4.19, five parameters
    six = _registers_table(
        ("RDI", "RSI", "RDX", "R10", "R8", "R9"), ("EBX", "ECX", "EDX", "ESI", "EDI", "EBP")
    )
    old = dataclasses.replace(six, releases=ReleaseRange(Release(4, 13), Release(4, 16)))
    spanning = dataclasses.replace(six, releases=ReleaseRange(Release(4, 13)))

    def findings(table: TableRecord) -> list[str]:
        registry = Registry(release="4.19", guides=(), tables=(table,))
        return [f.message for f in check_registry(registry, Release(4, 19), source)]

    assert findings(old) == []  # 4.13 to 4.16 excludes the source: the model judges, six is right
    messages = findings(spanning)  # 4.13+: the model for 4.13 to 4.16, the source for the rest
    assert any(
        "the Xen 4.19.0 source (built with every hypercall enabled) passes only 5 parameters" in m
        for m in messages
    )
    assert not any("Xen 4.17+" in m for m in messages)  # the source stood in for that revision


@pytest.mark.parametrize("seed", range(50))
def test_a_damaged_tree_reads_or_fails_in_one_line_never_a_traceback(
    seed: int, tmp_path: Path
) -> None:
    """Random line deletions, truncations and stray directives in one read file,
    of each form and of each mix of forms."""
    import random

    rng = random.Random(seed)
    builders = (hypercall_defs_tree, c_tables_tree, july_2022_tree, mixed_dispatch_tree)
    tree = (*builders, spring_2019_tree)[seed % 5](tmp_path / "t")
    files = sorted(p for p in (tree / "xen").rglob("*") if p.suffix in (".c", ".h", ""))
    target = rng.choice([p for p in files if p.is_file() and p.read_text().strip()])
    lines = target.read_text().split("\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(max(len(lines), 1))
        action = rng.random()
        if action < 0.4:
            del lines[i]
        elif action < 0.7:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        else:
            lines.insert(i, rng.choice(["#if 1", "#endif", "}", "{", "#define X(", "f(", "/*"]))
    target.write_text("\n".join(lines))
    try:
        read_xen_source(tree)
    except (SourceError, ConfigurationError) as exc:
        assert "\n" not in str(exc)
        assert str(tree) in str(exc) or "xen/" in str(exc)
