"""Run the command line: ``python -m sphinx_xenabi --help``."""

from sphinx_xenabi.cli import run

run(prog="python -m sphinx_xenabi")
