"""Small Xen source trees in Xen's own formats, written for the reader's unit tests.

Two layouts, as Xen has had them: ``hypercall_defs_tree`` (4.17 and later:
``xen/include/hypercall-defs.c``, ``arch/x86/include/asm/``) and
``c_tables_tree`` (up to 4.16: dispatch arrays in C, ``include/asm-x86/``).
Each holds a handful of hypercalls, so a test can mutate one line and know
what must change. Xen changed its forms one file at a time, and the mixes
are here too: ``july_2022_tree`` (``hypercall-defs.c`` beside x86's C
arrays), ``mixed_dispatch_tree`` (PV generated, HVM through its array) and
``spring_2019_tree`` (the stub writers' earlier form). The real trees are in
``../shared/xen-src`` (see ``REAL_TREES``) and the history in
``../shared/xen-history.bundle`` (``history_clone``); tests that use them
skip where they are absent.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from support.paths import REPO

# Resolved: where ../shared is a link, the tools report the paths they read.
XEN_SRC = (REPO.parent / "shared" / "xen-src").resolve()
REAL_TREES = ("4.13.0", "4.16.0", "4.17.0", "4.18.0", "head")
# Xen's history since March 2019, one commit per Xen commit that touched a file
# the check reads, each with a "Xen-Commit: <upstream sha>" trailer.
XEN_HISTORY = (REPO.parent / "shared" / "xen-history.bundle").resolve()


def real_tree(name: str) -> Path:
    """A real Xen tree of ../shared/xen-src, or skip the test saying why."""
    path = XEN_SRC / name
    if not (path / "xen" / "include" / "public" / "xen.h").is_file():
        pytest.skip(
            f"the real Xen tree {path} is absent (../shared/xen-src is not beside the clone)"
        )
    return path


def real_docs(name: str) -> Path:
    """The docs of a real Xen tree (with its conf.py), or skip the test saying why."""
    path = XEN_SRC / name / "docs"
    if not (path / "conf.py").is_file():
        pytest.skip(
            f"the real Xen docs {path} are absent (../shared/xen-src is not beside the clone)"
        )
    return path


def history_clone(target: Path) -> Path:
    """A clone of ../shared/xen-history.bundle at ``target``, or skip saying why."""
    if not XEN_HISTORY.is_file():
        pytest.skip(f"the Xen history {XEN_HISTORY} is absent (../shared is not beside the clone)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed (needed to read the Xen history bundle)")
    subprocess.run(
        ["git", "clone", "--quiet", "--no-checkout", str(XEN_HISTORY), str(target)], check=True
    )
    return target


def history_commit(clone: Path, upstream: str) -> str:
    """The clone's commit of the Xen commit whose sha starts with ``upstream``."""
    found = git_in(clone, "log", "--format=%H", f"--grep=^Xen-Commit: {upstream}").split()
    assert len(found) == 1, f"Xen-Commit: {upstream}* names {len(found)} commits of {clone}"
    return found[0]


def history_checkout(clone: Path, commit: str, target: Path) -> Path:
    """The files of ``commit`` written to ``target`` (a fresh directory)."""
    target.mkdir(parents=True)
    git_in(clone, f"--work-tree={target}", "checkout", commit, "--", ".")
    return target


def git_in(clone: Path, *arguments: str) -> str:
    """The output of ``git ARGUMENTS`` run in ``clone``."""
    done = subprocess.run(
        ["git", "-C", str(clone), *arguments], check=True, capture_output=True, text=True
    )
    return done.stdout


def copy_real_tree(name: str, target: Path) -> Path:
    """A writable copy of a real tree, for mutation tests."""
    shutil.copytree(real_tree(name), target)
    return target


MAKEFILE = """\
# Makefile excerpt
export XEN_VERSION       = 4
export XEN_SUBVERSION    = {minor}
export XEN_EXTRAVERSION ?= .0$(XEN_VENDORVERSION)
"""

XEN_H = """\
#ifndef __XEN_PUBLIC_XEN_H__
#define __XEN_PUBLIC_XEN_H__

#define __HYPERVISOR_set_trap_table        0
#define __HYPERVISOR_xen_version          17
#define __HYPERVISOR_iret                 23
#define __HYPERVISOR_xenoprof_op          31
#define __HYPERVISOR_hvm_op               34
#define __HYPERVISOR_arch_0               48
#define __HYPERVISOR_arch_1               49
#define __HYPERVISOR_arch_2               50

/* Compatibility for guests of the 3.0.0 interface: not Xen's own view. */
#if __XEN_INTERFACE_VERSION__ < 0x00030101
#define __HYPERVISOR_sched_op_new 29
#endif

#endif
"""

XEN_MCA_H = """\
#define __HYPERVISOR_mca __HYPERVISOR_arch_0
"""

CLOBBER = """\
static inline void clobber_regs64(struct cpu_user_regs *regs, unsigned int nargs)
{
#ifndef NDEBUG
    switch ( nargs )
    {
    case 5: regs->r8  = 0xdeadbeefdeadf00dUL; fallthrough;
    case 4: regs->r10 = 0xdeadbeefdeadf00dUL; fallthrough;
    case 3: regs->rdx = 0xdeadbeefdeadf00dUL; fallthrough;
    case 2: regs->rsi = 0xdeadbeefdeadf00dUL; fallthrough;
    case 1: regs->rdi = 0xdeadbeefdeadf00dUL;
    }
#endif
}

static inline void clobber_regs32(struct cpu_user_regs *regs, unsigned int nargs)
{
#ifndef NDEBUG
    switch ( nargs )
    {
    case 5: regs->edi = 0xdeadf00dU; fallthrough;
    case 4: regs->esi = 0xdeadf00dU; fallthrough;
    case 3: regs->edx = 0xdeadf00dU; fallthrough;
    case 2: regs->ecx = 0xdeadf00dU; fallthrough;
    case 1: regs->ebx = 0xdeadf00dU;
    }
#endif
}
"""

ASM_HYPERCALL_H = (
    """\
#ifndef __ASM_X86_HYPERCALL_H__
#define __ASM_X86_HYPERCALL_H__
#include <public/arch-x86/xen-mca.h>

#define __HYPERVISOR_paging_domctl_cont __HYPERVISOR_arch_1

"""
    + CLOBBER
    + "#endif\n"
)

HYPERCALL_DEFS = """\
/* Hypercall interface description, in the format gen_hypercall.awk reads. */
#ifdef CONFIG_HVM
#define PREFIX_hvm hvm
#else
#define PREFIX_hvm
#endif

prefix: do PREFIX_hvm
hvm_op(unsigned long op, void *arg)

prefix: compat
xen_version(int cmd, void *arg)
set_trap_table(trap_info_compat_t *traps)

prefix: do
xen_version(int cmd, void *arg)
iret()
set_trap_table(const_trap_info_t *traps)
mca(xen_mc_t *u_xen_mc)
paging_domctl_cont(xen_domctl_t *u_domctl)
#ifdef CONFIG_XENOPROF
xenoprof_op(int op, void *arg)
#endif

#ifdef CONFIG_PV
caller: pv64
#ifdef CONFIG_PV32
caller: pv32
#endif
#endif
#ifdef CONFIG_HVM
caller: hvm64
caller: hvm32
#endif

table:                             pv32     pv64     hvm32    hvm64    arm
set_trap_table                     compat   do       -        -        -
xen_version                        compat   do       do       do       do
iret                               do:1     do:1     -        -        -
#ifdef CONFIG_XENOPROF
xenoprof_op                        do       do       -        -        -
#endif
hvm_op                             do       do       hvm      hvm      do
mca                                do       do       -        -        -
paging_domctl_cont                 do       do       do       do       -
"""

GEN_HYPERCALL_AWK = """\
# excerpt
    n_args[n] = split(args, a, ",");
    if (n_args[n] > 5)
        printf("Too many arguments in %s\\n", $0);
"""

PV_STUBS = """\
void pv_ring3_init_hypercall_page(void *p)
{
    unsigned int i;

    for ( i = 0; i < (PAGE_SIZE / 32); i++, p += 32 )
    {
        if ( unlikely(i == __HYPERVISOR_iret) )
        {
            *(u8  *)(p+ 0) = 0x51;    /* push %rcx */
            *(u16 *)(p+ 1) = 0x5341;  /* push %r11 */
            *(u8  *)(p+ 3) = 0x50;    /* push %rax */
            *(u8  *)(p+ 4) = 0xb8;    /* mov  $__HYPERVISOR_iret, %eax */
            *(u32 *)(p+ 5) = __HYPERVISOR_iret;
            *(u16 *)(p+ 9) = 0x050f;  /* syscall */

            continue;
        }

        *(u8  *)(p+ 0) = 0x51;    /* push %rcx */
        *(u16 *)(p+ 1) = 0x5341;  /* push %r11 */
        *(u8  *)(p+ 3) = 0xb8;    /* mov  $<i>,%eax */
        *(u32 *)(p+ 4) = i;
        *(u16 *)(p+ 8) = 0x050f;  /* syscall */
        *(u16 *)(p+10) = 0x5b41;  /* pop  %r11 */
        *(u8  *)(p+12) = 0x59;    /* pop  %rcx */
        *(u8  *)(p+13) = 0xc3;    /* ret */
    }
}

void pv_ring1_init_hypercall_page(void *p)
{
    unsigned int i;

    for ( i = 0; i < (PAGE_SIZE / 32); i++, p += 32 )
    {
        if ( unlikely(i == __HYPERVISOR_iret) )
        {
            *(u8  *)(p+ 0) = 0x50;    /* push %eax */
            *(u8  *)(p+ 1) = 0xb8;    /* mov  $__HYPERVISOR_iret, %eax */
            *(u32 *)(p+ 2) = __HYPERVISOR_iret;
            *(u16 *)(p+ 6) = (HYPERCALL_VECTOR << 8) | 0xcd; /* int  $xx */

            continue;
        }

        *(u8  *)(p+ 0) = 0xb8;    /* mov  $<i>,%eax */
        *(u32 *)(p+ 1) = i;
        *(u16 *)(p+ 5) = (HYPERCALL_VECTOR << 8) | 0xcd; /* int  $xx */
        *(u8  *)(p+ 7) = 0xc3;    /* ret */
    }
}
"""

PV_HYPERCALL_C = (
    """\
#include <xen/hypercall.h>

static void always_inline _pv_hypercall(struct cpu_user_regs *regs, bool compat)
{
    unsigned long eax;

    if ( !compat )
    {
        unsigned long rdi = regs->rdi;
        unsigned long rsi = regs->rsi;
        unsigned long rdx = regs->rdx;
        unsigned long r10 = regs->r10;
        unsigned long r8 = regs->r8;

        eax = regs->rax;
        call_handlers_pv64(eax, regs->rax, rdi, rsi, rdx, r10, r8);
    }
#ifdef CONFIG_PV32
    else
    {
        unsigned int ebx = regs->ebx;
        unsigned int ecx = regs->ecx;
        unsigned int edx = regs->edx;
        unsigned int esi = regs->esi;
        unsigned int edi = regs->edi;

        eax = regs->eax;
        call_handlers_pv32(eax, regs->eax, ebx, ecx, edx, esi, edi);
    }
#endif

    /* PV guests use SYSCALL or INT $0x82 to make a hypercall. */
}

"""
    + PV_STUBS
)

HVM_HYPERCALL_C = """\
int hvm_hypercall(struct cpu_user_regs *regs)
{
    if ( mode == 8 )
    {
        call_handlers_hvm64(eax, regs->rax, regs->rdi, regs->rsi, regs->rdx,
                            regs->r10, regs->r8);
    }
    else
    {
        call_handlers_hvm32(eax, regs->eax, regs->ebx, regs->ecx, regs->edx,
                            regs->esi, regs->edi);
    }
}
"""

HVM_STUB = """\
static void cf_check {vendor}_init_hypercall_page(void *p)
{{
    unsigned int i;

    for ( i = 0; i < (PAGE_SIZE / 32); i++, p += 32 )
    {{
        if ( unlikely(i == __HYPERVISOR_iret) )
        {{
            /* HYPERVISOR_iret isn't supported */
            *(u16 *)p = 0x0b0f; /* ud2 */

            continue;
        }}

        *(u8  *)(p + 0) = 0xb8; /* mov imm32, %eax */
        *(u32 *)(p + 1) = i;
        *(u8  *)(p + 5) = 0x0f; /* {mnemonic} */
        *(u8  *)(p + 6) = 0x01;
        *(u8  *)(p + 7) = {modrm};
        *(u8  *)(p + 8) = 0xc3; /* ret */
    }}
}}
"""

# x86's own Kconfig symbols; the Arm fixtures source them as arch/x86/Kconfig.
KCONFIG_X86 = """\
config X86
	def_bool y

config HVM
	def_bool y

config PV
	bool "PV guests"
	default y

config PV32
	bool "32-bit PV guests"
	depends on PV

config XENOPROF
	bool "Xen oprofile"
	default y
"""


KCONFIG = 'mainmenu "Xen/$(SRCARCH) Configuration"\n\n' + KCONFIG_X86

IRQ_VECTORS_H = "#define HYPERCALL_VECTOR        0x82\n"


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _common(minor: int) -> dict[str, str]:
    return {
        "xen/Makefile": MAKEFILE.format(minor=minor),
        "xen/Kconfig": KCONFIG,
        "xen/arch/x86/configs/x86_64_defconfig": "",
        "xen/include/public/xen.h": XEN_H,
        "xen/include/public/arch-x86/xen-mca.h": XEN_MCA_H,
        "xen/arch/x86/hvm/vmx/vmx.c": HVM_STUB.format(
            vendor="vmx", mnemonic="vmcall", modrm="0xc1"
        ),
        "xen/arch/x86/hvm/svm/svm.c": HVM_STUB.format(
            vendor="svm", mnemonic="vmmcall", modrm="0xd9"
        ),
    }


def hypercall_defs_tree(root: Path) -> Path:
    """A 4.19-like tree: hypercall-defs.c, asm headers under arch/x86/include."""
    return _write(
        root,
        {
            **_common(19),
            "xen/include/hypercall-defs.c": HYPERCALL_DEFS,
            "xen/scripts/gen_hypercall.awk": GEN_HYPERCALL_AWK,
            "xen/arch/x86/include/asm/hypercall.h": ASM_HYPERCALL_H,
            "xen/arch/x86/include/asm/irq-vectors.h": IRQ_VECTORS_H,
            "xen/arch/x86/pv/hypercall.c": PV_HYPERCALL_C,
            "xen/arch/x86/hvm/hypercall.c": HVM_HYPERCALL_C,
        },
    )


C_TABLES_PV = (
    """\
#define HYPERCALL(x)                                                \\
    [ __HYPERVISOR_ ## x ] = { (hypercall_fn_t *) do_ ## x,         \\
                               (hypercall_fn_t *) do_ ## x }
#define COMPAT_CALL(x)                                              \\
    [ __HYPERVISOR_ ## x ] = { (hypercall_fn_t *) do_ ## x,         \\
                               (hypercall_fn_t *) compat_ ## x }

#define do_arch_1             paging_domctl_continuation

const hypercall_table_t pv_hypercall_table[] = {
    COMPAT_CALL(set_trap_table),
    COMPAT_CALL(xen_version),
    COMPAT_CALL(iret),
#ifdef CONFIG_XENOPROF
    COMPAT_CALL(xenoprof_op),
#endif
    HYPERCALL(hvm_op),
    HYPERCALL(mca),
    HYPERCALL(arch_1),
};

#undef do_arch_1

void pv_hypercall(struct cpu_user_regs *regs)
{
    if ( !is_pv_32bit_vcpu(curr) )
    {
        unsigned long rdi = regs->rdi;
        unsigned long rsi = regs->rsi;
        unsigned long rdx = regs->rdx;
        unsigned long r10 = regs->r10;
        unsigned long r8 = regs->r8;
        unsigned long r9 = regs->r9;

        regs->rax = pv_hypercall_table[eax].native(rdi, rsi, rdx, r10, r8, r9);

#ifndef NDEBUG
        switch ( hypercall_args_table[eax].native )
        {
        case 6: regs->r9  = 0xdeadbeefdeadf00dUL;
        case 5: regs->r8  = 0xdeadbeefdeadf00dUL;
        case 4: regs->r10 = 0xdeadbeefdeadf00dUL;
        case 3: regs->rdx = 0xdeadbeefdeadf00dUL;
        case 2: regs->rsi = 0xdeadbeefdeadf00dUL;
        case 1: regs->rdi = 0xdeadbeefdeadf00dUL;
        }
#endif
    }
    else
    {
        unsigned int ebx = regs->ebx;
        unsigned int ecx = regs->ecx;
        unsigned int edx = regs->edx;
        unsigned int esi = regs->esi;
        unsigned int edi = regs->edi;
        unsigned int ebp = regs->ebp;

        regs->eax = pv_hypercall_table[eax].compat(ebx, ecx, edx, esi, edi, ebp);

#ifndef NDEBUG
        switch ( hypercall_args_table[eax].compat )
        {
        case 6: regs->ebp = 0xdeadf00d;
        case 5: regs->edi = 0xdeadf00d;
        case 4: regs->esi = 0xdeadf00d;
        case 3: regs->edx = 0xdeadf00d;
        case 2: regs->ecx = 0xdeadf00d;
        case 1: regs->ebx = 0xdeadf00d;
        }
#endif
    }
    /* PV guests use SYSCALL or INT $0x82 to make a hypercall. */
}

"""
    + PV_STUBS
)

C_TABLES_HVM = """\
#define HYPERCALL(x)                                         \\
    [ __HYPERVISOR_ ## x ] = { (hypercall_fn_t *) do_ ## x,  \\
                               (hypercall_fn_t *) do_ ## x }
#define COMPAT_CALL(x)                                       \\
    [ __HYPERVISOR_ ## x ] = { (hypercall_fn_t *) do_ ## x,  \\
                               (hypercall_fn_t *) compat_ ## x }
#define do_arch_1             paging_domctl_continuation

static const hypercall_table_t hvm_hypercall_table[] = {
    COMPAT_CALL(xen_version),
    HYPERCALL(hvm_op),
    HYPERCALL(arch_1)
};

int hvm_hypercall(struct cpu_user_regs *regs)
{
    if ( mode == 8 )
    {
        unsigned long rdi = regs->rdi;
        unsigned long rsi = regs->rsi;
        unsigned long rdx = regs->rdx;
        unsigned long r10 = regs->r10;
        unsigned long r8 = regs->r8;
        unsigned long r9 = regs->r9;

        regs->rax = hvm_hypercall_table[eax].native(rdi, rsi, rdx, r10, r8,
                                                    r9);
    }
    else
    {
        unsigned int ebx = regs->ebx;
        unsigned int ecx = regs->ecx;
        unsigned int edx = regs->edx;
        unsigned int esi = regs->esi;
        unsigned int edi = regs->edi;
        unsigned int ebp = regs->ebp;

        regs->rax = hvm_hypercall_table[eax].compat(ebx, ecx, edx, esi, edi,
                                                    ebp);
    }
}
"""

C_TABLES_ARGS = """\
#ifdef CONFIG_COMPAT
#define ARGS(x, n)                              \\
    [ __HYPERVISOR_ ## x ] = { n, n }
#define COMP(x, n, c)                           \\
    [ __HYPERVISOR_ ## x ] = { n, c }
#else
#define ARGS(x, n)    [ __HYPERVISOR_ ## x ] = { n }
#define COMP(x, n, c) ARGS(x, n)
#endif

const hypercall_args_t hypercall_args_table[NR_hypercalls] =
{
    ARGS(set_trap_table, 1),
    ARGS(xen_version, 2),
    ARGS(xenoprof_op, 2),
    ARGS(hvm_op, 2),
    ARGS(mca, 1),
    ARGS(arch_1, 1),
};
"""


def c_tables_tree(root: Path) -> Path:
    """A 4.13-like tree: C dispatch tables, asm headers under include/asm-x86."""
    return _write(
        root,
        {
            **_common(13),
            "xen/include/asm-x86/hypercall.h": "#ifndef __ASM_X86_HYPERCALL_H__\n#endif\n",
            "xen/arch/x86/hypercall.c": C_TABLES_ARGS,
            "xen/arch/x86/pv/hypercall.c": C_TABLES_PV,
            "xen/arch/x86/hvm/hypercall.c": C_TABLES_HVM,
        },
    )


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new`` in a tree's file."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- halfway and earlier forms -------------------------------------------------
#
# Xen changed its forms one file at a time; the reader reads each file in its
# own. These trees hold the mixes real history had (and one it might have).

# The stub writers before spring 2019: other PV names, and iret's stub written
# after a loop that skips it.
PV_STUBS_2019 = """\
void hypercall_page_initialise_ring3_kernel(void *hypercall_page)
{
    void *p = hypercall_page;
    unsigned int i;

    /* Every transfer point but iret's. */
    for ( i = 0; i < (PAGE_SIZE / 32); i++, p += 32 )
    {
        if ( i == __HYPERVISOR_iret )
            continue;

        *(u8  *)(p+ 0) = 0x51;    /* push %rcx */
        *(u16 *)(p+ 1) = 0x5341;  /* push %r11 */
        *(u8  *)(p+ 3) = 0xb8;    /* mov  $<i>,%eax */
        *(u32 *)(p+ 4) = i;
        *(u16 *)(p+ 8) = 0x050f;  /* syscall */
        *(u16 *)(p+10) = 0x5b41;  /* pop  %r11 */
        *(u8  *)(p+12) = 0x59;    /* pop  %rcx */
        *(u8  *)(p+13) = 0xc3;    /* ret */
    }

    /* iret does not return: guests jump to it. */
    p = hypercall_page + (__HYPERVISOR_iret * 32);
    *(u8  *)(p+ 0) = 0x51;    /* push %rcx */
    *(u16 *)(p+ 1) = 0x5341;  /* push %r11 */
    *(u8  *)(p+ 3) = 0x50;    /* push %rax */
    *(u8  *)(p+ 4) = 0xb8;    /* mov  $__HYPERVISOR_iret,%eax */
    *(u32 *)(p+ 5) = __HYPERVISOR_iret;
    *(u16 *)(p+ 9) = 0x050f;  /* syscall */
}

void hypercall_page_initialise_ring1_kernel(void *hypercall_page)
{
    void *p = hypercall_page;
    unsigned int i;

    for ( i = 0; i < (PAGE_SIZE / 32); i++, p += 32 )
    {
        if ( i == __HYPERVISOR_iret )
            continue;

        *(u8  *)(p+ 0) = 0xb8;    /* mov  $<i>,%eax */
        *(u32 *)(p+ 1) = i;
        *(u16 *)(p+ 5) = (HYPERCALL_VECTOR << 8) | 0xcd; /* int  $xx */
        *(u8  *)(p+ 7) = 0xc3;    /* ret */
    }

    p = hypercall_page + (__HYPERVISOR_iret * 32);
    *(u8  *)(p+ 0) = 0x50;    /* push %eax */
    *(u8  *)(p+ 1) = 0xb8;    /* mov  $__HYPERVISOR_iret,%eax */
    *(u32 *)(p+ 2) = __HYPERVISOR_iret;
    *(u16 *)(p+ 6) = (HYPERCALL_VECTOR << 8) | 0xcd; /* int  $xx */
}
"""

HVM_STUB_2019 = """\
static void {vendor}_init_hypercall_page(struct domain *d, void *hypercall_page)
{{
    char *p;
    int i;

    for ( i = 0; i < (PAGE_SIZE / 32); i++ )
    {{
        if ( i == __HYPERVISOR_iret )
            continue;

        p = (char *)(hypercall_page + (i * 32));
        *(u8  *)(p + 0) = 0xb8; /* mov imm32, %eax */
        *(u32 *)(p + 1) = i;
        *(u8  *)(p + 5) = 0x0f; /* {mnemonic} */
        *(u8  *)(p + 6) = 0x01;
        *(u8  *)(p + 7) = {modrm};
        *(u8  *)(p + 8) = 0xc3; /* ret */
    }}

    /* No iret for HVM guests. */
    *(u16 *)(hypercall_page + (__HYPERVISOR_iret * 32)) = 0x0b0f; /* ud2 */
}}
"""


def spring_2019_tree(root: Path) -> Path:
    """A c_tables_tree whose stub writers are in their form before spring 2019."""
    c_tables_tree(root)
    pv = root / "xen/arch/x86/pv/hypercall.c"
    pv.write_text(C_TABLES_PV.replace(PV_STUBS, PV_STUBS_2019), encoding="utf-8")
    for vendor, mnemonic, modrm in (("vmx", "vmcall", "0xc1"), ("svm", "vmmcall", "0xd9")):
        (root / f"xen/arch/x86/hvm/{vendor}/{vendor}.c").write_text(
            HVM_STUB_2019.format(vendor=vendor, mnemonic=mnemonic, modrm=modrm), encoding="utf-8"
        )
    return root


def five_parameters(c_tables_source: str) -> str:
    """A C-table dispatch file as it was from December 2021: five parameters, not six."""
    text = c_tables_source
    for old, new in (
        ("        unsigned long r9 = regs->r9;\n", ""),
        ("        unsigned int ebp = regs->ebp;\n", ""),
        ("r10, r8, r9);", "r10, r8);"),
        ("r10, r8,\n                                                    r9);", "r10, r8);"),
        ("esi, edi, ebp);", "esi, edi);"),
        ("esi, edi,\n                                                    ebp);", "esi, edi);"),
        ("        case 6: regs->r9  = 0xdeadbeefdeadf00dUL;\n", ""),
        ("        case 6: regs->ebp = 0xdeadf00d;\n", ""),
    ):
        text = text.replace(old, new)
    assert "r9" not in text and "ebp" not in text
    return text


def july_2022_tree(root: Path) -> Path:
    """Xen in July 2022, between "generate hypercall interface related code" and
    "call hypercall handlers via generated macro": ``hypercall-defs.c`` and its
    generator are there, the asm headers have moved under ``arch/x86/include``,
    but x86 still dispatches (five parameters) through its C arrays."""
    return _write(
        root,
        {
            **_common(17),
            "xen/include/hypercall-defs.c": HYPERCALL_DEFS,
            "xen/scripts/gen_hypercall.awk": GEN_HYPERCALL_AWK,
            "xen/arch/x86/include/asm/hypercall.h": (
                "#ifndef __ASM_X86_HYPERCALL_H__\n"
                "#define __HYPERVISOR_paging_domctl_cont __HYPERVISOR_arch_1\n#endif\n"
            ),
            "xen/arch/x86/hypercall.c": C_TABLES_ARGS,
            "xen/arch/x86/pv/hypercall.c": five_parameters(C_TABLES_PV),
            "xen/arch/x86/hvm/hypercall.c": five_parameters(C_TABLES_HVM),
        },
    )


def mixed_dispatch_tree(root: Path) -> Path:
    """A hypercall_defs_tree whose HVM dispatch still uses its C array (PV generated)."""
    hypercall_defs_tree(root)
    return _write(
        root,
        {
            "xen/arch/x86/hypercall.c": C_TABLES_ARGS,
            "xen/arch/x86/hvm/hypercall.c": five_parameters(C_TABLES_HVM),
        },
    )
