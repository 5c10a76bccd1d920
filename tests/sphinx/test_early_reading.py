"""The Xen source read by a worker process while Sphinx reads the documents.

Docs inside a small Xen tree, built fresh with the worker
(``xenabi_parallel_reading``, the default) and without it: the same status,
warnings and registry, whether the tree is read, refused, or the worker
dies; and the build really takes the worker's reading.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sphinx_xenabi.model import code_key
from sphinx_xenabi.results import early_reading, settling
from support.rebuilds import build, seen
from support.xen_docs import SIX, docs_in
from support.xen_trees import hypercall_defs_tree

pytestmark = [
    pytest.mark.skipif(
        not early_reading.fork_available(),
        reason="no fork, or one core: the source is read in place",
    ),
    pytest.mark.usefixtures("forking_regardless"),
]


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the build took from a worker: "reading" or "none" (read in place)."""
    found: list[str] = []
    take = settling.early_reading

    def taking(*args: object) -> object:
        reading = take(*args)  # type: ignore[arg-type]
        found.append("none" if reading is None else "reading")
        return reading

    monkeypatch.setattr(settling, "early_reading", taking)
    return found


def test_the_worker_s_reading_is_the_reading_the_build_would_make(
    tmp_path: Path, taken: list[str]
) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"), SIX)  # six where Xen passes five
    worker = seen(build(docs, tmp_path / "worker", True, xenabi_parallel_reading=True))
    assert taken == ["reading"]
    in_place = seen(build(docs, tmp_path / "in-place", True, xenabi_parallel_reading=False))
    assert taken == ["reading", "none"]
    assert worker[0] == 1 and "[xenabi.drift]" in worker[1], worker[1]
    assert worker == in_place
    # A rebuild finds the reading in the fact cache: no worker is started.
    assert seen(build(docs, tmp_path / "worker", True, xenabi_parallel_reading=True)) == worker
    assert taken == ["reading", "none"]


def test_a_tree_the_reader_refuses_is_refused_with_the_same_words(
    tmp_path: Path, taken: list[str]
) -> None:
    tree = hypercall_defs_tree(tmp_path / "xen")
    (tree / "xen/arch/x86/pv/hypercall.c").unlink()
    docs = docs_in(tree)
    worker = seen(build(docs, tmp_path / "worker", True, xenabi_parallel_reading=True))
    in_place = seen(build(docs, tmp_path / "in-place", True, xenabi_parallel_reading=False))
    assert worker[0] == 1 and "cannot read the Xen source" in worker[1], worker[1]
    assert "hypercall.c" in worker[1]
    assert worker == in_place


def test_a_worker_that_dies_leaves_the_reading_to_the_build(
    tmp_path: Path, taken: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def dying(*args: object) -> None:
        os._exit(3)  # in the forked worker: no reading, no message

    monkeypatch.setattr(early_reading, "_read_and_send", dying)
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    worker = seen(build(docs, tmp_path / "worker", True, xenabi_parallel_reading=True))
    assert taken == ["none"]  # read in place after all
    assert worker[0] == 0, worker[1]
    assert worker == seen(build(docs, tmp_path / "in-place", True, xenabi_parallel_reading=False))


def test_no_worker_to_be_had_leaves_the_reading_to_the_build(
    tmp_path: Path, taken: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import multiprocessing.context

    def refused(self: object) -> None:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", refused)
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    worker = seen(build(docs, tmp_path / "worker", True, xenabi_parallel_reading=True))
    assert taken == ["none"]  # no worker was started: read in place
    assert worker[0] == 0, worker[1]
    assert worker == seen(build(docs, tmp_path / "in-place", True, xenabi_parallel_reading=False))


def test_a_worker_that_never_answers_is_given_up_on(
    tmp_path: Path, taken: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    def hanging(*args: object) -> None:
        time.sleep(60)  # in the forked worker

    monkeypatch.setattr(early_reading, "_read_and_send", hanging)
    monkeypatch.setattr(early_reading, "PATIENCE_SECONDS", 0.5)
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    started = time.monotonic()
    worker = seen(build(docs, tmp_path / "worker", True, xenabi_parallel_reading=True))
    assert time.monotonic() - started < 30  # the worker was stopped, not waited for
    assert taken == ["none"]
    assert worker == seen(build(docs, tmp_path / "in-place", True, xenabi_parallel_reading=False))


@pytest.fixture
def checked_here(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How often the build's own process ran the drift check (a forked worker's runs are not seen)."""
    from sphinx_xenabi.model import drift

    runs: list[int] = []
    check = drift.check_registry

    def counting(*args: object, **kwargs: object) -> object:
        runs.append(1)
        return check(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(drift, "check_registry", counting)
    return runs


def test_the_worker_checks_the_tables_against_its_reading(
    tmp_path: Path, taken: list[str], checked_here: list[int]
) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"), SIX)
    worker = seen(build(docs, tmp_path / "worker", True, xenabi_parallel_reading=True))
    assert taken == ["reading"] and checked_here == []  # the findings came from the worker
    in_place = seen(build(docs, tmp_path / "in-place", True, xenabi_parallel_reading=False))
    assert checked_here == [1]
    assert worker[0] == 1 and "[xenabi.drift]" in worker[1], worker[1]
    assert worker == in_place


@pytest.mark.parametrize("how", ["fails", "dies"])
def test_a_worker_that_cannot_check_the_tables_leaves_them_to_the_build(
    tmp_path: Path,
    taken: list[str],
    checked_here: list[int],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    def failing(*args: object) -> None:
        if how == "dies":
            os._exit(3)  # in the forked worker, after it sent its reading
        raise RuntimeError("no findings")

    monkeypatch.setattr(early_reading, "_findings", failing)
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"), SIX)
    worker = seen(build(docs, tmp_path / "worker", True, xenabi_parallel_reading=True))
    assert taken == ["reading"] and checked_here == [1]  # checked here after all
    assert worker[0] == 1 and "[xenabi.drift]" in worker[1], worker[1]
    assert worker == seen(build(docs, tmp_path / "in-place", True, xenabi_parallel_reading=False))


def _said_by_a_worker(target: Callable[[Any], None]) -> Any:
    """What ``target`` sends from a forked process, as the workers are forked."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=target, args=(sender,))
    worker.start()
    assert receiver.poll(30), "the worker said nothing"
    said = receiver.recv()
    worker.join()
    return said


@pytest.fixture
def hashed_here(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The code key forgotten, as at the start of ``sphinx-build``; each time this
    process (not a worker) hashes the package for it, its pid is listed."""
    for name, value in (("_code", None), ("_known", None), ("_code_stamps", ())):
        monkeypatch.setattr(code_key, name, value)
    here, hashed = os.getpid(), []

    def sha256() -> Any:
        if os.getpid() == here:
            hashed.append(here)
        return hashlib.sha256()

    monkeypatch.setattr(code_key, "hashlib", SimpleNamespace(sha256=sha256))
    return hashed


def test_the_build_takes_the_code_key_the_worker_worked_out(
    tmp_path: Path, taken: list[str], hashed_here: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    build(docs, tmp_path / "out", True, xenabi_parallel_reading=True)
    assert taken == ["reading"]
    assert hashed_here == []  # a fresh build: its fact cache and stamp name no key to reuse
    taken_key = code_key.code_key()
    monkeypatch.setattr(code_key, "_code", None)
    monkeypatch.setattr(code_key, "_known", None)
    assert code_key.code_key() == taken_key  # the key this process works out itself
    assert len(hashed_here) == 1


def test_a_module_changed_since_the_worker_hashed_it_is_hashed_again(
    tmp_path: Path, taken: list[str], hashed_here: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    here, stamps_of = os.getpid(), code_key.package_stamps

    def touched_in_the_build() -> code_key.Stamps:
        (path, size, modified, *rest), *others = stamps_of()
        if os.getpid() != here:
            return ((path, size, modified, *rest), *others)  # as the worker saw them
        return ((path, size, modified + 1, *rest), *others)  # the same content, a newer time

    monkeypatch.setattr(code_key, "package_stamps", touched_in_the_build)
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    build(docs, tmp_path / "out", True, xenabi_parallel_reading=True)
    assert taken == ["reading"]
    assert hashed_here == [here]  # the worker's key stood for other stamps: refused
    assert code_key.code_key_stamps() == (code_key.code_key(), touched_in_the_build())


def _niceness_after_yielding(sender: Any) -> None:
    early_reading.yield_to_the_build()
    sender.send(os.nice(0))


def test_a_worker_lets_the_build_go_first() -> None:
    # Both workers call this first: on two cores, the build keeps its core.
    niceness = _said_by_a_worker(_niceness_after_yielding)
    assert niceness == min(os.nice(0) + early_reading.WORKER_NICENESS, 19)


def _after_beginning(sender: Any) -> None:
    inherited = len(gc.get_objects())
    early_reading.begin_worker([])
    sender.send((inherited, gc.get_freeze_count(), len(gc.get_objects())))


def test_a_worker_leaves_what_it_inherited_out_of_its_collections() -> None:
    # Collecting what the fork shares with the build would copy the build's pages.
    inherited, frozen, collected = _said_by_a_worker(_after_beginning)
    assert frozen >= inherited > 1000  # every object it inherited ...
    assert collected < inherited // 10  # ... is out of reach of its collections


def test_a_build_that_fails_before_asking_ends_the_reading_worker_at_once(
    tmp_path: Path, taken: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The row worker, forked after the reading worker, must not hold the
    # build's end of the reading pipe open: closing it is how the build tells
    # a reading worker it was never asked, and waiting out its grace would
    # make a failing build hang.
    import time

    from sphinx_xenabi.results import build_result

    monkeypatch.setattr(early_reading, "GRACE_SECONDS", 60.0)

    def failing(*args: object) -> None:
        raise RuntimeError("the registry cannot be assembled")

    monkeypatch.setattr(build_result, "_assemble", failing)
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    started = time.monotonic()
    with pytest.raises(Exception, match="the registry cannot be assembled"):
        build(docs, tmp_path / "worker", True, xenabi_parallel_reading=True)
    assert taken == ["reading"]
    assert time.monotonic() - started < 30  # not the 60 s of grace
