"""Settling the build's result at ``env-updated``: produced, or reused when nothing it depends on changed.

Every build settles a result, so a no-op rebuild of drifted docs still
fails. When the build's inputs (``results/result_key.py``) are those of a
build whose result is in the fact cache, nothing is checked, run or
encoded again: the result's :class:`ResultAccount` (what it logs and
decides) is logged as the first build logged it, the published files are
the texts that build published, and the result itself is unpickled only if
a page, a doctest or the command line asks for it. A writer's rebuild after
editing prose thus costs what plain Sphinx's does.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sphinx_xenabi.domain.xenabi import xenabi_domain
from sphinx_xenabi.log import log_problem, logger
from sphinx_xenabi.model.atomic import write_atomic
from sphinx_xenabi.model.content_key import digest
from sphinx_xenabi.results.cached_facts import cache_path, facts_of, let_go_of_facts
from sphinx_xenabi.results.early_reading import checked_summary, early_reading
from sphinx_xenabi.results.reference_choice import Reference, load_reference
from sphinx_xenabi.results.result_key import result_key
from sphinx_xenabi.results.state import executes, forget_current, keep_result, set_build_state

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    from sphinx_xenabi.model.fact_cache import FactCache
    from sphinx_xenabi.model.problems import Problem
    from sphinx_xenabi.results.build_result import BuildResult

# The domain remembers the key of the result its pages were last written with.
_WRITTEN_WITH = "result_key"
# The same key, also kept in a file beside the environment: a build whose new
# result changes no page pickles no environment, and without the file every
# later rebuild would look through the pages for the new result again.
WRITTEN_WITH_FILE = "xenabi-pages-result"


@dataclass(frozen=True)
class ResultAccount:
    """What a result logs and decides, small enough to load on every build."""

    notes: tuple[str, ...]  # which reference and release, before the reports
    reports: tuple[Problem, ...]  # found after reading, in the order logged
    tallies: tuple[str, ...]  # rows executed, example blocks passed
    summaries: tuple[Problem, ...]  # "...; the build fails", one per failing check
    failed: bool
    statuses: tuple[tuple[str, str], ...]  # each requirement's status, for the index

    @classmethod
    def of(cls, result: BuildResult, checked: bool) -> ResultAccount:
        from sphinx_xenabi.model.verdicts import NOT_CHECKED

        notes: list[str] = []
        if result.reference.note is not None:
            notes.append(result.reference.note)
        elif result.release_note is not None and result.reference.error is None:
            notes.append(result.release_note)
        tallies: list[str] = []
        if result.executed:
            ran = sum(1 for o in result.executed if o.ok)
            tallies.append(
                f"xenabi: executed {ran} of {len(result.executed)} table rows on the emulated CPU"
            )
        if result.verifications:
            passed = sum(1 for o in result.verifications if o.passed)
            tallies.append(
                f"xenabi: {passed} of {len(result.verifications)} xenabi-verifies example blocks "
                f"passed against {result.reference.name}"
            )
        # In a build that runs no examples, the index says "not checked", as the pages do.
        statuses = tuple(
            (name, verdict.status.value if checked else NOT_CHECKED)
            for name, verdict in result.verdicts.items()
        )
        return cls(
            tuple(notes),
            result.reports[result.logged_while_reading :],
            tuple(tallies),
            result.summaries,
            result.failed,
            statuses,
        )


@dataclass
class _Settled:
    key: str
    account: ResultAccount
    unchanged: bool  # the pages were last written with this very result


_SETTLED: WeakKeyDictionary[Sphinx, _Settled] = WeakKeyDictionary()


def _identity(reference: Reference) -> tuple[str, str, str | None, str | None]:
    return reference.key, reference.name, reference.error, reference.note


def settle_result(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-updated``: the build's one result, kept for the later phases and reported."""
    cache = facts_of(app)
    reference = load_reference(
        app, cache, partial(early_reading, app), partial(checked_summary, app)
    )
    key = result_key(app, env, _identity(reference))
    stored_key = digest("result", key)
    account = cache.lookup(digest("account", key))
    if isinstance(account, ResultAccount) and stored_key in cache.entries:
        cache.keep_all()  # nothing was computed, so nothing cached went stale

        # The loader is kept by the application's weak-keyed store: it must not
        # hold the application itself, or the entry would never be released.
        built_by = weakref.ref(app)

        def load() -> BuildResult:
            stored = cache.lookup(stored_key)
            if stored is not None:
                return replace(stored, reference=reference)
            again = built_by()  # unreadable: compute it again, while the build is alive
            if again is None:
                raise RuntimeError("the build's result is gone with its application")
            return _produced(again, again.env, cache, reference, key)

        keep_result(app, load)
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
    _SETTLED[app] = _Settled(key, account, unchanged)
    report_account(app, account)


def _produced(
    app: Sphinx, env: BuildEnvironment, cache: FactCache, reference: Reference, key: str
) -> BuildResult:
    from sphinx_xenabi.results.build_result import produce_result

    result = produce_result(app, env, cache, reference)
    # Stored without the reference's loader (a closure); a reuse puts the build's own back.
    cache.store(digest("result", key), replace(result, reference=replace(reference, load=None)))
    return result


def report_account(app: Sphinx, account: ResultAccount) -> None:
    """Log what the build found after reading, at its cells; fail the build if it must."""
    for note in account.notes:
        logger.info(note)
    for report in account.reports:
        log_problem(report, app)
    for tally in account.tallies:
        logger.info(tally)
    for summary in account.summaries:
        log_problem(summary, app)
    if account.failed:
        app.statuscode = 1


def settled_account(app: Sphinx) -> ResultAccount | None:
    """The account of ``app``'s result, once settled."""
    settled = _SETTLED.get(app)
    return None if settled is None else settled.account


def _pages_written_with(app: Sphinx) -> str | None:
    try:
        return (Path(app.doctreedir) / WRITTEN_WITH_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # none yet, or unreadable: the pages are looked through


def result_unchanged(app: Sphinx) -> bool:
    """Whether the pages were last written with this build's very result.

    Then no page shows anything new: the handlers that find the pages to
    write again for the result's sake have nothing to find.
    """
    settled = _SETTLED.get(app)
    return settled is not None and settled.unchanged


def published_text(app: Sphinx, filename: str, compose: Callable[[], str | None]) -> str | None:
    """The text ``filename`` publishes: the same result published the same text before."""
    settled = _SETTLED.get(app)
    if settled is None:
        return compose()
    text: str = facts_of(app).computed(
        digest("published", settled.key, filename), lambda: compose() or ""
    )
    return text or None


def save_facts(app: Sphinx, exception: BaseException | None = None) -> None:
    """``build-finished``: keep what was computed after ``env-updated`` (published texts)."""
    settled = _SETTLED.pop(app, None)
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
