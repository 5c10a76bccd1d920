"""The footnotes a table's cells cite are recorded in the registry (for the ABI diff).

The rst and myst roots cite one footnote from the registers header; the
registry keeps its text at the footnote's own line, loads it back, and
leaves the key out of tables that cite none, so their bytes are unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sphinx_xenabi.model.published_files import REGISTRY_FILENAME
from sphinx_xenabi.model.registry import load
from support.building import build_test_root
from support.lines import line_starting


@pytest.mark.parametrize(
    ("root", "page", "start"),
    [
        ("rst", "guest/abi.rst", ".. [#params]"),
        ("myst", "guest/abi.md", "[^params]:"),
    ],
)
def test_a_cited_footnote_is_recorded_at_its_line(
    tmp_path: Path, root: str, page: str, start: str
) -> None:
    build = build_test_root(root, tmp_path)
    assert build.statuscode == 0
    path = build.outdir / REGISTRY_FILENAME
    data = json.loads(path.read_text(encoding="utf-8"))
    registers, *others = data["tables"]
    assert registers["kind"] == "registers"
    assert registers["footnotes"] == [
        {
            "value": "Xen 4.17 stopped passing a sixth parameter.",
            "file": page,
            "line": line_starting(build.srcdir / page, start),
        }
    ]
    assert all("footnotes" not in table for table in others)
    (loaded, *_) = load(path).tables
    assert [cell.value for cell in loaded.footnotes] == [
        "Xen 4.17 stopped passing a sixth parameter."
    ]
