"""pytest plugin: count full-site builds (``XENABI_COUNT_BUILDS=1 pytest``).

Every Sphinx application, in this process or a subprocess this process starts,
whose source directory is the real docs/ tree or a copy of it counts as one
full-site build; the terminal summary prints the count per test file. On
several workers (pytest-xdist) each worker hands its counts to the
controller, which prints the sum.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sphinx.application import Sphinx

from support.paths import DOCS

_SITE_PAGES = frozenset(
    p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*") if p.suffix in (".rst", ".md")
)
FULL_BUILDS: Counter[str] = Counter()
_WORKER_OUTPUT = "xenabi_full_builds"


def counting() -> bool:
    return bool(os.environ.get("XENABI_COUNT_BUILDS"))


def is_site_tree(path: object, cwd: object = None) -> bool:
    """Whether ``path`` is the real docs tree or a copy of (most of) it."""
    try:
        tree = Path(os.fsdecode(path))  # type: ignore[arg-type]
        if cwd is not None and not tree.is_absolute():
            tree = Path(os.fsdecode(cwd)) / tree  # type: ignore[arg-type]
        if not tree.is_dir() or not (tree / "index.rst").is_file():
            return False
        present = sum((tree / page).is_file() for page in _SITE_PAGES)
    except (OSError, TypeError, ValueError):
        return False
    return present * 5 >= len(_SITE_PAGES) * 4  # 80 % of the site's pages


def _builds(words: list[object]) -> bool:
    """Whether a command line runs Sphinx on its sources (not a lint)."""
    text = [os.fsdecode(w) if isinstance(w, (str, bytes, os.PathLike)) else "" for w in words]
    if any(Path(w).name.startswith("sphinx-build") for w in text):
        return True
    if "sphinx" in text:  # python -m sphinx
        return True
    commands = {"check", "extract", "diff"}
    return any(
        w in ("sphinx_xenabi", "sphinx-xenabi") or w.endswith("/sphinx-xenabi") for w in text
    ) and bool(commands & set(text))


def _count_full_build() -> None:
    current = os.environ.get("PYTEST_CURRENT_TEST", "(outside a test)")
    FULL_BUILDS[current.split("::", 1)[0]] += 1


def pytest_configure(config: pytest.Config) -> None:
    """Wrap ``Sphinx.__init__`` and ``Popen.__init__`` to count builds of the site."""
    if not counting():
        return
    sphinx_init = Sphinx.__init__
    popen_init = subprocess.Popen.__init__

    def counting_sphinx_init(self: Sphinx, srcdir: object, *args: object, **kwargs: object) -> None:
        if is_site_tree(srcdir):
            _count_full_build()
        sphinx_init(self, srcdir, *args, **kwargs)  # type: ignore[arg-type]

    def counting_popen_init(
        self: subprocess.Popen, args: object, *rest: object, **kw: object
    ) -> None:  # type: ignore[type-arg]
        words = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)  # type: ignore[call-overload]
        if _builds(words) and any(is_site_tree(w, kw.get("cwd") or os.getcwd()) for w in words):
            _count_full_build()
        popen_init(self, args, *rest, **kw)  # type: ignore[arg-type]

    Sphinx.__init__ = counting_sphinx_init  # type: ignore[method-assign]
    subprocess.Popen.__init__ = counting_popen_init  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a worker: its counts go to the controller
        workeroutput[_WORKER_OUTPUT] = dict(FULL_BUILDS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    FULL_BUILDS.update(getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT, {}))


@pytest.hookimpl(trylast=True)  # after the property suite's table count
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if counting():
        terminalreporter.write_line(f"full-site builds: {sum(FULL_BUILDS.values())}")
        for file, count in sorted(FULL_BUILDS.items()):
            terminalreporter.write_line(f"  {count:3d}  {file}")
