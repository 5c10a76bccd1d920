"""A build's settled result as every later phase sees it: its key and its account.

``env-updated`` settles the result (``results/settling.py``, or
``results/unchanged_rebuild.py`` when nothing it depends on changed) and
notes it here. The account (:class:`ResultAccount`) is what the result logs
and decides, small enough to load on every build; the result itself loads
only if a page, a doctest or the command line asks for it
(``results/state.py``). This module loads nothing else of the package, so
a rebuild that changed nothing reads its account without the settling code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple
from weakref import WeakKeyDictionary

from sphinx_xenabi.log import log_problem, logger

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from sphinx_xenabi.model.content_key import FileState
    from sphinx_xenabi.model.problems import Problem
    from sphinx_xenabi.results.build_result import BuildResult


# Named tuples, not frozen dataclasses: every rebuild loads this module, and
# creating a named tuple class takes a tenth of a frozen dataclass's time.
class ResultAccount(NamedTuple):
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


# The reference's files as its reading recorded them: the tree's root ("" for
# the model, which reads none) and each path's state (``model/content_key.py``).
ReferenceFiles = tuple[str, tuple[tuple[str, "FileState"], ...]]


class Settled(NamedTuple):
    """A build's settled result: its key, its account, and what the pages show."""

    key: str
    account: ResultAccount
    unchanged: bool  # the pages were last written with this very result
    # What the reference was read from; None when it cannot be vouched for by
    # its files (a tree that could not be read is read again every build).
    reference_files: ReferenceFiles | None = None
    # The reference as the result key names it (its key, name, error, note).
    reference_identity: tuple[str | None, ...] | None = None
    # Settled by a rebuild that changed nothing (``results/unchanged_rebuild.py``).
    by_unchanged_rebuild: bool = False


_SETTLED: WeakKeyDictionary[Sphinx, Settled] = WeakKeyDictionary()
# Whether the published files are the result's own: published, or withheld
# because the result fails (not because of -W, a failed write or a crash).
_PUBLISHED_AS_RESULT: WeakKeyDictionary[Sphinx, bool] = WeakKeyDictionary()


def note_settled(app: Sphinx, settled: Settled) -> None:
    _SETTLED[app] = settled


def settled_of(app: Sphinx) -> Settled | None:
    return _SETTLED.get(app)


def forget_settled(app: Sphinx) -> Settled | None:
    """``build-finished``: the build's settled result, no longer kept."""
    return _SETTLED.pop(app, None)


def note_publication(app: Sphinx, as_result: bool) -> None:
    """``build-finished``: whether the published files are now as the result has them."""
    _PUBLISHED_AS_RESULT[app] = as_result


def published_as_result(app: Sphinx) -> bool:
    return _PUBLISHED_AS_RESULT.pop(app, False)


def settled_by_stamp(app: Sphinx) -> bool:
    """Whether the last build's stamp settled this one (``results/unchanged_rebuild.py``)."""
    settled = settled_of(app)
    return settled is not None and settled.by_unchanged_rebuild


def settled_account(app: Sphinx) -> ResultAccount | None:
    """The account of ``app``'s result, once settled."""
    settled = _SETTLED.get(app)
    return None if settled is None else settled.account


def result_unchanged(app: Sphinx) -> bool:
    """Whether the pages were last written with this build's very result.

    Then no page shows anything new: the handlers that find the pages to
    write again for the result's sake have nothing to find.
    """
    settled = _SETTLED.get(app)
    return settled is not None and settled.unchanged


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
