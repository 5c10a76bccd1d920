"""Arguments and output shared by the commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sphinx_xenabi.cli.errors import CliError


def add_tree_arguments(parser: argparse.ArgumentParser) -> None:
    """DOCS_DIR and --conf-dir, shared by the commands that read a tree."""
    parser.add_argument("docs_dir", type=Path, metavar="DOCS_DIR")
    parser.add_argument(
        "--conf-dir", type=Path, metavar="DIR", help="directory of conf.py (default: DOCS_DIR)"
    )


def add_output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)"
    )


def write_output(output: Path | None, text: str, what: str) -> None:
    """``-o FILE`` (atomically, saying what was written) or standard output."""
    from sphinx_xenabi.model.atomic import write_atomic

    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_atomic(output, text)
    except OSError as exc:
        raise CliError(f"{output}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {output}: {what}", file=sys.stderr)
