"""``check --cache-dir DIR``: the next check of unchanged docs and source reuses the facts.

``check`` builds in a scratch directory, so without ``--cache-dir`` every run
reads the Xen source and runs the rows again. With it, the second run reads
and runs nothing, and says exactly what the first said; an edit of the
source is seen.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sphinx_xenabi.cli import main
from support.rebuilds import count_source_work
from support.xen_docs import docs_in
from support.xen_trees import edit, hypercall_defs_tree


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often check read the Xen source and ran the rows."""
    return count_source_work(monkeypatch)


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", "-q", "--format", "json", *args])
    return code, capsys.readouterr().out


def test_the_next_check_reuses_the_facts_and_reports_the_same(
    tmp_path: Path, counted: Counter[str], capsys: pytest.CaptureFixture[str]
) -> None:
    tree = hypercall_defs_tree(tmp_path / "xen")
    docs = docs_in(tree)
    cache = tmp_path / "ci-cache"
    first = _check(capsys, "--cache-dir", str(cache), str(docs))
    assert first[0] == 0 and counted == {"read": 1, "execute": 1}
    again = _check(capsys, "--cache-dir", str(cache), str(docs))
    assert counted == {"read": 1, "execute": 1}  # nothing read or run again
    assert again == first
    # Without the option, check computes afresh.
    assert _check(capsys, str(docs)) == first
    assert counted == {"read": 2, "execute": 2}
    # A source edit is seen through the cache.
    edit(tree / "xen/arch/x86/pv/hypercall.c", "regs->r10;", "regs->rcx;")
    edited = _check(capsys, "--cache-dir", str(cache), str(docs))
    assert counted["read"] == 3
    assert edited[0] == 1 and "R10" in edited[1]


def test_a_cache_dir_that_is_a_file_is_refused_before_sphinx_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = docs_in(hypercall_defs_tree(tmp_path / "xen"))
    taken = tmp_path / "taken"
    taken.write_text("", encoding="utf-8")
    code = main(["check", "--cache-dir", str(taken), str(docs)])
    assert (code, capsys.readouterr().err) == (
        2,
        f"error: --cache-dir: {taken}: not a directory\n",
    )
