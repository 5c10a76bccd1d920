"""``extract DOCS_DIR``: the registry JSON of a docs tree, without an html build."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sphinx_xenabi.cli.arguments import add_output_argument, add_tree_arguments, write_output
from sphinx_xenabi.cli.commands import COMMANDS
from sphinx_xenabi.cli.errors import EXIT_CLEAN, EXIT_FINDINGS
from sphinx_xenabi.cli.reading import read_tree


def run(args: argparse.Namespace) -> int:
    from sphinx_xenabi.cli.check_formats import line_text  # loads the model's records

    reading = read_tree(args.docs_dir, args.conf_dir)
    result = reading.result
    for problem in reading.problems:
        print(line_text(problem, reading.srcdir, Path.cwd()), file=sys.stderr)
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
    write_output(args.output, text, what)
    return EXIT_CLEAN


def add_parser(commands: Any) -> None:
    extract = commands.add_parser("extract", help=COMMANDS["extract"])
    add_tree_arguments(extract)
    add_output_argument(extract)
    extract.set_defaults(run=run)
