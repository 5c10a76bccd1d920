"""The headless reading engine: a docs tree built with Sphinx's dummy builder, its result read.

``extract``, ``check`` and ``diff`` read trees through :func:`read_tree`, and so
do the tests: Sphinx runs without a terminal, with the extension added to the
tree's own ``conf.py`` (not edited), and the build's one result
(:class:`~sphinx_xenabi.results.build_result.BuildResult`) is what comes back. Nothing
is parsed out of Sphinx's log.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.cli.errors import CliError

# Sphinx and the model are imported only when a command reads a tree: the
# commands import this module to build the parser.
if TYPE_CHECKING:
    from sphinx_xenabi.model.problems import Problem
    from sphinx_xenabi.model.registry import Registry
    from sphinx_xenabi.results.build_result import BuildResult


@dataclass
class TreeReading:
    """What ``check`` and ``extract`` report: the build's own result, and where it was read."""

    result: BuildResult
    problems: tuple[Problem, ...]  # as the build logged them
    srcdir: Path  # the docs directory as read: the problems' locations are relative to it
    sphinx_output: str
    checked_against: str  # the reference, and for the model the release and where it came from
    # Why a Xen tree is the reference, as the user chose it ("--xen-source"); None for the model
    source_reason: str | None = None

    @property
    def registry(self) -> Registry:
        return self.result.registry

    @property
    def source_note(self) -> str | None:
        """``checking the tables against ... at DIR (--xen-source)``, or None for the model."""
        summary = self.result.reference.summary  # the reading itself stays unloaded
        if summary is None:
            return None
        return f"checking the tables against {self.checked_against} at {summary.root} ({self.source_reason})"


def _conf_dir(docs_dir: Path, conf_dir: Path | None) -> Path:
    """The absolute conf.py directory (Sphinx changes into it before reading)."""
    from sphinx_xenabi.model.xen_source import XEN_H

    if not docs_dir.is_dir():
        raise CliError(f"{docs_dir}: not a directory")
    directory = conf_dir if conf_dir is not None else docs_dir
    if not (directory / "conf.py").is_file():
        if conf_dir is None and (docs_dir / XEN_H).is_file():
            # The root of a Xen tree: its guides are in docs/, read with their own conf.py.
            docs = docs_dir / "docs"
            hint = f"check {docs}" if (docs / "conf.py").is_file() else "name its docs directory"
            raise CliError(f"{docs_dir}: a Xen source tree, not its docs: {hint}")
        raise CliError(f"{directory}: no conf.py here (use --conf-dir DIR to name its directory)")
    return directory.resolve()


@contextlib.contextmanager
def _held_output(held: io.StringIO) -> Iterator[None]:
    """What the tree's own conf.py and extensions print (deprecations, a missing theme),
    kept for ``-v`` instead of mixed into check's findings or its JSON on stdout."""
    with contextlib.redirect_stdout(held), contextlib.redirect_stderr(held):
        yield


def configured_extensions(confdir: Path, held: io.StringIO | None = None) -> list[str]:
    """The tree's own extension list, with ours added (not substituted)."""
    from sphinx.config import Config
    from sphinx.errors import SphinxError
    from sphinx.util.tags import Tags

    try:
        with _held_output(held if held is not None else io.StringIO()):
            configured = Config.read(confdir, overrides={}, tags=Tags()).extensions
    except SphinxError as exc:
        # Sphinx's message embeds conf.py's traceback; its last line says what failed.
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        raise CliError(f"{confdir / 'conf.py'}: {lines[-1] if lines else exc}") from None
    if not isinstance(configured, (list, tuple)) or not all(isinstance(e, str) for e in configured):
        raise CliError(
            f"{confdir / 'conf.py'}: extensions must be a list of module names, not {configured!r}"
        )
    return [*configured, *([] if "sphinx_xenabi" in configured else ["sphinx_xenabi"])]


def read_tree(
    docs_dir: Path,
    conf_dir: Path | None,
    overrides: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> TreeReading:
    """Build the tree with the dummy builder and read the build's result.

    The dummy builder reads every document and runs the same checks as an
    html build (drift, executed rows), writing nothing. ``progress`` is told
    what is happening on work that takes seconds.
    """
    from sphinx.errors import SphinxError
    from sphinx.util.console import nocolor

    confdir = _conf_dir(docs_dir, conf_dir)
    docs_dir = docs_dir.resolve()
    held = io.StringIO()
    # xenabi_drift stays the tree's: findings carry the words its html build prints.
    settings: dict[str, Any] = {
        "extensions": configured_extensions(confdir, held),
        "xenabi_write_registry": False,
        "xenabi_write_requirements": False,
        "xenabi_write_needs": False,
        **(overrides or {}),
    }
    if not sys.stdout.isatty():
        nocolor()  # findings are parsed by tools and CI logs
    status, logged = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="xenabi-") as scratch:
        try:
            app = _build(
                docs_dir, confdir, Path(scratch), settings, (status, logged, held), progress
            )
        except (SphinxError, OSError, SyntaxError) as exc:
            raise CliError(f"the Sphinx build of {docs_dir} failed: {exc}") from None
    output = held.getvalue() + status.getvalue() + logged.getvalue()
    return _reading(app, overrides or {}, output, started, progress)


def _build(
    docs_dir: Path,
    confdir: Path,
    scratch: Path,
    settings: dict[str, Any],
    streams: tuple[io.StringIO, io.StringIO, io.StringIO],
    progress: Callable[[str], None] | None,
) -> Any:
    """One dummy-builder run of the tree; the finished application.

    Sphinx logs to the first two streams; what the tree's own code prints
    goes to the third (progress lines still reach the terminal).
    """
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    status, logged, held = streams
    with patch_docutils(confdir), docutils_namespace():
        with _held_output(held):
            app = Sphinx(
                srcdir=docs_dir,
                confdir=confdir,
                outdir=scratch / "out",
                doctreedir=scratch / "doctrees",
                buildername="dummy",
                confoverrides=settings,
                status=status,
                warning=logged,
                freshenv=True,
            )
        if progress is not None:  # only once conf.py has been accepted
            progress(f"reading {docs_dir} with Sphinx (conf.py in {confdir})")
        with _held_output(held):
            app.build(force_all=True)
    return app


def _reading(
    app: Any,
    overrides: dict[str, Any],
    output: str,
    started: float,
    progress: Callable[[str], None] | None,
) -> TreeReading:
    """The build's result as ``check`` reports it."""
    from sphinx_xenabi.model.location import Location
    from sphinx_xenabi.model.problems import Problem, WarningSubtype, bounded
    from sphinx_xenabi.results.state import build_state

    result = build_state(app)
    if result is None:
        raise CliError(f"the Sphinx build of {app.srcdir} read no documents")
    if result.reference.error is not None:
        raise CliError(result.reference.error)
    if progress is not None:
        ran = f"; ran {len(result.executed)} row(s) on the emulated CPU" if result.executed else ""
        if result.verifications:
            ran += f"; ran {len(result.verifications)} xenabi-verifies block(s)"
        progress(
            f"read {result.documents} document(s), {len(result.registry.tables)} ABI table(s) "
            f"in {time.monotonic() - started:.1f} s{ran}"
        )
    problems = tuple(replace(p, message=bounded(p.message)) for p in result.reports)
    if not result.registry.tables and not result.verifications and not result.requirements.items:
        # Only here: an html build may use the extension for its
        # cross-references alone, with no table to check.
        root = app.config.root_doc
        root_file = app.env.doc2path(root, False).as_posix() if root in app.env.found_docs else "."
        none = Problem(
            WarningSubtype.NONE,
            f"no ABI table (registers, transfer or hypercall numbers) in the "
            f"{result.documents} document(s) read: nothing was checked "
            f"against {result.reference.name}",
            Location(root_file, 0),
        )
        problems = (*problems, none)
    checked_against = _checked_against(app.config, result, overrides)
    return TreeReading(
        result,
        problems,
        Path(app.srcdir),
        output,
        checked_against,
        _source_reason(app.config, overrides),
    )


def _source_reason(config: Any, overrides: dict[str, Any]) -> str:
    """Why a Xen tree is the reference, said as the command line says it (``--xen-source``,
    not the configuration value it sets)."""
    if overrides.get("xenabi_xen_source"):
        return "--xen-source"
    if config.xenabi_xen_source:
        return "xenabi_xen_source in conf.py"
    return "the docs sit in this Xen tree"


def _checked_against(config: Any, result: Any, overrides: dict[str, Any]) -> str:
    """``the reference model for Xen 4.22 (release in conf.py)``: what and which release."""
    from sphinx_xenabi.results.reference_choice import MODEL_NAME

    if result.reference.summary is not None:
        # "the Xen 4.21.0 source (built with every hypercall enabled)": its own version,
        # from the reading's summary (the reading itself stays unloaded)
        return str(result.reference.summary.origin)
    if result.reference.name != MODEL_NAME:
        return str(result.reference.name)
    release = result.release
    if "xenabi_xen_release" in overrides:
        origin = "--release"
    elif result.release_note is not None:
        stated = str(result.registry.release).strip()
        origin = f"release {stated!r} is not MAJOR.MINOR" if stated else "no release stated"
        origin += ": the newest the model knows"
    elif config.xenabi_xen_release is not None:
        origin = "xenabi_xen_release in conf.py"
    else:
        origin = "release in conf.py" if config.release else "version in conf.py"
    return f"{MODEL_NAME} for Xen {release} ({origin})"
