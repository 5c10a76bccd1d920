"""The ABI diff on real inputs: the project's docs, Xen's docs and source, git revisions.

The issue's acceptance: the seed's re-indentation is "no ABI change" in every
format; Xen 4.16's docs against 4.18's are exactly the sixth parameter going
(R9, EBP) and the count going from 6 to 5, breaking, located on both sides;
a clone diffs HEAD against its working tree. Also: the views at a ranged
table's releases, the docs' evidence, and the command's errors.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sphinx_xenabi.cli import main
from sphinx_xenabi.model.abi_diff import DiffSide, Rule, compare
from sphinx_xenabi.model.diff_report import load
from sphinx_xenabi.model.registry import load as load_registry
from sphinx_xenabi.model.spec import Release
from support.abi_pairs import Tables
from support.building import Build, Reindented, copy_abi_pages
from support.cli import run_cli
from support.lines import line_of
from support.paths import DOCS, REPO
from support.xen_trees import real_tree

# The project's docs, Xen's real docs and source trees, git clones: the slow tier.
pytestmark = pytest.mark.site

ABI = "guest-guide/x86/hypercall-abi.rst"
FORMATS = ("text", "markdown", "json", "github")


def diff(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["diff", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- the seed change: every directive re-indented -------------------------------------


@pytest.fixture(scope="module")
def reindented(
    reindented_docs: Reindented, abi_pages: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The project's ABI pages with every directive body at 2 spaces instead of 3.

    The re-indented copy of the whole docs (``reindented_docs``, shared with
    test_reindent) passes the guard of the seed change; the tree diff reads
    the ABI pages alone, on both sides (``abi_pages`` and this copy of it
    with the re-indented pages): the other pages have no ABI table.
    """
    assert len(reindented_docs.changed) >= 5
    for old, new in reindented_docs.changed.values():
        assert new.split() == old.split()  # whitespace only
    target = tmp_path_factory.mktemp("reindented-abi-pages") / "docs"
    shutil.copytree(abi_pages, target)
    moved = 0
    for page in target.rglob("*"):
        source = reindented_docs.root / page.relative_to(target)
        if page.is_file() and source.is_file():
            moved += page.read_bytes() != source.read_bytes()
            shutil.copy(source, page)
    assert moved >= 2  # the ABI page, the pages page
    assert (target / ABI).read_text(encoding="utf-8") != (abi_pages / ABI).read_text(
        encoding="utf-8"
    )
    return target


@pytest.fixture(scope="module")
def registries(site: Build, reindented_site: Build) -> tuple[Path, Path]:
    """The registry JSON of the docs and of their re-indented copy (the session's builds)."""
    assert site.statuscode == 0 and reindented_site.statuscode == 0
    return site.registry_json, reindented_site.registry_json


def test_the_reindented_docs_trees_are_no_abi_change(
    abi_pages: Path, reindented: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = diff(capsys, abi_pages, reindented, "--conf-dir", REPO, "--all")
    assert code == 0, out
    assert out.splitlines()[-1] == "xenabi diff: no ABI change"
    assert len(out.splitlines()) == 2  # the sides, the verdict: not even a documentation change


@pytest.mark.parametrize("output", FORMATS)
def test_the_reindented_registries_are_no_abi_change_in_every_format(
    registries: tuple[Path, Path], output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = diff(capsys, *registries, "--format", output)
    assert code == 0, out + err
    assert "no ABI change" in out
    if output == "json":
        data = json.loads(out)
        assert data["summary"] == "no ABI change"
        assert data["changes"] == [] and data["hidden"] == 0
        assert set(data["counts"].values()) == {0}
    else:
        assert "breaking" not in out and "::error" not in out
    if output == "markdown":
        assert out.rstrip().endswith(": no ABI change.") and "|---" not in out


# -- Xen 4.16's docs against 4.18's -----------------------------------------------------

EXPECTED_4_16_TO_4_18 = [
    ("parameter-removed", "64bit parameter 6 (R9) removed", 26),
    ("parameter-removed", "32bit parameter 6 (EBP) removed", 31),
    ("parameter-count-reduced", "parameter count reduced from 6 to 5", 21),
]


def test_xen_4_16_docs_against_4_18_docs_is_the_sixth_parameter_removed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, new = real_tree("4.16.0") / "docs", real_tree("4.18.0") / "docs"
    code, out, err = diff(capsys, old, new, "--format", "json")
    assert code == 1, out + err
    data = json.loads(out)
    got = [(c["rule"], c["message"], c["new"]["line"]) for c in data["changes"]]
    assert got == EXPECTED_4_16_TO_4_18
    assert {c["severity"] for c in data["changes"]} == {"breaking"}
    for change in data["changes"]:
        for side, tree in (("old", old), ("new", new)):
            assert change[side]["file"] == str(tree / ABI)
        assert change["old"]["line"] == change["new"]["line"]  # the cells did not move
    assert data["summary"] == "3 breaking changes"
    # The footnote 4.18 added to the header is documentation only: hidden, counted.
    assert data["hidden"] == 1


def test_xen_4_16_docs_against_4_18_docs_in_text_names_both_cells(
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, new = real_tree("4.16.0") / "docs", real_tree("4.18.0") / "docs"
    code, out, _ = diff(capsys, old, new, "--all")
    assert code == 1
    lines = out.splitlines()
    assert lines[1] == "breaking: 64bit parameter 6 (R9) removed [parameter-removed]"
    assert lines[2] == f"    old: {old / ABI}:26"
    assert lines[3] == f"    new: {new / ABI}:26"
    assert "documentation: registers table footnote added:" in out
    assert lines[-1] == "xenabi diff: 3 breaking changes, 1 documentation change"


def test_xen_4_16_source_against_4_17_source_cites_the_dispatch_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, new = real_tree("4.16.0"), real_tree("4.17.0")
    code, out, _ = diff(capsys, old, new, "--format", "json")
    assert code == 1
    data = json.loads(out)
    # each side named by what it is: its version and its configuration in words
    assert data["new"] == f"{new} (source, Xen 4.17.0, built with every hypercall enabled)"
    changes = data["changes"]
    assert [c["rule"] for c in changes] == [r for r, _, _ in EXPECTED_4_16_TO_4_18]
    assert changes[0]["new"]["file"] == str(new / "xen/arch/x86/pv/hypercall.c")
    assert changes[0]["new"]["line"] == 58
    assert changes[2]["new"]["file"] == str(new / "xen/scripts/gen_hypercall.awk")


# -- a git revision against the working tree -----------------------------------------


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A repository laid out as this one (conf.py at the root, docs/: the ABI pages), one commit."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    copy_abi_pages(repo / "docs")
    shutil.copy(REPO / "conf.py", repo / "conf.py")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "docs")
    return repo


def test_git_head_against_the_working_tree(clone: Path) -> None:
    page = clone / "docs" / ABI
    text = page.read_text(encoding="utf-8")
    assert text.count("     - RDI RSI RDX R10 R8\n") == 1
    page.write_text(text.replace("     - RDI RSI RDX R10 R8\n", "     - RDI RSI RDX R10\n"))
    cell = line_of(page, "- RDI RSI RDX R10")
    status = _git(clone, "status", "--porcelain")

    result = run_cli("diff", "--git", "HEAD", "docs", "--conf-dir", ".", cwd=clone)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("xenabi diff: docs@HEAD (docs, Xen 4.22) -> docs (docs, Xen 4.22)")
    # Both sides are shown where the file lives in the checkout.
    assert lines[1:4] == [
        "breaking: 64bit parameter 5 (R8) removed [parameter-removed]",
        f"    old: docs/{ABI}:{cell}",
        f"    new: docs/{ABI}:{cell}",
    ]
    assert lines[-1] == "xenabi diff: 1 breaking change"
    # PATH@REV says the same.
    same = run_cli("diff", "docs@HEAD", "docs", "--conf-dir", ".", cwd=clone)
    assert same.stdout.splitlines()[1:] == lines[1:]
    # The checkout is as it was: the same edit, no new files, branches or stashes.
    assert _git(clone, "status", "--porcelain") == status
    assert _git(clone, "worktree", "list").count("\n") == 1
    assert _git(clone, "stash", "list") == ""


def test_git_errors_are_one_line(clone: Path, tmp_path: Path) -> None:
    for args, words in (
        (("--git", "no-such-rev", "docs"), "no-such-rev"),
        (("docs@HEAD~5", "docs"), "HEAD~5"),
        (("docs@HEAD", "docs", "--git", "HEAD"), "--git REV takes one PATH"),
        (("nowhere@HEAD", "docs"), "does not exist at HEAD"),
    ):
        result = run_cli("diff", *args, "--conf-dir", ".", cwd=clone)
        assert result.returncode == 2, (args, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], lines
    outside = tmp_path / "plain"
    outside.mkdir()
    result = run_cli("diff", "--git", "HEAD", ".", cwd=outside)
    assert result.returncode == 2 and "git rev-parse" in result.stderr


# -- formats and exit codes on small registries -------------------------------------


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two registry files: 32-bit EDI removed, and hypercall 42 added."""
    old = Tables()
    conventions = dict(old.conventions)
    conventions["32bit"] = ("EAX", ("EBX", "ECX", "EDX", "ESI"), "EAX")
    hypercalls = {**old.hypercalls, 42: ("hypfs_op", frozenset())}
    new = old.edit(conventions=conventions, hypercalls=hypercalls, registers_line=12)
    paths = tmp_path / "old.json", tmp_path / "new.json"
    for path, tables in zip(paths, (old, new)):
        tables.registry().dump(path)
    return paths


def test_markdown_is_a_table_with_both_locations(
    pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = diff(capsys, *pair, "--format", "markdown")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("**ABI diff** `")
    assert "**1 breaking change, 1 compatible change** for guests." in lines[0]
    assert lines[2] == "| Severity | Change | Rule | Old | New |"
    assert lines[4].startswith("| **breaking** | 32bit parameter 5 (EDI) removed | ")
    assert "`guest/abi.rst:20` | `guest/abi.rst:22` |" in lines[4]
    assert "| compatible | hypercall 42 (hypfs_op) added, available to no guest type |" in out
    assert "1 documentation-only change not shown (`--all` shows it)." in out


def test_github_annotations_sit_at_the_new_cells(
    pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = diff(capsys, *pair, "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "::error file=guest/abi.rst,line=22,title=ABI breaking change (parameter-removed)"
        "::32bit parameter 5 (EDI) removed"
    )
    assert lines[1].startswith("::notice file=guest/abi.rst,line=")
    assert lines[-1].startswith("::notice title=xenabi diff::")
    assert "1 breaking change, 1 compatible change" in lines[-1]


def test_fail_on_tightens_the_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = Tables()
    new = old.edit(hypercalls={**old.hypercalls, 42: ("hypfs_op", frozenset())})
    moved = old.edit(registers_line=30)
    for name, tables in (("old", old), ("new", new), ("moved", moved)):
        tables.registry().dump(tmp_path / name)
    compatible = (tmp_path / "old", tmp_path / "new")
    assert diff(capsys, *compatible)[0] == 0
    assert diff(capsys, *compatible, "--fail-on", "compatible")[0] == 1
    documentation = (tmp_path / "old", tmp_path / "moved")
    code, out, _ = diff(capsys, *documentation, "--fail-on", "compatible")
    assert code == 0 and "not shown" in out
    code, out, _ = diff(capsys, *documentation, "--fail-on", "documentation")
    assert code == 1 and "[table-moved]" in out


def test_the_json_output_loads_back_and_matches_its_schema(
    pair: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = diff(capsys, *pair, "--format", "json", "--all")
    assert code == 1
    written = tmp_path / "diff.json"
    written.write_text(out, encoding="utf-8")
    loaded = load(written)
    old, new = (load_registry(p) for p in pair)
    expected = compare(
        DiffSide.of_registry(old, f"{pair[0]} (registry, Xen 4.22)"),
        DiffSide.of_registry(new, f"{pair[1]} (registry, Xen 4.22)"),
    )
    assert loaded == expected
    assert [c.rule for c in loaded.changes] == [
        Rule.PARAMETER_REMOVED,
        Rule.HYPERCALL_ADDED,
        Rule.TABLE_MOVED,
    ]


def test_usage_and_read_errors_exit_2(
    pair: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    for args, words in (
        ((pair[0],), "diff takes OLD and NEW"),
        ((pair[0], tmp_path / "missing"), "no such file or directory"),
        ((pair[0], tmp_path / "empty"), "neither a docs tree"),
        ((pair[0], tmp_path / "bad.json"), "bad.json"),
    ):
        code, out, err = diff(capsys, *args)
        assert code == 2, (args, out)
        assert err.startswith("error: ") and words in err and err.count("\n") == 1, err


# -- comparing at the releases the docs' ranged tables state ----------------------------


def test_a_history_table_change_is_reported_at_its_release() -> None:
    history = "Registers in Xen 4.13 to 4.16"
    old = Tables(history_title=history)
    new = old.edit(history_parameters=(("RDI", "RSI", "RDX", "R10", "R8", "R9"), ("EBX",)))
    result = compare(
        DiffSide.of_registry(old.registry(), "old"), DiffSide.of_registry(new.registry(), "new")
    )
    assert {c.release for c in result.changes} == {Release(4, 13)}
    assert all(c.message.startswith("Xen 4.13: 32bit parameter ") for c in result.changes)
    assert all(c.new is not None and c.new.line > 400 for c in result.changes)


def test_a_change_to_an_unranged_table_is_reported_once() -> None:
    old = Tables(history_title="Registers in Xen 4.13 to 4.16")
    new = old.edit(hypercalls={17: old.hypercalls[17], 23: old.hypercalls[23]})
    result = compare(
        DiffSide.of_registry(old.registry(), "old"), DiffSide.of_registry(new.registry(), "new")
    )
    assert [(c.rule, c.release) for c in result.changes] == [(Rule.HYPERCALL_REMOVED, None)]


def test_the_docs_spec_locates_every_fact_at_its_cell(registries: tuple[Path, Path]) -> None:
    registry = load_registry(registries[0])
    spec = registry.spec_for()
    abi = DOCS / ABI
    assert spec.evidence["convention/64bit/parameters"].line == line_of(abi, "- RDI RSI RDX R10 R8")
    assert spec.evidence["convention/64bit/parameters"].text == "RDI RSI RDX R10 R8"
    assert spec.evidence["parameter-count"].text == "Parameters (1 - 5)"
    assert spec.evidence["transfer/32bit PV"].text == "INT 0x82"
    assert spec.evidence["hypercall/17/name"].text == "xen_version"
    assert spec.evidence["available/23/hvm64"].text == "False"
    assert spec.evidence["table/numbers"].file == "guest-guide/x86/hypercall-numbers.md"
    assert spec.stated_parameter_count == 5
    (footnote,) = spec.footnotes["registers"]
    assert footnote.text.startswith("Xen 4.17 stopped passing a sixth parameter")
    assert footnote.line == line_of(
        abi, ".. [#params] Xen 4.17 stopped passing a sixth parameter, which earlier"
    )
    history = registry.spec_for(Release(4, 16))
    assert str(history.ranges["registers"]) == "Xen 4.13 to 4.16"
    assert history.stated_parameter_count == 6
