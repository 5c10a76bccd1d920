"""The reader on Xen's history: commits of every form, the halfway ones included.

The history is ``../shared/xen-history.bundle`` (one commit per Xen commit
since March 2019 that touched a file the check reads; each says which with a
``Xen-Commit:`` trailer). Reading all 645 takes minutes, so this reads a
sample: the oldest commits (stub writers before spring 2019), July 2022's
halfway commits (``hypercall-defs.c`` beside C arrays), and a spread of the
rest. The tests skip, saying why, where the bundle or git is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sphinx_xenabi.model.abi import TransferGuest
from sphinx_xenabi.model.spec import GuestType
from sphinx_xenabi.model.xen_source import XenSource, read_xen_source
from support.xen_trees import git_in, history_checkout, history_clone, history_commit

# Real Xen history, read commit by commit: the slow tier.
pytestmark = pytest.mark.site

# Upstream shas (their Xen-Commit trailers) of July 2022, in order.
GENERATE_INTERFACE = "eca1f00d"  # xen: generate hypercall interface related code
GENERATED_PROTOTYPES = "f9db6bc3"  # xen: use generated prototypes for hypercall handlers
X86_GENERATED_CALLS = "8523851d"  # xen/x86: call hypercall handlers via generated macro
ARM_GENERATED_CALLS = "39fc5f5c"  # xen/arm: call hypercall handlers via generated macro
SPREAD = 64  # besides those, every 64th commit


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return history_clone(tmp_path_factory.mktemp("history") / "clone")


def _read(history: Path, commit: str, tmp_path: Path) -> XenSource:
    return read_xen_source(history_checkout(history, commit, tmp_path / commit[:12]))


@pytest.mark.parametrize("upstream", [GENERATE_INTERFACE, GENERATED_PROTOTYPES])
def test_july_2022_halfway_commits_read_x86_from_their_c_arrays(
    history: Path, upstream: str, tmp_path: Path
) -> None:
    commit = history_commit(history, upstream)
    checkout = history_checkout(history, commit, tmp_path / "tree")
    assert (checkout / "xen/include/hypercall-defs.c").is_file()
    source = read_xen_source(checkout)
    assert source.warnings == ()
    assert source.layout == "c-tables"
    pv64 = source.dispatch[GuestType.PV64].evidence
    assert pv64.file == "xen/arch/x86/pv/hypercall.c"
    assert pv64.text == "regs->rax = pv_hypercall_table[eax].native(rdi, rsi, rdx, r10, r8);"
    assert len(source.conventions["64bit"].convention.parameters) == 5
    assert source.generator_limit is not None and source.generator_limit[0] == 5
    version = source.entries[17][GuestType.PV64]
    assert version.available and version.evidence is not None
    assert version.evidence.file == "xen/arch/x86/pv/hypercall.c"
    arm = source.entries[17][GuestType.ARM64].evidence
    assert arm is not None and arm.file == "xen/arch/arm/traps.c"  # Arm's table, too


def test_july_2022_x86_generated_while_arm_still_uses_its_table(
    history: Path, tmp_path: Path
) -> None:
    source = _read(history, history_commit(history, X86_GENERATED_CALLS), tmp_path)
    assert source.warnings == () and source.layout == "hypercall-defs"
    x86 = source.entries[17][GuestType.PV64].evidence
    arm = source.entries[17][GuestType.ARM64].evidence
    assert x86 is not None and x86.file == "xen/include/hypercall-defs.c"
    assert arm is not None and arm.file == "xen/arch/arm/traps.c"
    after = _read(history, history_commit(history, ARM_GENERATED_CALLS), tmp_path)
    arm_after = after.entries[17][GuestType.ARM64].evidence
    assert arm_after is not None and arm_after.file == "xen/include/hypercall-defs.c"
    # The move changed where the facts are written, not what they are.
    assert {n: h.available for n, h in after.spec().hypercalls.items()} == {
        n: h.available for n, h in source.spec().hypercalls.items()
    }


def test_the_oldest_commits_write_the_hypercall_page_the_old_way(
    history: Path, tmp_path: Path
) -> None:
    oldest = git_in(history, "rev-list", "--reverse", "HEAD").split()[0]
    source = _read(history, oldest, tmp_path)
    assert source.warnings == ()
    evidence = source.stubs[TransferGuest.PV64].evidence
    assert "hypercall_page_initialise_ring3_kernel" in evidence.text
    assert source.spec().stubs[TransferGuest.PV64.value].iret == "51 41 53 50 B8 17 00 00 00 0F 05"
    assert source.spec().stubs[TransferGuest.INTEL_HVM.value].iret == "0F 0B"


def test_a_spread_of_the_history_reads_without_a_warning(history: Path, tmp_path: Path) -> None:
    commits = git_in(history, "rev-list", "--reverse", "HEAD").split()
    read = 0
    for commit in [*commits[::SPREAD], commits[-1]]:
        source = _read(history, commit, tmp_path)
        assert source.warnings == (), commit
        assert len(source.hypercalls) >= 40, commit
        read += 1
    assert read == len(commits[::SPREAD]) + 1 >= 10
