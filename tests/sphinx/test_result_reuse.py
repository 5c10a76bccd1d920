"""The build's result reused while its inputs are unchanged, and only then.

Docs inside a small Xen tree, built, then rebuilt incrementally (the same
output and doctree directories). A rebuild whose inputs are the last
build's (nothing changed, or only prose) logs and decides what that build
did without producing the result again; any change the result depends on
(a table cell, a setting, the Xen source) produces it again, exactly as a
fresh build of the same tree does.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sphinx_xenabi.model.published_files import REGISTRY_FILENAME
from sphinx_xenabi.results import build_result
from sphinx_xenabi.results.state import build_state
from support.building import Build, run_sphinx
from support.rebuilds import (
    PROSE,
    build,
    count_calls,
    count_source_work,
    docs_with_prose,
    fresh_seen,
    seen,
)
from support.xen_docs import SIX
from support.xen_trees import edit


@pytest.fixture
def produced(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often a build produced its result rather than reusing one."""
    calls: Counter[str] = Counter()
    count_calls(monkeypatch, calls, "produce", build_result, "produce_result")
    return calls


def test_a_failing_build_rebuilt_unchanged_fails_again_without_checking_again(
    tmp_path: Path, produced: Counter[str]
) -> None:
    _, docs = docs_with_prose(tmp_path, SIX)  # the docs say six parameters; the source passes five
    first = build(docs, tmp_path / "out", fresh=True)
    assert first.statuscode == 1 and "[xenabi.drift]" in first.warnings, first.warnings
    assert produced["produce"] == 1
    again = build(docs, tmp_path / "out")
    assert produced["produce"] == 1  # reused
    assert seen(again) == seen(first)
    # Prose edited: the page is written again; the result is still the last one.
    (docs / "prose.rst").write_text(PROSE + "\nMore prose.\n", encoding="utf-8")
    edited = build(docs, tmp_path / "out")
    assert produced["produce"] == 1
    assert "More prose." in (edited.outdir / "prose.html").read_text(encoding="utf-8")
    assert seen(edited) == seen(first) == fresh_seen(docs, tmp_path)


def test_a_reused_result_loads_as_the_result_the_build_produced(
    tmp_path: Path, produced: Counter[str]
) -> None:
    _, docs = docs_with_prose(tmp_path)
    first = build_state(build(docs, tmp_path / "out", fresh=True).app)
    again = build_state(build(docs, tmp_path / "out").app)
    assert produced["produce"] == 1
    assert first is not None and again is not None and again is not first
    assert again.registry.to_json() == first.registry.to_json()
    assert (again.findings, again.executed, again.reports) == (
        first.findings,
        first.executed,
        first.reports,
    )
    assert again.reference.name == first.reference.name
    assert again.reference.source is not None  # the reading loads on demand


def test_an_edited_table_cell_produces_the_result_again_as_a_fresh_build_does(
    tmp_path: Path, produced: Counter[str]
) -> None:
    _, docs = docs_with_prose(tmp_path)
    assert build(docs, tmp_path / "out", fresh=True).statuscode == 0
    edit(docs / "index.rst", "- RDI RSI RDX R10 R8", "- RDI RSI RDX RCX R8")
    edited = seen(build(docs, tmp_path / "out"))
    assert produced["produce"] == 2
    assert edited[0] == 1 and "R10" in edited[1], edited[1]
    assert edited == fresh_seen(docs, tmp_path)


def test_a_retitled_page_produces_the_result_again(tmp_path: Path, produced: Counter[str]) -> None:
    # The guide map reads the titles; the key kept for it is dropped when a page is read.
    _, docs = docs_with_prose(tmp_path)
    first = build(docs, tmp_path / "out", fresh=True)
    assert first.statuscode == 0 and produced["produce"] == 1
    build(docs, tmp_path / "out")
    assert produced["produce"] == 1  # nothing read: the kept key held
    edit(docs / "prose.rst", "Prose\n=====", "Other prose\n===========")
    retitled = seen(build(docs, tmp_path / "out"))
    assert produced["produce"] == 2
    assert retitled == fresh_seen(docs, tmp_path)


def test_a_new_result_that_changes_no_page_is_remembered_without_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sphinx_xenabi.results import evidence_column

    tree, docs = docs_with_prose(tmp_path)
    first = seen(build(docs, tmp_path / "out", fresh=True))
    # A comment at the end of a file the reader read: a new reading, the same facts.
    source = tree / "xen/arch/x86/pv/hypercall.c"
    source.write_text(source.read_text(encoding="utf-8") + "/* edited */\n", encoding="utf-8")
    looked: Counter[str] = Counter()
    count_calls(monkeypatch, looked, "pages", evidence_column, "pages_with_new_evidence")
    rebuilt = build(docs, tmp_path / "out")
    assert looked["pages"] == 1  # a new result: its pages are looked through
    assert "0 added, 0 changed, 0 removed" in rebuilt.status
    assert "pickling environment" not in rebuilt.status  # no page changed
    again = build(docs, tmp_path / "out")
    assert looked["pages"] == 1  # remembered: not looked through again
    assert seen(again) == seen(rebuilt) == first


def test_a_build_cut_short_leaves_no_record_of_an_older_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sphinx_xenabi.results import evidence_column, settling

    tree, docs = docs_with_prose(tmp_path)
    build(docs, tmp_path / "out", fresh=True)
    written = tmp_path / "out" / ".doctrees" / settling.WRITTEN_WITH_FILE
    assert written.is_file()
    # A new result whose build ends before build-finished (interrupted, killed).
    source = tree / "xen/arch/x86/pv/hypercall.c"
    original = source.read_text(encoding="utf-8")
    source.write_text(original.replace("regs->r10;", "regs->rcx;"), encoding="utf-8")
    with monkeypatch.context() as cut_short:
        cut_short.setattr(settling, "save_facts", lambda app, exception=None: None)
        build(docs, tmp_path / "out")
    assert not written.exists()  # it named the first result, which the pages no longer show
    # Back to the first result: its pages are looked through, not taken as written.
    source.write_text(original, encoding="utf-8")
    looked: Counter[str] = Counter()
    count_calls(monkeypatch, looked, "pages", evidence_column, "pages_with_new_evidence")
    back = seen(build(docs, tmp_path / "out"))
    assert looked["pages"] == 1
    assert back == fresh_seen(docs, tmp_path)


def _written_then_new_result(tmp_path: Path) -> tuple[Path, Path, str]:
    """Docs built fresh into ``out``, then a source edit that makes a new result:
    the docs, the page the result shows on, and that page as first written."""
    tree, docs = docs_with_prose(tmp_path)
    page = build(docs, tmp_path / "out", fresh=True).outdir / "index.html"
    before = page.read_text(encoding="utf-8")
    edit(tree / "xen/arch/x86/pv/hypercall.c", "regs->r10;", "regs->rcx;")  # a new result
    return docs, page, before


def _interrupted_while_writing(docs: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sphinx.builders.html import StandaloneHTMLBuilder

    with monkeypatch.context() as interrupted:

        def ctrl_c(*args: object) -> None:
            raise KeyboardInterrupt  # while writing: the environment is already pickled

        interrupted.setattr(StandaloneHTMLBuilder, "write_doc", ctrl_c)
        with pytest.raises(KeyboardInterrupt):
            build(docs, out)


def _dummy_on_the_environment_of(docs: Path, out: Path, tmp_path: Path) -> Build:
    """The dummy builder (check's), on the doctrees of the html build in ``out``."""
    return run_sphinx(
        docs, tmp_path / "dummy", confdir=docs, buildername="dummy", doctreedir=out / ".doctrees"
    )


def test_pages_a_build_cut_short_did_not_write_are_written_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sphinx_xenabi.results.pages_to_write import PAGES_FILE

    docs, page, before = _written_then_new_result(tmp_path)
    _interrupted_while_writing(docs, tmp_path / "out", monkeypatch)
    assert page.read_text(encoding="utf-8") == before  # not reached
    assert (tmp_path / "out" / ".doctrees" / PAGES_FILE).is_file()
    after = seen(build(docs, tmp_path / "out"))  # the same result: nothing new to find
    assert page.read_text(encoding="utf-8") != before  # yet the page owed was written
    fresh = build(docs, tmp_path / "fresh", fresh=True)
    assert page.read_text(encoding="utf-8") == (fresh.outdir / "index.html").read_text("utf-8")
    assert after == seen(fresh)
    assert not (tmp_path / "out" / ".doctrees" / PAGES_FILE).exists()


def test_a_dummy_build_between_does_not_settle_the_pages_still_owed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sphinx_xenabi.results.pages_to_write import PAGES_FILE

    docs, page, before = _written_then_new_result(tmp_path)
    _interrupted_while_writing(docs, tmp_path / "out", monkeypatch)
    owed = tmp_path / "out" / ".doctrees" / PAGES_FILE
    assert owed.is_file()
    # The dummy builder writes no page: the html pages still owed stay owed,
    # and what they show is not taken as written.
    dummy = _dummy_on_the_environment_of(docs, tmp_path / "out", tmp_path)
    assert "[xenabi.drift]" in dummy.warnings  # it read and checked the new result
    assert owed.is_file()
    build(docs, tmp_path / "out")
    fresh = build(docs, tmp_path / "fresh", fresh=True)
    assert page.read_text(encoding="utf-8") != before
    assert page.read_text(encoding="utf-8") == (fresh.outdir / "index.html").read_text("utf-8")


def test_pages_show_a_result_a_dummy_build_found_first(tmp_path: Path) -> None:
    # The dummy builder on the html build's environment settles a new result
    # and writes no page: the next html build must still write the pages it changes.
    docs, page, before = _written_then_new_result(tmp_path)
    dummy = _dummy_on_the_environment_of(docs, tmp_path / "out", tmp_path)
    assert "[xenabi.drift]" in dummy.warnings  # it settled the new result
    after = seen(build(docs, tmp_path / "out"))
    fresh = build(docs, tmp_path / "fresh", fresh=True)
    assert page.read_text(encoding="utf-8") != before
    assert page.read_text(encoding="utf-8") == (fresh.outdir / "index.html").read_text("utf-8")
    assert after == seen(fresh)


def test_another_setting_produces_the_result_again(tmp_path: Path, produced: Counter[str]) -> None:
    _, docs = docs_with_prose(tmp_path, SIX)
    assert build(docs, tmp_path / "out", fresh=True).statuscode == 1
    relaxed = seen(build(docs, tmp_path / "out", xenabi_drift="warning"))
    assert produced["produce"] == 2
    assert relaxed[0] == 0 and "[xenabi.drift]" in relaxed[1], relaxed[1]
    assert relaxed == fresh_seen(docs, tmp_path, xenabi_drift="warning")
    # And back: the first setting's result, as a fresh build gives it.
    strict = seen(build(docs, tmp_path / "out"))
    assert strict[0] == 1
    assert strict == fresh_seen(docs, tmp_path)


def test_an_edited_source_file_produces_the_result_again(
    tmp_path: Path, produced: Counter[str]
) -> None:
    tree, docs = docs_with_prose(tmp_path)
    assert build(docs, tmp_path / "out", fresh=True).statuscode == 0
    edit(tree / "xen/arch/x86/pv/hypercall.c", "regs->r10;", "regs->rcx;")
    rebuilt = seen(build(docs, tmp_path / "out"))
    assert produced["produce"] == 2
    assert rebuilt[0] == 1, rebuilt[1]
    assert rebuilt == fresh_seen(docs, tmp_path)


def test_a_reused_warning_still_fails_a_w_build_and_withholds_the_files(
    tmp_path: Path, produced: Counter[str]
) -> None:
    _, docs = docs_with_prose(tmp_path, SIX)
    out = tmp_path / "out"

    def build_w(fresh: bool) -> Build:
        return run_sphinx(
            docs,
            out,
            confdir=docs,
            freshenv=fresh,
            doctreedir=out / ".doctrees",
            confoverrides={"xenabi_drift": "warning"},
            warningiserror=True,
        )

    first, again = build_w(True), build_w(False)
    assert produced["produce"] == 1
    for done in (first, again):
        assert done.statuscode == 1 and "[xenabi.drift]" in done.warnings, done.warnings
        assert not (done.outdir / REGISTRY_FILENAME).exists()


def test_a_fresh_build_with_a_shared_cache_reuses_what_another_build_computed(
    tmp_path: Path, produced: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = count_source_work(monkeypatch)
    _, docs = docs_with_prose(tmp_path, SIX)
    shared = tmp_path / "shared-cache"
    first = build(docs, tmp_path / "one", fresh=True, xenabi_fact_cache=str(shared))
    second = build(docs, tmp_path / "two", fresh=True, xenabi_fact_cache=str(shared))
    assert (reads["read"], produced["produce"]) == (1, 1)  # the second build reused both
    (kept,) = shared.iterdir()  # one file for this docs directory, none in the build's
    assert kept.name.startswith("xenabi-facts-")
    assert not (tmp_path / "two" / ".doctrees" / "xenabi-facts.pickle").exists()
    assert seen(second) == seen(first) == fresh_seen(docs, tmp_path)
