"""``sphinx-xenabi history`` on a repository this module builds, commit by commit.

The repository follows Xen's story with the suite's small Xen trees: the
source passes six parameters, the docs gain a registers table that agrees,
a halfway commit adds ``hypercall-defs.c`` while the C dispatch tables are
still in place, the code goes to five parameters (the docs now disagree),
an unrelated commit, the docs are fixed, another unrelated commit. The
acceptance: exactly one window, opened by the five-parameter commit and
closed by the docs' fix, in every format; readings only where the verdict
can change; the work tree, index and stashes untouched; no ``conf.py`` of
the repository run unless asked.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from sphinx_xenabi.cli import main
from sphinx_xenabi.model.history import HistoryReport, schema
from support.git_repos import commit, git
from support.xen_trees import HYPERCALL_DEFS, c_tables_tree, hypercall_defs_tree

FORMATS = ("text", "markdown", "json", "github")

CONF = """\
import os

project = "history test"
extensions = []
exclude_patterns = ["_build"]
# Executed only when a build runs this file: the tests look for the marker.
marker = os.environ.get("XENABI_HISTORY_TEST_MARKER")
if marker:
    with open(marker, "a", encoding="utf-8") as handle:
        handle.write("ran\\n")
"""

INDEX = """\
Hypercall ABI
=============
"""

TABLE = """
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

SIX = ("RDI RSI RDX R10 R8 R9", "EBX ECX EDX ESI EDI EBP")
FIVE = ("RDI RSI RDX R10 R8", "EBX ECX EDX ESI EDI")


def write_docs(repo: Path, params: tuple[str, str] | None) -> Path:
    docs = repo / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "conf.py").write_text(CONF, encoding="utf-8")
    table = (
        ""
        if params is None
        else TABLE.format(count=len(params[0].split()), params64=params[0], params32=params[1])
    )
    (docs / "index.rst").write_text(INDEX + table, encoding="utf-8")
    return docs


def table_lines() -> tuple[int, int, int]:
    """The lines of the header's parameters cell and of the two rows' parameters cells."""
    lines = (INDEX + TABLE).splitlines()
    header = next(n for n, line in enumerate(lines, 1) if "Parameters (1" in line)
    rows = [n for n, line in enumerate(lines, 1) if "{params" in line]
    return header, rows[0], rows[1]


@dataclass(frozen=True)
class Story:
    repo: Path
    shas: dict[str, str]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    repo = tmp_path_factory.mktemp("history") / "xen"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    c_tables_tree(repo)
    write_docs(repo, None)
    shas = {"source": commit(repo, 1, "the source: six parameters, docs without tables")}
    write_docs(repo, SIX)
    shas["docs"] = commit(repo, 2, "docs: the registers table")
    # Halfway: the generator's input is there, the dispatch still uses the C tables
    # (gen_hypercall.awk, with its five-parameter limit, comes with the change to five).
    (repo / "xen/include/hypercall-defs.c").write_text(HYPERCALL_DEFS, encoding="utf-8")
    shas["halfway"] = commit(repo, 3, "hypercall-defs.c beside the C dispatch tables")
    shutil.rmtree(repo / "xen")
    hypercall_defs_tree(repo)
    shas["five"] = commit(repo, 10, "x86: limit number of hypercall parameters to 5")
    (repo / "README").write_text("unrelated\n", encoding="utf-8")
    shas["unrelated"] = commit(repo, 20, "an unrelated change")
    write_docs(repo, FIVE)
    shas["fixed"] = commit(repo, 30, "docs: only 5 hypercall parameters")
    (repo / "README").write_text("unrelated, again\n", encoding="utf-8")
    shas["later"] = commit(repo, 31, "another unrelated change")
    return Story(repo, shas)


def history(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["history", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def report_of(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, HistoryReport]:
    code, out, _ = history(capsys, *args, "--format", "json", "-q")
    data = json.loads(out)
    jsonschema.validate(data, schema())
    return code, HistoryReport.from_data(data)


# -- the acceptance: one window, in every format ------------------------------------------


def test_one_window_opened_by_the_five_parameter_commit_closed_by_the_docs_fix(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = report_of(capsys, story.repo)
    assert code == 0
    assert report.commits == 7
    assert report.checked_from is not None and report.checked_from.sha == story.shas["docs"]
    (window,) = report.windows
    assert window.architecture == "x86"
    assert window.opened.sha == story.shas["five"]
    assert window.closed is not None and window.closed.sha == story.shas["fixed"]
    assert window.last.sha == story.shas["unrelated"]
    assert (window.days, window.commits) == (20, 2)
    header, row64, row32 = table_lines()
    cells = {(d.subject, str(d.cell)) for d in window.disagreements}
    assert cells == {
        ("parameter-count", f"docs/index.rst:{header}"),
        ("convention/64bit/parameters", f"docs/index.rst:{row64}"),
        ("convention/32bit/parameters", f"docs/index.rst:{row32}"),
    }
    by_subject = {d.subject: d for d in window.disagreements}
    r9 = by_subject["convention/64bit/parameters"]
    assert r9.message.startswith(
        "64bit parameter 6 is R9; the Xen 4.19.0 source (built with every hypercall enabled) passes"
    )
    assert r9.source is not None and r9.source.file == "xen/arch/x86/pv/hypercall.c"
    assert "call_handlers_pv64(" in r9.source.text
    ebp = by_subject["convention/32bit/parameters"]
    assert "32bit parameter 6 is EBP" in ebp.message
    assert not report.ends_in_disagreement


@pytest.mark.parametrize("output", [f for f in FORMATS if f != "json"])
def test_every_format_tells_the_one_window(
    story: Story, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    code, out, _ = history(capsys, story.repo, "--format", output, "-q", "--trailer", "X")
    assert code == 0
    five, fixed = story.shas["five"][:12], story.shas["fixed"][:12]
    if output == "text":
        assert out.count("the docs disagreed with the source for") == 1
        assert f"first disagreed: {five} 2021-12-10 x86: limit number" in out
        assert f"agreed again:    {fixed} 2021-12-30 docs: only 5" in out
        assert "20 days (2021-12-10 to 2021-12-30), 2 commits" in out
        assert "docs/index.rst" in out and "source: xen/arch/x86/pv/hypercall.c:" in out
        assert out.rstrip().endswith(
            f"1 window (x86); the docs agree with the source at "
            f"{story.shas['later'][:12]} (2021-12-31)"
        )
    elif output == "markdown":
        assert out.count("### x86:") == 1
        assert f"| first disagreed | `{five}` 2021-12-10" in out
        assert f"| agreed again | `{fixed}` 2021-12-30" in out
        assert "| `docs/index.rst:" in out
    else:
        lines = out.splitlines()
        # A closed window is a notice, not an error: the docs agree now.
        assert not [line for line in lines if line.startswith("::error")]
        assert lines[0].startswith("::notice title=xenabi history::x86 docs disagreed")
        assert f"from {five} to {fixed}" in lines[0]
        assert len(lines) == 2


def test_the_halfway_commit_is_read_and_agrees(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = report_of(capsys, story.repo)
    assert [u.commit.sha for u in report.unchecked] == []


def test_a_halfway_commit_the_reader_cannot_read_is_listed_not_a_verdict(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = report_of(capsys, story.repo)
    # Read or not, the halfway commit opens no window: the one window stays the same.
    assert [w.opened.sha for w in report.windows] == [story.shas["five"]]
    for unchecked in report.unchecked:
        assert unchecked.commit.sha == story.shas["halfway"]
        assert "xen/arch/x86/pv/hypercall.c" in unchecked.reason
        assert str(story.repo) not in unchecked.reason  # no scratch paths in the reason


def test_commits_are_read_only_where_the_verdict_can_change(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = report_of(capsys, story.repo)
    # Docs: the first commit, the table, the fix. Source: the table's commit (the
    # first with tables) and the five-parameter commit. The halfway commit's
    # reading is the one before it: hypercall-defs.c arrived, but the dispatch
    # still calls its C tables, so no file the reading depends on changed.
    assert (report.docs_reads, report.source_reads) == (3, 2)


# -- ranges and exit codes ----------------------------------------------------------------


def test_a_range_that_ends_in_disagreement_exits_1_and_annotates_the_cells(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = history(capsys, story.repo, story.shas["unrelated"], "--format", "github")
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("::error")]
    header, row64, row32 = table_lines()
    assert [e.split("::")[1].split(",title")[0] for e in errors] == [
        f"error file=docs/index.rst,line={header}",
        f"error file=docs/index.rst,line={row64}",
        f"error file=docs/index.rst,line={row32}",
    ]
    assert f"since {story.shas['five'][:12]}" in errors[1]
    _, report = report_of(capsys, story.repo, f"{story.shas['five']}..{story.shas['later']}")
    # The range starts after the window opened: it is open at its first commit.
    (window,) = report.windows
    assert window.opened.sha == story.shas["unrelated"] and window.opened_before_range


def test_a_range_without_tables_checks_nothing_and_exits_1(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = history(capsys, story.repo, story.shas["source"], "-q")
    assert code == 1
    assert "nothing checked: the docs (docs/) have no ABI table at any of the 1 commit(s)" in out


def test_docs_without_a_xen_source_check_nothing_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "docs-only"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write_docs(repo, SIX)
    commit(repo, 1, "docs alone")
    (repo / "README").write_text("more\n", encoding="utf-8")
    commit(repo, 2, "more")
    code, out, _ = history(capsys, repo, "-q")
    assert code == 1
    assert (
        "nothing checked: the source could not be read at any of the 2 commit(s) whose "
        "docs have ABI tables"
    ) in out
    assert "xen/include/public/xen.h: missing" in out


def test_output_to_a_file(story: Story, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "drift.json"
    code, out, err = history(capsys, story.repo, "-q", "--format", "json", "-o", target)
    assert code == 0 and out == ""
    assert f"wrote {target}: 1 window (x86)" in err
    jsonschema.validate(json.loads(target.read_text(encoding="utf-8")), schema())


# -- the user's repository is only read ------------------------------------------------------


def test_the_work_tree_index_and_stashes_are_untouched(
    story: Story, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(story.repo), str(repo))
    (repo / "README").write_text("stashed work\n", encoding="utf-8")
    git(repo, "stash", "-q")
    (repo / "docs/index.rst").write_text("work in progress\n", encoding="utf-8")
    (repo / "NEW").write_text("staged\n", encoding="utf-8")
    git(repo, "add", "NEW")

    def snapshot() -> tuple[str, ...]:
        return (
            git(repo, "status", "--porcelain=v1", "--untracked-files=all"),
            git(repo, "stash", "list"),
            git(repo, "diff", "--cached"),
            git(repo, "diff"),
            git(repo, "rev-parse", "HEAD"),
            git(repo, "for-each-ref"),
            (repo / "docs/index.rst").read_text(encoding="utf-8"),
        )

    before = snapshot()
    code, report = report_of(capsys, repo)
    assert code == 0 and len(report.windows) == 1
    assert snapshot() == before


# -- what runs -------------------------------------------------------------------------------


def test_no_conf_py_of_the_repository_runs_unless_asked(
    story: Story,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    marker = tmp_path / "ran"
    monkeypatch.setenv("XENABI_HISTORY_TEST_MARKER", str(marker))
    code, report = report_of(capsys, story.repo)
    assert code == 0 and len(report.windows) == 1
    assert not marker.exists()
    code, report = report_of(capsys, story.repo, "--tree-conf")
    assert code == 0 and len(report.windows) == 1
    # Each docs reading ran that commit's conf.py (twice: for its extensions, then the build).
    assert marker.read_text(encoding="utf-8").count("ran") == 2 * report.docs_reads
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "conf.py").write_text(CONF.replace("history test", "trusted"), encoding="utf-8")
    marker.unlink()
    code, report = report_of(capsys, story.repo, "--conf-dir", trusted)
    assert code == 0 and len(report.windows) == 1
    assert marker.is_file()


def test_a_conf_py_with_extensions_needs_a_choice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    docs = write_docs(repo, SIX)
    (docs / "conf.py").write_text('extensions = ["sphinx.ext.todo", "myst_parser"]\n')
    commit(repo, 1, "docs with an extension")
    code, out, err = history(capsys, repo)
    assert (code, out) == (2, "")
    assert "docs/conf.py at " in err and "loads myst_parser" in err
    assert "--conf-dir DIR" in err and "--tree-conf" in err


def test_the_help_says_what_runs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["history", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "executes a conf.py" in out
    assert "runs none of the repository's" in out
    assert "use it only on a repository you trust" in out


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("{tmp}",), "not in a git repository"),
        (("{repo}", "no-such-branch"), "no-such-branch: no such revision"),
        (("{repo}", "HEAD main"), "not a revision range"),
        (("{repo}", "a..b..c"), "not a revision range"),
        (
            ("{repo}", "--docs", "../elsewhere"),
            "expected a directory relative to the repository's top",
        ),
        (("{repo}", "--conf-dir", "{tmp}"), "no conf.py here"),
        (("{repo}", "--xen-config", "{tmp}/none"), "no such .config file"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    story: Story,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    expected: str,
) -> None:
    filled = [a.format(tmp=tmp_path, repo=story.repo) for a in args]
    code, out, err = history(capsys, *filled)
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and expected in err
    assert len(err.strip().splitlines()) == 1
