"""Whether a build logged a warning a project shows: for ``-W``, which fails on one.

Sphinx turns warnings into a failing status only after ``build-finished``,
so the published files (``results/publishing.py``), which a failing build
must not leave, need to know sooner. This module loads nothing of the
package: every build listens, from ``builder-inited`` on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sphinx.util.logging import NAMESPACE as SPHINX_LOGGER
from sphinx.util.logging import is_suppressed_warning

if TYPE_CHECKING:
    from sphinx.application import Sphinx


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


def build_failing(app: Sphinx) -> bool:
    """Whether the build will exit non-zero: a builder's failures, or -W warnings."""
    watch = _WATCHES.pop(app, None)
    if watch is not None:
        logging.getLogger(SPHINX_LOGGER).removeHandler(watch)
    # Sphinx 8.1+ sets keep_going exactly when -W is given (-W implies it).
    fails_on_warnings = bool(app.keep_going)
    return app.statuscode != 0 or (fails_on_warnings and watch is not None and watch.warned)
