"""sphinx.testing root for the hypercall cross-reference tests.

A full numbers table (so the drift gate is satisfied) and pages that refer
to its hypercalls by name and number, in reST and MyST: seven documents, so
that ``-j 2`` really reads in several processes.
"""

import os

project = "xenabi-xref"
extensions = ["myst_parser", "sphinx_xenabi"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
release = "4.22"
version = "4.22"
exclude_patterns = ["_build"]


def _note_reader(app, doctree):
    # Which process read each document: the -j test checks that reading was parallel.
    app.env.metadata[app.env.docname]["test_reader_pid"] = os.getpid()


def setup(app):
    app.connect("doctree-read", _note_reader)
