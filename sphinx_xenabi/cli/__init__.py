"""``sphinx-xenabi`` (``python -m sphinx_xenabi``): extract, check, diff, history, lint indentation.

``extract`` and ``check`` run Sphinx's reading phase (the ``dummy`` builder,
no html) over any documentation tree with its own ``conf.py``, adding the
extension without editing that file. Exit codes: 0 clean, 1 findings (or, for
``check``, a tree without any ABI table: nothing was checked), 2 usage or
build error.

The console script and ``python -m sphinx_xenabi`` run :func:`run`, which
ends the process without the interpreter's teardown; :func:`main` returns,
for callers that go on in the same process.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import NoReturn

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
    """The command line, returning its exit code (:func:`run` is the console script)."""
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(prog, command_named(words)).parse_args(words)
    try:
        return int(args.run(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # Whoever read the output stopped reading (``check ... | head``): no
        # fault of the command's, and nothing left to say. What is still
        # buffered goes nowhere, so that no later flush fails again.
        _discard_output()
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - a bug must not look like findings (exit 1)
        if isinstance(exc, OSError) and exc.errno in _NO_ROOM:  # a full disk is no bug
            print(_cannot_write(exc), file=sys.stderr)
        else:
            print(f"error: internal error: {_internal_error(exc)}", file=sys.stderr)
        return EXIT_ERROR


# A write that failed for want of room: the disk, a quota, a size limit.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def _cannot_write(exc: OSError) -> str:
    return f"error: cannot write: {exc.strerror or exc}"


def _discard_output() -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):  # no stdout, or no descriptor
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def run(argv: Sequence[str] | None = None, prog: str = "sphinx-xenabi") -> NoReturn:
    """The console script: :func:`main`, then the end of the process (:func:`exit_now`)."""
    exit_now(main(argv, prog))


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` once the standard streams are flushed, without teardown.

    Teardown frees every object the command made one by one, and collects
    them: after ``check`` of Xen's docs that takes about 0.3 s, a fifth of
    the command, for memory the process gives back as it ends anyway. By now
    every file the command wrote is closed (written whole, then renamed) and
    its workers are reaped; only the standard streams hold output still. mypy
    ends the same way (its "fast exit"). Exit handlers are not run: what a
    ``conf.py`` registers with ``atexit`` is skipped, as the build has ended.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # no console at all (pythonw)
            continue
        try:
            stream.flush()
        except BrokenPipeError:  # the reader has gone (``| head``), as in main
            code = EXIT_ERROR
        except ValueError:
            pass  # closed by whoever called the command: nothing of ours is waiting in it
        except OSError as exc:  # output lost (a full disk): the command failed after all
            code = EXIT_ERROR
            with contextlib.suppress(OSError):
                os.write(2, f"{_cannot_write(exc)}\n".encode())
    os._exit(code)


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
