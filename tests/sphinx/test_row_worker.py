"""The table rows run by a worker process forked before the documents are read.

Docs inside a small Xen tree, built fresh with the worker
(``xenabi_parallel_reading``, the default) and without it: the same status,
warnings, registry and evidence column, whether the rows pass or fail or
the worker dies; and the build really takes the worker's outcomes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sphinx_xenabi.results import early_reading, row_worker
from support.rebuilds import build, seen
from support.xen_docs import docs_in
from support.xen_trees import edit, hypercall_defs_tree

pytestmark = [
    pytest.mark.skipif(
        not early_reading.fork_available(), reason="no fork, or one core: the rows run in place"
    ),
    pytest.mark.usefixtures("forking_regardless"),
]


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the build took from a worker: "outcomes", or "none" (run in place)."""
    found: list[str] = []
    receive = row_worker._receive

    def receiving(*args: object) -> object:
        outcomes = receive(*args)  # type: ignore[arg-type]
        found.append("none" if outcomes is None else "outcomes")
        return outcomes

    monkeypatch.setattr(row_worker, "_receive", receiving)
    return found


def _seen_with_page(docs: Path, out: Path, **settings: object) -> tuple[object, str]:
    done = build(docs, out, True, **settings)
    return seen(done), (done.outdir / "index.html").read_text(encoding="utf-8")


def test_the_worker_s_outcomes_are_the_outcomes_the_build_would_get(
    tmp_path: Path, answered: list[str]
) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    edit(docs / "index.rst", "- RDI RSI RDX R10 R8", "- RDI RSI RDX RCX R8")  # a failing row
    worker = _seen_with_page(docs, tmp_path / "worker", xenabi_parallel_reading=True)
    assert answered == ["outcomes"]
    in_place = _seen_with_page(docs, tmp_path / "in-place", xenabi_parallel_reading=False)
    assert answered == ["outcomes"]  # no worker asked
    status, warnings, _ = worker[0]  # type: ignore[misc]
    assert status == 1 and "R10" in warnings, warnings
    assert "\u2718" in worker[1]  # the evidence column shows the failed run
    assert worker == in_place


def test_a_rebuild_runs_its_rows_in_place(tmp_path: Path, answered: list[str]) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    first = seen(build(docs, tmp_path / "out", True))
    assert answered == ["outcomes"]
    edit(docs / "index.rst", "- RDI RSI RDX R10 R8", "- RDI RSI RDX RCX R8")
    rebuilt = seen(build(docs, tmp_path / "out"))
    assert answered == ["outcomes"]  # no worker was forked for the rebuild
    assert rebuilt != first and rebuilt[0] == 1


def test_a_worker_that_dies_leaves_the_rows_to_the_build(
    tmp_path: Path, answered: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def dying(*args: object) -> None:
        os._exit(3)  # in the forked worker: no outcomes, no message

    monkeypatch.setattr(row_worker, "_serve", dying)
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    worker = _seen_with_page(docs, tmp_path / "worker", xenabi_parallel_reading=True)
    assert answered == ["none"]  # run in place after all
    assert worker[0][0] == 0  # type: ignore[index]
    assert worker == _seen_with_page(docs, tmp_path / "in-place", xenabi_parallel_reading=False)


def test_a_worker_whose_rows_fail_to_run_leaves_them_to_the_build(
    tmp_path: Path, answered: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sphinx_xenabi.emulator import row_execution

    calls: list[str] = []
    real = row_execution.execute_registry

    def failing_in_the_worker(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            raise RuntimeError("the emulator broke")
        calls.append("here")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    parent = os.getpid()
    monkeypatch.setattr(row_execution, "execute_registry", failing_in_the_worker)
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    worker = _seen_with_page(docs, tmp_path / "worker", xenabi_parallel_reading=True)
    assert answered == ["none"] and calls == ["here"]
    assert worker == _seen_with_page(docs, tmp_path / "in-place", xenabi_parallel_reading=False)


def test_a_fresh_build_with_a_filled_shared_cache_forks_no_worker(
    tmp_path: Path, answered: list[str], forked: list[str]
) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    shared = str(tmp_path / "shared")
    first = seen(build(docs, tmp_path / "one", True, xenabi_fact_cache=shared))
    assert forked == ["_read_and_send", "_serve"]  # an empty cache: both workers
    assert answered == ["outcomes"]
    other = seen(build(docs, tmp_path / "two", True, xenabi_fact_cache=shared))
    assert forked == ["_read_and_send", "_serve"]  # the reading and the rows were cached
    assert other == first


def test_the_worker_runs_the_rows_while_the_build_checks_the_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The drift check in place (here: the reading worker fails to answer)
    # starts once the rows are on their way, not after they are back.
    from sphinx_xenabi.model import drift

    events: list[str] = []
    send, receive, check = row_worker._send, row_worker._receive, drift.check_registry

    def sending(*args: object) -> bool:
        sent = send(*args)  # type: ignore[arg-type]
        events.append("rows sent" if sent else "rows not sent")
        return sent

    def receiving(*args: object) -> object:
        outcomes = receive(*args)  # type: ignore[arg-type]
        events.append("outcomes taken" if outcomes is not None else "no outcomes")
        return outcomes

    def checking(*args: object) -> object:
        events.append("tables checked here")
        return check(*args)  # type: ignore[arg-type]

    def no_findings(*args: object) -> None:
        raise RuntimeError("no findings")

    monkeypatch.setattr(row_worker, "_send", sending)
    monkeypatch.setattr(row_worker, "_receive", receiving)
    monkeypatch.setattr(drift, "check_registry", checking)
    monkeypatch.setattr(early_reading, "_findings", no_findings)
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    overlapped = seen(build(docs, tmp_path / "worker", True, xenabi_parallel_reading=True))
    assert events == ["rows sent", "tables checked here", "outcomes taken"]
    assert overlapped == seen(
        build(docs, tmp_path / "in-place", True, xenabi_parallel_reading=False)
    )


def test_the_worker_runs_the_model_s_rows_ahead_while_the_documents_are_read(
    tmp_path: Path, answered: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sphinx_xenabi.emulator import row_execution
    from sphinx_xenabi.model.spec import Release

    ahead = tmp_path / "ran-ahead"
    warm, execute = row_execution.RowRunner.warm, row_execution.execute_registry

    def warming(self: row_execution.RowRunner, release: Release, stop: object) -> int:
        ran = warm(self, release, stop=lambda: False)  # all of it, however fast the docs are read
        ahead.write_text(f"{ran} {len(self._done)}")  # in the worker: its only way to say
        return ran

    def executing(*args: object, runner: row_execution.RowRunner | None = None) -> object:
        outcomes = execute(*args, runner=runner)  # type: ignore[arg-type]
        with ahead.open("a") as record:
            record.write(f" {len(runner._done) if runner else 'none'}")
        return outcomes

    monkeypatch.setattr(row_execution.RowRunner, "warm", warming)
    monkeypatch.setattr(row_execution, "execute_registry", executing)
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    worker = seen(build(docs, tmp_path / "worker", True, xenabi_parallel_reading=True))
    assert answered == ["outcomes"]
    ran, warmed, after = (int(n) for n in ahead.read_text().split())
    # It ran checks ahead, and the docs (which agree with the model) needed no other.
    assert ran > 0 and warmed == ran and after == warmed, (ran, warmed, after)
    assert worker == seen(build(docs, tmp_path / "in-place", True, xenabi_parallel_reading=False))
