"""Settling the build's result at ``env-updated``: produced, or reused when nothing it depends on changed.

Every build settles a result, so a no-op rebuild of drifted docs still
fails. When the build's inputs (``results/result_key.py``) are those of a
build whose result is in the fact cache, nothing is checked, run or
encoded again: the result's
:class:`~sphinx_xenabi.results.account.ResultAccount` (what it logs and
decides) is logged as the first build logged it, the published files are
the texts that build published, and the result itself is unpickled only if
a page, a doctest or the command line asks for it. A writer's rebuild after
editing prose thus costs what plain Sphinx's does.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.model.atomic import write_atomic
from sphinx_xenabi.model.content_key import ABSENT, digest
from sphinx_xenabi.results.account import (
    ReferenceFiles,
    ResultAccount,
    Settled,
    note_settled,
    report_account,
    settled_of,
)
from sphinx_xenabi.results.cached_facts import cache_path, facts_of, let_go_of_facts
from sphinx_xenabi.results.early_reading import checked_summary, early_reading
from sphinx_xenabi.results.reference_choice import Reference, load_reference, source_request
from sphinx_xenabi.results.result_key import result_key
from sphinx_xenabi.results.state import executes, forget_current, keep_result, set_build_state

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    from sphinx_xenabi.model.fact_cache import FactCache
    from sphinx_xenabi.results.build_result import BuildResult

# The domain remembers the key of the result its pages were last written with.
_WRITTEN_WITH = "result_key"
# The same key, also kept in a file beside the environment: a build whose new
# result changes no page pickles no environment, and without the file every
# later rebuild would look through the pages for the new result again.
WRITTEN_WITH_FILE = "xenabi-pages-result"


def _identity(reference: Reference) -> tuple[str, str, str | None, str | None]:
    return reference.key, reference.name, reference.error, reference.note


def settle_result(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-updated``: the build's one result, kept for the later phases and reported."""
    cache = facts_of(app)
    reference = _reference(app, cache)
    key = result_key(app, env, _identity(reference))
    account = cache.lookup(digest("account", key))
    if isinstance(account, ResultAccount) and digest("result", key) in cache.entries:
        cache.keep_all()  # nothing was computed, so nothing cached went stale
        keep_result(app, _loader(app, cache, reference, key))
    else:
        result = _produced(app, env, cache, reference, key)
        account = ResultAccount.of(result, executes(app))
        cache.store(digest("account", key), account)
        set_build_state(app, result)
    cache.save(cache_path(app))
    domain = xenabi_domain(env)
    unchanged = key in (domain.data.get(_WRITTEN_WITH), _pages_written_with(app))
    if not unchanged:
        # Gone until every page of this result is written (save_facts): a build
        # interrupted meanwhile must not leave it naming an older result.
        (Path(app.doctreedir) / WRITTEN_WITH_FILE).unlink(missing_ok=True)
    domain.data[_WRITTEN_WITH] = key
    domain.note_requirement_statuses(dict(account.statuses))
    files = _reference_files(app, cache, reference)
    note_settled(app, Settled(key, account, unchanged, files, _identity(reference)))
    report_account(app, account)


def _reference(app: Sphinx, cache: FactCache) -> Reference:
    return load_reference(app, cache, partial(early_reading, app), partial(checked_summary, app))


def _loader(
    app: Sphinx, cache: FactCache, reference: Reference, key: str
) -> Callable[[], BuildResult]:
    """The stored result of ``key``, loaded when something asks for it."""
    # The loader is kept by the application's weak-keyed store: it must not
    # hold the application itself, or the entry would never be released.
    built_by = weakref.ref(app)

    def load() -> BuildResult:
        stored = cache.lookup(digest("result", key))
        if stored is not None:
            return replace(stored, reference=reference)
        again = built_by()  # unreadable: compute it again, while the build is alive
        if again is None:
            raise RuntimeError("the build's result is gone with its application")
        return _produced(again, again.env, cache, reference, key)

    return load


def load_unchanged_result(app: Sphinx, key: str) -> BuildResult:
    """The result a rebuild that changed nothing settled by its key alone, loaded on demand.

    Only a page written anyway, a doctest or the command line asks for it
    (``results/unchanged_rebuild.py``).
    """
    cache = facts_of(app)
    stored = digest("result", key) in cache.entries
    result = _loader(app, cache, _reference(app, cache), key)()
    if not stored:  # the cache lost it (removed, or aged out of a shared one): keep it again
        cache.save(cache_path(app))
    return result


def _reference_files(app: Sphinx, cache: FactCache, reference: Reference) -> ReferenceFiles | None:
    """The files the reference was read from, as its cached reading recorded them."""
    if reference.error is not None:
        return None  # read again every build: nothing vouches for it
    request = source_request(app)
    if request is None:
        # The model: its facts are the code's. Unless a setting chose it, it
        # stands only while no Xen tree appears beside the docs.
        if app.config.xenabi_xen_source is False:
            return ("", ())
        from sphinx_xenabi.model.xen_source.paths import XEN_H

        return (str(Path(app.srcdir).resolve().parent), ((XEN_H, ABSENT),))
    entry = cache.entries.get(request.summary_key)
    return None if entry is None else (str(request.path), entry.manifest.states)


def _produced(
    app: Sphinx, env: BuildEnvironment, cache: FactCache, reference: Reference, key: str
) -> BuildResult:
    from sphinx_xenabi.results.build_result import produce_result

    result = produce_result(app, env, cache, reference)
    # Stored without the reference's loader (a closure); a reuse puts the build's own back.
    cache.store(digest("result", key), replace(result, reference=replace(reference, load=None)))
    return result


def _pages_written_with(app: Sphinx) -> str | None:
    try:
        return (Path(app.doctreedir) / WRITTEN_WITH_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # none yet, or unreadable: the pages are looked through


def published_text(app: Sphinx, filename: str, compose: Callable[[], str | None]) -> str | None:
    """The text ``filename`` publishes: the same result published the same text before."""
    settled = settled_of(app)
    if settled is None:
        return compose()
    text: str = facts_of(app).computed(
        digest("published", settled.key, filename), lambda: compose() or ""
    )
    return text or None


def save_facts(app: Sphinx, exception: BaseException | None = None) -> None:
    """``build-finished``: keep what was computed after ``env-updated`` (published texts)."""
    settled = settled_of(app)
    if settled is not None:
        facts_of(app).save(cache_path(app))
        if exception is None and _pages_written_with(app) != settled.key:
            # Every page the result changed has been written: say so for the next build.
            try:
                write_atomic(Path(app.doctreedir) / WRITTEN_WITH_FILE, settled.key)
            except OSError:
                pass  # only a saving: the next build looks through the pages again
    let_go_of_facts(app)
    forget_current()  # doctests have run: the process keeps no last result of its own
