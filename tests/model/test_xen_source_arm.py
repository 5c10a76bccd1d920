"""The Xen source reader's Arm facts, on small trees in Xen's formats and on the real trees.

The small trees are the x86 ones of ``xen_trees`` plus Arm files written
here: ``public/arch-arm.h`` (the convention comment, the hypercall tag, the
AArch32 register names), ``arch/arm/traps.c`` in both eras (up to 4.16
``arm_hypercall_table``; from 4.17 ``call_handlers_arm`` and the ``arm``
column of ``hypercall-defs.c``) and a Kconfig with an Arm branch. The real
trees are ``../shared/xen-src``; those tests skip where it is absent.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import pytest

from sphinx_xenabi.model import abi
from sphinx_xenabi.model.drift import check_table
from sphinx_xenabi.model.location import Location
from sphinx_xenabi.model.records import Cell, NumberRow, RegisterRow, TableKind, TableRecord
from sphinx_xenabi.model.spec import Architecture, Convention, GuestType, Release
from sphinx_xenabi.model.xen_source import ConfigurationError, SourceError, read_xen_source
from sphinx_xenabi.model.xen_source.tree import XenTree
from support.xen_trees import (
    HYPERCALL_DEFS,
    KCONFIG_X86,
    REAL_TREES,
    c_tables_tree,
    edit,
    hypercall_defs_tree,
    real_tree,
)

ARM = (GuestType.ARM64, GuestType.ARM32)
TRAPS = "xen/arch/arm/traps.c"
ARCH_ARM = "xen/include/public/arch-arm.h"
DEFS = "xen/include/hypercall-defs.c"

# --- the small trees ---------------------------------------------------------

XEN_H = """\
#ifndef __XEN_PUBLIC_XEN_H__
#define __XEN_PUBLIC_XEN_H__

#define __HYPERVISOR_set_trap_table        0
#define __HYPERVISOR_sched_op_compat       6
#define __HYPERVISOR_xen_version          17
#define __HYPERVISOR_console_io           18
#define __HYPERVISOR_iret                 23
#define __HYPERVISOR_vcpu_op              24
#define __HYPERVISOR_xenoprof_op          31
#define __HYPERVISOR_physdev_op           33
#define __HYPERVISOR_hvm_op               34
#define __HYPERVISOR_argo_op              39
#define __HYPERVISOR_arch_0               48
#define __HYPERVISOR_arch_1               49

#endif
"""

ARCH_ARM_H = """\
#ifndef __XEN_PUBLIC_ARCH_ARM_H__
#define __XEN_PUBLIC_ARCH_ARM_H__

/*
 * `incontents 50 arm_abi Hypercall Calling Convention
 *
 * A hypercall is issued using the ARM HVC instruction.
 *
 * A hypercall can take up to 5 arguments, in registers: the first
 * argument in x0/r0 (arm64/arm32 guests), the second argument in x1/r1,
 * the third in x2/r2, the fourth in x3/r3 and the fifth in x4/r4.
 *
 * The hypercall number is passed in r12 (arm) or x16 (arm64).
 *
 * The HVC ISS must contain a Xen specific TAG: XEN_HYPERCALL_TAG.
 *
 * The return value is in x0/r0.
 */

#define XEN_HYPERCALL_TAG   0XEA1

#if defined(__XEN__) || defined(__XEN_TOOLS__)
#define __DECL_REG(n64, n32) union { uint64_t n64; uint32_t n32; }
struct vcpu_guest_core_regs
{
    __DECL_REG(x0,           r0_usr);
    __DECL_REG(x1,           r1_usr);
    __DECL_REG(x2,           r2_usr);
    __DECL_REG(x3,           r3_usr);
    __DECL_REG(x4,           r4_usr);
    __DECL_REG(x5,           r5_usr);
    __DECL_REG(x6,           r6_usr);
    __DECL_REG(x7,           r7_usr);
    __DECL_REG(x12,          r12_usr);
    __DECL_REG(x13,          sp_usr);
    __DECL_REG(x16,          lr_irq);
};
#undef __DECL_REG
#endif

#endif
"""

REGISTER_MACROS = """\
#ifdef CONFIG_ARM_64
#define HYPERCALL_RESULT_REG(r) (r)->x0
#define HYPERCALL_ARG1(r) (r)->x0
#define HYPERCALL_ARG2(r) (r)->x1
#define HYPERCALL_ARG3(r) (r)->x2
#define HYPERCALL_ARG4(r) (r)->x3
#define HYPERCALL_ARG5(r) (r)->x4
#define HYPERCALL_ARGS(r) (r)->x0, (r)->x1, (r)->x2, (r)->x3, (r)->x4
#else
#define HYPERCALL_RESULT_REG(r) (r)->r0
#define HYPERCALL_ARG1(r) (r)->r0
#define HYPERCALL_ARG2(r) (r)->r1
#define HYPERCALL_ARG3(r) (r)->r2
#define HYPERCALL_ARG4(r) (r)->r3
#define HYPERCALL_ARG5(r) (r)->r4
#define HYPERCALL_ARGS(r) (r)->r0, (r)->r1, (r)->r2, (r)->r3, (r)->r4
#endif
"""

DEPRECATED = """\
static register_t do_deprecated_hypercall(void)
{
    gdprintk(XENLOG_DEBUG, "deprecated hypercall\\n");
    return -ENOSYS;
}
"""

GUEST_SYNC = """\
void do_trap_guest_sync(struct cpu_user_regs *regs)
{
    const union hsr hsr = { .bits = regs->hsr };

    switch ( hsr.ec )
    {
    case HSR_EC_SMC32:
        do_trap_smc(regs, hsr);
        break;
    case HSR_EC_HVC32:
    {
        register_t nr;

        if ( hsr.iss == 0 )
            return do_trap_hvc_smccc(regs);
        nr = regs->r12;
        do_trap_hypercall(regs, &nr, hsr);
        regs->r12 = (uint32_t)nr;
        break;
    }
#ifdef CONFIG_ARM_64
    case HSR_EC_HVC64:
        if ( hsr.iss == 0 )
            return do_trap_hvc_smccc(regs);
        do_trap_hypercall(regs, &regs->x16, hsr);
        break;
#endif
    default:
        break;
    }
}
"""

# Up to 4.16: the table, the call through it, poisoning even after -ENOSYS.
TRAPS_C_TABLES = (
    DEPRECATED
    + """
#define HYPERCALL(_name, _nr_args)                                   \\
    [ __HYPERVISOR_ ## _name ] =  {                                  \\
        .fn = (arm_hypercall_fn_t) &do_ ## _name,                    \\
        .nr_args = _nr_args,                                         \\
    }
#define HYPERCALL_ARM(_name, _nr_args)                               \\
    [ __HYPERVISOR_ ## _name ] =  {                                  \\
        .fn = (arm_hypercall_fn_t) &do_arm_ ## _name,                \\
        .nr_args = _nr_args,                                         \\
    }
#define HYPERCALL_DEPRECATED(_name, _nr_args)                        \\
    [ __HYPERVISOR_##_name ] = {                                     \\
        .fn = (arm_hypercall_fn_t) &do_deprecated_hypercall,         \\
        .nr_args = _nr_args,                                         \\
    }

static arm_hypercall_t arm_hypercall_table[] = {
    HYPERCALL_DEPRECATED(sched_op_compat, 2),
    HYPERCALL(console_io, 3),
    HYPERCALL(xen_version, 2),
    HYPERCALL(physdev_op, 2),
    HYPERCALL(hvm_op, 2),
    HYPERCALL_ARM(vcpu_op, 3),
#ifdef CONFIG_ARGO
    HYPERCALL(argo_op, 5),
#endif
};

"""
    + REGISTER_MACROS
    + """
static void do_trap_hypercall(struct cpu_user_regs *regs, register_t *nr,
                              const union hsr hsr)
{
    arm_hypercall_fn_t call = NULL;

    if ( hsr.iss != XEN_HYPERCALL_TAG )
        return inject_undef_exception(regs, hsr);

    if ( *nr >= ARRAY_SIZE(arm_hypercall_table) )
    {
        HYPERCALL_RESULT_REG(regs) = -ENOSYS;
        return;
    }

    call = arm_hypercall_table[*nr].fn;
    HYPERCALL_RESULT_REG(regs) = call(HYPERCALL_ARGS(regs));

#ifndef NDEBUG
    if ( !current->hcall_preempted )
    {
        switch ( arm_hypercall_table[*nr].nr_args ) {
        case 5: HYPERCALL_ARG5(regs) = 0xDEADBEEF;
        case 4: HYPERCALL_ARG4(regs) = 0xDEADBEEF;
        case 3: HYPERCALL_ARG3(regs) = 0xDEADBEEF;
        case 2: HYPERCALL_ARG2(regs) = 0xDEADBEEF;
        case 1: /* the result */
            break;
        default: BUG();
        }
        *nr = 0xDEADBEEF;
    }
#endif
}

"""
    + GUEST_SYNC
)

# From 4.17: the generated call, the dep_ stubs, nothing poisoned after -ENOSYS.
TRAPS_DEFS = (
    DEPRECATED
    + """
long dep_sched_op_compat(int cmd, unsigned long arg)
{
    return do_deprecated_hypercall();
}

"""
    + REGISTER_MACROS
    + """
static const unsigned char hypercall_args[] = hypercall_args_arm;

static void do_trap_hypercall(struct cpu_user_regs *regs, register_t *nr,
                              const union hsr hsr)
{
    struct vcpu *curr = current;

    if ( hsr.iss != XEN_HYPERCALL_TAG )
        return inject_undef_exception(regs);

    call_handlers_arm(*nr, HYPERCALL_RESULT_REG(regs), HYPERCALL_ARG1(regs),
                      HYPERCALL_ARG2(regs), HYPERCALL_ARG3(regs),
                      HYPERCALL_ARG4(regs), HYPERCALL_ARG5(regs));

#ifndef NDEBUG
    if ( !curr->hcall_preempted && HYPERCALL_RESULT_REG(regs) != -ENOSYS )
    {
        switch ( hypercall_args[*nr] ) {
        case 5:
            HYPERCALL_ARG5(regs) = 0xDEADBEEFU;
            fallthrough;
        case 4:
            HYPERCALL_ARG4(regs) = 0xDEADBEEFU;
            fallthrough;
        case 3:
            HYPERCALL_ARG3(regs) = 0xDEADBEEFU;
            fallthrough;
        case 2:
            HYPERCALL_ARG2(regs) = 0xDEADBEEFU;
            fallthrough;
        case 1:
        case 0:
            break;
        }
        *nr = 0xDEADBEEFU;
    }
#endif
}

"""
    + GUEST_SYNC
)

# xen_trees' hypercall-defs.c with Arm's part: its prefixes, stubs and caller.
ARM_DEFS = (
    """\
#ifdef CONFIG_ARM
#define PREFIX_dep dep
#define PREFIX_do_arm do_arm
rettype: do_arm int
#else
#define PREFIX_dep
#define PREFIX_do_arm
#endif

prefix: do PREFIX_do_arm
physdev_op(int cmd, void *arg)

#if defined(CONFIG_PV) || defined(CONFIG_ARM)
prefix: do PREFIX_dep
sched_op_compat(int cmd, unsigned long arg)
#endif

prefix: do
console_io(unsigned int cmd, unsigned int count, char *buffer)
vcpu_op(int cmd, unsigned int vcpuid, void *arg)
#ifdef CONFIG_ARGO
argo_op(unsigned int cmd, void *arg1, void *arg2, unsigned long arg3, unsigned long arg4)
#endif

"""
    + HYPERCALL_DEFS.replace(
        "caller: hvm32\n#endif\n", "caller: hvm32\n#endif\n#ifdef CONFIG_ARM\ncaller: arm\n#endif\n"
    )
    + """\
sched_op_compat                    do       do       -        -        dep
console_io                         do       do       do       do       do
vcpu_op                            do       do       do       do       do
physdev_op                         do       do       do       do       do_arm
#ifdef CONFIG_ARGO
argo_op                            do       do       do       do       do
#endif
"""
)

KCONFIG = """\
mainmenu "Xen/$(SRCARCH) Configuration"

source "arch/$(SRCARCH)/Kconfig"

config EXPERT
	bool "Expert settings"

config ARGO
	bool "Argo" if EXPERT
"""

KCONFIG_ARM = """\
config ARM_32
	def_bool y
	depends on "$(ARCH)" = "arm32"

config ARM_64
	def_bool y
	depends on !ARM_32

config ARM
	def_bool y

config HVM
	def_bool y
"""


def _add_arm(root: Path, traps: str) -> Path:
    files = {
        "xen/include/public/xen.h": XEN_H,
        ARCH_ARM: ARCH_ARM_H,
        TRAPS: traps,
        "xen/Kconfig": KCONFIG,
        "xen/arch/x86/Kconfig": KCONFIG_X86,
        "xen/arch/arm/Kconfig": KCONFIG_ARM,
        "xen/arch/arm/configs/arm64_defconfig": "",
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def arm_defs_tree(root: Path) -> Path:
    """A 4.19-like tree with Arm: the arm column of hypercall-defs.c."""
    tree = _add_arm(hypercall_defs_tree(root), TRAPS_DEFS)
    (tree / DEFS).write_text(ARM_DEFS, encoding="utf-8")
    return tree


def arm_tables_tree(root: Path) -> Path:
    """A 4.13-like tree with Arm: arm_hypercall_table in traps.c."""
    return _add_arm(c_tables_tree(root), TRAPS_C_TABLES)


@pytest.fixture(params=["hypercall-defs", "c-tables"])
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    build = arm_defs_tree if request.param == "hypercall-defs" else arm_tables_tree
    return build(tmp_path / "xen-tree")


def _line(root: Path, relative: str, text: str) -> int:
    """The 1-based line of ``relative`` that holds ``text``."""
    lines = (root / relative).read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, 1) if text in line)


# --- conventions, transfer, poisoning ---------------------------------------


def test_arm_conventions_come_from_the_trap_handler(tree: Path) -> None:
    source = read_xen_source(tree)
    spec = source.spec()
    assert spec.conventions["arm64"] == Convention(
        "arm64", "X16", ("X0", "X1", "X2", "X3", "X4"), "X0"
    )
    assert spec.conventions["arm32"] == Convention(
        "arm32", "R12", ("R0", "R1", "R2", "R3", "R4"), "R0"
    )
    index64 = spec.evidence["convention/arm64/index"]
    assert (index64.file, index64.line) == (TRAPS, _line(tree, TRAPS, "&regs->x16"))
    index32 = spec.evidence["convention/arm32/index"]
    assert (index32.file, index32.text) == (TRAPS, "nr = regs->r12;")
    assert "passed to do_trap_hypercall as &nr" in index32.note
    # The registers are named where the macros are defined (the arm64 build's branch).
    parameters = spec.evidence["convention/arm64/parameters"]
    macro = "HYPERCALL_ARGS(r)" if source.layout == "c-tables" else "HYPERCALL_ARG1(r)"
    assert parameters.file == TRAPS and parameters.text.startswith(f"#define {macro} (r)->x0")
    result = spec.evidence["convention/arm32/result"]
    assert result.text == "#define HYPERCALL_RESULT_REG(r) (r)->x0"
    # An AArch32 guest's r0 is x0's low half, as the public header declares.
    assert f"x0 is an AArch32 guest's r0 ({ARCH_ARM}:" in result.note
    assert source.warnings == ()


def test_the_arm_transfer_is_hvc_with_the_tag(tree: Path) -> None:
    spec = read_xen_source(tree).spec()
    for guest in ARM:
        assert spec.transfers[guest.value] == abi.TRANSFERS[guest.value] == "HVC 0xea1"
        evidence = spec.evidence[f"transfer/{guest.value}"]
        assert (evidence.file, evidence.text) == (ARCH_ARM, "#define XEN_HYPERCALL_TAG 0XEA1")
        exception = "HSR_EC_HVC64" if guest is GuestType.ARM64 else "HSR_EC_HVC32"
        assert f"trapped as {exception} at {TRAPS}:{_line(tree, TRAPS, exception)}" in evidence.note
        assert f"do_trap_hypercall requires it at {TRAPS}:" in evidence.note


def test_arm_poisoning_and_when_it_is_skipped(tree: Path) -> None:
    source = read_xen_source(tree)
    old = source.layout == "c-tables"
    for guest, registers in ((GuestType.ARM64, "X1 X2 X3 X4"), (GuestType.ARM32, "R1 R2 R3 R4")):
        poisoning = source.traps[guest].poisoning
        assert poisoning is not None
        assert poisoning.registers == tuple(registers.split())
        assert (poisoning.value, poisoning.number_register) == (0xDEADBEEF, True)
        assert poisoning.after_enosys is old  # 39fc5f5c02 spared -ENOSYS from 4.17
        assert "hcall_preempted" in poisoning.guard.text
        assert "HYPERCALL_ARG5(regs) = 0xDEADBEEF" in poisoning.evidence.text


# --- availability -------------------------------------------------------------


def test_arm_availability_per_hypercall(tree: Path) -> None:
    source = read_xen_source(tree)
    spec = source.spec()

    def arm(name: str) -> frozenset[GuestType]:
        call = next(h for h in spec.hypercalls.values() if h.name == name)
        return call.available & GuestType.of(Architecture.ARM)

    for name in ("xen_version", "console_io", "vcpu_op", "physdev_op", "hvm_op", "argo_op"):
        assert arm(name) == set(ARM), name
    for name in ("sched_op_compat", "set_trap_table", "iret", "mca"):
        assert arm(name) == frozenset(), name
    # Both Arm guest types read the same entry of the one table or column.
    for entries in source.entries.values():
        assert entries[GuestType.ARM64].evidence == entries[GuestType.ARM32].evidence
    xen_version = source.entries[17][GuestType.ARM64]
    assert xen_version.arguments == 2 and xen_version.evidence is not None
    expected = "HYPERCALL(xen_version, 2)," if source.layout == "c-tables" else "xen_version"
    assert xen_version.evidence.text.startswith(expected)


def test_a_deprecated_arm_hypercall_returns_enosys(tree: Path) -> None:
    source = read_xen_source(tree)
    entry = source.entries[6][GuestType.ARM64]  # sched_op_compat
    assert not entry.available and entry.evidence is not None
    enosys = _line(tree, TRAPS, "return -ENOSYS;")
    if source.layout == "c-tables":
        assert entry.evidence.text == "HYPERCALL_DEPRECATED(sched_op_compat, 2),"
        assert entry.evidence.note == (
            f"deprecated: do_deprecated_hypercall returns -ENOSYS ({TRAPS}:{enosys})"
        )
    else:
        assert entry.handler == "dep" and entry.evidence.file == DEFS
        assert entry.evidence.note == (
            f"deprecated: dep_sched_op_compat returns -ENOSYS "
            f"(do_deprecated_hypercall, {TRAPS}:{enosys})"
        )


def test_arm_handler_prefixes(tree: Path) -> None:
    source = read_xen_source(tree)
    vcpu_op, physdev_op = source.entries[24], source.entries[33]
    if source.layout == "c-tables":
        assert vcpu_op[GuestType.ARM32].handler == "do_arm"  # HYPERCALL_ARM(vcpu_op, 3)
        assert physdev_op[GuestType.ARM32].handler == "do"
    else:
        assert vcpu_op[GuestType.ARM32].handler == "do"
        assert physdev_op[GuestType.ARM32].handler == "do_arm"  # exists only with CONFIG_ARM
    assert vcpu_op[GuestType.ARM64].arguments == 3


def test_arm_is_read_in_its_own_build_configuration(tree: Path) -> None:
    source = read_xen_source(tree)
    arm = source.configurations[Architecture.ARM]
    x86 = source.configurations[Architecture.X86]
    assert x86 is source.configuration and x86.name == "all"
    assert arm.name == "all (arm64)"
    assert {"CONFIG_ARM", "CONFIG_ARM_64", "CONFIG_HVM"} <= arm.enabled
    assert not {"CONFIG_X86", "CONFIG_PV", "CONFIG_ARM_32", "CONFIG_XENOPROF"} & arm.enabled
    assert "CONFIG_ARGO" in arm.enabled  # "all": every option that gates a hypercall
    assert "CONFIG_PV" in x86.enabled and "CONFIG_ARM" not in x86.enabled
    # The x86 facts are the x86 build's: xenoprof for PV, nothing for Arm.
    assert source.entries[31][GuestType.PV64].available
    assert not source.entries[31][GuestType.ARM64].available


def test_arm_defconfig_is_kconfig_for_arm64(tree: Path) -> None:
    source = read_xen_source(tree, "defconfig")
    arm = source.configurations[Architecture.ARM]
    assert arm.name == "defconfig (arm64)"
    assert {"CONFIG_ARM", "CONFIG_ARM_64", "CONFIG_HVM"} <= arm.enabled
    assert "CONFIG_X86" not in arm.enabled and "CONFIG_PV" not in arm.enabled
    argo = source.entries[39][GuestType.ARM64]
    assert not argo.available and argo.evidence is not None
    assert argo.condition == "defined(CONFIG_ARGO)"
    assert "CONFIG_ARGO is off in defconfig (arm64)" in argo.evidence.note
    assert "CONFIG_X86" in source.configurations[Architecture.X86].enabled


def test_a_config_file_is_evaluated_for_arm_too(tree: Path) -> None:
    config = tree / "argo.config"
    config.write_text("CONFIG_EXPERT=y\nCONFIG_ARGO=y\n")
    source = read_xen_source(tree, str(config))
    assert source.configurations[Architecture.ARM].name == f"{config} (arm64)"
    assert source.entries[39][GuestType.ARM64].available  # argo_op, chosen by the file
    config.write_text("CONFIG_EXPERT=y\n# CONFIG_ARGO is not set\n")
    entry = read_xen_source(tree, str(config)).entries[39][GuestType.ARM32]
    assert not entry.available and entry.evidence is not None
    assert f"CONFIG_ARGO is off in {config} (arm64)" in entry.evidence.note


def test_the_json_carries_the_arm_facts(tree: Path) -> None:
    data = json.loads(read_xen_source(tree).to_json())
    assert data["xen"]["configurations"] == {"arm": "all (arm64)", "x86": "all"}
    assert data["conventions"]["arm64"]["index"] == "X16"
    assert data["dispatch"]["arm32"]["parameters"] == ["R0", "R1", "R2", "R3", "R4"]
    trap = data["traps"]["arm64"]
    assert trap["instruction"] == "HVC 0xea1" and trap["exception_class"] == "HSR_EC_HVC64"
    assert trap["poison"]["value"] == "0xdeadbeef" and trap["poison"]["number_register"]
    console = next(h for h in data["hypercalls"] if h["name"] == "console_io")
    assert console["guests"]["arm32"]["available"] and console["guests"]["arm32"]["arguments"] == 3


def test_whitespace_only_edits_to_the_arm_files_change_nothing(tree: Path) -> None:
    before = read_xen_source(tree).to_json()
    for relative in (TRAPS, ARCH_ARM):
        path = tree / relative
        lines = path.read_text().split("\n")
        path.write_text("\n".join(line.replace("    ", "\t") + "  " for line in lines))
    assert read_xen_source(tree).to_json() == before


# --- what the source says against itself --------------------------------------


def test_the_comment_and_the_code_disagreeing_is_a_warning(tree: Path) -> None:
    edit(tree / ARCH_ARM, "passed in r12 (arm) or x16 (arm64)", "passed in r12 (arm) or x8 (arm64)")
    source = read_xen_source(tree)
    assert source.conventions["arm64"].convention.index == "X16"  # the code decides
    comment = _line(tree, ARCH_ARM, "x8 (arm64)")
    index = _line(tree, TRAPS, "&regs->x16")
    assert source.warnings == (
        f"{ARCH_ARM}:{comment}: the public header gives the arm64 number register as X8, "
        f"but {TRAPS}:{index} uses X16",
    )


def test_poisoning_other_registers_than_passed_is_a_warning(tree: Path) -> None:
    edit(tree / TRAPS, "#define HYPERCALL_ARG3(r) (r)->x2", "#define HYPERCALL_ARG3(r) (r)->x7")
    source = read_xen_source(tree)
    if source.layout == "c-tables":  # the call goes through HYPERCALL_ARGS, still x2
        assert source.conventions["arm64"].convention.parameters[2] == "X2"
        assert any("the debug build poisons X1 X7 X3 X4 (arm64)" in w for w in source.warnings)
    else:
        assert source.conventions["arm64"].convention.parameters[2] == "X7"
        assert any("gives the arm64 parameters as X0 X1 X2 X3 X4" in w for w in source.warnings)


def test_a_reworded_comment_is_not_cross_checked(tree: Path) -> None:
    path = tree / ARCH_ARM
    text = path.read_text()
    start, end = text.index("/*"), text.index("*/") + 2
    path.write_text(text[:start] + "/* Guests trap into Xen with HVC. */" + text[end:])
    source = read_xen_source(tree)
    assert source.warnings == ()
    assert source.spec().conventions["arm64"].index == "X16"


# --- forms the reader does not know: one located line, never a traceback -----------


def _error(tree: Path) -> str:
    with pytest.raises(SourceError) as raised:
        read_xen_source(tree)
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "do_trap_hypercall(regs, &regs->x16, hsr);\n",
            "do_trap_hypercall_64(regs);\n",
            r"traps\.c: no hypercall trap for Arm 64 guests \(expected 'case HSR_EC_HVC64:'",
        ),
        (
            "hsr.iss != XEN_HYPERCALL_TAG",
            "hsr.imm != XEN_HYPERCALL_TAG",
            r"traps\.c:\d+: .*immediate",
        ),
        ("case HSR_EC_HVC64:", "case HSR_EC_HYPERCALL:", r"traps\.c:\d+: .*HSR_EC_HYPERCALL"),
        ("&regs->x16, hsr", "&number, hsr", r"traps\.c:\d+: cannot tell which register holds"),
        ("&regs->x16, hsr", "&regs->pc, hsr", r"traps\.c:\d+: cannot tell which Arm 64 register"),
        ("nr = regs->r12;", "nr = regs->x16;", r"traps\.c:\d+: cannot tell which Arm 32 register"),
    ],
)
def test_an_unknown_trap_handler_is_one_located_error(
    tree: Path, old: str, new: str, expected: str
) -> None:
    edit(tree / TRAPS, old, new)
    assert re.search(expected, _error(tree))


def test_an_argument_the_reader_cannot_name_is_one_located_error(tree: Path) -> None:
    # What the call passes as its second argument (the table call takes HYPERCALL_ARGS).
    if tree.joinpath(DEFS).is_file():
        edit(tree / TRAPS, "HYPERCALL_ARG2(r) (r)->x1", "HYPERCALL_ARG2(r) arg_of(r)")
    else:
        edit(tree / TRAPS, "(r)->x0, (r)->x1, (r)->x2", "(r)->x0, arg_of(r), (r)->x2")
    message = _error(tree)
    assert re.search(r"traps\.c:\d+: cannot tell which registers the handler gets", message)


def test_an_unknown_dispatch_is_one_located_error(tree: Path) -> None:
    if tree.joinpath(DEFS).is_file():
        # Without its call of the generated macro, traps.c is in neither form.
        edit(tree / TRAPS, "call_handlers_arm(", "dispatch_arm(")
        message = _error(tree)
        assert f"{TRAPS}: dispatches hypercalls in no form the reader knows" in message
        assert "call_handlers_arm(*nr, ...)" in message and "arm_hypercall_table[]" in message
        return
    edit(tree / TRAPS, "= call(HYPERCALL_ARGS(regs))", "= invoke(HYPERCALL_ARGS(regs))")
    message = _error(tree)
    assert re.search(r"traps\.c:\d+: do_trap_hypercall calls no handler the reader knows", message)


def test_a_missing_tag_is_an_error_naming_the_header(tree: Path) -> None:
    edit(tree / ARCH_ARM, "#define XEN_HYPERCALL_TAG   0XEA1", "")
    assert re.search(r"arch-arm\.h: no '#define XEN_HYPERCALL_TAG <number>'", _error(tree))


@pytest.mark.parametrize("missing", [TRAPS, ARCH_ARM])
def test_a_missing_arm_file_is_one_error_naming_it(tree: Path, missing: str) -> None:
    (tree / missing).unlink()
    assert f"{missing}: missing" in _error(tree)


def test_halfway_a_generated_dispatch_without_hypercall_defs(tmp_path: Path) -> None:
    # An up-to-4.16 layout whose traps.c already calls the generated macro.
    tree = arm_tables_tree(tmp_path / "t")
    (tree / TRAPS).write_text(TRAPS_DEFS, encoding="utf-8")
    message = _error(tree)
    assert f"{DEFS}: missing ({TRAPS} dispatches through call_handlers_arm" in message


def test_halfway_hypercall_defs_while_arm_still_dispatches_through_its_table(
    tmp_path: Path,
) -> None:
    # July 2022: x86 had moved to hypercall-defs.c, Arm's trap handler not yet.
    tree = arm_defs_tree(tmp_path / "t")
    (tree / TRAPS).write_text(TRAPS_C_TABLES, encoding="utf-8")
    source = read_xen_source(tree)
    entry = source.entries[6][GuestType.ARM64]  # what the trap handler calls decides
    assert entry.evidence is not None and entry.evidence.file == TRAPS
    assert entry.evidence.text == "HYPERCALL_DEPRECATED(sched_op_compat, 2),"
    poisoning = source.traps[GuestType.ARM64].poisoning
    assert poisoning is not None and poisoning.after_enosys
    assert source.entries[6][GuestType.PV64].evidence.file == DEFS  # type: ignore[union-attr]


def test_a_table_entry_in_an_unknown_form_names_its_line(tmp_path: Path) -> None:
    tree = arm_tables_tree(tmp_path / "t")
    edit(
        tree / TRAPS,
        "    HYPERCALL(console_io, 3),",
        "    [ __HYPERVISOR_console_io ] = { .handler = do_console_io },",
    )
    line = _line(tree, TRAPS, ".handler = do_console_io")
    assert f"traps.c:{line}: the console_io entry has no '.fn = (...) &handler'" in _error(tree)


def test_a_table_without_an_arm_column_names_the_table_line(tmp_path: Path) -> None:
    tree = arm_defs_tree(tmp_path / "t")
    path = tree / DEFS
    text = path.read_text()
    # Drop the last column from the table: the x86 reading still works.
    table = text.index("table:")
    rows = [
        line.rsplit(None, 1)[0] if line.strip() and not line.startswith("#") else line
        for line in text[table:].split("\n")
    ]
    path.write_text(text[:table] + "\n".join(rows))
    line = _line(tree, DEFS, "table:")
    assert f"hypercall-defs.c:{line}: the table has no arm column" in _error(tree)


def test_a_tree_without_arm_reads_as_before(tmp_path: Path) -> None:
    tree = arm_defs_tree(tmp_path / "t")
    shutil.rmtree(tree / "xen/arch/arm")
    source = read_xen_source(tree)
    assert source.traps == {} and "arm64" not in source.spec().conventions


@pytest.mark.parametrize("seed", range(30))
def test_a_damaged_arm_file_reads_or_fails_in_one_line(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    tree = (arm_defs_tree if seed % 2 else arm_tables_tree)(tmp_path / "t")
    target = tree / rng.choice([TRAPS, ARCH_ARM, DEFS if seed % 2 else TRAPS])
    lines = target.read_text().split("\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
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


# --- the real trees -------------------------------------------------------------


def _arm_facts(name: str, configuration: str = "all") -> tuple[list[str], list[str]]:
    """(available to Arm, deprecated) hypercall names of a real tree."""
    source = read_xen_source(real_tree(name), configuration)
    available, deprecated = [], []
    for number, call in sorted(source.hypercalls.items()):
        arm64, arm32 = (
            source.entries[number][GuestType.ARM64],
            source.entries[number][GuestType.ARM32],
        )
        assert arm64.available == arm32.available and arm64.evidence == arm32.evidence
        if arm64.available:
            available.append(call.name)
        elif arm64.evidence is not None and arm64.evidence.note.startswith("deprecated:"):
            deprecated.append(call.name)
    return available, deprecated


ARM_CALLS_4_13 = (
    "platform_op memory_op multicall xen_version console_io grant_table_op vm_assist "
    "vcpu_op xsm_op sched_op event_channel_op physdev_op hvm_op sysctl domctl argo_op"
).split()


@pytest.mark.site  # reads a real Xen tree (the slow tier)
@pytest.mark.parametrize("name", REAL_TREES)
def test_the_arm_hypercalls_of_each_real_tree(name: str) -> None:
    available, deprecated = _arm_facts(name)
    expected = ARM_CALLS_4_13 + ([] if name == "4.13.0" else ["dm_op", "hypfs_op"])
    assert sorted(available) == sorted(expected)
    assert deprecated == ["sched_op_compat", "event_channel_op_compat", "physdev_op_compat"]
    # Kconfig's arm64 defaults leave argo and (from 4.16, with the ioreq server) dm_op out.
    by_default, _ = _arm_facts(name, "defconfig")
    assert sorted(set(available) - set(by_default)) == (
        ["argo_op"] if name == "4.13.0" else ["argo_op", "dm_op"]
    )


@pytest.mark.site  # reads a real Xen tree (the slow tier)
@pytest.mark.parametrize("name", REAL_TREES)
def test_the_model_agrees_with_the_real_source_on_arm_field_by_field(name: str) -> None:
    source = read_xen_source(real_tree(name))
    derived = source.spec()
    model = abi.revision_for(derived.release)
    assert source.warnings == ()
    for guest in ARM:
        assert derived.conventions[guest.abi] == model.conventions[guest.abi], guest
        assert derived.transfers[guest.value] == model.transfers[guest.value], guest
        poisoning, expected = source.traps[guest].poisoning, abi.poisoning_for(guest, model.release)
        assert poisoning is not None
        assert (poisoning.value, poisoning.number_register, poisoning.after_enosys) == (
            expected.value,
            expected.number_register,
            expected.after_enosys,
        )
    assert derived.hypercalls.keys() == model.hypercalls.keys()
    for number, hypercall in model.hypercalls.items():
        arm = GuestType.of(Architecture.ARM)
        assert derived.hypercalls[number].available & arm == hypercall.available & arm, (
            hypercall.name
        )
    # Each fact cites where it is read: up to 4.16 traps.c's table, later hypercall-defs.c.
    table = TRAPS if derived.release < Release(4, 17) else DEFS
    assert derived.evidence["available/17/arm64"].file == table
    assert derived.evidence["convention/arm64/index"].text == (
        "do_trap_hypercall(regs, &regs->x16, hsr);"
    )
    assert derived.evidence["transfer/arm32"].text == "#define XEN_HYPERCALL_TAG 0XEA1"


def _copy_read_files(name: str, target: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of only the files the reader reads of a real tree."""
    read: set[str] = set()
    text = XenTree.text

    def recording(self: XenTree, relative: str) -> str:
        read.add(relative)
        return text(self, relative)

    with monkeypatch.context() as patch:
        patch.setattr(XenTree, "text", recording)
        read_xen_source(real_tree(name))
    for relative in read:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_tree(name) / relative, target / relative)
    return target


def _registers_table(*rows: tuple[str, str, str, str]) -> TableRecord:
    """A docs registers table with a row per (ABI, index, parameters, result), from line 3."""

    def cell(value: object, line: int) -> Cell[object]:
        return Cell(value, Location("arm.rst", line))

    records = tuple(
        RegisterRow(
            cell(label, line),  # type: ignore[arg-type]
            cell(index, line),  # type: ignore[arg-type]
            cell(tuple(parameters.split()), line),  # type: ignore[arg-type]
            cell(result, line),  # type: ignore[arg-type]
        )
        for line, (label, index, parameters, result) in enumerate(rows, start=3)
    )
    header = tuple(cell(text, 2) for text in ("ABI", "Index", "Parameters", "Result"))
    return TableRecord(
        kind=TableKind.REGISTERS,
        docname="arm",
        guide=None,
        location=Location("arm.rst", 1),
        title="Arm registers",
        releases=None,
        header=header,  # type: ignore[arg-type]
        rows=records,
    )


@pytest.mark.site  # reads a real Xen tree (the slow tier)
def test_a_real_tree_with_x17_as_the_number_register(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _copy_read_files("head", tmp_path / "xen", monkeypatch)
    edit(
        tree / TRAPS,
        "do_trap_hypercall(regs, &regs->x16, hsr);",
        "do_trap_hypercall(regs, &regs->x17, hsr);",
    )
    source = read_xen_source(tree)
    spec = source.spec()
    line = _line(tree, TRAPS, "&regs->x17")
    assert spec.conventions["arm64"].index == "X17"
    evidence = spec.evidence["convention/arm64/index"]
    assert (evidence.file, evidence.line, evidence.text) == (
        TRAPS,
        line,
        "do_trap_hypercall(regs, &regs->x17, hsr);",
    )
    assert spec.conventions["arm32"].index == "R12"  # the AArch32 path is unchanged
    assert any(f"but {TRAPS}:{line} uses X17" in w for w in source.warnings)  # the comment says x16
    # The docs' cell that says X16 is found, citing the line.
    docs = _registers_table(
        ("arm64", "X16", "X0 X1 X2 X3 X4", "X0"), ("arm32", "R12", "R0 R1 R2 R3 R4", "R0")
    )
    findings = list(check_table(docs, spec))
    assert [(f.location.line, f.message) for f in findings] == [
        (
            3,
            f"arm64 hypercall index is X16; the Xen {source.version} source (built with every hypercall enabled) uses X17 "
            f"({TRAPS}:{line})",
        )
    ]


@pytest.mark.site  # reads a real Xen tree (the slow tier)
def test_a_real_tree_with_an_arm_cell_changed_to_a_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _copy_read_files("head", tmp_path / "xen", monkeypatch)
    defs = tree / DEFS
    text = defs.read_text()
    row = re.search(r"^(console_io\s.*\s)do$", text, re.MULTILINE)
    assert row is not None
    defs.write_text(text.replace(row.group(0), row.group(1) + "-"))
    source = read_xen_source(tree)
    spec = source.spec()
    line = _line(tree, DEFS, row.group(1) + "-")
    console = spec.hypercalls[18]
    assert console.name == "console_io"
    assert console.available == GuestType.of(Architecture.X86)  # x86 is unchanged
    for guest in ARM:
        evidence = spec.evidence[f"available/18/{guest.value}"]
        assert (evidence.file, evidence.line) == (DEFS, line)
        assert evidence.text == " ".join((row.group(1) + "-").split())
    # The docs' Arm cells that say yes are found, citing the line.
    cells = {guest: Cell(True, Location("numbers.md", 10 + i)) for i, guest in enumerate(ARM)}
    numbers = TableRecord(
        kind=TableKind.NUMBERS,
        docname="numbers",
        guide=None,
        location=Location("numbers.md", 1),
        title="Hypercall numbers",
        releases=None,
        header=(),
        rows=(
            NumberRow(
                Cell(18, Location("numbers.md", 8)),
                Cell("console_io", Location("numbers.md", 9)),
                cells,
            ),
        ),
    )
    findings = [f for f in check_table(numbers, spec) if f.location.line in (10, 11)]
    assert sorted(f.message for f in findings) == sorted(
        f"{guest.label} availability of console_io is yes; in the Xen {source.version} source "
        f"(built with every hypercall enabled) it is no (the call returns -ENOSYS) ({DEFS}:{line})"
        for guest in ARM
    )
