"""A rebuild settled from the stamp the last build left, and only when nothing changed.

Docs inside a small Xen tree, built, then rebuilt in the same directories.
A rebuild whose stamp holds, and whose documents make the same result key
(none read, or prose edited), logs, decides and publishes what the build
that left it did, without the full settling; a change to anything the
stamp covers (a source file, a table, the documents there are, a published
file, the stamp itself) takes the full path, whose result is the fresh
build's.
"""

from __future__ import annotations

import os
import pickle
import time
from collections import Counter
from pathlib import Path

import pytest

from sphinx_xenabi.model.code_key import code_key_stamps
from sphinx_xenabi.model.published_files import REGISTRY_FILENAME
from sphinx_xenabi.results import settling
from sphinx_xenabi.results.state import build_state
from sphinx_xenabi.results.unchanged_rebuild import STAMP_FILE
from support.building import Build, run_sphinx
from support.rebuilds import PROSE, build, count_calls, docs_with_prose, fresh_seen, seen
from support.xen_docs import SIX, docs_in
from support.xen_trees import edit, hypercall_defs_tree

SOURCE = "xen/arch/x86/pv/hypercall.c"


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often a build took the full settling path."""
    calls: Counter[str] = Counter()
    count_calls(monkeypatch, calls, "full", settling, "settle_result")
    return calls


def _age(tree: Path, seconds: float = 3600.0) -> None:
    """Every file of the tree last modified ``seconds`` ago: its stamp is trusted."""
    then = time.time() - seconds
    for file in tree.rglob("*"):
        if file.is_file():
            os.utime(file, (then, then))


def test_a_rebuild_that_reads_nothing_settles_as_the_build_that_left_the_stamp(
    tmp_path: Path, settled: Counter[str]
) -> None:
    _, docs = docs_with_prose(tmp_path, SIX)  # the docs say six parameters: the build fails
    first = build(docs, tmp_path / "out", fresh=True)
    assert first.statuscode == 1 and "[xenabi.drift]" in first.warnings, first.warnings
    assert (tmp_path / "out" / ".doctrees" / STAMP_FILE).is_file()
    again = build(docs, tmp_path / "out")
    assert settled["full"] == 1  # the first build only
    assert seen(again) == seen(first) == fresh_seen(docs, tmp_path)
    # The result itself loads when something asks: the one the first build produced.
    before, after = build_state(first.app), build_state(again.app)
    assert before is not None and after is not None
    assert after.registry.to_json() == before.registry.to_json()
    assert after.reports == before.reports


def test_the_published_files_are_left_as_they_are_and_written_again_if_removed(
    tmp_path: Path, settled: Counter[str]
) -> None:
    _, docs = docs_with_prose(tmp_path)
    first = build(docs, tmp_path / "out", fresh=True)
    registry = first.outdir / REGISTRY_FILENAME
    written = registry.stat().st_mtime_ns
    build(docs, tmp_path / "out")
    assert settled["full"] == 1
    assert registry.stat().st_mtime_ns == written  # not withdrawn, not written again
    registry.unlink()  # by hand: the stamp no longer holds
    again = build(docs, tmp_path / "out")
    assert settled["full"] == 2
    assert seen(again) == seen(first)  # published again, the same bytes


def test_a_source_file_edited_after_the_stamp_settles_in_full(
    tmp_path: Path, settled: Counter[str]
) -> None:
    tree, docs = docs_with_prose(tmp_path)
    _age(tree)  # stamped by size and time
    assert build(docs, tmp_path / "out", fresh=True).statuscode == 0
    edit(tree / SOURCE, "regs->r10;", "regs->rcx;")
    rebuilt = seen(build(docs, tmp_path / "out"))
    assert settled["full"] == 2
    assert rebuilt[0] == 1 and "[xenabi.drift]" in rebuilt[1], rebuilt[1]
    assert rebuilt == fresh_seen(docs, tmp_path)


def test_a_file_changed_in_the_tick_it_was_stamped_is_compared_by_content(
    tmp_path: Path, settled: Counter[str]
) -> None:
    # Written just before the build: the same size and time could hide a
    # second edit within the file system clock's tick, so the stamp keeps
    # no time for it. An edit of the same length, its time put back, is seen.
    tree, docs = docs_with_prose(tmp_path)
    assert build(docs, tmp_path / "out", fresh=True).statuscode == 0
    source = tree / SOURCE
    before = source.stat()
    edit(source, "regs->r10;", "regs->rcx;")  # as long as before
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert source.stat().st_size == before.st_size
    rebuilt = seen(build(docs, tmp_path / "out"))
    assert settled["full"] == 2
    assert rebuilt[0] == 1, rebuilt[1]
    assert rebuilt == fresh_seen(docs, tmp_path)


def test_a_prose_edit_settles_by_the_stamp_and_a_table_edit_in_full(
    tmp_path: Path, settled: Counter[str]
) -> None:
    _, docs = docs_with_prose(tmp_path)
    build(docs, tmp_path / "out", fresh=True)
    (docs / "prose.rst").write_text(PROSE + "\nMore prose.\n", encoding="utf-8")
    edited = build(docs, tmp_path / "out")
    assert "1 changed" in edited.status
    assert settled["full"] == 1  # the same result key: the stamp settles it
    assert "More prose." in (edited.outdir / "prose.html").read_text(encoding="utf-8")
    assert seen(edited) == fresh_seen(docs, tmp_path)
    settled.clear()
    edit(docs / "index.rst", "- RDI RSI RDX R10 R8", "- RDI RSI RDX RCX R8")
    drifted = seen(build(docs, tmp_path / "out"))
    assert settled["full"] == 1  # a new key: the full path
    assert drifted[0] == 1 and "R10" in drifted[1], drifted[1]
    assert drifted == fresh_seen(docs, tmp_path)


def test_a_page_removed_settles_in_full(tmp_path: Path, settled: Counter[str]) -> None:
    _, docs = docs_with_prose(tmp_path)
    build(docs, tmp_path / "out", fresh=True)
    (docs / "prose.rst").unlink()
    (docs / "index.rst").write_text(
        (docs / "index.rst").read_text(encoding="utf-8").replace("   prose\n", ""),
        encoding="utf-8",
    )
    removed = seen(build(docs, tmp_path / "out"))
    assert settled["full"] == 2
    assert removed == fresh_seen(docs, tmp_path)


def test_a_document_removed_alone_settles_in_full(tmp_path: Path, settled: Counter[str]) -> None:
    # No document is read (the removed one is only purged): the documents that
    # exist are part of the result's key.
    _, docs = docs_with_prose(tmp_path)
    (docs / "orphan.rst").write_text(":orphan:\n\n" + PROSE, encoding="utf-8")  # in no toctree
    first = build(docs, tmp_path / "out", fresh=True)
    assert "orphan" in first.app.env.found_docs
    (docs / "orphan.rst").unlink()
    again = build(docs, tmp_path / "out")
    assert "0 added, 0 changed, 1 removed" in again.status
    assert settled["full"] == 2


def test_a_w_build_settled_by_the_stamp_fails_and_withholds_the_files(
    tmp_path: Path, settled: Counter[str]
) -> None:
    _, docs = docs_with_prose(tmp_path, SIX)
    out = tmp_path / "out"
    relaxed = {"xenabi_drift": "warning"}
    first = build(docs, out, fresh=True, **relaxed)
    assert first.statuscode == 0 and (first.outdir / REGISTRY_FILENAME).is_file()

    def build_w() -> Build:
        return run_sphinx(
            docs,
            out,
            confdir=docs,
            doctreedir=out / ".doctrees",
            confoverrides=relaxed,
            freshenv=False,
            warningiserror=True,
        )

    again = build_w()  # -W is no setting: the stamp holds, its warning now fails
    assert settled["full"] == 1
    assert again.statuscode == 1 and "[xenabi.drift]" in again.warnings, again.warnings
    assert not (again.outdir / REGISTRY_FILENAME).exists()


def test_a_damaged_stamp_is_only_a_full_settling(tmp_path: Path, settled: Counter[str]) -> None:
    _, docs = docs_with_prose(tmp_path, SIX)
    first = build(docs, tmp_path / "out", fresh=True)
    (tmp_path / "out" / ".doctrees" / STAMP_FILE).write_bytes(b"not a stamp")
    again = build(docs, tmp_path / "out")
    assert settled["full"] == 2
    assert seen(again) == seen(first)
    assert (tmp_path / "out" / ".doctrees" / STAMP_FILE).read_bytes() != b"not a stamp"


def test_the_same_code_under_new_module_stamps_is_stamped_again(
    tmp_path: Path, settled: Counter[str]
) -> None:
    # As after a reinstall of the same code: the stamp's module stamps are
    # not the modules' own, its code key still is.
    _, docs = docs_with_prose(tmp_path, SIX)
    first = build(docs, tmp_path / "out", fresh=True)
    path = tmp_path / "out" / ".doctrees" / STAMP_FILE
    stamp = pickle.loads(path.read_bytes())
    code, stamps = code_key_stamps()
    assert (stamp["code"], stamp["code_stamps"]) == (code, stamps)
    elsewhere = tuple((name, size, 1, 1, 1) for name, size, *_ in stamps)
    path.write_bytes(pickle.dumps({**stamp, "code_stamps": elsewhere}))
    again = build(docs, tmp_path / "out")
    assert settled["full"] == 1  # settled by the stamp: the same code
    assert seen(again) == seen(first)
    restamped = pickle.loads(path.read_bytes())
    assert restamped == stamp  # the modules' own stamps again, nothing else changed
    # A stamp already holding with the modules' stamps is not written again.
    written = path.stat().st_mtime_ns
    build(docs, tmp_path / "out")
    assert settled["full"] == 1 and path.stat().st_mtime_ns == written


def test_another_setting_or_builder_settles_in_full(tmp_path: Path, settled: Counter[str]) -> None:
    _, docs = docs_with_prose(tmp_path, SIX)
    build(docs, tmp_path / "out", fresh=True)
    relaxed = seen(build(docs, tmp_path / "out", xenabi_drift="warning"))
    assert settled["full"] == 2
    assert relaxed == fresh_seen(docs, tmp_path, xenabi_drift="warning")
    before = settled["full"]
    dummy = run_sphinx(
        docs,
        tmp_path / "dummy",
        confdir=docs,
        buildername="dummy",
        doctreedir=tmp_path / "out" / ".doctrees",
        confoverrides={"xenabi_drift": "warning"},
        freshenv=False,
    )
    assert settled["full"] == before + 1
    assert dummy.statuscode == 0


def test_a_xen_tree_that_appears_beside_the_docs_becomes_the_reference(
    tmp_path: Path, settled: Counter[str]
) -> None:
    root = tmp_path / "xen"
    docs = docs_in(root)  # no tree yet: checked against the model
    first = build(docs, tmp_path / "out", fresh=True)
    assert "against the Xen" not in first.status, first.status
    hypercall_defs_tree(root)
    again = build(docs, tmp_path / "out")
    assert settled["full"] == 2
    assert "against the Xen 4.19.0 source" in again.status, again.status
    assert seen(again) == fresh_seen(docs, tmp_path)


def test_a_same_size_edit_with_its_old_time_put_back_is_seen(
    tmp_path: Path, settled: Counter[str]
) -> None:
    # Stamped by its times (modified an hour before the build): an edit that
    # keeps the size and puts the modification time back (cp -p, rsync -a,
    # an archive's normalised times) still changes the file's change time.
    tree, docs = docs_with_prose(tmp_path)
    _age(tree)
    assert build(docs, tmp_path / "out", fresh=True).statuscode == 0
    source = tree / SOURCE
    before = source.stat()
    edit(source, "regs->r10;", "regs->rcx;")
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    rebuilt = seen(build(docs, tmp_path / "out"))
    assert settled["full"] == 2
    assert rebuilt[0] == 1, rebuilt[1]
    assert rebuilt == fresh_seen(docs, tmp_path)


def test_a_tree_link_pointed_elsewhere_is_read_again(tmp_path: Path, settled: Counter[str]) -> None:
    first_tree = hypercall_defs_tree(tmp_path / "xen-a")
    drifting = hypercall_defs_tree(tmp_path / "xen-b")
    edit(drifting / SOURCE, "regs->r10;", "regs->rcx;")
    link = tmp_path / "xen"
    link.symlink_to(first_tree)
    docs = docs_in(tmp_path / "site")
    with (docs / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(f"xenabi_xen_source = {str(link)!r}\n")
    assert build(docs, tmp_path / "out", fresh=True).statuscode == 0
    link.unlink()
    link.symlink_to(drifting)
    again = seen(build(docs, tmp_path / "out"))
    assert settled["full"] == 2
    assert again[0] == 1 and "[xenabi.drift]" in again[1], again[1]
    assert again == fresh_seen(docs, tmp_path)


def test_a_result_the_cache_lost_is_computed_once_and_kept_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settled: Counter[str]
) -> None:
    from sphinx_xenabi.results import build_result

    produced: Counter[str] = Counter()
    count_calls(monkeypatch, produced, "produce", build_result, "produce_result")
    _, docs = docs_with_prose(tmp_path)
    first = build(docs, tmp_path / "out", fresh=True)
    facts = tmp_path / "out" / ".doctrees" / "xenabi-facts.pickle"
    facts.unlink()
    for _ in range(2):  # a page with tables written anyway asks for the result
        (first.outdir / "index.html").unlink()
        again = build(docs, tmp_path / "out")
        assert seen(again) == seen(first)
    assert settled["full"] == 1  # both settled by the stamp
    assert produced["produce"] == 2  # the first build's, then once again
    assert facts.is_file()
