"""``indent PATH...``: the 3-space directive indentation of reST sources."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sphinx_xenabi.cli.commands import COMMANDS
from sphinx_xenabi.cli.errors import EXIT_CLEAN, EXIT_FINDINGS, CliError


def run(args: argparse.Namespace) -> int:
    from sphinx_xenabi.cli.indentation import check_paths

    try:
        faults = check_paths(args.paths)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    for fault in faults:
        print(fault)
    return EXIT_FINDINGS if faults else EXIT_CLEAN


def add_parser(commands: Any) -> None:
    indent = commands.add_parser("indent", help=COMMANDS["indent"])
    indent.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="files or directories")
    indent.set_defaults(run=run)
