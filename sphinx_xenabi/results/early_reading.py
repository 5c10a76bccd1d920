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

It is read in place instead with ``xenabi_parallel_reading = False``, on one
core, where fork is not available, or if the worker fails in any other way
(a bug then shows as itself, in the build's own process).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sphinx_xenabi.log import logger
from sphinx_xenabi.model.fact_cache import dumps
from sphinx_xenabi.results.cached_facts import facts_of
from sphinx_xenabi.results.reference_choice import SourceRequest, SourceSummary, source_request

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from sphinx.application import Sphinx

    from sphinx_xenabi.model.fact_cache import FactCache
    from sphinx_xenabi.model.xen_source.reader import XenSource


@dataclass
class _Worker:
    request: SourceRequest
    process: BaseProcess
    receiver: Connection


_WORKERS: WeakKeyDictionary[Sphinx, _Worker] = WeakKeyDictionary()
# Workers whose reading was taken, ending by themselves: reaped at build-finished.
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
    """Whether a worker can help: processes can be forked and another core runs them."""
    return "fork" in multiprocessing.get_all_start_methods() and _cores() > 1


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
        receiver, sender = context.Pipe(duplex=False)
    except OSError:
        return  # no descriptors left: the build reads the tree itself
    process = context.Process(target=_read_and_send, args=(request, sender), daemon=True)
    try:
        process.start()
    except (OSError, AssertionError):
        # No process to be had (EAGAIN, ENOMEM), or a daemonic build process,
        # which multiprocessing lets have no children: the build reads the tree itself.
        receiver.close()
        return
    finally:
        sender.close()  # the worker holds the only sending end: a dead worker is an EOF
    _WORKERS[app] = _Worker(request, process, receiver)


def _read_and_send(request: SourceRequest, sender: Connection) -> None:
    """In the worker: read the tree and send the reading, or why the reader refused it."""
    # Ctrl-C reaches the whole process group: the build handles it, not this worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from sphinx_xenabi.model.xen_source.configuration import ConfigurationError
    from sphinx_xenabi.model.xen_source.tree import SourceError

    outcome: tuple[str, object]
    try:
        outcome = ("read", request.read())
    except (SourceError, ConfigurationError) as exc:
        outcome = ("refused", exc)
    except Exception as exc:  # noqa: BLE001 - any other failure: the build reads it itself
        outcome = ("failed", repr(exc))
    try:
        try:
            data = dumps(outcome)
        except Exception as exc:  # noqa: BLE001 - a reading that cannot be sent
            data = dumps(("failed", repr(exc)))
        sender.send_bytes(data)
    except OSError:
        pass  # the build is gone
    sender.close()


def checked_summary(app: Sphinx, request: SourceRequest, cache: FactCache) -> SourceSummary | None:
    """The cached reading's summary as builder-inited found it, else checked now."""
    checked = _CHECKED.pop(app, None)
    if checked is not None and checked[0] == request:
        return checked[1]
    return request.held_summary(cache)


def early_reading(app: Sphinx, request: SourceRequest) -> XenSource | None:
    """The worker's reading of ``request``; None when there is none to take.

    Raises the reader's own error for a tree it refused.
    """
    worker = _WORKERS.pop(app, None)
    if worker is None:
        return None
    try:
        if worker.request != request or not _answered(worker):
            _stop(worker)
            return None
        data = worker.receiver.recv_bytes()
    except (EOFError, OSError):
        _stop(worker)
        return None  # the worker died: read the tree here
    # It has said all it will: it ends by itself, and is reaped at build-finished
    # rather than waited for here, before the pages are written.
    worker.receiver.close()
    _ENDING[app] = worker
    kind, value = pickle.loads(data)
    if kind == "refused":
        raise value
    if kind != "read":
        return None
    logger.verbose("xenabi: the Xen source at %s was read while the documents were", request.path)
    return value


def _answered(worker: _Worker) -> bool:
    """Whether the worker sent something (or ended) within :data:`PATIENCE_SECONDS`."""
    return worker.receiver.poll(PATIENCE_SECONDS)


def stop_early_reading(app: Sphinx, exception: BaseException | None = None) -> None:
    """``build-finished``: end a worker whose reading the build never took."""
    _CHECKED.pop(app, None)
    worker = _WORKERS.pop(app, None)
    if worker is not None:
        _stop(worker)
    ending = _ENDING.pop(app, None)
    if ending is not None:
        _stop(ending, grace=GRACE_SECONDS)


def _stop(worker: _Worker, grace: float = 0.0) -> None:
    end_worker(worker.receiver, worker.process, grace)


def end_worker(connection: Connection, process: BaseProcess, grace: float = 0.0) -> None:
    """End a worker: one that has sent everything is given ``grace`` seconds to end itself."""
    connection.close()
    if grace:
        process.join(timeout=grace)
    if process.is_alive():
        process.terminate()
    process.join()
