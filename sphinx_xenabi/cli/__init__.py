"""``sphinx-xenabi`` (``python -m sphinx_xenabi``): extract, check, diff, lint indentation.

``extract`` and ``check`` run Sphinx's reading phase (the ``dummy`` builder,
no html) over any documentation tree with its own ``conf.py``, adding the
extension without editing that file. Exit codes: 0 clean, 1 findings (or, for
``check``, a tree without any ABI table: nothing was checked), 2 usage or
build error.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx_xenabi._version import __version__

if TYPE_CHECKING:  # Sphinx is imported only when a command reads a tree
    from sphinx_xenabi.build.result import BuildResult
    from sphinx_xenabi.cli.check_formats import Message
    from sphinx_xenabi.model.registry import Registry

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class CliError(Exception):
    """A usage or build problem, reported in one line with exit code 2."""


@dataclass
class TreeReading:
    """What ``check`` and ``extract`` report: the build's own result, and where it was read."""

    result: BuildResult
    messages: tuple[Message, ...]  # as the build logged them
    sphinx_output: str
    checked_against: str  # the reference, and for the model the release and where it came from

    @property
    def registry(self) -> Registry:
        return self.result.registry


def _conf_dir(docs_dir: Path, conf_dir: Path | None) -> Path:
    """The absolute conf.py directory (Sphinx changes into it before reading)."""
    if not docs_dir.is_dir():
        raise CliError(f"{docs_dir}: not a directory")
    directory = conf_dir if conf_dir is not None else docs_dir
    if not (directory / "conf.py").is_file():
        raise CliError(f"{directory}: no conf.py here (use --conf-dir DIR to name its directory)")
    return directory.resolve()


def _extensions(confdir: Path) -> list[str]:
    """The tree's own extension list, with ours added (not substituted)."""
    from sphinx.config import Config
    from sphinx.errors import SphinxError
    from sphinx.util.tags import Tags

    try:
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
    # xenabi_drift stays the tree's: findings carry the words its html build prints.
    settings: dict[str, Any] = {
        "extensions": _extensions(confdir),
        "xenabi_write_registry": False,
        **(overrides or {}),
    }
    if not sys.stdout.isatty():
        nocolor()  # findings are parsed by tools and CI logs
    status, warnings = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="xenabi-") as scratch:
        try:
            app = _build(docs_dir, confdir, Path(scratch), settings, (status, warnings), progress)
        except (SphinxError, OSError, SyntaxError) as exc:
            raise CliError(f"the Sphinx build of {docs_dir} failed: {exc}") from None
    return _reading(
        app, overrides or {}, status.getvalue() + warnings.getvalue(), started, progress
    )


def _build(
    docs_dir: Path,
    confdir: Path,
    scratch: Path,
    settings: dict[str, Any],
    streams: tuple[io.StringIO, io.StringIO],
    progress: Callable[[str], None] | None,
) -> Any:
    """One dummy-builder run of the tree; the finished application."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    with patch_docutils(confdir), docutils_namespace():
        app = Sphinx(
            srcdir=docs_dir,
            confdir=confdir,
            outdir=scratch / "out",
            doctreedir=scratch / "doctrees",
            buildername="dummy",
            confoverrides=settings,
            status=streams[0],
            warning=streams[1],
            freshenv=True,
        )
        if progress is not None:  # only once conf.py has been accepted
            progress(f"reading {docs_dir} with Sphinx (conf.py in {confdir})")
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
    from sphinx_xenabi.cli.check_formats import Message
    from sphinx_xenabi.build.store import build_state

    result = build_state(app)
    if result is None:
        raise CliError(f"the Sphinx build of {app.srcdir} read no documents")
    if result.reference.error is not None:
        raise CliError(result.reference.error)
    if progress is not None:
        ran = f"; ran {len(result.executed)} row(s) on the emulated CPU" if result.executed else ""
        progress(
            f"read {result.documents} document(s), {len(result.registry.tables)} ABI table(s) "
            f"in {time.monotonic() - started:.1f} s{ran}"
        )
    doc_path = {docname: Path(app.env.doc2path(docname)) for docname in app.env.found_docs}
    messages = result.messages(Path(app.srcdir), doc_path)
    if not result.registry.tables:
        # Only here: an html build may use the extension for its
        # cross-references alone, with no table to check.
        root = str(doc_path.get(app.config.root_doc, app.srcdir))
        none = Message(
            root,
            None,
            "warning",
            "none",
            f"no ABI table (registers, transfer or hypercall numbers) in the "
            f"{result.documents} document(s) read: nothing was checked "
            f"against {result.reference.name}",
        )
        messages = (*messages, none)
    return TreeReading(result, messages, output, _checked_against(app.config, result, overrides))


def _checked_against(config: Any, result: Any, overrides: dict[str, Any]) -> str:
    """``the reference model for Xen 4.22 (release in conf.py)``: what and which release."""
    from sphinx_xenabi.build.reference_choice import MODEL_NAME

    if result.reference.name != MODEL_NAME:
        return str(result.reference.name)  # a Xen source names its own version
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


def _command_extract(args: argparse.Namespace) -> int:
    reading = read_tree(args.docs_dir, args.conf_dir)
    result = reading.result
    for message in reading.messages:
        print(message.line_text, file=sys.stderr)
    if result.drift or result.execution_failures:
        print(
            f"{result.drift} disagreement(s) with the reference model, "
            f"{result.execution_failures} row(s) failed on the emulated CPU: "
            "no registry written (an html build would not publish one either)",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    text = reading.registry.to_json()
    what = f"{len(reading.registry.tables)} tables from {len(reading.registry.guides)} guides"
    _write_output(args.output, text, what)
    return EXIT_CLEAN


def _write_output(output: Path | None, text: str, what: str) -> None:
    """``-o FILE`` (atomically, saying what was written) or standard output."""
    from sphinx_xenabi.model.registry import write_atomic

    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_atomic(output, text)
    except OSError as exc:
        raise CliError(f"{output}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {output}: {what}", file=sys.stderr)


def _checked_release(text: str) -> str:
    """``--release`` must name a release the model can check against."""
    from sphinx_xenabi.model.abi import FIRST_MODELLED_RELEASE
    from sphinx_xenabi.model.spec import Release

    try:
        release = Release.parse(text)
    except ValueError as exc:
        raise CliError(f"--release: {exc}") from None
    if release < FIRST_MODELLED_RELEASE:
        raise CliError(
            f"--release: the reference model covers Xen {FIRST_MODELLED_RELEASE} and later, "
            f"not {release}"
        )
    return str(release)


def _reference_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--xen-source``, ``--xen-config`` and ``--model`` as config overrides."""
    overrides: dict[str, Any] = {}
    if args.model and args.xen_source is not None:
        raise CliError("--model and --xen-source exclude each other")
    if args.model:
        overrides["xenabi_xen_source"] = False
    elif args.xen_source is not None:
        if not args.xen_source.is_dir():
            raise CliError(f"--xen-source: {args.xen_source}: not a directory")
        overrides["xenabi_xen_source"] = str(args.xen_source.resolve())
    if args.xen_config is not None:
        from sphinx_xenabi.model.xen_source import NAMED_CONFIGURATIONS

        config = args.xen_config
        if config not in NAMED_CONFIGURATIONS:
            if not Path(config).is_file():
                raise CliError(f"--xen-config: {config}: no such .config file")
            config = str(Path(config).resolve())
        overrides["xenabi_xen_config"] = config
    return overrides


def _verdict(reading: TreeReading, docs_dir: Path) -> tuple[int, str]:
    """check's exit code and summary line."""
    result = reading.result
    tables = len(result.registry.tables)
    if not tables:
        return EXIT_FINDINGS, (
            f"xenabi check: nothing checked: no ABI table in the {result.documents} "
            f"document(s) of {docs_dir}"
        )
    if result.drift or result.problems or result.execution_failures:
        return EXIT_FINDINGS, (
            f"xenabi check: {result.drift} disagreement(s), {result.problems} table problem(s), "
            f"{result.execution_failures} row(s) failed on the emulated CPU "
            f"in {tables} table(s) checked against {reading.checked_against}"
        )
    unchecked = f", {result.unchecked} not checked" if result.unchecked else ""
    return EXIT_CLEAN, (
        f"xenabi check: {tables - result.unchecked} table(s) agree with "
        f"{reading.checked_against}{unchecked}"
    )


def _progress(text: str) -> None:
    print(f"xenabi check: {text} ...", file=sys.stderr, flush=True)


def _command_check(args: argparse.Namespace) -> int:
    overrides = (
        {} if args.release is None else {"xenabi_xen_release": _checked_release(args.release)}
    )
    overrides.update(_reference_overrides(args))
    progress = None if args.quiet else _progress
    reading = read_tree(args.docs_dir, args.conf_dir, overrides, progress)
    if args.verbose:
        print(reading.sphinx_output, file=sys.stderr)
    code, summary = _verdict(reading, args.docs_dir)
    if args.format != "text":
        from sphinx_xenabi.cli.check_formats import CheckReport, render

        report = CheckReport(
            args.docs_dir,
            reading.checked_against,
            code,
            summary,
            reading.registry,
            reading.messages,
        )
        sys.stdout.write(render(args.format, report))
        return code
    note = reading.result.reference.note
    if note is not None and not args.quiet:
        print(note.replace("xenabi:", "xenabi check:", 1))
    for message in reading.messages:
        print(message.line_text)
    if code != EXIT_CLEAN or not args.quiet:
        print(summary)
    return code


def _command_source(args: argparse.Namespace) -> int:
    from sphinx_xenabi.model.xen_source import ConfigurationError, SourceError, read_xen_source

    try:
        source = read_xen_source(args.xen_tree, args.config)
    except (SourceError, ConfigurationError) as exc:
        raise CliError(str(exc)) from None
    for problem in source.warnings:
        print(f"warning: the Xen source contradicts itself: {problem}", file=sys.stderr)
    _write_output(
        args.output, source.to_json(), f"{source.origin}, {len(source.hypercalls)} hypercalls"
    )
    return EXIT_CLEAN


def _command_indent(args: argparse.Namespace) -> int:
    from sphinx_xenabi.cli.indentation import check_paths

    try:
        faults = check_paths(args.paths)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    for fault in faults:
        print(fault)
    return EXIT_FINDINGS if faults else EXIT_CLEAN


def _add_tree_arguments(parser: argparse.ArgumentParser) -> None:
    """DOCS_DIR and --conf-dir, shared by the commands that read a tree."""
    parser.add_argument("docs_dir", type=Path, metavar="DOCS_DIR")
    parser.add_argument(
        "--conf-dir", type=Path, metavar="DIR", help="directory of conf.py (default: DOCS_DIR)"
    )


def _add_output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)"
    )


def _add_extract_parser(commands: Any) -> None:
    extract = commands.add_parser(
        "extract", help="write the registry JSON of a docs tree (no html build)"
    )
    _add_tree_arguments(extract)
    _add_output_argument(extract)
    extract.set_defaults(run=_command_extract)


def _add_check_parser(commands: Any) -> None:
    check = commands.add_parser(
        "check", help="compare a docs tree's ABI tables with the reference model"
    )
    _add_tree_arguments(check)
    check.add_argument(
        "--release", metavar="X", help="the Xen release the tree describes (overrides its conf.py)"
    )
    check.add_argument(
        "--xen-source",
        type=Path,
        metavar="DIR",
        help="check against this Xen source tree (default: the tree the docs sit in, if any)",
    )
    check.add_argument(
        "--xen-config",
        metavar="CONFIG",
        help="the Xen build configuration: all (default), defconfig or a .config path",
    )
    check.add_argument(
        "--model",
        action="store_true",
        help="check against the built-in model even when the docs sit in a Xen tree",
    )
    check.add_argument(
        "-v", "--verbose", action="store_true", help="also print Sphinx's own output"
    )
    check.add_argument(
        "--format",
        choices=("text", "json", "github", "junit"),
        default="text",
        help="text (default): findings and a summary line; json (check_report.schema.json); "
        "github: workflow annotations (::error file=...,line=...::...); junit: one test case "
        "per table row",
    )
    check.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress lines; in text, no summary when clean (the exit code says it)",
    )
    check.set_defaults(run=_command_check)


def _add_source_parser(commands: Any) -> None:
    source = commands.add_parser(
        "source", help="print the ABI facts of a Xen source tree as JSON, with their evidence"
    )
    source.add_argument("xen_tree", type=Path, metavar="XEN_TREE")
    source.add_argument(
        "--config",
        default="all",
        metavar="CONFIG",
        help="all (default), defconfig or the path of a .config",
    )
    _add_output_argument(source)
    source.set_defaults(run=_command_source)


def _add_indent_parser(commands: Any) -> None:
    indent = commands.add_parser(
        "indent", help="check that reST directive bodies and options are indented by 3 spaces"
    )
    indent.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="files or directories")
    indent.set_defaults(run=_command_indent)


def build_parser(prog: str = "sphinx-xenabi") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Extract and check the x86 hypercall ABI tables of a Sphinx tree.",
    )
    parser.add_argument("--version", action="version", version=f"sphinx-xenabi {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_extract_parser, _add_check_parser, _add_source_parser, _add_indent_parser):
        add(commands)
    from sphinx_xenabi.cli.diff import add_diff_parser  # imports this module

    add_diff_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "sphinx-xenabi") -> int:
    """The console script ``sphinx-xenabi``; ``__main__`` passes its own ``prog``."""
    args = build_parser(prog).parse_args(argv)
    try:
        return int(args.run(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - a bug must not look like findings (exit 1)
        print(f"error: internal error: {_internal_error(exc)}", file=sys.stderr)
        return EXIT_ERROR


def _internal_error(exc: Exception) -> str:
    """One line for a bug; the traceback goes to a file, as Sphinx does with its own."""
    with tempfile.NamedTemporaryFile(
        "w", prefix="sphinx-xenabi-err-", suffix=".log", delete=False, encoding="utf-8"
    ) as log:
        log.write("".join(traceback.format_exception(exc)))
    first = str(exc).strip().splitlines()
    detail = f": {first[0][:300]}" if first else ""
    return f"{type(exc).__name__}{detail} (a bug in sphinx-xenabi; the traceback is in {log.name})"
