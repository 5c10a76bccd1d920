"""The domain's views (objects.inv lines, the indices, the conflicts) kept between builds.

They are kept in the environment and computed again only when a document's
hypercalls or requirements, or the requirements' statuses, change: a
rebuild that read none decodes no record, and one that did shows exactly
what a fresh build shows.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from sphinx.util.console import strip_colors

from sphinx_xenabi.domain import objects, requirements
from sphinx_xenabi.domain.xenabi import XenAbiDomain
from support.building import Build, build_root, copy_root
from support.rebuilds import count_calls

# What a user sees of the views: the inventory, the index page, the warnings.
SEEN_FILES = ("objects.inv", "xenabi-hypercallindex.html")


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often a build decoded every document's hypercalls or requirements."""
    calls: Counter[str] = Counter()
    count_calls(monkeypatch, calls, "hypercalls", objects.HypercallLookup, "build")
    count_calls(monkeypatch, calls, "requirements", requirements.RequirementLookup, "build")
    return calls


def _seen(build: Build) -> tuple[str, dict[str, bytes]]:
    warnings = "\n".join(sorted(strip_colors(build.warnings).splitlines()))
    return warnings, {name: (build.outdir / name).read_bytes() for name in SEEN_FILES}


def _later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def test_a_rebuild_that_reads_no_definition_decodes_none(
    tmp_path: Path, decoded: Counter[str]
) -> None:
    src = copy_root("xref-duplicate", tmp_path / "src")
    first = build_root(src, tmp_path / "out")
    assert "[xenabi.duplicate-hypercall]" in first.warnings
    assert decoded["hypercalls"] >= 1
    decoded.clear()
    again = build_root(src, tmp_path / "out", freshenv=False)
    assert "0 added, 0 changed, 0 removed" in again.status
    assert decoded == Counter()  # the views were kept ...
    assert _seen(again) == _seen(first)  # ... and show what the first build showed


def test_an_edited_definition_shows_as_a_fresh_build_shows_it(
    tmp_path: Path, decoded: Counter[str]
) -> None:
    src = copy_root("xref-duplicate", tmp_path / "src")
    build_root(src, tmp_path / "out")
    page = src / "b.rst"
    # The second table agrees with the first now: no conflict is left.
    text = page.read_text(encoding="utf-8").replace("version_of_xen", "xen_version")
    page.write_text(text.replace("   * - 24\n     - xen_version\n", ""), encoding="utf-8")
    _later(page)
    edited = build_root(src, tmp_path / "out", freshenv=False)
    assert "0 added, 1 changed, 0 removed" in edited.status
    assert "[xenabi.duplicate-hypercall]" not in edited.warnings
    fresh = build_root(src, tmp_path / "fresh")
    assert _seen(edited) == _seen(fresh)


def test_a_page_without_definitions_leaves_the_views_alone(tmp_path: Path) -> None:
    src = copy_root("xref-duplicate", tmp_path / "src")
    first = build_root(src, tmp_path / "out")
    views = first.app.env.domains["xenabi"].data["views"]
    index = src / "index.rst"
    index.write_text(index.read_text(encoding="utf-8") + "\nMore prose.\n", encoding="utf-8")
    _later(index)
    edited = build_root(src, tmp_path / "out", freshenv=False)
    assert "0 added, 1 changed, 0 removed" in edited.status
    assert edited.app.env.domains["xenabi"].data["views"] == views


def test_new_statuses_forget_the_views_and_the_same_ones_keep_them() -> None:
    domain = XenAbiDomain.__new__(XenAbiDomain)  # only its data: no environment is needed
    domain.data = {}
    computed: list[str] = []

    def index() -> str:
        computed.append("index")
        return f"index {len(computed)}"

    assert domain.view("requirementindex", index) == "index 1"
    domain.note_requirement_statuses({"XenProd~a~1": "verified"})
    assert domain.view("requirementindex", index) == "index 2"
    domain.note_requirement_statuses({"XenProd~a~1": "verified"})
    assert domain.view("requirementindex", index) == "index 2"  # kept
    domain.note_requirement_statuses({"XenProd~a~1": "failed"})
    assert domain.view("requirementindex", index) == "index 3"


def test_other_code_computes_the_views_again(
    tmp_path: Path, decoded: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sphinx_xenabi.model import code_key

    src = copy_root("xref-duplicate", tmp_path / "src")
    first = build_root(src, tmp_path / "out")
    decoded.clear()
    monkeypatch.setattr(code_key, "_code", "another version of the package")
    again = build_root(src, tmp_path / "out", freshenv=False)
    assert "0 added, 0 changed, 0 removed" in again.status
    # The views held the old code's text: computed again, by this code.
    views = again.app.env.domains["xenabi"].data["views"]
    assert views["code"] == "another version of the package" and "inventory" in views
    assert decoded["hypercalls"] >= 1
    assert _seen(again) == _seen(first)
    # Sphinx pickles the environment only for an updated page: the rebuild
    # named the root page, so the views it computed are kept ...
    assert "writing output... [100%] index" in strip_colors(again.status)
    decoded.clear()
    third = build_root(src, tmp_path / "out", freshenv=False)
    assert decoded == Counter()  # ... and the next no-op rebuild decodes nothing
    assert "no targets are out of date" in strip_colors(third.status)
    assert _seen(third) == _seen(first)
