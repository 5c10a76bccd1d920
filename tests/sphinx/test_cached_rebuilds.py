"""The fact cache in real rebuilds: reused while nothing it read changed, never stale.

Each scenario builds docs inside a small Xen tree, rebuilds incrementally
(the same output and doctree directories, as ``sphinx-build`` again or
sphinx-autobuild does) after an edit, and compares with a fresh build of
the edited tree: the same exit status, warnings and registry bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sphinx_xenabi.model.verification import BlockOutcome, ExampleBlock
from sphinx_xenabi.results import verification
from sphinx_xenabi.results.cached_facts import CACHE_FILE
from support.building import copy_root, run_sphinx
from support.rebuilds import build, count_source_work, fresh_seen, seen
from support.xen_docs import docs_in
from support.xen_trees import edit, hypercall_defs_tree

OTHER = "Other\n=====\n\nA page without tables.\n"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the build read the Xen source and ran the rows."""
    return count_source_work(monkeypatch)


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    tree = hypercall_defs_tree(tmp_path / "xen")
    return tree, docs_in(tree, pages={"other": OTHER})


def test_a_no_op_rebuild_reads_no_source_and_runs_no_row(
    tmp_path: Path, counted: Counter[str]
) -> None:
    _, docs = _tree(tmp_path)
    first = build(docs, tmp_path / "out", True)
    assert first.statuscode == 0, first.warnings
    assert (tmp_path / "out" / ".doctrees" / CACHE_FILE).is_file()
    assert counted == {"read": 1, "execute": 1}
    again = build(docs, tmp_path / "out", False)
    assert counted == {"read": 1, "execute": 1}  # reused, both
    assert seen(again) == seen(first)
    # A page without tables edited: its page is rewritten, nothing is re-run.
    (docs / "other.rst").write_text(OTHER + "\nMore prose.\n", encoding="utf-8")
    edited = build(docs, tmp_path / "out", False)
    assert counted == {"read": 1, "execute": 1}
    assert "More prose." in (tmp_path / "out" / "other.html").read_text(encoding="utf-8")
    assert seen(edited) == seen(first)


def test_an_edited_source_file_changes_the_verdict_as_a_fresh_build_does(
    tmp_path: Path, counted: Counter[str]
) -> None:
    tree, docs = _tree(tmp_path)
    assert build(docs, tmp_path / "out", True).statuscode == 0
    edit(tree / "xen/arch/x86/pv/hypercall.c", "regs->r10;", "regs->rcx;")
    rebuilt = seen(build(docs, tmp_path / "out", False))
    assert counted["read"] == 2  # the edit was seen
    assert rebuilt[0] == 1 and "64bit parameter 4 is R10" in rebuilt[1], rebuilt[1]
    assert rebuilt == fresh_seen(docs, tmp_path)
    # And back: the cache holds no verdict of the edited file.
    edit(tree / "xen/arch/x86/pv/hypercall.c", "regs->rcx;", "regs->r10;")
    restored = seen(build(docs, tmp_path / "out", False))
    assert restored[0] == 0, restored[1]
    assert restored == fresh_seen(docs, tmp_path)


def test_a_file_that_appears_where_the_reader_looked_is_seen(
    tmp_path: Path, counted: Counter[str]
) -> None:
    tree, docs = _tree(tmp_path)
    assert build(docs, tmp_path / "out", True).statuscode == 0
    # The reader looked for xen/arch/arm/ and found nothing: an x86-only tree.
    (tree / "xen/arch/arm").mkdir()
    rebuilt = seen(build(docs, tmp_path / "out", False))
    assert counted["read"] == 2
    # Now read as a tree with Arm, which lacks Arm's files: an error, as fresh.
    assert rebuilt[0] == 1 and "cannot read the Xen source" in rebuilt[1]
    assert "/xen/arch/arm/" in rebuilt[1] or "arch-arm.h" in rebuilt[1], rebuilt[1]
    assert rebuilt == fresh_seen(docs, tmp_path)


def test_another_configuration_reads_again_and_agrees_with_a_fresh_build(
    tmp_path: Path, counted: Counter[str]
) -> None:
    tree, docs = _tree(tmp_path)
    assert build(docs, tmp_path / "out", True).statuscode == 0
    config = docs / "xen.config"
    config.write_text("CONFIG_PV=y\n# CONFIG_PV32 is not set\n", encoding="utf-8")
    first = seen(build(docs, tmp_path / "out", False, xenabi_xen_config="xen.config"))
    assert counted["read"] == 2
    assert first == fresh_seen(docs, tmp_path, xenabi_xen_config="xen.config")
    # Editing the .config the reading evaluated is an edit of what it read.
    config.write_text("CONFIG_PV=y\nCONFIG_PV32=y\n", encoding="utf-8")
    second = seen(build(docs, tmp_path / "out", False, xenabi_xen_config="xen.config"))
    assert counted["read"] == 4  # and the fresh build's read
    assert second == fresh_seen(docs, tmp_path, xenabi_xen_config="xen.config")


def test_examples_run_again_only_when_their_block_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[int] = []
    run = verification.run_on_reference

    def running(blocks: Sequence[ExampleBlock], *args: Any) -> tuple[BlockOutcome, ...]:
        ran.append(len(blocks))
        return run(blocks, *args)

    monkeypatch.setattr(verification, "run_on_reference", running)
    root = copy_root("verifies", tmp_path / "verifies")
    out = tmp_path / "out"
    first = run_sphinx(root, out, confdir=root, freshenv=True, doctreedir=out / ".doctrees")
    blocks = len(first.app.env.get_domain("xenabi").all_verifications())  # type: ignore[attr-defined]
    assert ran == [blocks] and blocks > 1
    again = run_sphinx(root, out, confdir=root, freshenv=False, doctreedir=out / ".doctrees")
    assert ran == [blocks]
    assert seen(again) == seen(first)
    # One block edited: it runs again, alone, and its new expectation decides.
    index = root / "index.rst"
    text = index.read_text(encoding="utf-8")
    index.write_text(text.replace("'0xea1'", "'0xea2'", 1), encoding="utf-8")
    edited = run_sphinx(root, out, confdir=root, freshenv=False, doctreedir=out / ".doctrees")
    assert ran == [blocks, 1]
    assert edited.statuscode == 1 and "'0xea2'" in edited.warnings
