"""sphinx.testing root: a small site whose html build holds at a named point.

With XENABI_TEST_HOLD=POINT and XENABI_TEST_HOLD_DIR=DIR in the environment,
the build stops at POINT, writes the file DIR/POINT (its pid) and waits
there, for at most five minutes, for the signal the interrupt tests send.
Nothing is timed: the test sees the file appear and the build is known to
be exactly there. The points, in build order:

- ``after-page1``, ``after-page2``, ``after-page3``: page N's html is
  written, page N+1's is not (held as page N+1 is resolved);
- ``after-last-page``: every page's html is written (html-collect-pages);
- ``before-publishing``: the build has finished, the registry is not yet
  written (build-finished, before the extension's handler);
- ``after-publishing``: the registry is written (build-finished, after it).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

project = "xenabi-test"
extensions = ["sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]

_PAGES = ("page1", "page2", "page3", "page4")


def _hold(point: str) -> None:
    if point != os.environ.get("XENABI_TEST_HOLD"):
        return
    marker = Path(os.environ["XENABI_TEST_HOLD_DIR"]) / point
    marker.write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        time.sleep(0.01)


def _resolved(_app: object, _doctree: object, docname: str) -> None:
    if docname in _PAGES[1:]:
        _hold(f"after-{_PAGES[_PAGES.index(docname) - 1]}")


def _collect(*_: object) -> list[object]:
    _hold("after-last-page")
    return []


def setup(app: object) -> None:
    app.connect("doctree-resolved", _resolved)  # type: ignore[attr-defined]
    app.connect("html-collect-pages", _collect)  # type: ignore[attr-defined]
    connect = app.connect  # type: ignore[attr-defined]
    connect("build-finished", lambda *_: _hold("before-publishing"), priority=100)
    connect("build-finished", lambda *_: _hold("after-publishing"), priority=900)
