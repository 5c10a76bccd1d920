"""sphinx.testing root for the parallel and incremental build tests.

Seventeen documents with tables spread over them, so that ``-j 4`` really
reads in several processes.
"""

import os

project = "xenabi-test"
extensions = ["myst_parser", "sphinx_xenabi"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]


def _note_reader(app, doctree):
    # Which process read each document: the tests check that a parallel build
    # really read in several processes (Sphinx merges page metadata).
    app.env.metadata[app.env.docname]["test_reader_pid"] = os.getpid()


def setup(app):
    app.connect("doctree-read", _note_reader)
