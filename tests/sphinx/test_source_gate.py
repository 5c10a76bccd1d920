"""The html build checks against a Xen source tree: found beside the docs, configured, or broken."""

from __future__ import annotations

import re
from pathlib import Path

from support.building import run_sphinx
from support.xen_docs import FIVE, SIX, docs_in
from support.xen_trees import hypercall_defs_tree


def test_docs_inside_a_xen_tree_are_checked_against_it_and_say_so(tmp_path: Path) -> None:
    tree = hypercall_defs_tree(tmp_path / "xen")
    docs = docs_in(tree, FIVE)
    build = run_sphinx(docs, tmp_path / "out", confdir=docs)
    assert build.statuscode == 0, build.warnings
    lines = [line for line in build.status.splitlines() if "checking the tables against" in line]
    assert lines == [
        f"xenabi: checking the tables against the Xen 4.19.0 source (built with every hypercall enabled) at {tree.resolve()} "
        "(the docs sit in this Xen tree)"
    ]
    assert build.registry_json.is_file()


def test_a_cell_that_disagrees_with_the_source_fails_citing_both_sides(tmp_path: Path) -> None:
    tree = hypercall_defs_tree(tmp_path / "xen")
    docs = docs_in(tree, SIX, release="4.16")  # the docs even claim the six-parameter era
    build = run_sphinx(docs, tmp_path / "out", confdir=docs)
    assert build.statuscode == 1
    warnings = re.sub(r"\x1b\[[0-9;]*m", "", build.warnings)
    assert (
        f"{docs / 'index.rst'}:13: ERROR: 64bit parameter 6 is R9; the Xen 4.19.0 source (built with every hypercall enabled) "
        "passes only 5 parameters (xen/arch/x86/pv/hypercall.c:16)"
    ) in warnings
    assert (
        "between the docs and the Xen 4.19.0 source (built with every hypercall enabled)"
        in build.warnings
    )
    assert not build.registry_json.exists()
    # The same docs against the model of the release they state pass: the source decided.
    model = run_sphinx(
        docs, tmp_path / "model", confdir=docs, confoverrides={"xenabi_xen_source": False}
    )
    assert model.statuscode == 0, model.warnings


def test_a_configured_tree_relative_to_the_conf_dir(tmp_path: Path) -> None:
    hypercall_defs_tree(tmp_path / "elsewhere" / "xen")
    docs = docs_in(tmp_path / "project", SIX, release="4.16")
    build = run_sphinx(
        docs,
        tmp_path / "out",
        confdir=docs,
        confoverrides={"xenabi_xen_source": "../../elsewhere/xen"},
    )
    assert build.statuscode == 1
    assert "(xenabi_xen_source)" in build.status
    assert "passes only 5 parameters" in build.warnings


def test_an_unreadable_tree_is_one_error_and_a_failed_build(tmp_path: Path) -> None:
    tree = hypercall_defs_tree(tmp_path / "xen")
    (tree / "xen/arch/x86/pv/hypercall.c").unlink()
    docs = docs_in(tree, FIVE)
    build = run_sphinx(docs, tmp_path / "out", confdir=docs)
    assert build.statuscode == 1
    errors = [line for line in build.warnings.splitlines() if "ERROR" in line]
    assert len(errors) == 1, build.warnings
    assert "cannot read the Xen source (the docs sit in this Xen tree)" in errors[0]
    assert "xen/arch/x86/pv/hypercall.c: missing" in errors[0]
    assert "[xenabi.source]" in errors[0]
    assert "Traceback" not in build.warnings and "Extension error" not in build.warnings
    assert not build.registry_json.exists()
