"""The build's fact cache: where it is kept and what each cached computation is keyed by.

The cache (:mod:`sphinx_xenabi.model.fact_cache`) lives in the build
environment's directory (the doctree directory, beside Sphinx's own
``environment.pickle``), so ``sphinx-build`` again and sphinx-autobuild
reuse it, and removing the build directory removes it; or, with
``xenabi_fact_cache``, in a directory build directories share, one file per
docs directory, so a fresh build reuses it too. A build reuses:

* the Xen source reading, while every file it opened or looked for has the
  content it had (the key: the tree, the configuration and the code);
* the drift check's findings, while the registry, the release and the
  reference's facts are the same;
* the executed rows, while the registry (every table, cell and line) and
  the release are the same: the rows run on a dispatcher built from the
  docs' own tables, so nothing else decides them;
* each ``xenabi-verifies`` block's outcome, while the block, the
  reference's facts and the release are the same;
* the build's whole result, while its inputs are the same
  (``results/result_key.py`` and ``results/settling.py``).

Anything else (a new table, an edited ``traps.c``, another ``.config``)
computes afresh, exactly as a fresh build would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sphinx_xenabi.model.code_key import code_key
from sphinx_xenabi.model.content_key import digest
from sphinx_xenabi.model.fact_cache import FactCache

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from sphinx_xenabi.model.problems import Problem
    from sphinx_xenabi.model.registry import Registry
    from sphinx_xenabi.model.row_outcome import RowOutcome
    from sphinx_xenabi.model.spec import Release
    from sphinx_xenabi.model.verification import BlockOutcome, ExampleBlock
    from sphinx_xenabi.results.reference_choice import Reference

CACHE_FILE = "xenabi-facts.pickle"


# Each build's cache, loaded once: the early reading (builder-inited) and the
# settling (env-updated) share it, and build-finished lets it go.
_FACTS: WeakKeyDictionary[Sphinx, FactCache] = WeakKeyDictionary()


def facts_of(app: Sphinx) -> FactCache:
    """``app``'s build's fact cache, loaded from :func:`cache_path` on first use."""
    facts = _FACTS.get(app)
    if facts is None:
        facts = _FACTS[app] = FactCache.load(cache_path(app))
    return facts


def let_go_of_facts(app: Sphinx) -> None:
    _FACTS.pop(app, None)


def cache_path(app: Sphinx) -> Path:
    """The doctree directory's cache, or this docs directory's file in ``xenabi_fact_cache``."""
    shared = app.config.xenabi_fact_cache
    if not shared:
        return Path(app.doctreedir) / CACHE_FILE
    directory = Path(app.confdir) / Path(str(shared)).expanduser()
    docs = digest(str(Path(app.srcdir).resolve()))[:16]
    return directory / f"{Path(CACHE_FILE).stem}-{docs}{Path(CACHE_FILE).suffix}"


def registry_key(registry: Registry) -> str:
    """The registry's content, every table, cell and line of it, as one key."""
    # The text's own hash: ``digest`` would first copy the whole text into a
    # JSON list, and the text is as large as the tables (megabytes on a
    # large tree), at the point of the build that holds the most.
    return hashlib.sha256(registry.to_json().encode("utf-8")).hexdigest()


def drift_findings(
    cache: FactCache,
    registry: Registry,
    registry_key: str,
    release: Release,
    reference: Reference,
    ask: Callable[[Registry, Release], Callable[[], tuple[Problem, ...] | None]] | None = None,
) -> Callable[[], tuple[Problem, ...]]:
    """The drift check's findings, computed again only when the tables or the reference changed.

    Returned as a function to call for them: ``ask`` (the worker that read
    the source, ``results/early_reading.py``) is sent the tables at once and
    checks them while the build waits for other work; without an answer
    from it they are checked here.
    """
    if reference.error is not None:
        return lambda: ()
    key = digest("findings", code_key(), registry_key, str(release), reference.key)
    known: tuple[Problem, ...] | None = cache.lookup(key)
    if known is not None:
        return lambda: known
    answer = None if ask is None else ask(registry, release)

    def findings() -> tuple[Problem, ...]:
        found = None if answer is None else answer()
        if found is None:
            from sphinx_xenabi.model.drift import check_registry  # not needed while cached

            found = tuple(check_registry(registry, release, reference.spec))
        cache.store(key, found)
        return found

    return findings


def executed_rows(
    cache: FactCache,
    registry: Registry,
    registry_key: str,
    release: Release,
    start: Callable[[Registry, Release], Callable[[], tuple[RowOutcome, ...]]],
) -> Callable[[], tuple[RowOutcome, ...]]:
    """Every executed row's outcome, run on the emulated CPU unless the registry is unchanged.

    Returned as a function to call for them: ``start`` (the row worker,
    ``results/row_worker.py``) is sent the rows at once and runs them while
    the build does other work.
    """
    key = digest("rows", code_key(), str(release), registry_key)
    known: tuple[RowOutcome, ...] | None = cache.lookup(key)
    if known is not None:
        return lambda: known
    outcomes = start(registry, release)

    def executed() -> tuple[RowOutcome, ...]:
        found = outcomes()
        cache.store(key, found)
        return found

    return executed


def block_outcomes(
    cache: FactCache,
    blocks: Sequence[ExampleBlock],
    facts_key: str,
    run: Callable[[Sequence[ExampleBlock]], Sequence[BlockOutcome]],
) -> tuple[BlockOutcome, ...]:
    """Each block's outcome, reused where the block and the facts it ran on are unchanged.

    ``facts_key`` names the reference's facts and the release; ``run``
    runs the blocks not found, in one namespace set-up.
    """
    from sphinx_xenabi.model.verification import BlockOutcome

    keys = [digest("examples", code_key(), facts_key, repr(block)) for block in blocks]
    found: dict[int, BlockOutcome] = {}
    for index, key in enumerate(keys):
        known = cache.lookup(key)
        if isinstance(known, BlockOutcome):
            found[index] = known
    missing = [index for index in range(len(blocks)) if index not in found]
    if missing:
        for index, outcome in zip(missing, run([blocks[i] for i in missing]), strict=True):
            cache.store(keys[index], outcome)
            found[index] = outcome
    return tuple(found[index] for index in range(len(blocks)))
