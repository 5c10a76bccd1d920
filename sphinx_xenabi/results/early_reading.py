"""Reading the Xen source in a worker process while Sphinx reads the documents.

Reading a Xen tree (the C preprocessor over its dispatch and trap files,
its Kconfig) takes a fifth of a fresh build of Xen's docs, and needs
nothing Sphinx reads. So at ``builder-inited``, when the fact cache holds
no reading of the tree as it is now, a forked worker process reads it, and
the build takes the worker's reading at ``env-updated``
(:func:`~sphinx_xenabi.results.reference_choice.load_reference`): on two
cores the reading costs no wall time. The reading is a function of the
tree's files alone, so it is the same reading either way; a tree the reader
refuses is refused with the same message.

The worker sends the reading pickled, as the fact cache keeps it, with
the summary every build needs: the build stores it without unpickling it,
so its own process loads none of the reader's modules. It sends the code key
too (``model/code_key.py``), which keys the reading: the build takes it
while its modules keep the stamps the worker hashed them with, and does not
hash the package itself. The worker then
stays to check the tables against its reading (:func:`ask_findings`), which
the build asks for at ``env-updated`` when the fact cache has no findings
for these tables and this reading, at the same time as it asks the row
worker for the rows: the two run side by side.

It is read in place instead with ``xenabi_parallel_reading = False``, on one
core, where fork is not available, or if the worker fails in any other way
(a bug then shows as itself, in the build's own process).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sphinx_xenabi.log import logger
from sphinx_xenabi.model.code_key import code_key_stamps, offer_code_key
from sphinx_xenabi.model.fact_cache import dumps
from sphinx_xenabi.results.cached_facts import facts_of
from sphinx_xenabi.results.reference_choice import (
    PickledReading,
    ReadingRefused,
    SourceRequest,
    SourceSummary,
    source_request,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from sphinx.application import Sphinx

    from sphinx_xenabi.model.fact_cache import FactCache
    from sphinx_xenabi.model.problems import Problem
    from sphinx_xenabi.model.registry import Registry
    from sphinx_xenabi.model.spec import AbiSpec, Release
    from sphinx_xenabi.model.xen_source.reader import XenSource


@dataclass
class _Worker:
    request: SourceRequest
    process: BaseProcess
    connection: Connection  # the build's end: the reading comes in, then the tables go out


_WORKERS: WeakKeyDictionary[Sphinx, _Worker] = WeakKeyDictionary()
# Workers whose reading was taken, waiting to be asked for the findings.
_ANSWERING: WeakKeyDictionary[Sphinx, _Worker] = WeakKeyDictionary()
# Workers that said all they will, ending by themselves: reaped at build-finished.
_ENDING: WeakKeyDictionary[Sphinx, _Worker] = WeakKeyDictionary()
# What builder-inited found of the cached reading, so env-updated does not
# check the tree's files a second time.
_CHECKED: WeakKeyDictionary[Sphinx, tuple[SourceRequest, SourceSummary | None]] = (
    WeakKeyDictionary()
)


# How long the build waits for the worker's reading before reading the tree
# itself: a worker that hangs (a lock held by another thread at the fork)
# must not hang the build. Reading Xen's largest tree takes about a second.
PATIENCE_SECONDS = 120.0
# How long a worker that has sent everything is given to end before it is terminated.
GRACE_SECONDS = 5.0


def _cores() -> int:
    """The cores this process may run on (a container's limit, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether a worker can help: processes can be forked, another core runs them, and
    this process runs no other thread."""
    return fork_available() and _single_threaded()


def fork_available() -> bool:
    """Whether the platform forks processes and gives this one more than one core."""
    return "fork" in multiprocessing.get_all_start_methods() and _cores() > 1


def _single_threaded() -> bool:
    # A fork copies only the thread that calls it: a lock another thread holds
    # at that moment (logging's, a stream's) stays held in the worker for good,
    # and Python 3.12 warns of exactly this. A build in a process with other
    # threads (a language server, a test runner's worker) reads the source and
    # runs the rows itself, as with xenabi_parallel_reading = False. Linux lists
    # every thread, those C code started too (a test runner's I/O thread is one);
    # elsewhere, the threads Python started are what can be counted.
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return threading.active_count() == 1


# How much lower a worker's scheduling priority is than the build's. The two
# workers start together while Sphinx reads: on two cores, three processes
# ready to run would take a third of a core from the build, which waits for
# neither until its documents are read. Lowered, they run on the other core
# and on whatever the build leaves idle.
WORKER_NICENESS = 10


def yield_to_the_build() -> None:
    """In a worker: let the build's own process go first when they compete for a core."""
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        pass  # a platform without priorities: the worker runs as it is


def start_early_reading(app: Sphinx) -> None:
    """``builder-inited``: start reading the Xen source in a worker, if it must be read."""
    if not app.config.xenabi_parallel_reading or not can_fork():
        return
    request = source_request(app)
    if request is None:
        return  # the model: nothing to read
    summary = request.held_summary(facts_of(app))
    _CHECKED[app] = (request, summary)
    if summary is not None:
        return  # a reading the cache holds
    context = multiprocessing.get_context("fork")
    try:
        mine, theirs = context.Pipe(duplex=True)
    except OSError:
        return  # no descriptors left: the build reads the tree itself
    process = context.Process(target=_read_and_send, args=(request, theirs, mine), daemon=True)
    try:
        process.start()
    except (OSError, AssertionError):
        # No process to be had (EAGAIN, ENOMEM), or a daemonic build process,
        # which multiprocessing lets have no children: the build reads the tree itself.
        mine.close()
        return
    finally:
        theirs.close()  # the worker holds the only other end: a dead worker is an EOF
    _WORKERS[app] = _Worker(request, process, mine)


def begin_worker(builds_ends: list[Connection]) -> None:
    """First thing in a forked worker (this module's and the row worker)."""
    # Ctrl-C reaches the whole process group: the build handles it, and the
    # worker ends with the build's end of its pipe, not with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    yield_to_the_build()
    # The fork shares the build's memory until either writes to it, and a
    # collection writes to every object it visits: left to collect what it
    # inherited, the worker would copy the build's pages and spend its time
    # walking them. It is short-lived; what it inherited goes when it ends.
    gc.freeze()
    # The build's ends, inherited by the fork, are closed here so that a build
    # killed outright is an EOF to the workers rather than a wait forever.
    for end in builds_ends:
        end.close()


def _read_and_send(request: SourceRequest, connection: Connection, builds_end: Connection) -> None:
    """In the worker: read the tree and send the reading (or why the reader refused
    it), then check the tables against it if the build asks."""
    begin_worker([builds_end])
    from sphinx_xenabi.model.xen_source.configuration import ConfigurationError
    from sphinx_xenabi.model.xen_source.tree import SourceError

    source: XenSource | None = None
    outcome: tuple[str, object]
    try:
        # The code key first: the build needs it as soon as it takes the reading,
        # and hashing the package here spares it that (see early_reading).
        code = code_key_stamps()
        source = request.read()
        reading = PickledReading(SourceSummary.of(source), source.manifest, dumps(source))
        outcome = ("read", (reading, code))
    except (SourceError, ConfigurationError) as exc:
        outcome = ("refused", str(exc))
    except Exception as exc:  # noqa: BLE001 - any other failure: the build reads it itself
        outcome = ("failed", repr(exc))
    if not send_answer(connection, outcome) or source is None:
        connection.close()
        return
    # Idle while the build reads its documents: load the drift check and work
    # out the reading's spec now, not once the build waits for the findings.
    spec = None
    try:
        from sphinx_xenabi.model import drift  # noqa: F401

        spec = source.spec()
    except Exception:  # noqa: BLE001 - _findings meets (and reports) it again
        pass
    try:
        asked = connection.recv_bytes()
    except (EOFError, OSError):
        return  # the build had the findings already, or ended
    answer: tuple[str, object]
    try:
        answer = ("found", _findings(source, asked, spec))
    except Exception as exc:  # noqa: BLE001 - the build checks the tables itself
        answer = ("failed", repr(exc))
    send_answer(connection, answer)
    connection.close()


def _findings(source: XenSource, asked: bytes, spec: AbiSpec | None = None) -> tuple[Problem, ...]:
    """In the worker: the drift check of the tables the build sent, against its reading
    (``spec``: the reading's, when already worked out)."""
    from sphinx_xenabi.model.drift import check_registry

    registry, release = pickle.loads(asked)
    return tuple(check_registry(registry, release, source.spec() if spec is None else spec))


def send_answer(connection: Connection, message: tuple[str, object]) -> bool:
    """In a worker: send ``message`` (a failure to pickle it sent as a failure); False if the build is gone."""
    try:
        try:
            data = dumps(message)
        except Exception as exc:  # noqa: BLE001 - something that cannot be sent
            data = dumps(("failed", repr(exc)))
        connection.send_bytes(data)
    except OSError:
        return False
    return True


def checked_summary(app: Sphinx, request: SourceRequest, cache: FactCache) -> SourceSummary | None:
    """The cached reading's summary as builder-inited found it, else checked now."""
    checked = _CHECKED.pop(app, None)
    if checked is not None and checked[0] == request:
        return checked[1]
    return request.held_summary(cache)


def early_reading(app: Sphinx, request: SourceRequest) -> PickledReading | None:
    """The worker's reading of ``request``; None when there is none to take.

    Raises :class:`ReadingRefused` with the reader's own words for a tree it refused.
    """
    worker = _WORKERS.pop(app, None)
    if worker is None:
        return None
    try:
        if worker.request != request or not _answered(worker):
            _stop(worker)
            return None
        kind, value = pickle.loads(worker.connection.recv_bytes())
    except (EOFError, OSError, pickle.UnpicklingError):
        _stop(worker)
        return None  # the worker died: read the tree here
    if kind != "read":
        # It has said all it will: it ends by itself, and is reaped at
        # build-finished rather than waited for here, before the pages are written.
        _let_end(app, worker)
        if kind == "refused":
            raise ReadingRefused(value)
        return None
    _ANSWERING[app] = worker
    logger.verbose("xenabi: the Xen source at %s was read while the documents were", request.path)
    reading: PickledReading
    reading, (code, stamps) = value
    # Taken only while every module still has the stamps the worker saw.
    offer_code_key(stamps, code)
    return reading


def ask_findings(
    app: Sphinx, registry: Registry, release: Release
) -> Callable[[], tuple[Problem, ...] | None]:
    """Send the worker the tables to check against its reading; the returned function waits.

    It gives None when there is no worker to ask (the reading came from the
    fact cache or was read in place) or the worker failed: the build then
    checks the tables itself.
    """
    # Kept among the answering workers until it has answered: a build that
    # fails meanwhile still ends it at build-finished.
    worker = _ANSWERING.get(app)
    if worker is None:
        return lambda: None
    try:
        worker.connection.send_bytes(dumps((registry, release)))
    except Exception:  # noqa: BLE001 - gone, or tables that cannot be sent: checked here
        _stop(_ANSWERING.pop(app))
        return lambda: None

    def answer() -> tuple[Problem, ...] | None:
        _ANSWERING.pop(app, None)
        try:
            if not worker.connection.poll(PATIENCE_SECONDS):
                _stop(worker)
                return None
            kind, value = pickle.loads(worker.connection.recv_bytes())
        except Exception:  # noqa: BLE001 - died or garbled its answer: checked here
            _stop(worker)
            return None
        _let_end(app, worker)
        if kind != "found":
            logger.verbose(
                "xenabi: the reading worker failed (%s); the tables are checked here", value
            )
            return None
        findings: tuple[Problem, ...] = value
        return findings

    return answer


def build_ends(app: Sphinx) -> list[Connection]:
    """The build's ends of its pipes to this module's workers, for a later fork to close.

    A process forked after them (the row worker) would otherwise hold them
    open, and a worker would not see the build close its end.
    """
    held = (_WORKERS.get(app), _ANSWERING.get(app))
    return [worker.connection for worker in held if worker is not None]


def _let_end(app: Sphinx, worker: _Worker) -> None:
    """A worker that has said all it will: let it end, and reap it at build-finished."""
    worker.connection.close()
    _ENDING[app] = worker


def _answered(worker: _Worker) -> bool:
    """Whether the worker sent something (or ended) within :data:`PATIENCE_SECONDS`."""
    return worker.connection.poll(PATIENCE_SECONDS)


def stop_early_reading(app: Sphinx, exception: BaseException | None = None) -> None:
    """``build-finished``: end a worker whose reading the build never took, or that
    was never asked to check the tables (the closed pipe tells it to end), and reap
    the ones that said all they would."""
    _CHECKED.pop(app, None)
    worker = _WORKERS.pop(app, None)
    if worker is not None:
        _stop(worker)
    answering = _ANSWERING.pop(app, None)
    if answering is not None:
        _stop(answering, grace=GRACE_SECONDS)
    ending = _ENDING.pop(app, None)
    if ending is not None:
        _stop(ending, grace=GRACE_SECONDS)


def _stop(worker: _Worker, grace: float = 0.0) -> None:
    end_worker(worker.connection, worker.process, grace)


def end_worker(connection: Connection, process: BaseProcess, grace: float = 0.0) -> None:
    """End a worker: one that has sent everything is given ``grace`` seconds to end itself."""
    connection.close()
    if grace:
        process.join(timeout=grace)
    if process.is_alive():
        process.terminate()
    process.join()
