"""Publishing ``xenabi-registry.json``: never beside html that contradicts it.

The last build's registry is withdrawn after reading, before the first page
is written, and the new one is written atomically only once the build has
succeeded. A build that fails, or is interrupted at any point (even by
SIGKILL, when no handler runs), leaves no registry or the new one, never the
old one. A registry that cannot be written or withdrawn is one located error
and a failing build, not a crash report.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sphinx.util.logging import NAMESPACE as SPHINX_LOGGER
from sphinx.util.logging import is_suppressed_warning

from sphinx_xenabi.log import error, logger
from sphinx_xenabi.model.problems import WarningSubtype
from sphinx_xenabi.model.registry_json import REGISTRY_FILENAME
from sphinx_xenabi.results.build_result import build_state

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment


def registry_target(app: Sphinx) -> Path:
    return Path(app.outdir) / REGISTRY_FILENAME


def withdraw_registry(app: Sphinx, env: BuildEnvironment | None = None) -> None:
    """Remove the published registry, if any (call before writing a page)."""
    target = registry_target(app)
    try:
        target.unlink(missing_ok=True)
    except IsADirectoryError:
        pass  # not a registry, so it contradicts nothing; publishing will say it is in the way
    except OSError as exc:
        error(
            WarningSubtype.REGISTRY,
            f"{target}: cannot remove the previous registry: {exc.strerror or exc}; "
            "it may not match the pages this build writes",
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


def publish_registry(app: Sphinx, exception: BaseException | None) -> None:
    """At build-finished: write the registry of a successful build, atomically."""
    result = build_state(app)
    failing = _build_failing(app)  # first: it also stops the warning watch
    if exception is not None or result is None or result.failed or failing:
        withdraw_registry(app)  # reading failed before env-updated withdrew it
        return
    if not app.config.xenabi_write_registry:
        return
    target = registry_target(app)
    try:
        result.registry.dump(target)
    except OSError as exc:
        error(
            WarningSubtype.REGISTRY,
            f"{target}: cannot write the registry: {exc.strerror or exc}",
            None,
        )
        app.statuscode = 1
        return
    logger.info("xenabi: registry written to %s", target)
