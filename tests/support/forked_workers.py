"""Fixtures for the tests of the worker processes (``results/early_reading.py``,
``results/row_worker.py``): which workers a build forked, and forking from
the test runner's own threaded process."""

from __future__ import annotations

import multiprocessing.context

import pytest

from sphinx_xenabi.results import early_reading


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The target of each worker process a build forks, in order."""
    started: list[str] = []
    start = multiprocessing.context.ForkProcess.start

    def counted(self: multiprocessing.context.ForkProcess) -> None:
        started.append(getattr(self._target, "__name__", "?"))  # type: ignore[attr-defined]
        start(self)

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", counted)
    return started


@pytest.fixture
def forking_regardless(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers forked even from a process with other threads.

    pytest-xdist's worker runs a thread of its own, where a build reads in
    place (``tests/sphinx/test_threaded_host.py``); the worker tests fork on purpose.
    """
    monkeypatch.setattr(early_reading, "_single_threaded", lambda: True)
