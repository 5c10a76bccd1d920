"""sphinx.testing root: another project that links to the hypercalls of test-xref.

It defines no hypercall of its own; the test maps ``xen`` to a build of
test-xref through ``intersphinx_mapping`` (a local objects.inv, no network).
"""

project = "unikernel"
extensions = ["sphinx.ext.intersphinx", "sphinx_xenabi"]
release = "1.0"
