"""Docs of a few lines in Xen's form, to put inside (or beside) a small Xen tree.

One page holding the registers table, as Xen's guest guide writes it, with
the parameter registers a test chooses; a ``conf.py`` that enables the
extension. Tests of the source gate, the fact cache, sphinx-autobuild and
import on use build these against the trees of ``support.xen_trees``.
"""

from __future__ import annotations

from pathlib import Path

SIX = ("RDI RSI RDX R10 R8 R9", "EBX ECX EDX ESI EDI EBP")
FIVE = ("RDI RSI RDX R10 R8", "EBX ECX EDX ESI EDI")

CONF = """\
project = "xen-docs"
extensions = ["sphinx_xenabi"]
release = version = "{release}"
"""

INDEX = """\
Hypercall ABI
=============

.. list-table::
   :header-rows: 1

   * - ABI
     - Hypercall Index
     - Parameters (1 - {count})
     - Result
   * - 64bit
     - RAX
     - {params64}
     - RAX
   * - 32bit
     - EAX
     - {params32}
     - EAX
"""


def docs_in(
    directory: Path,
    params: tuple[str, str] = FIVE,
    release: str = "4.19",
    pages: dict[str, str] | None = None,
) -> Path:
    """``directory/docs``: conf.py and an index with the registers table, then ``pages``.

    Each of ``pages`` (name without suffix: reST text) is written beside the
    index and listed in a toctree after the table.
    """
    docs = directory / "docs"
    docs.mkdir(parents=True)
    (docs / "conf.py").write_text(CONF.format(release=release), encoding="utf-8")
    count = len(params[0].split())
    index = INDEX.format(count=count, params64=params[0], params32=params[1])
    if pages:
        index += "\n.. toctree::\n\n" + "".join(f"   {name}\n" for name in pages)
        for name, text in pages.items():
            (docs / f"{name}.rst").write_text(text, encoding="utf-8")
    (docs / "index.rst").write_text(index, encoding="utf-8")
    return docs
