"""A chain of requirement items in Xen's format, in reST and MyST, with references to them.

Market, product and design items as Xen's ``docs/fusa/reqs`` writes them,
every link whole (no finding), and a page of references: six documents, so
that ``-j 2`` really reads in several processes.
"""

import os

project = "xenabi-requirements"
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
