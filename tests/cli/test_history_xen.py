"""``history`` on real Xen data: a repository of real trees, and the condensed history of Xen.

Both are in the slow tier. The repository is built from copies of
../shared/xen-src (4.16.0's six-parameter code and docs, 4.17.0's
five-parameter code, 4.18.0's fixed docs); the history is
../shared/xen-history.bundle, cloned: its one x86 window is opened by the
commit whose ``Xen-Commit:`` is 2f531c122e95 and closed by the one whose
``Xen-Commit:`` is c035151902, with the R9 and EBP cells and the source
lines. Both skip, saying why, where ../shared is absent.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from sphinx_xenabi.cli import main
from sphinx_xenabi.model.history import HistoryReport, Window, load, schema
from support.git_repos import commit, git
from support.paths import DOCS, REPO
from support.xen_trees import real_tree

pytestmark = pytest.mark.site

BUNDLE = (REPO.parent / "shared" / "xen-history.bundle").resolve()
ABI_PAGE = "docs/guest-guide/x86/hypercall-abi.rst"
OPENED_BY = "2f531c122e95"
CLOSED_BY = "c035151902"


def _run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, HistoryReport]:
    code = main(["history", *map(str, args), "--format", "json", "-q"])
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schema())
    return code, HistoryReport.from_data(data)


# -- a repository of real trees --------------------------------------------------------------


def _replace(repo: Path, tree: Path, *parts: str) -> None:
    """Make ``repo/parts`` what it is in ``tree``."""
    target = repo.joinpath(*parts)
    if target.is_dir():
        shutil.rmtree(target)
    source = tree.joinpath(*parts)
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def test_real_trees_one_window_from_the_five_parameter_code_to_the_fixed_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, five, fixed = real_tree("4.16.0"), real_tree("4.17.0"), real_tree("4.18.0")
    repo = tmp_path / "xen"
    shutil.copytree(old, repo, ignore=shutil.ignore_patterns("hypercall-abi.rst"))
    git(repo, "init", "-q", "-b", "main")
    shas = {"source": commit(repo, 1, "4.16's code and docs, without the ABI page")}
    _replace(repo, old, *ABI_PAGE.split("/"))
    shas["docs"] = commit(repo, 2, "docs: the ABI page (six parameters)")
    _replace(repo, five, "xen", "include", "hypercall-defs.c")
    shas["halfway"] = commit(repo, 3, "hypercall-defs.c beside the C dispatch tables")
    _replace(repo, five, "xen")
    shas["five"] = commit(repo, 10, "x86: limit number of hypercall parameters to 5")
    (repo / "README.unrelated").write_text("unrelated\n", encoding="utf-8")
    shas["unrelated"] = commit(repo, 20, "an unrelated change")
    _replace(repo, fixed, *ABI_PAGE.split("/"))
    shas["fixed"] = commit(repo, 30, "docs: only 5 hypercall parameters")
    _replace(repo, fixed, "xen")
    shas["newer"] = commit(repo, 31, "4.18's code")

    code, report = _run(capsys, repo)
    assert code == 0
    (window,) = report.windows
    assert window.architecture == "x86"
    assert (window.opened.sha, window.closed and window.closed.sha) == (
        shas["five"],
        shas["fixed"],
    )
    assert {d.subject for d in window.disagreements} >= {
        "parameter-count",
        "convention/64bit/parameters",
        "convention/32bit/parameters",
    }
    # The halfway commit is either read (six parameters: no window) or listed as unread.
    assert {u.commit.sha for u in report.unchecked} <= {shas["halfway"]}


# -- the condensed history of Xen ------------------------------------------------------------


@pytest.fixture(scope="module")
def xen_history(tmp_path_factory: pytest.TempPathFactory) -> HistoryReport:
    if not BUNDLE.is_file():
        pytest.skip(f"the history bundle {BUNDLE} is absent (../shared is not beside the clone)")
    clone = tmp_path_factory.mktemp("bundle") / "xen-history"
    git(clone.parent, "clone", "-q", str(BUNDLE), str(clone))
    target = clone.parent / "history.json"
    code = main(["history", str(clone), "--format", "json", "-q", "-o", str(target)])
    assert code == 0
    return load(target)


def _window(report: HistoryReport) -> Window:
    (window,) = report.windows
    return window


def test_xen_has_one_x86_window_opened_by_2f531c122e95_closed_by_c035151902(
    xen_history: HistoryReport,
) -> None:
    window = _window(xen_history)
    assert window.architecture == "x86" and xen_history.architectures == ("x86",)
    assert window.opened.trailers["Xen-Commit"].startswith(OPENED_BY)
    assert window.closed is not None
    assert window.closed.trailers["Xen-Commit"].startswith(CLOSED_BY)
    assert (window.opened.day, window.closed.day) == ("2021-12-03", "2023-10-10")
    assert window.days == 675 and window.commits == 162
    assert not xen_history.ends_in_disagreement


def test_xen_window_names_the_r9_and_ebp_cells_and_the_source_lines(
    xen_history: HistoryReport,
) -> None:
    cells = {d.subject: d for d in _window(xen_history).disagreements}
    r9, ebp = cells["convention/64bit/parameters"], cells["convention/32bit/parameters"]
    assert r9.cell.file == ebp.cell.file == ABI_PAGE
    assert r9.message.startswith("64bit parameter 6 is R9; the Xen 4.17-unstable source")
    assert ebp.message.startswith("32bit parameter 6 is EBP; the Xen 4.17-unstable source")
    assert r9.source is not None and ebp.source is not None
    assert r9.source.file == ebp.source.file == "xen/arch/x86/pv/hypercall.c"
    assert "(rdi, rsi, rdx, r10, r8)" in r9.source.text
    assert "(ebx, ecx, edx, esi, edi)" in ebp.source.text
    assert cells["parameter-count"].message.startswith("header announces 6 parameters")


def test_the_docs_keep_what_history_says_now(xen_history: HistoryReport) -> None:
    """The JSON the tooling guide renders is this run's windows (regenerate it if not)."""
    kept = load(DOCS / "tooling" / "xen-drift-history.json")

    def shape(report: HistoryReport) -> list[object]:
        return [
            (
                w.architecture,
                w.opened.sha,
                w.closed and w.closed.sha,
                w.days,
                w.commits,
                [(d.subject, d.cell, d.source) for d in w.disagreements],
            )
            for w in report.windows
        ]

    assert shape(kept) == shape(xen_history)
    assert (kept.first, kept.last, kept.commits) == (
        xen_history.first,
        xen_history.last,
        xen_history.commits,
    )
