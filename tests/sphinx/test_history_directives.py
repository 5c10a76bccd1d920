"""The ABI history and diff directives, rendered by real Sphinx builds.

Of ``tests/roots/test-history`` and of small trees; what they render is the
model's and the sources' histories (tests/model/test_abi_history.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sphinx.util.console import strip_colors

from sphinx_xenabi.model.abi_diff import Rule
from support.building import build_root, build_test_root
from support.html_tables import read_tables
from support.xen_trees import c_tables_tree, hypercall_defs_tree

# -- the directives in real builds --------------------------------------------------


def test_the_history_and_diff_directives_render(tmp_path: Path) -> None:
    build = build_test_root("history", tmp_path)
    assert build.statuscode == 0
    assert strip_colors(build.warnings) == ""
    outdir = build.outdir
    (table,) = read_tables(outdir / "history.html")
    assert "ABI changes, Xen 4.13 to 4.22 (the reference model)" in str(table["caption"])
    rows = table["rows"]
    assert rows[0] == ["Release", "For guests", "Change"]  # type: ignore[index]
    assert rows[1] == ["4.13", "", "first release shown: 6 parameters, 43 hypercall numbers"]  # type: ignore[index]
    # The release cell spans its lines: later lines of a release have two cells.
    assert rows[5] == ["4.15", "compatible", "dm_op (41) now available to Arm 64 and Arm 32 guests"]  # type: ignore[index]
    # One line for the sixth parameter and the count it took down with it.
    assert rows[6] == [  # type: ignore[index]
        "4.17",
        "breaking",
        "parameter 6 (R9, EBP) removed; at most 5 parameters (was 6)",
    ]
    assert rows[7][0] == "4.22"  # type: ignore[index]
    # Each line's severity is a cell of its own class, which the stylesheet colours.
    page = (outdir / "history.html").read_text(encoding="utf-8")
    assert page.count('<tr class="xenabi-breaking') == 2
    assert page.count('<td class="xenabi-severity"><p>breaking</p></td>') == 2
    tables = read_tables(outdir / "diff.html")
    (diff_table,) = tables  # the Markdown output, parsed into a real table
    assert diff_table["rows"][0] == ["Severity", "Change", "Rule"]  # type: ignore[index]
    assert diff_table["rows"][1] == [
        "breaking",
        "64bit parameter 6 (R9) removed",
        "parameter-removed",
    ]  # type: ignore[index]
    page = (outdir / "diff.html").read_text(encoding="utf-8")
    assert "| Severity | Change | Rule |" in page  # :source: shows the Markdown too
    assert "xenabi diff: the model, Xen 4.13 -&gt; the model, Xen 4.14" in page  # :format: text
    for rule in Rule:
        assert f'<span class="pre">{rule.value}</span>' in page


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


CONF = 'extensions = ["myst_parser", "sphinx_xenabi"]\nrelease = "4.22"\n'


def test_the_history_from_source_trees_has_a_where_column(tmp_path: Path) -> None:
    c_tables_tree(tmp_path / "xen-4.13")
    hypercall_defs_tree(tmp_path / "xen-4.19")
    srcdir = _tree(
        tmp_path / "docs",
        {"conf.py": CONF, "index.rst": "History\n=======\n\n.. xenabi-abi-history::\n"},
    )
    build = build_root(
        srcdir,
        tmp_path / "html",
        confoverrides={"xenabi_history_sources": ["../xen-4.19", "../xen-4.13"]},
    )
    assert build.statuscode == 0, build.warnings
    (table,) = read_tables(build.outdir / "index.html")
    assert "Xen 4.13 to 4.19 (the Xen source, built with every hypercall enabled)" in str(
        table["caption"]
    )
    assert table["rows"][0] == ["Release", "For guests", "Change", "Where"]  # type: ignore[index]
    assert table["rows"][2][:3] == [  # type: ignore[index]
        "4.19",
        "breaking",
        "parameter 6 (R9, EBP) removed; at most 5 parameters (was 6)",
    ]
    page = (build.outdir / "index.html").read_text(encoding="utf-8")
    for place in (
        "arch/x86/pv/hypercall.c:16",
        "arch/x86/pv/hypercall.c:28",
        "scripts/gen_hypercall.awk:3",
    ):
        assert (
            f'<p><code class="docutils literal notranslate"><span class="pre">xen/{place}' in page
        )


@pytest.mark.parametrize(
    ("files", "overrides", "words"),
    [
        (
            {"index.rst": "T\n=\n\n.. xenabi-abi-diff:: 4.16 4.17\n"},
            {},
            "renders only in a Markdown (MyST) page",
        ),
        ({"index.rst": "T\n=\n\n.. xenabi-abi-diff:: 4.12 4.17\n"}, {}, "Xen 4.12 is not modelled"),
        (
            {"index.rst": "T\n=\n\n.. xenabi-abi-history::\n"},
            {"xenabi_history_sources": ["nowhere-a", "nowhere-b"]},
            "cannot read the Xen source in xenabi_history_sources",
        ),
    ],
)
def test_a_misused_directive_is_one_located_error(
    tmp_path: Path, files: dict[str, str], overrides: dict[str, Any], words: str
) -> None:
    srcdir = _tree(tmp_path / "docs", {"conf.py": CONF, **files})
    build = build_root(srcdir, tmp_path / "html", confoverrides=overrides)
    errors = [line for line in strip_colors(build.warnings).splitlines() if line]
    assert len(errors) == 1, errors
    assert "index.rst:4: ERROR:" in errors[0] and words in errors[0]
    assert errors[0].endswith(("[xenabi.directive]", "[xenabi.source]"))
