"""Xen's own requirements verified against the Xen source they sit beside.

A copy of Xen's head tree gets one page of this project's beside its
``docs/fusa`` (Xen's files unchanged); ``check``'s reading of the copy runs
the page's blocks against the copy's own source.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sphinx_xenabi.cli.reading import read_tree
from sphinx_xenabi.model.verification import Status
from support.lines import replace_once
from support.paths import ROOTS
from support.xen_trees import copy_real_tree

pytestmark = pytest.mark.site  # a real Xen tree, read four times

NUM = "XenSwdgn~arm64_hyp_num~1"
PARAM = "XenSwdgn~arm64_hyp_param~1"
FIRST = "XenProd~version_hyp_first_param~1"
VERSION = "XenProd~version_hyp_version_cmd~1"
PAGE = "fusa/verification.rst"


def _tree(tmp_path: Path) -> Path:
    tree = copy_real_tree("head", tmp_path / "xen")
    shutil.copy(ROOTS / "xen-verification" / "verification.rst", tree / "docs" / PAGE)
    return tree


def _verdicts(tree: Path) -> dict[str, tuple[Status, tuple[str, ...]]]:
    result = read_tree(tree / "docs", None).result
    return {name: (v.status, v.reasons) for name, v in result.verdicts.items()}


def test_xens_items_are_verified_against_the_source_beside_them(tmp_path: Path) -> None:
    verdicts = _verdicts(_tree(tmp_path))
    assert {name: verdicts[name][0] for name in (NUM, PARAM, FIRST, VERSION)} == {
        NUM: Status.VERIFIED,
        PARAM: Status.VERIFIED,
        FIRST: Status.VERIFIED,
        VERSION: Status.VERIFIED,
    }
    # Every other item of Xen's is unverified: no block names it.
    assert sum(status is Status.UNVERIFIED for status, _ in verdicts.values()) == 61 - 4


def test_a_source_that_reads_x17_fails_the_number_requirement(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    replace_once(tree / "xen/arch/arm/traps.c", "&regs->x16", "&regs->x17")
    status, reasons = _verdicts(tree)[NUM]
    assert status is Status.FAILED
    (reason,) = reasons
    assert f"{PAGE}:" in reason and "'X16'" in reason and "'X17'" in reason
    assert reason.endswith(
        "; the reference says arm64 hypercall number register = X17 "
        "(xen/arch/arm/traps.c:2126: do_trap_hypercall(regs, &regs->x17, hsr);)"
    )


def test_another_command_number_in_version_h_fails_the_version_requirement(
    tmp_path: Path,
) -> None:
    tree = _tree(tmp_path)
    version_h = tree / "xen/include/public/version.h"
    text = version_h.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("#define XENVER_version"))
    replace_once(version_h, line, line.replace(" 0", " 9"))
    status, reasons = _verdicts(tree)[VERSION]
    assert status is Status.FAILED
    assert 'xenver["XENVER_version"]' in reasons[0] and "9" in reasons[0]
    # The number was read from version.h's #define, which the message cites.
    assert reasons[0].endswith(
        "the reference says XENVER_version = 9 "
        "(xen/include/public/version.h:20: #define XENVER_version 9)"
    )


def test_x17_in_a_requirements_text_leaves_it_unverified_naming_the_claim(
    tmp_path: Path,
) -> None:
    tree = _tree(tmp_path)
    replace_once(
        tree / "docs/fusa/reqs/design-reqs/arm64/hypercall.rst",
        "Xen shall read x16 to obtain the hypercall number.",
        "Xen shall read x17 to obtain the hypercall number.",
    )
    assert _verdicts(tree)[NUM] == (Status.UNVERIFIED, (f"x17 in {NUM} is not verified",))
