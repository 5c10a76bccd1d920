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

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sphinx.util.logging import NAMESPACE as SPHINX_LOGGER
from sphinx.util.logging import is_suppressed_warning

from sphinx_xenabi.log import error, logger
from sphinx_xenabi.model import needs_json, requirements_json
from sphinx_xenabi.model.atomic import write_atomic
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.registry_json import REGISTRY_FILENAME
from sphinx_xenabi.results.build_result import BuildResult, build_state, executes
from sphinx_xenabi.results.reference_choice import MODEL_NAME

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment


@dataclass(frozen=True)
class Publication:
    """One published file: its name, what it is, its switch and how it is written."""

    filename: str
    what: str  # "the registry", as the messages name it
    setting: str  # the configuration value that turns it on
    # Writes the file at the path, atomically; False when the build has nothing to publish.
    write: Callable[[Sphinx, BuildResult, Path], bool]


def _write_registry(app: Sphinx, result: BuildResult, target: Path) -> bool:
    result.registry.dump(target)
    return True


def requirements_report(app: Sphinx, result: BuildResult) -> requirements_json.RequirementsReport:
    """The build's requirements as ``xenabi-requirements.json`` writes them."""
    against = result.reference.name
    if against == MODEL_NAME:
        against = f"{MODEL_NAME} for Xen {result.release}"
    return requirements_json.RequirementsReport(
        trace=result.requirements,
        verdicts=result.verdicts,
        findings=result.reports,
        release=str(result.release),
        checked_against=against,
        examples_run=executes(app),
    )


def _write_requirements(app: Sphinx, result: BuildResult, target: Path) -> bool:
    if not result.requirements.items:
        return False
    write_atomic(target, requirements_json.to_json(requirements_report(app, result)))
    return True


def _write_needs(app: Sphinx, result: BuildResult, target: Path) -> bool:
    if not result.requirements.items:
        return False
    text = needs_json.to_json(
        result.requirements,
        result.verdicts,
        project=str(app.config.project),
        version=str(app.config.version),
        need_types=app.config.xenabi_needs_types,
    )
    write_atomic(target, text)
    return True


PUBLICATIONS = (
    Publication(REGISTRY_FILENAME, "the registry", "xenabi_write_registry", _write_registry),
    Publication(
        requirements_json.REQUIREMENTS_FILENAME,
        "the requirements",
        "xenabi_write_requirements",
        _write_requirements,
    ),
    Publication(needs_json.NEEDS_FILENAME, "the needs", "xenabi_write_needs", _write_needs),
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


class _WarningWatch(logging.Handler):
    """Sees whether the build logs a warning a project shows (for ``-W``).

    Sphinx turns warnings into a failing status only after build-finished,
    so a ``-W`` build that warned must be recognised here. Sphinx keeps its
    own count privately; this handler sits on Sphinx's logger, which Sphinx
    clears for every new application, so it never hears another build.
    """

    def __init__(self, app: Sphinx) -> None:
        super().__init__(logging.WARNING)
        self._app = app
        self.warned = False

    def emit(self, record: logging.LogRecord) -> None:
        kind, subtype = getattr(record, "type", ""), getattr(record, "subtype", "")
        if not is_suppressed_warning(kind, subtype, self._app.config.suppress_warnings):
            self.warned = True


_WATCHES: WeakKeyDictionary[Sphinx, _WarningWatch] = WeakKeyDictionary()


def watch_warnings(app: Sphinx) -> None:
    """``builder-inited``: start listening (Sphinx has set up its logging by then)."""
    watch = _WarningWatch(app)
    logging.getLogger(SPHINX_LOGGER).addHandler(watch)
    _WATCHES[app] = watch


def _build_failing(app: Sphinx) -> bool:
    """Whether the build will exit non-zero: a builder's failures, or -W warnings."""
    watch = _WATCHES.pop(app, None)
    if watch is not None:
        logging.getLogger(SPHINX_LOGGER).removeHandler(watch)
    # Sphinx 8.1+ sets keep_going exactly when -W is given (-W implies it).
    fails_on_warnings = bool(app.keep_going)
    return app.statuscode != 0 or (fails_on_warnings and watch is not None and watch.warned)


def publish_results(app: Sphinx, exception: BaseException | None) -> None:
    """At build-finished: write the files of a successful build, each atomically."""
    result = build_state(app)
    failing = _build_failing(app)  # first: it also stops the warning watch
    if exception is not None or result is None or result.failed or failing:
        withdraw_published(app)  # reading failed before env-updated withdrew them
        return
    for publication in PUBLICATIONS:
        if app.config[publication.setting]:
            _publish(app, result, publication)


def _publish(app: Sphinx, result: BuildResult, publication: Publication) -> None:
    target = Path(app.outdir) / publication.filename
    try:
        written = publication.write(app, result, target)
    except OSError as exc:
        error(
            WarningSubtype.REGISTRY,
            f"{target}: cannot write {publication.what}: {exc.strerror or exc}",
            None,
        )
        app.statuscode = 1
        return
    if written:
        logger.info("xenabi: %s written to %s", publication.what.removeprefix("the "), target)
