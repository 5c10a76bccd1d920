"""What a user trying the CLI on a Xen tree it has never seen is told, word for word.

The tree is a small Xen source of our own (``support.xen_trees``, Xen 4.19.0)
with the small reST root as its ``docs/``, whose ``conf.py`` talks as Xen's
does: a deprecation through Sphinx's logger and a line on stderr while it is
read. ``diff``'s one-sided tables use the same root with and without its
numbers page.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sphinx_xenabi.cli import main
from sphinx_xenabi.model.diff_report import load
from support.paths import ROOTS
from support.xen_trees import hypercall_defs_tree

# Xen's conf.py calls a theme function that logs a deprecation; this one says as much.
CHATTY_CONF = """
import sys
from pathlib import Path

from sphinx.util import logging

Path("conf-was-read").touch()  # in the working directory: whether Sphinx started
logging.getLogger(__name__).warning("Calling old_theme_path is deprecated")
sys.stderr.write("Warning: the theme was not found\\n")
print("conf.py says hello")
"""

ALL = "built with every hypercall enabled"  # --xen-config all, the default, in words


@pytest.fixture
def xen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``xen/``: a Xen 4.19 tree with the small root as its docs/, in the working directory."""
    tree = hypercall_defs_tree(tmp_path / "xen")
    shutil.copytree(ROOTS / "test-rst", tree / "docs")
    with (tree / "docs" / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(CHATTY_CONF)
    monkeypatch.chdir(tmp_path)
    return tree


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_of_the_tree_root_points_to_its_docs(
    xen: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "check", "xen") == (
        2,
        "",
        "error: xen: a Xen source tree, not its docs: check xen/docs\n",
    )
    assert not Path("conf-was-read").exists()


def test_release_is_refused_where_the_source_decides_it(
    xen: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "check", "xen/docs", "--release", "4.16", "-q")
    assert (code, out) == (2, "")
    assert err == (
        f"error: --release 4.16: the tables are checked against the Xen 4.19.0 source at "
        f"{xen.resolve()} (the docs sit in this Xen tree), whose version decides the release; "
        "add --model to check them against the built-in model for Xen 4.16\n"
    )
    # the release the tree has is no contradiction, and --model honours any release
    assert run(capsys, "check", "xen/docs", "--release", "4.19", "-q")[0] != 2
    code, out, _ = run(capsys, "check", "xen/docs", "--release", "4.16", "--model")
    assert code == 1 and out.splitlines()[-1].endswith(
        "checked against the reference model for Xen 4.16 (--release)"
    )


def test_release_and_xen_source_are_refused_before_sphinx_starts(
    xen: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "check", "xen/docs", "--release", "4.16", "--xen-source", "xen") == (
        2,
        "",
        "error: --release and --xen-source exclude each other: a Xen source tree is checked "
        "at its own version (--model --release 4.16 checks against the built-in model for "
        "Xen 4.16)\n",
    )
    assert not Path("conf-was-read").exists()


def test_the_reference_is_named_by_the_option_and_its_configuration_explained(
    xen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = shutil.copytree(ROOTS / "test-rst", tmp_path / "docs")  # outside the Xen tree
    code, out, _ = run(capsys, "check", str(docs), "--xen-source", "xen", "--format", "text")
    assert code in (0, 1)
    assert out.splitlines()[0] == (
        f"xenabi check: checking the tables against the Xen 4.19.0 source ({ALL}) at "
        f"{xen.resolve()} (--xen-source)"
    )
    assert "xenabi_xen_source" not in out
    _, out, _ = run(capsys, "check", "xen/docs")
    assert out.splitlines()[0] == (
        f"xenabi check: checking the tables against the Xen 4.19.0 source ({ALL}) at "
        f"{xen.resolve()} (the docs sit in this Xen tree)"
    )
    assert f"against the Xen 4.19.0 source ({ALL})" in out.splitlines()[-1]  # the summary too


def test_what_a_foreign_conf_py_prints_waits_for_verbose(
    xen: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chatter = ("old_theme_path is deprecated", "the theme was not found", "conf.py says hello")
    code, out, err = run(capsys, "check", "xen/docs", "--format", "json")
    assert json.loads(out)["checked_against"].startswith("the Xen 4.19.0 source")  # JSON intact
    assert not any(words in out + err for words in chatter)
    assert err.splitlines()[0].startswith("xenabi check: reading ")  # our progress still shows
    code, out, err = run(capsys, "check", "xen/docs", "-v")
    assert all(words in err for words in chatter) and not any(w in out for w in chatter)


# -- diff ---------------------------------------------------------------------------------


def test_diff_checks_both_sides_before_reading_either(
    xen: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "diff", "xen/docs", "nope") == (
        2,
        "",
        "error: nope: no such file or directory\n",
    )
    assert run(capsys, "diff", "xen/docs", "xen/docs/index.rst@no-such-rev")[0] == 2
    assert not Path("conf-was-read").exists()


@pytest.fixture
def one_sided(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """``full/`` (the small root) and ``bare/``, the same docs without a numbers table."""
    shutil.copytree(ROOTS / "test-rst", tmp_path / "full")
    bare = shutil.copytree(ROOTS / "test-rst", tmp_path / "bare")
    (bare / "guest" / "numbers.rst").unlink()
    index = bare / "guest" / "index.rst"
    index.write_text(index.read_text(encoding="utf-8").replace("   numbers\n", ""), "utf-8")
    monkeypatch.chdir(tmp_path)
    return "full", "bare"


def test_a_table_one_side_lacks_is_not_compared_in_any_format(
    one_sided: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    full, bare = one_sided
    code, out, _ = run(capsys, "diff", full, bare)
    assert code == 0
    assert out.splitlines()[1:] == [
        "xenabi diff: not compared: NEW has no numbers table",
        "xenabi diff: no ABI change",
    ]  # not 44 hypercalls removed
    code, out, _ = run(capsys, "diff", bare, full, "--format", "github")
    assert code == 0
    assert (
        out.splitlines()[0] == "::warning title=xenabi diff::not compared: OLD has no numbers table"
    )
    assert "hypercall" not in out
    _, out, _ = run(capsys, "diff", full, bare, "--format", "markdown")
    assert "\nNot compared: NEW has no numbers table.\n" in out
    _, out, _ = run(capsys, "diff", full, bare, "--format", "json")
    data = json.loads(out)
    assert data["changes"] == [] and data["not_compared"] == [
        {
            "kind": "numbers",
            "missing_on": "NEW",
            "message": "not compared: NEW has no numbers table",
        }
    ]
    Path("diff.json").write_text(out, encoding="utf-8")
    assert [n.text for n in load("diff.json").not_compared] == [
        "not compared: NEW has no numbers table"
    ]  # the schema accepts it and it reads back
