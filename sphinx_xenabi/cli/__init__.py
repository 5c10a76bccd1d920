"""``sphinx-xenabi`` (``python -m sphinx_xenabi``): extract, check, diff, history, lint indentation.

``extract`` and ``check`` run Sphinx's reading phase (the ``dummy`` builder,
no html) over any documentation tree with its own ``conf.py``, adding the
extension without editing that file. Exit codes: 0 clean, 1 findings (or, for
``check``, a tree without any ABI table: nothing was checked), 2 usage or
build error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from sphinx_xenabi._version import __version__
from sphinx_xenabi.cli.commands import COMMANDS, command_named
from sphinx_xenabi.cli.errors import EXIT_ERROR, CliError


def build_parser(
    prog: str = "sphinx-xenabi", only: str | None = None, *, every: bool = False
) -> argparse.ArgumentParser:
    """The parser, with the full arguments of command ``only`` (or of every command
    with ``every``); the others are listed by name and help, their modules not loaded."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Extract and check the x86 and Arm hypercall ABI tables of a Sphinx tree.",
    )
    parser.add_argument("--version", action="version", version=f"sphinx-xenabi {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_line in COMMANDS.items():
        if every or name == only:
            import_module(f"sphinx_xenabi.cli.{name}").add_parser(commands)
        else:
            commands.add_parser(name, help=help_line)  # never parsed: only shown in --help
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "sphinx-xenabi") -> int:
    """The console script ``sphinx-xenabi``; ``__main__`` passes its own ``prog``."""
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(prog, command_named(words)).parse_args(words)
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
    import tempfile  # only on this path: a command that succeeds does not need them
    import traceback

    with tempfile.NamedTemporaryFile(
        "w", prefix="sphinx-xenabi-err-", suffix=".log", delete=False, encoding="utf-8"
    ) as log:
        log.write("".join(traceback.format_exception(exc)))
    first = str(exc).strip().splitlines()
    detail = f": {first[0][:300]}" if first else ""
    return f"{type(exc).__name__}{detail} (a bug in sphinx-xenabi; the traceback is in {log.name})"
