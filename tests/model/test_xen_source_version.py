"""The version hypercall's facts: the reader on small trees, and the model against real ones.

The small trees hold only what the version reader opens, written here in
Xen's formats: ``public/version.h`` (the ``XENVER_*`` numbers and the buffer
typedefs), ``public/xen.h`` (``xen_domain_handle_t``), ``common/kernel.c``
(``do_xen_version``'s switch) and ``arch/arm/setup.c`` (the capabilities
parts), in the form before 4.20 (``arch_get_xen_caps`` with ``snprintf``)
and after (``init_xen_cap_info`` filling ``xen_cap_info``). The real trees
are ``../shared/xen-src``; those tests skip where it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sphinx_xenabi.model import version as model
from sphinx_xenabi.model.spec import Architecture, Release
from sphinx_xenabi.model.xen_source import SourceError, read_xen_source
from sphinx_xenabi.model.xen_source.configuration import Configuration
from sphinx_xenabi.model.xen_source.tree import XenTree
from sphinx_xenabi.model.xen_source.version import VersionHypercall, read_version_hypercall
from support.xen_trees import REAL_TREES, edit, hypercall_defs_tree, real_tree

ARM64 = Configuration("all (arm64)", frozenset({"CONFIG_ARM", "CONFIG_ARM_64", "CONFIG_HVM"}))
ARM32 = Configuration("all (arm32)", frozenset({"CONFIG_ARM", "CONFIG_ARM_32", "CONFIG_HVM"}))
KERNEL = "xen/common/kernel.c"
SETUP = "xen/arch/arm/setup.c"
VERSION_H = "xen/include/public/version.h"

MAKEFILE = "export XEN_VERSION       = 4\nexport XEN_SUBVERSION    = {minor}\n"

XEN_H = """\
#define __HYPERVISOR_xen_version          17

typedef uint8_t xen_domain_handle_t[16];
"""

VERSION = """\
#ifndef __XEN_PUBLIC_VERSION_H__
#define __XEN_PUBLIC_VERSION_H__

/* arg == NULL; returns major:minor (16:16). */
#define XENVER_version      0

/* arg == xen_extraversion_t. */
#define XENVER_extraversion 1
typedef char xen_extraversion_t[16];

#define XENVER_capabilities 3
typedef char xen_capabilities_info_t[1024];

#define XENVER_changeset 4
typedef char xen_changeset_info_t[64];

#define XENVER_guest_handle 8

#define XENVER_commandline 9
typedef char xen_commandline_t[1024];

#define XENVER_build_id      10
#define XENVER_capabilities2 12

#endif
"""

KERNEL_C = """\
static xen_commandline_t __ro_after_init saved_cmdline;
char __ro_after_init xen_cap_info[128];

long do_xen_version(int cmd, XEN_GUEST_HANDLE_PARAM(void) arg)
{
    bool deny = xsm_xen_version(XSM_OTHER, cmd);

    switch ( cmd )
    {
    case XENVER_version:
        return (xen_major_version() << 16) | xen_minor_version();

    case XENVER_extraversion:
    {
        xen_extraversion_t extraversion;

        memset(extraversion, 0, sizeof(extraversion));
        safe_strcpy(extraversion, deny ? xen_deny() : xen_extra_version());
        if ( copy_to_guest(arg, extraversion, ARRAY_SIZE(extraversion)) )
            return -EFAULT;
        return 0;
    }

    case XENVER_capabilities:
    {
        xen_capabilities_info_t info;

        memset(info, 0, sizeof(info));
        if ( !deny )
            {fill};

        if ( copy_to_guest(arg, info, ARRAY_SIZE(info)) )
            return -EFAULT;
        return 0;
    }

    case XENVER_changeset:
    {
        xen_changeset_info_t chgset;

        memset(chgset, 0, sizeof(chgset));
        safe_strcpy(chgset, deny ? xen_deny() : xen_changeset());
        if ( copy_to_guest(arg, chgset, ARRAY_SIZE(chgset)) )
            return -EFAULT;
        return 0;
    }

    case XENVER_guest_handle:
    {
        xen_domain_handle_t hdl;

        if ( copy_to_guest(arg, deny ? hdl : current->domain->handle,
                           ARRAY_SIZE(hdl) ) )
            return -EFAULT;
        return 0;
    }

    case XENVER_commandline:
    {
        size_t len = ARRAY_SIZE(saved_cmdline);

        if ( copy_to_guest(arg, deny ? xen_deny() : saved_cmdline, len) )
            return -EFAULT;
        return 0;
    }

    case XENVER_build_id:
    case XENVER_capabilities2:
        if ( deny )
            return -EPERM;
        return xenver_varbuf_op(cmd, arg);
    }

    return -ENOSYS;
}
"""

SETUP_CALL = """\
void arch_get_xen_caps(xen_capabilities_info_t *info)
{
    /* Interface name is always xen-3.0-* for Xen-3.x. */
    int major = 3, minor = 0;
    char s[32];

    (*info)[0] = '\\0';

#ifdef CONFIG_ARM_64
    snprintf(s, sizeof(s), "xen-%d.%d-aarch64 ", major, minor);
    safe_strcat(*info, s);
#endif
    if ( cpu_has_aarch32 )
    {
        snprintf(s, sizeof(s), "xen-%d.%d-armv7l ", major, minor);
        safe_strcat(*info, s);
    }
}
"""

SETUP_COPY = """\
static int __init init_xen_cap_info(void)
{
#ifdef CONFIG_ARM_64
    safe_strcat(xen_cap_info, "xen-3.0-aarch64 ");
#endif
    if ( cpu_has_aarch32 )
        safe_strcat(xen_cap_info, "xen-3.0-armv7l ");

    return 0;
}
__initcall(init_xen_cap_info);
"""


def _tree(root: Path, *, copy: bool = True, minor: int = 20) -> Path:
    files = {
        "xen/Makefile": MAKEFILE.format(minor=minor),
        "xen/include/public/xen.h": XEN_H,
        VERSION_H: VERSION,
        KERNEL: KERNEL_C.replace(
            "{fill}", "safe_strcpy(info, xen_cap_info)" if copy else "arch_get_xen_caps(&info)"
        ),
        SETUP: SETUP_COPY if copy else SETUP_CALL,
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


def _read(root: Path, arm: Configuration | None = ARM64) -> VersionHypercall:
    facts = read_version_hypercall(XenTree.open(root), frozenset(), arm)
    assert facts is not None
    return facts


# --- the reader on small trees -----------------------------------------------


def test_commands_are_numbered_with_their_define_and_handled_at_their_case(
    tmp_path: Path,
) -> None:
    facts = _read(_tree(tmp_path))
    numbers = {name: c.number for name, c in facts.commands.items()}
    assert numbers == {
        "XENVER_version": 0,
        "XENVER_extraversion": 1,
        "XENVER_capabilities": 3,
        "XENVER_changeset": 4,
        "XENVER_guest_handle": 8,
        "XENVER_commandline": 9,
        "XENVER_build_id": 10,
        "XENVER_capabilities2": 12,
    }
    capabilities = facts.commands["XENVER_capabilities"]
    assert (capabilities.evidence.file, capabilities.evidence.line) == (VERSION_H, 11)
    assert capabilities.evidence.text == "#define XENVER_capabilities 3"
    assert capabilities.handled is not None
    assert capabilities.handled.text == "case XENVER_capabilities:"
    # Labels that fall through share the block after the last of them.
    assert facts.commands["XENVER_capabilities2"].handled is not None
    assert facts.command(12) is facts.commands["XENVER_capabilities2"]
    assert facts.command(2) is None


def test_each_buffer_command_copies_its_typedef_whole(tmp_path: Path) -> None:
    facts = _read(_tree(tmp_path))
    buffers = {
        name: (c.buffer.type, c.buffer.element, c.buffer.size)
        for name, c in facts.commands.items()
        if c.buffer is not None
    }
    assert buffers == {
        "XENVER_extraversion": ("xen_extraversion_t", "char", 16),
        "XENVER_capabilities": ("xen_capabilities_info_t", "char", 1024),
        "XENVER_changeset": ("xen_changeset_info_t", "char", 64),
        "XENVER_guest_handle": ("xen_domain_handle_t", "uint8_t", 16),
        "XENVER_commandline": ("xen_commandline_t", "char", 1024),
    }
    buffer = facts.commands["XENVER_capabilities"].buffer
    assert buffer is not None
    assert buffer.typedef.text == "typedef char xen_capabilities_info_t[1024];"
    assert buffer.copy.text == "if ( copy_to_guest(arg, info, ARRAY_SIZE(info)) )"
    assert buffer.copy.note == "info is xen_capabilities_info_t"
    # Through a length variable, and a file-scope declaration.
    commandline = facts.commands["XENVER_commandline"].buffer
    assert commandline is not None and commandline.copy.note == "saved_cmdline is xen_commandline_t"
    assert facts.commands["XENVER_version"].buffer is None
    assert facts.commands["XENVER_capabilities2"].buffer is None  # a xen_varbuf_t


def test_xenver_version_returns_major_and_minor_of_the_makefile(tmp_path: Path) -> None:
    facts = _read(_tree(tmp_path, minor=17))
    assert facts.version.expression == "(xen_major_version() << 16) | xen_minor_version()"
    assert (facts.version.shift, facts.version.value) == (16, 0x40011)
    assert facts.version.evidence.line == 11
    assert "XEN_SUBVERSION of xen/Makefile:2" in facts.version.evidence.note
    assert facts.unknown[0] == "-ENOSYS"
    assert facts.unknown[1].text == "return -ENOSYS;"


@pytest.mark.parametrize("copy", [True, False], ids=["xen_cap_info", "arch_get_xen_caps"])
def test_arm64_capabilities_with_and_without_aarch32(tmp_path: Path, copy: bool) -> None:
    capabilities = _read(_tree(tmp_path, copy=copy)).capabilities[Architecture.ARM]
    assert capabilities.string() == "xen-3.0-aarch64 "
    assert capabilities.string({"cpu_has_aarch32"}) == "xen-3.0-aarch64 xen-3.0-armv7l "
    aarch64, armv7l = capabilities.parts
    assert (aarch64.build_condition, aarch64.in_build, aarch64.cpu_conditions) == (
        "defined(CONFIG_ARM_64)",
        True,
        (),
    )
    assert (armv7l.build_condition, armv7l.cpu_conditions) == ("", ("cpu_has_aarch32",))
    if copy:
        assert capabilities.fill.text == "safe_strcpy(info, xen_cap_info);"
        assert capabilities.fill.note == f"xen_cap_info is char[128] ({KERNEL}:2)"
        assert aarch64.evidence.text == 'safe_strcat(xen_cap_info, "xen-3.0-aarch64 ");'
    else:
        assert capabilities.fill.text == "arch_get_xen_caps(&info);"
        assert aarch64.evidence.text == (
            'snprintf(s, sizeof(s), "xen-%d.%d-aarch64 ", major, minor);'
        )
        assert aarch64.evidence.note == f"appended at {SETUP}:11: safe_strcat(*info, s);"


def test_an_arm32_build_reports_armv7l_alone(tmp_path: Path) -> None:
    capabilities = _read(_tree(tmp_path), ARM32).capabilities[Architecture.ARM]
    assert [part.in_build for part in capabilities.parts] == [False, True]
    assert capabilities.string({"cpu_has_aarch32"}) == "xen-3.0-armv7l "


def test_a_tree_without_arm_states_no_capabilities(tmp_path: Path) -> None:
    assert dict(_read(_tree(tmp_path), None).capabilities) == {}


def test_a_sparse_tree_without_the_version_hypercall_states_none(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / VERSION_H).unlink()
    (tmp_path / KERNEL).unlink()
    assert read_version_hypercall(XenTree.open(tmp_path), frozenset(), ARM64) is None


@pytest.mark.parametrize(
    ("path", "old", "new", "message"),
    [
        (
            KERNEL,
            "(xen_major_version() << 16) | xen_minor_version()",
            "xen_version_number()",
            r"kernel\.c:10: XENVER_version returns xen_version_number\(\) \(expected",
        ),
        (KERNEL, "long do_xen_version(", "long do_version(", r"kernel\.c: no do_xen_version"),
        (KERNEL, "switch ( cmd )", "switch ( op )", r"kernel\.c:4: do_xen_version has no"),
        (
            KERNEL,
            "xen_changeset_info_t chgset;",
            "xen_changeset_t chgset;",
            r"kernel\.c:\d+: XENVER_changeset copies ARRAY_SIZE\(chgset\) of type xen_changeset_t",
        ),
        (
            KERNEL,
            "case XENVER_build_id:",
            "case XENVER_build_id:\n    case XENVER_frobnicate:",
            r"kernel\.c:\d+: do_xen_version handles XENVER_frobnicate, which",
        ),
        (
            KERNEL,
            "safe_strcpy(info, xen_cap_info)",
            "fill_caps(info)",
            r"kernel\.c:\d+: XENVER_capabilities fills info neither",
        ),
        (
            SETUP,
            '    if ( cpu_has_aarch32 )\n        safe_strcat(xen_cap_info, "xen-3.0-armv7l ");',
            '    if ( cpu_has_aarch32 )\n        safe_strcat(xen_cap_info, "x");\n'
            '    else\n        safe_strcat(xen_cap_info, "y");',
            r"setup\.c:\d+: 'else' \(unknown form\)",
        ),
        (
            SETUP,
            '"xen-3.0-armv7l "',
            "armv7l_name()",
            r"setup\.c:7: appends armv7l_name\(\), neither a literal",
        ),
        (
            SETUP,
            "if ( cpu_has_aarch32 )",
            "if ( cpu_has_aarch32 && !opt_no_32 )",
            r"setup\.c:7: the part is appended 'if \( cpu_has_aarch32 && !opt_no_32 \)'",
        ),
        (
            SETUP,
            "safe_strcat(xen_cap_info,",
            "safe_strcat(other_info,",
            r"setup\.c: no a function appending to xen_cap_info",
        ),
        (VERSION_H, "#define XENVER_", "#define XEN_VER_", r"version\.h: no '#define XENVER_"),
    ],
    ids=[
        "version-expression",
        "no-handler",
        "no-switch",
        "unknown-buffer-type",
        "stray-case",
        "unknown-fill",
        "else",
        "non-literal-part",
        "compound-cpu-test",
        "no-writer",
        "no-commands",
    ],
)
def test_unknown_forms_are_located_source_errors(
    tmp_path: Path, path: str, old: str, new: str, message: str
) -> None:
    _tree(tmp_path)
    edit(tmp_path / path, old, new)
    with pytest.raises(SourceError, match=message) as raised:
        _read(tmp_path)
    assert str(tmp_path) in str(raised.value)


def test_kernel_c_without_version_h_names_the_missing_file(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / VERSION_H).unlink()
    with pytest.raises(SourceError, match=r"version\.h: missing"):
        _read(tmp_path)


def test_read_xen_source_carries_the_facts_and_the_json_key(tmp_path: Path) -> None:
    root = hypercall_defs_tree(tmp_path)
    assert read_xen_source(root).to_data()["version_hypercall"] is None  # sparse: no files
    xen_h = root / "xen/include/public/xen.h"
    xen_h.write_text(xen_h.read_text() + "typedef uint8_t xen_domain_handle_t[16];\n")
    for relative, text in (
        (VERSION_H, VERSION),
        (KERNEL, KERNEL_C.replace("{fill}", "arch_get_xen_caps(&info)")),
    ):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    source = read_xen_source(root)
    assert source.version_hypercall is not None
    data = json.loads(source.to_json())["version_hypercall"]
    assert data["version"]["value"] == "0x00040013"  # the fixture's Makefile says 4.19
    assert data["commands"]["XENVER_capabilities"]["buffer"]["size"] == 1024
    assert data["capabilities"] == {}  # x86 alone: its capabilities are not read
    assert data["unknown_command"]["result"] == "-ENOSYS"


# --- the model ---------------------------------------------------------------


def test_model_commands_by_release() -> None:
    assert sorted(model.commands_for(Release(4, 13))) == list(range(11))
    assert sorted(model.commands_for(Release(4, 19))) == list(range(11))
    assert sorted(model.commands_for(Release(4, 20))) == list(range(15))
    with pytest.raises(ValueError, match="4.13 and later"):
        model.commands_for(Release(4, 12))


def test_model_capabilities_and_buffer_bytes() -> None:
    assert model.arm64_capabilities(aarch32=False) == "xen-3.0-aarch64 "
    assert model.arm64_capabilities(aarch32=True) == "xen-3.0-aarch64 xen-3.0-armv7l "
    buffer = model.commands_for(Release(4, 22))[model.XENVER_capabilities].buffer
    assert buffer is not None
    filled = model.buffer_bytes("xen-3.0-aarch64 ", buffer)
    assert filled == b"xen-3.0-aarch64 " + bytes(1008)
    # safe_strcpy keeps room for the NUL: a string as long as the buffer is cut.
    assert model.buffer_bytes("x" * 20, model.Buffer("t", "char", 16)) == b"x" * 15 + b"\0"


# --- the model against the real trees -----------------------------------------


@pytest.mark.site
@pytest.mark.parametrize("name", REAL_TREES)
def test_the_model_agrees_with_the_real_source_version_facts(name: str) -> None:
    source = read_xen_source(real_tree(name))
    facts = source.version_hypercall
    assert facts is not None
    expected = model.commands_for(source.release)
    read = {command.number: command for command in facts.commands.values()}
    assert sorted(read) == sorted(expected)
    for number, command in expected.items():
        got = read[number]
        assert got.name == command.name, number
        assert got.handled is not None, command.name  # kernel.c has a case for it
        buffer = (
            None if got.buffer is None else (got.buffer.type, got.buffer.element, got.buffer.size)
        )
        want = (
            None
            if command.buffer is None
            else (
                command.buffer.type,
                command.buffer.element,
                command.buffer.size,
            )
        )
        assert buffer == want, command.name
    assert facts.version.value == source.release.xen_version
    assert facts.version.shift == 16
    assert facts.unknown[0] == "-ENOSYS"
    arm = facts.capabilities[Architecture.ARM]
    assert arm.string() == model.arm64_capabilities(aarch32=False)
    assert arm.string({"cpu_has_aarch32"}) == model.arm64_capabilities(aarch32=True)


@pytest.mark.site
def test_the_real_head_tree_evidence_lines() -> None:
    facts = read_xen_source(real_tree("head")).version_hypercall
    assert facts is not None
    capabilities = facts.commands["XENVER_capabilities"]
    assert (capabilities.evidence.line, capabilities.evidence.text) == (
        50,
        "#define XENVER_capabilities 3",
    )
    assert capabilities.buffer is not None
    assert (capabilities.buffer.typedef.line, capabilities.buffer.copy.line) == (51, 608)
    assert (facts.version.evidence.file, facts.version.evidence.line) == (KERNEL, 573)
    parts = facts.capabilities[Architecture.ARM].parts
    assert [(p.evidence.file, p.evidence.line) for p in parts] == [(SETUP, 520), (SETUP, 523)]
