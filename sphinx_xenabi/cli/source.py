"""``source XEN_TREE``: a Xen source tree's ABI facts as JSON, with their evidence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sphinx_xenabi.cli.arguments import add_output_argument, write_output
from sphinx_xenabi.cli.commands import COMMANDS
from sphinx_xenabi.cli.errors import EXIT_CLEAN, CliError


def run(args: argparse.Namespace) -> int:
    from sphinx_xenabi.model.xen_source import ConfigurationError, SourceError, read_xen_source

    try:
        source = read_xen_source(args.xen_tree, args.config)
    except (SourceError, ConfigurationError) as exc:
        raise CliError(str(exc)) from None
    for problem in source.warnings:
        print(f"warning: the Xen source contradicts itself: {problem}", file=sys.stderr)
    write_output(
        args.output, source.to_json(), f"{source.origin}, {len(source.hypercalls)} hypercalls"
    )
    return EXIT_CLEAN


def add_parser(commands: Any) -> None:
    source = commands.add_parser("source", help=COMMANDS["source"])
    source.add_argument("xen_tree", type=Path, metavar="XEN_TREE")
    source.add_argument(
        "--config",
        default="all",
        metavar="CONFIG",
        help="all (default), defconfig or the path of a .config",
    )
    add_output_argument(source)
    source.set_defaults(run=run)
