"""The pages a new result makes the build write again, kept beside the environment until written.

At ``env-updated`` the build names the pages that show something of a new
result (the evidence column, the verdicts, the hypercall links). Sphinx
pickles the environment, and with it the result's key, before it writes
any page: a build interrupted while writing (Ctrl-C, a CI timeout, a
kill) would leave pages it did not reach showing the old result, and the
next build, finding the result unchanged, would not look for them again.
So the pages named are also kept in a file beside the environment until a
build finishes, and the next build writes them first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sphinx_xenabi.model.atomic import write_atomic

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

PAGES_FILE = "xenabi-pages-to-write"

_NAMED: WeakKeyDictionary[Sphinx, set[str]] = WeakKeyDictionary()


def _path(app: Sphinx) -> Path:
    return Path(app.doctreedir) / PAGES_FILE


def _kept(app: Sphinx) -> list[str]:
    try:
        names = json.loads(_path(app).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # none (the usual case), or unreadable: nothing is owed
    return [str(name) for name in names] if isinstance(names, list) else []


def note_pages(app: Sphinx, docnames: Iterable[str]) -> None:
    """Keep ``docnames`` as pages still to write, until the build finishes."""
    named = _NAMED.setdefault(app, set())
    before = len(named)
    named.update(docnames)
    if len(named) != before:
        try:
            write_atomic(_path(app), json.dumps(sorted(named)))
        except OSError:
            pass  # only a safeguard: without it, this build still writes them


def pages_left_unwritten(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``: the pages an interrupted build named and did not finish writing."""
    left = [name for name in _kept(app) if name in env.found_docs]
    note_pages(app, left)
    return left


def pages_written(app: Sphinx, exception: BaseException | None = None) -> None:
    """``build-finished``: every page named was written; nothing is owed any more."""
    named = _NAMED.pop(app, None)
    if exception is None and (named or _path(app).exists()):
        _path(app).unlink(missing_ok=True)
