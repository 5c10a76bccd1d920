"""Publishing the build's JSON files: never beside html that contradicts them.

Three files go to the root of the output directory: ``xenabi-registry.json``
(the tables), ``xenabi-requirements.json`` (every requirement item, its
links and its verdict) and ``xenabi-needs.json`` (the same items in
sphinx-needs' format), each by its configuration value, the last two only
when the build has requirement items. The last build's files are withdrawn
after reading, before the first page is written, and the new ones are
written atomically only once the build has succeeded. A build that fails,
or is interrupted at any point (even by SIGKILL, when no handler runs),
leaves no file or the new one, never the old one. A file that cannot be
written or withdrawn is one located error and a failing build, not a crash
report.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sphinx_xenabi.log import error, logger
from sphinx_xenabi.model.atomic import write_atomic
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.published_files import (
    NEEDS_FILENAME,
    REGISTRY_FILENAME,
    REQUIREMENTS_FILENAME,
)
from sphinx_xenabi.results.account import note_publication, settled_account, settled_by_stamp
from sphinx_xenabi.results.state import build_state, executes
from sphinx_xenabi.results.warning_watch import build_failing

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    from sphinx_xenabi.model.requirements_json import RequirementsReport
    from sphinx_xenabi.results.build_result import BuildResult


class Publication(NamedTuple):
    """One published file: its name, what it is, its switch and its text."""

    filename: str
    what: str  # "the registry", as the messages name it
    setting: str  # the configuration value that turns it on
    # The file's text; None when the build has nothing to publish.
    compose: Callable[[Sphinx, BuildResult], str | None]


def _registry_text(app: Sphinx, result: BuildResult) -> str | None:
    return result.registry.to_json()


def requirements_report(app: Sphinx, result: BuildResult) -> RequirementsReport:
    """The build's requirements as ``xenabi-requirements.json`` writes them."""
    from sphinx_xenabi.model.requirements_json import RequirementsReport
    from sphinx_xenabi.results.reference_choice import MODEL_NAME

    against = result.reference.name
    if against == MODEL_NAME:
        against = f"{MODEL_NAME} for Xen {result.release}"
    return RequirementsReport(
        trace=result.requirements,
        verdicts=result.verdicts,
        findings=result.reports,
        release=str(result.release),
        checked_against=against,
        examples_run=executes(app),
    )


def _requirements_text(app: Sphinx, result: BuildResult) -> str | None:
    if not result.requirements.items:
        return None  # (and requirements_json.py is not loaded)
    from sphinx_xenabi.model import requirements_json

    return requirements_json.to_json(requirements_report(app, result))


def _needs_text(app: Sphinx, result: BuildResult) -> str | None:
    if not result.requirements.items:
        return None  # (and needs_json.py is not loaded)
    from sphinx_xenabi.model import needs_json

    return needs_json.to_json(
        result.requirements,
        result.verdicts,
        project=str(app.config.project),
        version=str(app.config.version),
        need_types=app.config.xenabi_needs_types,
    )


PUBLICATIONS = (
    Publication(REGISTRY_FILENAME, "the registry", "xenabi_write_registry", _registry_text),
    Publication(
        REQUIREMENTS_FILENAME, "the requirements", "xenabi_write_requirements", _requirements_text
    ),
    Publication(NEEDS_FILENAME, "the needs", "xenabi_write_needs", _needs_text),
)


def registry_target(app: Sphinx) -> Path:
    return Path(app.outdir) / REGISTRY_FILENAME


def withdraw_published(app: Sphinx, env: BuildEnvironment | None = None) -> None:
    """Remove the published files, if any (call before writing a page)."""
    for publication in PUBLICATIONS:
        target = Path(app.outdir) / publication.filename
        try:
            target.unlink(missing_ok=True)
        except IsADirectoryError:
            pass  # no such file, so it contradicts nothing; publishing says it is in the way
        except OSError as exc:
            error(
                WarningSubtype.REGISTRY,
                f"{target}: cannot remove the previous {publication.what.removeprefix('the ')}: "
                f"{exc.strerror or exc}; it may not match the pages this build writes",
                None,  # a path as the location would be read as a docname
            )
            app.statuscode = 1


def publish_results(app: Sphinx, exception: BaseException | None) -> None:
    """At build-finished: write the files of a successful build, each atomically."""
    account = settled_account(app)
    failing = build_failing(app)  # first: it also stops the warning watch
    if exception is not None or account is None or account.failed or failing:
        withdraw_published(app)  # reading failed before env-updated withdrew them
        # Withheld because the result fails: what any build of it does.
        note_publication(app, exception is None and account is not None and account.failed)
        return
    # A rebuild settled by the stamp finds the files as this result published them.
    if not settled_by_stamp(app):
        for publication in PUBLICATIONS:
            if app.config[publication.setting]:
                _publish(app, publication)
    note_publication(app, app.statuscode == 0)


def _publish(app: Sphinx, publication: Publication) -> None:
    from sphinx_xenabi.results.settling import published_text  # a result to publish

    target = Path(app.outdir) / publication.filename

    def compose() -> str | None:
        result = build_state(app)
        return None if result is None else publication.compose(app, result)

    try:
        text = published_text(app, publication.filename, compose)
        if text is None:
            return
        write_atomic(target, text)
    except OSError as exc:
        error(
            WarningSubtype.REGISTRY,
            f"{target}: cannot write {publication.what}: {exc.strerror or exc}",
            None,
        )
        app.statuscode = 1
        return
    logger.info("xenabi: %s written to %s", publication.what.removeprefix("the "), target)
