"""Which of Xen's two forms each dispatch file is written in, read from that file.

Xen describes who may call which hypercall in one of two forms:

``hypercall-defs`` (4.17 and later)
    The dispatch calls a macro generated from ``xen/include/hypercall-defs.c``
    (``call_handlers_pv64(eax, regs->rax, rdi, ...)``, ``call_handlers_arm``),
    so that file's ``table:`` and prototypes decide.
``c-tables`` (up to 4.16)
    The dispatch indexes a C array defined beside it
    (``regs->rax = pv_hypercall_table[eax].native(rdi, ...)``,
    ``arm_hypercall_table[]``), with x86's argument counts in
    ``hypercall_args_table``.

Xen moved one file at a time: in July 2022 ``hypercall-defs.c`` existed for
two commits while x86 still dispatched through its C arrays, and for one
more while Arm did. So the form is never inferred from another file's
presence: each dispatch file is asked which form it is in, and the facts it
decides are read from what it names.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

from sphinx_xenabi.model.xen_source.c_syntax import code_only
from sphinx_xenabi.model.xen_source.paths import (
    ARM_TRAPS_C,
    HVM_HYPERCALL_C,
    HYPERCALL_DEFS,
    PV_HYPERCALL_C,
)
from sphinx_xenabi.model.xen_source.tree import SourceError, XenTree


class Form(StrEnum):
    """How a dispatch file finds its handlers (the JSON's ``layout``)."""

    C_TABLES = "c-tables"  # a C array beside the dispatch (up to 4.16)
    HYPERCALL_DEFS = "hypercall-defs"  # macros generated from hypercall-defs.c (4.17 on)


class _Forms(NamedTuple):
    """How one dispatch file looks in each form."""

    macro: str  # the generated macro, as an error names it
    generated: re.Pattern[str]  # its call
    table: re.Pattern[str]  # the C array, used or defined
    known: str  # both forms, as an error states them


_DISPATCH: dict[str, _Forms] = {
    PV_HYPERCALL_C: _Forms(
        "call_handlers_*",
        re.compile(r"\bcall_handlers_pv(?:64|32)\s*\("),
        re.compile(r"\bpv_hypercall_table\s*\[[^\]]*\]\s*\.\s*(?:native|compat)\s*\("),
        "call_handlers_pv64(eax, regs->rax, ...) generated from hypercall-defs.c, or "
        "regs->rax = pv_hypercall_table[eax].native(...) over a C array",
    ),
    HVM_HYPERCALL_C: _Forms(
        "call_handlers_*",
        re.compile(r"\bcall_handlers_hvm(?:64|32)\s*\("),
        re.compile(r"\bhvm_hypercall_table\s*\[[^\]]*\]\s*\.\s*(?:native|compat)\s*\("),
        "call_handlers_hvm64(eax, regs->rax, ...) generated from hypercall-defs.c, or "
        "regs->rax = hvm_hypercall_table[eax].native(...) over a C array",
    ),
    ARM_TRAPS_C: _Forms(
        "call_handlers_arm",
        re.compile(r"\bcall_handlers_arm\s*\("),
        re.compile(r"\barm_hypercall_table\s*\[\s*\]\s*=\s*\{"),
        "call_handlers_arm(*nr, ...) generated from hypercall-defs.c, or "
        "an arm_hypercall_table[] = { HYPERCALL(name, n), ... } array",
    ),
}
X86_DISPATCH_FILES = (PV_HYPERCALL_C, HVM_HYPERCALL_C)


def dispatch_form(tree: XenTree, relative: str) -> Form:
    """The form ``relative`` (a dispatch file) is written in, from its own code.

    A generated dispatch needs ``hypercall-defs.c``: its absence is an error
    here, naming both files. A file in neither form is an error naming the
    forms the reader knows.
    """
    forms = _DISPATCH[relative]
    code = code_only(tree.text(relative))
    if forms.generated.search(code) is not None:
        if not tree.exists(HYPERCALL_DEFS):
            raise SourceError(
                f"{tree.root / HYPERCALL_DEFS}: missing ({relative} dispatches through "
                f"{forms.macro}, which Xen generates from it)"
            )
        return Form.HYPERCALL_DEFS
    if forms.table.search(code) is not None:
        return Form.C_TABLES
    raise SourceError(
        f"{tree.root / relative}: dispatches hypercalls in no form the reader knows "
        f"(expected {forms.known})"
    )


def x86_forms(tree: XenTree) -> dict[str, Form]:
    """The form of each x86 dispatch file, PV's first."""
    return {relative: dispatch_form(tree, relative) for relative in X86_DISPATCH_FILES}
