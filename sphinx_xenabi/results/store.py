"""Where each application's build result is kept for the later phases.

``env-updated`` stores the one :class:`~sphinx_xenabi.results.build_result.BuildResult`
of a build here; the write phase (evidence rendering, links), ``build-finished``
(the registry), the doctest namespace and the command line read it. Forked
parallel writers inherit it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from sphinx_xenabi.results.build_result import BuildResult


_RESULTS: WeakKeyDictionary[Sphinx, BuildResult] = WeakKeyDictionary()
# The result of the build in progress in this process: sphinx.ext.doctest runs
# the pages' doctests here with no handle on the application.
_current: BuildResult | None = None


def build_state(app: Sphinx) -> BuildResult | None:
    """The result of ``app``'s current build, once it has read its documents."""
    return _RESULTS.get(app)


def set_build_state(app: Sphinx, result: BuildResult) -> None:
    global _current
    _RESULTS[app] = result
    _current = result


def current_result() -> BuildResult | None:
    """The result of the build that ran last in this process (for doctests)."""
    return _current
