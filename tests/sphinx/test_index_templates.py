"""The index pages' templates compiled once per build directory, and only they."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment

from sphinx_xenabi.domain.index_templates import CACHE_FOLDER, INDEX_TEMPLATES
from support.building import build_root, copy_root


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Which templates Jinja compiled from source, by name."""
    calls: Counter[str] = Counter()
    original = Environment.compile

    def compile(self: Environment, source: Any, name: str | None = None, *args: Any) -> Any:
        calls[str(name)] += 1
        return original(self, source, name, *args)

    monkeypatch.setattr(Environment, "compile", compile)
    return calls


def test_a_rebuild_loads_the_index_template_compiled_and_compiles_the_others(
    tmp_path: Path, compiled: Counter[str]
) -> None:
    src = copy_root("xref-duplicate", tmp_path / "src")
    first = build_root(src, tmp_path / "out")
    index = "xenabi/hypercallindex.html"
    assert index in INDEX_TEMPLATES and compiled[index] == 1
    kept = list((first.app.doctreedir / CACHE_FOLDER).iterdir())
    assert len(kept) == 1  # the theme's templates are not kept
    compiled.clear()
    again = build_root(src, tmp_path / "out", freshenv=False)
    assert compiled[index] == 0 and compiled["page.html"] == 0  # page.html: no page written
    # Every other template the rebuild loads is compiled as plain Sphinx compiles it:
    # the cache holds no more than it did.
    assert [path.name for path in (again.app.doctreedir / CACHE_FOLDER).iterdir()] == [
        path.name for path in kept
    ]
    assert (again.outdir / "xenabi-hypercallindex.html").read_bytes() == (
        first.outdir / "xenabi-hypercallindex.html"
    ).read_bytes()


def test_an_edited_template_is_compiled_again(tmp_path: Path, compiled: Counter[str]) -> None:
    src = copy_root("xref-duplicate", tmp_path / "src")
    build_root(src, tmp_path / "out")
    override = src / "_templates" / "xenabi" / "hypercallindex.html"
    override.parent.mkdir(parents=True)
    override.write_text(
        '{% extends "layout.html" %}{% block body %}<p>Overridden index</p>{% endblock %}',
        encoding="utf-8",
    )
    conf = src / "conf.py"
    conf.write_text(conf.read_text(encoding="utf-8") + '\ntemplates_path = ["_templates"]\n')
    compiled.clear()
    again = build_root(src, tmp_path / "out", freshenv=False)
    assert compiled["xenabi/hypercallindex.html"] == 1
    page = (again.outdir / "xenabi-hypercallindex.html").read_text(encoding="utf-8")
    assert "Overridden index" in page
