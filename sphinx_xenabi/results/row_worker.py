"""Running the table rows in a worker process forked before the documents are read.

Unicorn and the emulator take about 13 MiB and 30 ms to load, more than
anything else a fresh build adds to plain Sphinx. So a fresh build forks a
worker at ``builder-inited``, while its process is still small; the worker
loads the emulator while Sphinx reads the documents (on another core),
then runs, while it waits for the rows, the checks that docs agreeing
with the model will ask for (the model's own rows of the release the
configuration names and of each revision,
:meth:`~sphinx_xenabi.emulator.row_execution.RowRunner.warm`).
At ``env-updated`` the build sends it the
registry and takes the outcomes back (:func:`start_rows`): the build's own
process never loads Unicorn. The outcomes are the same either way (the
same function on the same registry); a worker that is not there, fails or
dies means the rows run in the build's process, as they always did.

Only a fresh build with an empty fact cache forks one (an environment
without documents yet, as ``check``'s always is): a rebuild runs rows only
when a table changed, and a fresh build whose cache another build filled
most likely finds its rows there; a worker would cost them a fork for
nothing. ``xenabi_parallel_reading = False`` runs the rows in place, as it
reads the source in place.
"""

from __future__ import annotations

import multiprocessing
import pickle
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sphinx_xenabi.log import logger
from sphinx_xenabi.model.fact_cache import dumps
from sphinx_xenabi.results.cached_facts import facts_of
from sphinx_xenabi.results.early_reading import (
    GRACE_SECONDS,
    PATIENCE_SECONDS,
    begin_worker,
    build_ends,
    can_fork,
    end_worker,
    send_answer,
)
from sphinx_xenabi.results.release import described_release
from sphinx_xenabi.results.state import executes

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from sphinx.application import Sphinx

    from sphinx_xenabi.emulator.row_execution import RowRunner
    from sphinx_xenabi.model.registry import Registry
    from sphinx_xenabi.model.row_outcome import RowOutcome
    from sphinx_xenabi.model.spec import Release


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection  # the build's end: the registry goes out, the outcomes come in


# What the worker says once the emulator is loaded and it listens.
READY = b"ready"

_WORKERS: WeakKeyDictionary[Sphinx, _Worker] = WeakKeyDictionary()
# Workers that sent their outcomes, ending by themselves: reaped at build-finished.
_ENDING: WeakKeyDictionary[Sphinx, _Worker] = WeakKeyDictionary()


def start_row_worker(app: Sphinx) -> None:
    """``builder-inited``: fork the worker, if this is a fresh build that runs rows."""
    if not app.config.xenabi_parallel_reading or not executes(app) or not can_fork():
        return
    if app.env.all_docs:
        return  # a rebuild: rows run only if a table changed, and then in place
    if facts_of(app).entries:
        # A cache another build filled (xenabi_fact_cache, check --cache-dir)
        # most likely holds these rows: a worker would be forked for nothing.
        return
    context = multiprocessing.get_context("fork")
    try:
        mine, theirs = context.Pipe(duplex=True)
    except OSError:
        return  # no descriptors left: the rows run in place
    # The reading worker's pipe ends, held by the build, are closed in this worker too.
    # The release the rows will most likely run for: the one the configuration names.
    release = described_release(app)
    process = context.Process(
        target=_serve, args=(theirs, [mine, *build_ends(app)], release), daemon=True
    )
    try:
        process.start()
    except (OSError, AssertionError):
        # No process to be had (EAGAIN, ENOMEM), or a daemonic build process,
        # which multiprocessing lets have no children: the rows run in place.
        mine.close()
        return
    finally:
        theirs.close()  # the worker holds the only other end: a dead worker is an EOF
    _WORKERS[app] = _Worker(process, mine)


def _serve(connection: Connection, builds_ends: list[Connection], release: str) -> None:
    """In the worker: load the emulator, say so, run ahead what the rows will most
    likely ask for, wait for the registry, send the outcomes."""
    begin_worker(builds_ends)  # its own pipe's end and the reading worker's
    # Nothing here may end in a traceback on the build's terminal: any failure,
    # even to load the emulator, is an answer, and the build runs the rows itself.
    execute: Callable[[Registry, Release], Iterable[RowOutcome]] | None = None
    failure = ""
    try:
        from sphinx_xenabi.emulator.row_execution import execute_registry  # Unicorn: loaded now

        execute = execute_registry
    except Exception as exc:  # noqa: BLE001
        failure = repr(exc)
    try:
        connection.send_bytes(READY)
        if execute is not None:
            execute = partial(execute_registry, runner=_ran_ahead(release, connection))
        request = connection.recv_bytes()
    except (EOFError, OSError):
        return  # the build took its rows from the cache, or ended
    answer: tuple[str, object] = ("failed", failure)
    if execute is not None:
        try:
            registry, release_asked = pickle.loads(request)
            answer = ("ran", tuple(execute(registry, release_asked)))
        except Exception as exc:  # noqa: BLE001
            answer = ("failed", repr(exc))
    send_answer(connection, answer)
    connection.close()


def _ran_ahead(release: str, connection: Connection) -> RowRunner | None:
    """A runner that ran the model's rows of ``release`` until the registry came;
    None if that failed (the rows then run from scratch: it is a head start only)."""
    try:
        from sphinx_xenabi.emulator.row_execution import RowRunner
        from sphinx_xenabi.model.abi import NEWEST_MODELLED_RELEASE
        from sphinx_xenabi.model.releases import Release

        try:
            # As the gate reads it (results/release.py): no MAJOR.MINOR means the newest model.
            stated = Release.parse(release)
        except ValueError:
            stated = NEWEST_MODELLED_RELEASE
        runner = RowRunner()
        runner.warm(stated, stop=lambda: connection.poll(0))
    except Exception:  # noqa: BLE001
        return None
    return runner


def start_rows(
    app: Sphinx, registry: Registry, release: Release
) -> Callable[[], tuple[RowOutcome, ...]]:
    """Send the rows to the worker, if there is one; the function returned gives
    their outcomes (the worker's, else run here).

    In between, the build's process is free: it checks the tables against
    the reference while the worker runs the rows (the model's drift check
    runs in place).
    """
    worker = _WORKERS.get(app)
    sent = worker is not None and _send(worker, registry, release)

    def outcomes() -> tuple[RowOutcome, ...]:
        # Still among the workers until here: a build failing in between stops it.
        if worker is not None and _WORKERS.get(app) is worker:
            del _WORKERS[app]
            received = None
            try:
                received = _receive(worker, sent)
            finally:
                if received is None:
                    _stop(worker)
                else:  # it ends by itself: reaped at build-finished, not waited for here
                    worker.connection.close()
                    _ENDING[app] = worker
            if received is not None:
                return received
        from sphinx_xenabi.emulator.row_execution import execute_registry

        return tuple(execute_registry(registry, release))

    return outcomes


def _send(worker: _Worker, registry: Registry, release: Release) -> bool:
    connection = worker.connection
    try:
        # Ready first: a worker stuck before it could listen must not block the
        # sending of a large registry.
        if not connection.poll(PATIENCE_SECONDS) or connection.recv_bytes() != READY:
            return False
        connection.send_bytes(dumps((registry, release)))
    except (EOFError, OSError):
        return False  # the worker died: the rows run here
    return True


def _receive(worker: _Worker, sent: bool) -> tuple[RowOutcome, ...] | None:
    """The worker's outcomes, if it was sent the rows and answered with them."""
    connection = worker.connection
    if not sent:
        return None
    try:
        if not connection.poll(PATIENCE_SECONDS):  # a worker that hangs must not hang the build
            return None
        kind, value = pickle.loads(connection.recv_bytes())
    except (EOFError, OSError, pickle.UnpicklingError):
        return None  # the worker died or garbled its answer: the rows run here
    if kind != "ran":
        logger.verbose("xenabi: the row worker failed (%s); the rows run in place", value)
        return None
    outcomes: tuple[RowOutcome, ...] = value
    return outcomes


def stop_row_worker(app: Sphinx, exception: BaseException | None = None) -> None:
    """``build-finished``: end a worker the build did not need (its rows were cached)."""
    worker = _WORKERS.pop(app, None)
    if worker is not None:
        _stop(worker)
    ending = _ENDING.pop(app, None)
    if ending is not None:
        _stop(ending, grace=GRACE_SECONDS)


def _stop(worker: _Worker, grace: float = 0.0) -> None:
    end_worker(worker.connection, worker.process, grace)
