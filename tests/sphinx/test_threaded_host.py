"""A build in a process that runs other threads forks no worker.

A fork copies only the calling thread, so a lock another thread holds at
that moment would stay held in the worker (Python 3.12 warns of it). Such
a build reads the Xen source and runs the rows in its own process, with
the same result as ``xenabi_parallel_reading = False``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sphinx_xenabi.results import early_reading
from support.rebuilds import build, seen
from support.xen_docs import docs_in
from support.xen_trees import hypercall_defs_tree

pytestmark = pytest.mark.skipif(
    not early_reading.fork_available(), reason="no fork, or one core: nothing is forked anyway"
)


@pytest.fixture
def other_thread() -> Iterator[threading.Thread]:
    """A thread of the host's own, alive for the test (as a language server's would be)."""
    done = threading.Event()
    thread = threading.Thread(target=done.wait, name="host-thread", daemon=True)
    thread.start()
    yield thread
    done.set()
    thread.join()


def test_a_build_beside_another_thread_forks_no_worker(
    tmp_path: Path,
    other_thread: threading.Thread,
    forked: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    assert not early_reading.can_fork()
    threaded = seen(build(docs, tmp_path / "threaded", True))
    assert forked == []
    in_place = seen(build(docs, tmp_path / "in-place", True, xenabi_parallel_reading=False))
    assert threaded == in_place
    assert threaded[0] == 0, threaded[1]
    # The threads alone kept the workers out: taken as single-threaded, the
    # same fresh build forks both.
    monkeypatch.setattr(early_reading, "_single_threaded", lambda: True)
    forking = seen(build(docs, tmp_path / "forking", True))
    assert forked == ["_read_and_send", "_serve"]
    assert forking == in_place
