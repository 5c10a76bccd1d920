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
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sphinx_xenabi._version import __version__

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

_XENABI_MARK = "[xenabi."
_BUILD_SUMMARY = re.compile(r"^(?:WARNING|ERROR): xenabi: ")


class CliError(Exception):
    """A usage or build problem, reported in one line with exit code 2."""


@dataclass
class TreeReading:
    registry: Any  # sphinx_xenabi.model.registry.Registry
    drift: int
    problems: int
    unchecked: int
    execution_failures: int  # register/transfer rows that failed on the emulated CPU
    messages: list[str]
    sphinx_output: str
    reference: str  # what the tables were checked against
    reference_note: str | None  # which Xen tree and why, when one was read
    checked_against: str  # the reference, and for the model the release and where it came from
    documents: int  # how many documents Sphinx read


def _conf_dir(docs_dir: Path, conf_dir: Path | None) -> Path:
    """The absolute conf.py directory (Sphinx changes into it before reading)."""
    if not docs_dir.is_dir():
        raise CliError(f"{docs_dir}: not a directory")
    directory = conf_dir if conf_dir is not None else docs_dir
    if not (directory / "conf.py").is_file():
        raise CliError(f"{directory}: no conf.py here (use --conf-dir DIR to name its directory)")
    return directory.resolve()


def read_tree(
    docs_dir: Path,
    conf_dir: Path | None,
    overrides: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> TreeReading:
    """Run the reading phase with the extension and collect its results.

    ``progress`` is told what is happening on work that takes seconds.
    """
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.errors import SphinxError
    from sphinx.util.console import nocolor
    from sphinx.util.docutils import docutils_namespace, patch_docutils
    from sphinx.util.tags import Tags

    from sphinx_xenabi.domain import xenabi_domain
    from sphinx_xenabi.evidence import run_tables
    from sphinx_xenabi.gate import gate_release
    from sphinx_xenabi.messages import warn
    from sphinx_xenabi.state import build_state

    confdir = _conf_dir(docs_dir, conf_dir)
    docs_dir = docs_dir.resolve()
    try:
        # Read the tree's own extension list so ours is added, not substituted.
        configured = Config.read(confdir, overrides={}, tags=Tags()).extensions
    except SphinxError as exc:
        # Sphinx's message embeds conf.py's traceback; its last line says what failed.
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        raise CliError(f"{confdir / 'conf.py'}: {lines[-1] if lines else exc}") from None
    if not isinstance(configured, (list, tuple)) or not all(isinstance(e, str) for e in configured):
        raise CliError(
            f"{confdir / 'conf.py'}: extensions must be a list of module names, not {configured!r}"
        )
    extensions = list(configured)
    if "sphinx_xenabi" not in extensions:
        extensions.append("sphinx_xenabi")
    # xenabi_drift stays the tree's: findings carry the words its html build prints.
    settings: dict[str, Any] = {
        "extensions": extensions,
        "xenabi_write_registry": False,
        **(overrides or {}),
    }
    if not sys.stdout.isatty():
        nocolor()  # findings are parsed by tools and CI logs
    status = io.StringIO()
    warnings = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="xenabi-") as scratch:
        try:
            with patch_docutils(confdir), docutils_namespace():
                app = Sphinx(
                    srcdir=docs_dir,
                    confdir=confdir,
                    outdir=Path(scratch) / "out",
                    doctreedir=Path(scratch) / "doctrees",
                    buildername="dummy",
                    confoverrides=settings,
                    status=status,
                    warning=warnings,
                    freshenv=True,
                )
                if progress is not None:
                    progress(f"reading {docs_dir} with Sphinx (conf.py in {confdir})")
                started = time.monotonic()
                app.build(force_all=True)
                state = build_state(app)
                if state is None:
                    raise CliError(f"the Sphinx build of {docs_dir} read no documents")
                if state.reference_error is not None:
                    raise CliError(state.reference_error)
                if not state.registry.tables:
                    # Only here: an html build may use the extension for its
                    # cross-references alone, with no table to check.
                    warn(
                        "none",
                        f"no ABI table (registers, transfer or hypercall numbers) in the "
                        f"{len(app.env.found_docs)} document(s) read: nothing was checked "
                        f"against {state.reference}",
                        app.config.root_doc,
                    )
                # The dummy builder renders nothing, so the rows the html build
                # would execute are run here, reported like drift at their cells.
                execution_failures = 0
                if progress is not None:
                    progress(
                        f"read {len(app.env.found_docs)} document(s), "
                        f"{len(state.registry.tables)} ABI table(s) in "
                        f"{time.monotonic() - started:.1f} s"
                        + (
                            "; running their rows on the emulated CPU"
                            if app.config.xenabi_execute_tables and state.registry.tables
                            else ""
                        )
                    )
                if app.config.xenabi_execute_tables:
                    release = gate_release(state.registry)[0]
                    outcomes, _ = run_tables(app, state.registry, release)
                    execution_failures = sum(1 for o in outcomes.values() if not o.ok)
        except (SphinxError, OSError, SyntaxError) as exc:
            raise CliError(f"the Sphinx build of {docs_dir} failed: {exc}") from None
        problems = sum(len(p) for p in xenabi_domain(app.env).problems.values())
    output = warnings.getvalue()
    # The build's own summary ("xenabi: 3 disagreement(s) ...; the build fails")
    # gives way to check's.
    messages = [
        line
        for line in output.splitlines()
        if _XENABI_MARK in line and not _BUILD_SUMMARY.search(line)
    ]
    drift = sum(1 for f in state.findings if f.subtype == "drift")
    unchecked = len({f.location for f in state.findings if f.subtype == "unchecked"})
    return TreeReading(
        state.registry,
        drift,
        problems,
        unchecked,
        execution_failures,
        messages,
        status.getvalue() + output,
        state.reference,
        state.reference_note,
        _checked_against(app.config, state, overrides or {}),
        len(app.env.found_docs),
    )


def _checked_against(config: Any, state: Any, overrides: dict[str, Any]) -> str:
    """``the reference model for Xen 4.22 (release in conf.py)``: what and which release."""
    from sphinx_xenabi.gate import gate_release
    from sphinx_xenabi.reference import MODEL_NAME

    if state.reference != MODEL_NAME:
        return str(state.reference)  # a Xen source names its own version
    release, guessed = gate_release(state.registry)
    if "xenabi_xen_release" in overrides:
        origin = "--release"
    elif guessed is not None:
        stated = str(state.registry.release).strip()
        origin = f"release {stated!r} is not MAJOR.MINOR" if stated else "no release stated"
        origin += ": the newest the model knows"
    elif config.xenabi_xen_release is not None:
        origin = "xenabi_xen_release in conf.py"
    else:
        origin = "release in conf.py" if config.release else "version in conf.py"
    return f"{MODEL_NAME} for Xen {release} ({origin})"


def _command_extract(args: argparse.Namespace) -> int:
    from sphinx_xenabi.model.registry import write_atomic

    reading = read_tree(args.docs_dir, args.conf_dir)
    for message in reading.messages:
        print(message, file=sys.stderr)
    if reading.drift or reading.execution_failures:
        print(
            f"{reading.drift} disagreement(s) with the reference model, "
            f"{reading.execution_failures} row(s) failed on the emulated CPU: "
            "no registry written (an html build would not publish one either)",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    text = reading.registry.to_json()
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            write_atomic(args.output, text)
        except OSError as exc:
            raise CliError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
        print(
            f"wrote {args.output}: {len(reading.registry.tables)} tables from "
            f"{len(reading.registry.guides)} guides",
            file=sys.stderr,
        )
    return EXIT_CLEAN


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
    tables = len(reading.registry.tables)
    if not tables:
        return EXIT_FINDINGS, (
            f"xenabi check: nothing checked: no ABI table in the {reading.documents} "
            f"document(s) of {docs_dir}"
        )
    if reading.drift or reading.problems or reading.execution_failures:
        return EXIT_FINDINGS, (
            f"xenabi check: {reading.drift} disagreement(s), {reading.problems} table problem(s), "
            f"{reading.execution_failures} row(s) failed on the emulated CPU "
            f"in {tables} table(s) checked against {reading.checked_against}"
        )
    unchecked = f", {reading.unchecked} not checked" if reading.unchecked else ""
    return EXIT_CLEAN, (
        f"xenabi check: {tables - reading.unchecked} table(s) agree with "
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
        from sphinx_xenabi.check_report import CheckReport, parse_message, render

        messages = tuple(m for m in map(parse_message, reading.messages) if m is not None)
        report = CheckReport(
            args.docs_dir, reading.checked_against, code, summary, reading.registry, messages
        )
        sys.stdout.write(render(args.format, report))
        return code
    if reading.reference_note is not None and not args.quiet:
        print(reading.reference_note.replace("xenabi:", "xenabi check:", 1))
    for message in reading.messages:
        print(message)
    if code != EXIT_CLEAN or not args.quiet:
        print(summary)
    return code


def _command_source(args: argparse.Namespace) -> int:
    from sphinx_xenabi.model.registry import write_atomic
    from sphinx_xenabi.model.xen_source import ConfigurationError, SourceError, read_xen_source

    try:
        source = read_xen_source(args.xen_tree, args.config)
    except (SourceError, ConfigurationError) as exc:
        raise CliError(str(exc)) from None
    for problem in source.warnings:
        print(f"warning: the Xen source contradicts itself: {problem}", file=sys.stderr)
    text = source.to_json()
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            write_atomic(args.output, text)
        except OSError as exc:
            raise CliError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
        print(
            f"wrote {args.output}: {source.origin}, {len(source.hypercalls)} hypercalls",
            file=sys.stderr,
        )
    return EXIT_CLEAN


def _command_indent(args: argparse.Namespace) -> int:
    from sphinx_xenabi.indentation import check_paths

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


def build_parser(prog: str = "sphinx-xenabi") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Extract and check the x86 hypercall ABI tables of a Sphinx tree.",
    )
    parser.add_argument("--version", action="version", version=f"sphinx-xenabi {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    extract = commands.add_parser(
        "extract", help="write the registry JSON of a docs tree (no html build)"
    )
    _add_tree_arguments(extract)
    extract.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)"
    )
    extract.set_defaults(run=_command_extract)

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
    source.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)"
    )
    source.set_defaults(run=_command_source)

    indent = commands.add_parser(
        "indent", help="check that reST directive bodies and options are indented by 3 spaces"
    )
    indent.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="files or directories")
    indent.set_defaults(run=_command_indent)

    from sphinx_xenabi.diff_command import add_diff_parser  # imports this module

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
