"""Hypercall numbers and names: ``#define __HYPERVISOR_<name> <number>``.

``xen/include/public/xen.h`` numbers the common hypercalls and the eight
architecture slots ``arch_0`` to ``arch_7`` (48 to 55). x86 names two slots
elsewhere: ``mca`` in ``public/arch-x86/xen-mca.h`` and
``paging_domctl_cont`` in ``asm/hypercall.h`` (4.17 and later) or, before,
through ``#define do_arch_1 paging_domctl_continuation`` in the dispatch
sources. A slot nothing names is unused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sphinx_xenabi.model.spec import Evidence
from sphinx_xenabi.model.xen_source.paths import HVM_HYPERCALL_C, PV_HYPERCALL_C, XEN_H, XEN_MCA_H
from sphinx_xenabi.model.xen_source.tree import SourceError, XenTree

if TYPE_CHECKING:
    from sphinx_xenabi.model.xen_source.configuration import Configuration

_PREFIX = "__HYPERVISOR_"
_ARCH_SLOT = re.compile(r"^arch_\d+$")
_HANDLER_ALIAS = re.compile(r"^do_(arch_\d+)$")


@dataclass(frozen=True)
class NumberedHypercall:
    number: int
    name: str
    evidence: Evidence  # the line that gives the name its number


def _defined_numbers(tree: XenTree, configuration: Configuration) -> dict[str, tuple[int, int]]:
    """name -> (number, line) for each integer ``__HYPERVISOR_*`` macro of xen.h."""
    numbers: dict[str, tuple[int, int]] = {}
    for name, macro in tree.preprocessed(XEN_H, configuration.enabled).macros.items():
        if name.startswith(_PREFIX) and re.fullmatch(r"\d+", macro.value):
            numbers[name.removeprefix(_PREFIX)] = (int(macro.value), macro.line)
    return numbers


def _slot_aliases(tree: XenTree, configuration: Configuration) -> dict[str, tuple[str, Evidence]]:
    """arch slot -> (public name, evidence) from the headers and dispatch sources."""
    aliases: dict[str, tuple[str, Evidence]] = {}
    headers = [XEN_MCA_H]
    try:
        headers.append(tree.asm_header("hypercall.h"))
    except SourceError:
        pass  # reported by the reader that needs it; the slot aliases may live elsewhere
    for relative in headers:
        if not tree.exists(relative):
            continue
        for name, macro in tree.preprocessed(relative, configuration.enabled).macros.items():
            target = macro.value.removeprefix(_PREFIX)
            if name.startswith(_PREFIX) and _ARCH_SLOT.match(target):
                aliases[target] = (
                    name.removeprefix(_PREFIX),
                    tree.source_line(relative, macro.line),
                )
    # Before 4.17 the continuation handler was wired to slot 1 in the tables:
    # "#define do_arch_1 paging_domctl_continuation"; 4.17 named the slot
    # paging_domctl_cont for the same handler, so that is its public name.
    for relative in (PV_HYPERCALL_C, HVM_HYPERCALL_C):
        if not tree.exists(relative):
            continue
        for name, macro in tree.preprocessed(relative, configuration.enabled).macros.items():
            slot = _HANDLER_ALIAS.match(name)
            if slot is not None and slot.group(1) not in aliases:
                public = re.sub(r"_continuation$", "_cont", macro.value)
                aliases[slot.group(1)] = (public, tree.source_line(relative, macro.line))
    return aliases


def read_numbers(tree: XenTree, configuration: Configuration) -> dict[int, NumberedHypercall]:
    """Every hypercall number the tree defines, by number."""
    defined = _defined_numbers(tree, configuration)
    if not defined:
        raise SourceError(
            f"{tree.root / XEN_H}: no '#define __HYPERVISOR_<name> <number>' lines "
            "(expected the hypercall numbers)"
        )
    aliases = _slot_aliases(tree, configuration)
    hypercalls: dict[int, NumberedHypercall] = {}
    for name, (number, line) in sorted(defined.items(), key=lambda item: item[1]):
        evidence = tree.source_line(XEN_H, line)
        if _ARCH_SLOT.match(name):
            if name not in aliases:
                continue  # a spare architecture slot
            public, alias = aliases[name]
            evidence = Evidence(
                alias.file, alias.line, alias.text, f"{name} is {number} ({evidence})"
            )
            name = public
        if number in hypercalls:
            raise SourceError(
                f"{tree.root / XEN_H}:{line}: number {number} is given to both "
                f"{hypercalls[number].name} and {name}"
            )
        hypercalls[number] = NumberedHypercall(number, name, evidence)
    return hypercalls
