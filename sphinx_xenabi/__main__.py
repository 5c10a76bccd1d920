"""Run the command line: ``python -m sphinx_xenabi --help``."""

import sys

from sphinx_xenabi.cli import main

sys.exit(main(prog="python -m sphinx_xenabi"))
