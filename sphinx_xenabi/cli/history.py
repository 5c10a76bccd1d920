"""``sphinx-xenabi history [REPO] [RANGE]``: the windows in which the docs and the code disagreed.

The docs are checked against the Xen source of the same commit, as
``check`` does in a Xen tree, at every commit of RANGE (first parents,
oldest first) where the verdict can change: where a file that the docs
reading or the source reading depended on changed (:mod:`.history_walk`).
Commits are read from git's objects into a scratch directory: the user's
work tree, index, stashes and refs are never touched.

A docs reading is a Sphinx build, which runs a ``conf.py``. By default no
``conf.py`` of the repository runs (a built-in configuration, see
:mod:`.history_docs`); ``--conf-dir DIR`` runs one trusted configuration at
every commit, ``--tree-conf`` each commit's own.

Exit codes: 0 the range ends with the docs agreeing with the source, 1 it
ends in disagreement (or no commit's docs had a table: nothing was
checked), 2 a usage or read error.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.cli.arguments import add_output_argument, write_output
from sphinx_xenabi.cli.choices import HISTORY_FORMATS
from sphinx_xenabi.cli.commands import COMMANDS
from sphinx_xenabi.cli.errors import EXIT_CLEAN, EXIT_FINDINGS, CliError

# The walk, git's plumbing and the model of history are imported where history
# runs: building the parser (every other command, --help) loads none of them.
if TYPE_CHECKING:
    from sphinx_xenabi.cli.history_docs import ConfChoice

WHAT_RUNS = (
    "A docs reading is a Sphinx build, and a build executes a conf.py. By default history "
    "runs none of the repository's: it uses a built-in configuration and takes root_doc, "
    "source_suffix and exclude_patterns from DOCS/conf.py without running it. --conf-dir DIR "
    "runs DIR/conf.py (one configuration you trust) at every commit; --tree-conf runs each "
    "commit's own DOCS/conf.py, that is every historical version of it: use it only on a "
    "repository you trust."
)


def _docs_path(text: str) -> str:
    """``--docs``: a directory relative to the repository's top, without ``..``."""
    path = PurePosixPath(text.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts or str(path) == ".":
        raise CliError(f"--docs {text}: expected a directory relative to the repository's top")
    return str(path)


def conf_choice(args: argparse.Namespace, top: Path, docs: str, last: str) -> ConfChoice:
    """The configuration the docs are built with, refusing to guess where it matters."""
    from sphinx_xenabi.cli.git_commits import git
    from sphinx_xenabi.cli.history_docs import ConfChoice, ConfMode, static_settings_of

    if args.conf_dir is not None:
        if not (args.conf_dir / "conf.py").is_file():
            raise CliError(f"--conf-dir {args.conf_dir}: no conf.py here")
        return ConfChoice(ConfMode.TRUSTED, args.conf_dir.resolve())
    if args.tree_conf:
        return ConfChoice(ConfMode.TREE)
    try:
        text = git(top, "show", f"{last}:{docs}/conf.py")
    except CliError:
        text = ""  # no conf.py: Sphinx's defaults
    _, unknown = static_settings_of(text, f"{docs}/conf.py")
    if unknown:
        raise CliError(
            f"{docs}/conf.py at {last[:12]} loads {', '.join(unknown)}, which the built-in "
            "configuration does not: the tables may need them. Pass --conf-dir DIR (a conf.py "
            "you trust, run at every commit) or --tree-conf (runs every commit's own conf.py; "
            "only for a repository you trust)"
        )
    return ConfChoice(ConfMode.BUILTIN)


def _xen_config(text: str) -> str:
    """``--xen-config``: a named configuration, or a .config file (made absolute)."""
    from sphinx_xenabi.model.xen_source import NAMED_CONFIGURATIONS

    if text in NAMED_CONFIGURATIONS:
        return text
    if not Path(text).is_file():
        raise CliError(f"--xen-config: {text}: no such .config file")
    return str(Path(text).resolve())


def _progress(text: str) -> None:
    print(f"xenabi history: {text} ...", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from sphinx_xenabi.cli.git_commits import range_end, repository_top
    from sphinx_xenabi.cli.history_walk import WalkOptions, walk
    from sphinx_xenabi.model.history_report import OutputFormat, render, summary

    top = repository_top(args.repo)
    docs = _docs_path(args.docs)
    xen_config = _xen_config(args.xen_config)
    conf = conf_choice(args, top, docs, range_end(top, args.range))
    progress = None if args.quiet else _progress
    if progress is not None:
        progress(f"reading {docs}/ with {conf.describe(docs)}")
    options = WalkOptions(top, docs, args.range, conf, xen_config)
    report = replace(walk(options, progress), repository=str(args.repo))
    text = render(report, OutputFormat(args.format), args.trailer)
    write_output(args.output, text, summary(report))
    if report.checked_from is None or report.ends_in_disagreement:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _add_conf_arguments(history: argparse.ArgumentParser) -> None:
    """--conf-dir and --tree-conf: which conf.py runs, if any (default: none)."""
    conf = history.add_mutually_exclusive_group()
    conf.add_argument(
        "--conf-dir",
        type=Path,
        metavar="DIR",
        help="build every commit's docs with DIR/conf.py (a configuration you trust; it runs)",
    )
    conf.add_argument(
        "--tree-conf",
        action="store_true",
        help="build each commit's docs with its own DOCS/conf.py (runs every historical version "
        "of it: only for a repository you trust)",
    )


def add_parser(commands: Any) -> None:
    """The ``history`` subcommand."""
    history = commands.add_parser(
        "history",
        help=COMMANDS["history"],
        description=(
            "Check the docs against the Xen source of the same commit at every commit of RANGE "
            "where the verdict can change, and print the windows of disagreement: the first "
            "commit where they disagreed, the first where they agreed again, dates, duration, "
            "commits, cells and source lines. Commits are read from git's objects; the work "
            "tree, index and stashes are never touched. " + WHAT_RUNS
        ),
    )
    history.add_argument(
        "repo",
        nargs="?",
        type=Path,
        default=Path("."),
        metavar="REPO",
        help="the git repository whose docs sit beside its Xen source (default: .)",
    )
    history.add_argument(
        "range",
        nargs="?",
        default="HEAD",
        metavar="RANGE",
        help="the commits: REV (its whole history) or A..B (default: HEAD; the windows start "
        "where the docs gained their tables)",
    )
    history.add_argument(
        "--docs",
        default="docs",
        metavar="DIR",
        help="the docs directory, relative to the repository's top (default: docs)",
    )
    _add_conf_arguments(history)
    history.add_argument(
        "--xen-config",
        default="all",
        metavar="CONFIG",
        help="the configuration the source is read in: all (default), defconfig, or a .config",
    )
    history.add_argument(
        "--format",
        choices=HISTORY_FORMATS,
        default="text",
        help="text (default); markdown (an issue or pull-request comment); json "
        "(history.schema.json, what the xenabi-drift-windows directive renders); github "
        "(annotations: an open window's cells as errors, a closed window as a notice)",
    )
    history.add_argument(
        "--trailer",
        metavar="KEY",
        help="show this trailer of each commit beside it in text and markdown "
        "(e.g. Xen-Commit for a condensed copy of Xen's history)",
    )
    add_output_argument(history)
    history.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    history.set_defaults(run=run)
