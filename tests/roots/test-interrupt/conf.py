"""sphinx.testing root: a small site whose html build can be held at chosen points.

With XENABI_TEST_PAUSE=SECONDS in the environment, the build sleeps before
resolving each page (so after the first page's html is written there is a
moment before the next) and once more when the build has finished, before
the registry is published. The interrupt tests kill the build in these gaps.
"""

from __future__ import annotations

import os
import time

project = "xenabi-test"
extensions = ["sphinx_xenabi"]
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]


def _pause(*_: object) -> None:
    time.sleep(float(os.environ.get("XENABI_TEST_PAUSE", "0")))


def setup(app: object) -> None:
    app.connect("doctree-resolved", _pause)  # type: ignore[attr-defined]
    app.connect("build-finished", _pause, priority=100)  # type: ignore[attr-defined]
