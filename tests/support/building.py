"""The one way the suite builds a tree with Sphinx, and its uses.

:func:`run_sphinx` drives the Sphinx application in this process as
``sphinx-build -c CONFDIR -n SRC OUT`` would. Everything else here is a thin
use of it: :func:`build_root` for a tree with its own ``conf.py`` (a root, or a
tree a test writes), :func:`build_test_root` for a copy of a ``tests/roots``
root; :func:`copy_root` and :func:`copy_abi_pages` make the trees. (Tests of the command line and of
interrupted builds start real processes instead, which is what they test.)

The repository's site is configured at the root (``conf.py`` beside
``docs/``), which sphinx.testing's apps cannot express (their conf.py is in
their source directory), so the suite does not use sphinx.testing's ``app``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace, patch_docutils

from support.paths import ABI_DIR, DOCS, REPO, ROOTS

# The history JSON file the ABI page's time line (``:windows:``) reads.
HISTORY_FILE = "tooling/xen-drift-history.json"


@dataclass
class Build:
    """A finished Sphinx build: exit status, warnings and output directory."""

    app: Sphinx
    statuscode: int
    warnings: str
    status: str
    outdir: Path

    @property
    def srcdir(self) -> Path:
        return Path(self.app.srcdir)

    @property
    def registry_json(self) -> Path:
        return self.outdir / "xenabi-registry.json"


def run_sphinx(
    srcdir: Path,
    outdir: Path,
    *,
    confdir: Path = REPO,
    buildername: str = "html",
    confoverrides: dict[str, object] | None = None,
    parallel: int = 0,
    freshenv: bool = True,
    doctreedir: Path | None = None,
    warningiserror: bool = False,
) -> Build:
    """Run a real Sphinx build, as ``sphinx-build -c CONFDIR -n SRC OUT`` would.

    Nitpicky (``-n``) unless ``confoverrides`` says otherwise; the doctrees
    go beside ``outdir`` unless ``doctreedir`` is given. Exceptions Sphinx
    raises (a ``ConfigError`` for a bad conf.py, say) propagate.
    """
    status, warning = StringIO(), StringIO()
    with patch_docutils(confdir), docutils_namespace():
        app = Sphinx(
            srcdir,
            confdir,
            outdir,
            doctreedir or outdir.parent / f"{outdir.name}-doctrees",
            buildername,
            confoverrides={"nitpicky": True, **(confoverrides or {})},
            status=status,
            warning=warning,
            freshenv=freshenv,
            parallel=parallel,
            warningiserror=warningiserror,
        )
        app.build()
    return Build(app, app.statuscode, warning.getvalue(), status.getvalue(), Path(app.outdir))


def build_root(srcdir: Path, outdir: Path, **options: object) -> Build:
    """:func:`run_sphinx` on a tree configured by its own ``conf.py`` (``-c SRC``)."""
    return run_sphinx(srcdir, outdir, confdir=srcdir, **options)  # type: ignore[arg-type]


def build_test_root(name: str, tmp_path: Path, **options: object) -> Build:
    """:func:`build_root` on a private copy of ``tests/roots/test-<name>``.

    The copy is ``tmp_path/<name>``, the html ``tmp_path/<name>-html``.
    """
    return build_root(copy_root(name, tmp_path / name), tmp_path / f"{name}-html", **options)


def copy_root(name: str, target: Path) -> Path:
    """``target``: a private copy of ``tests/roots/test-<name>``, to build or to edit."""
    shutil.copytree(ROOTS / f"test-{name}", target)
    return target


def copy_abi_pages(target: Path) -> Path:
    """``target``: the test-abi-pages root with the real ``guest-guide`` in it.

    Most gate scenarios need the real ABI pages, not the whole site: the
    root is an index (and a stand-in for the one page outside guest-guide
    they link to) to which the real guest-guide pages are copied, with the
    history file the ABI page's time line draws its windows from. Built
    with the repository's conf.py, as the site is.
    """
    copy_root("abi-pages", target)
    shutil.copytree(DOCS / ABI_DIR, target / ABI_DIR)
    shutil.copy2(DOCS / HISTORY_FILE, target / HISTORY_FILE)
    return target


@dataclass
class Reindented:
    """A copy of the real docs with every directive body at 2 spaces instead of 3."""

    root: Path
    changed: dict[Path, tuple[str, str]]  # {path: (old, new)} of the changed .rst files
