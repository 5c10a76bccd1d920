"""Where each application's build result is kept, and whether the build runs rows.

``env-updated`` keeps a build's result here (``results/settling.py``); the
write phase (evidence, links, requirement pages), ``build-finished`` (the
published files), the doctest namespace and the command line read it.
Forked parallel writers inherit it. A rebuild that reuses the last result
keeps a loader instead: the result is unpickled only if something asks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from sphinx_xenabi.results.build_result import BuildResult

_RESULTS: WeakKeyDictionary[Sphinx, Callable[[], BuildResult]] = WeakKeyDictionary()
# The build in progress in this process: sphinx.ext.doctest runs the pages'
# doctests here with no handle on the application.
_current: Callable[[], BuildResult] | None = None


def keep_result(app: Sphinx, load: Callable[[], BuildResult]) -> None:
    """Keep ``app``'s result as a loader, called at most once."""
    global _current
    _RESULTS[app] = _current = functools.cache(load)


def set_build_state(app: Sphinx, result: BuildResult) -> None:
    keep_result(app, lambda: result)


def build_state(app: Sphinx) -> BuildResult | None:
    """The result of ``app``'s current build, once it has read its documents."""
    load = _RESULTS.get(app)
    return None if load is None else load()


def forget_current() -> None:
    """``build-finished``: the build's doctests have run; keep no result for the process."""
    global _current
    _current = None


def current_result() -> BuildResult | None:
    """The result of the build that ran last in this process (for doctests)."""
    return None if _current is None else _current()


def executes(app: Sphinx) -> bool:
    """Whether this build runs the rows: html builds and ``check``'s, when configured to.

    The dummy builder is how ``sphinx-xenabi check`` reads a tree: it must
    report the same failing rows the html build would.
    """
    return bool(app.config.xenabi_execute_tables) and (
        app.builder.format == "html" or app.builder.name == "dummy"
    )
