"""Rebuilds of docs inside a small Xen tree, as a user sees them, and what they computed.

The tests of the fact cache, the result's reuse, the early reading and
``check --cache-dir`` build the same way (the same output and doctree
directories, as ``sphinx-build`` again does), compare what a user sees
(status, warnings, registry bytes) and count the work done in this process.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sphinx_xenabi.model.published_files import REGISTRY_FILENAME
from support.building import Build, run_sphinx
from support.xen_docs import docs_in
from support.xen_trees import hypercall_defs_tree

Seen = tuple[int, str, bytes | None]

PROSE = "Prose\n=====\n\nA page without tables.\n"


def docs_with_prose(tmp_path: Path, params: tuple[str, str] | None = None) -> tuple[Path, Path]:
    """A small Xen tree and its docs: the registers table, and a page of prose only."""
    tree = hypercall_defs_tree(tmp_path / "xen")
    pages = {"prose": PROSE}
    docs = docs_in(tree, pages=pages) if params is None else docs_in(tree, params, pages=pages)
    return tree, docs


def build(docs: Path, out: Path, fresh: bool = False, **settings: object) -> Build:
    """``sphinx-build`` of ``docs`` into ``out`` (doctrees inside it), incremental unless ``fresh``."""
    return run_sphinx(
        docs,
        out,
        confdir=docs,
        freshenv=fresh,
        doctreedir=out / ".doctrees",
        confoverrides=settings or None,
    )


def seen(done: Build) -> Seen:
    """A build as a user sees it: its status, its warnings, its registry's bytes."""
    registry = done.outdir / REGISTRY_FILENAME
    warnings = re.sub(r"\x1b\[[0-9;]*m", "", done.warnings)
    return done.statuscode, warnings, registry.read_bytes() if registry.exists() else None


def fresh_seen(docs: Path, tmp_path: Path, **settings: object) -> Seen:
    """What a fresh build of the same docs shows, in a build directory of its own."""
    out = tmp_path / "fresh"
    shutil.rmtree(out, ignore_errors=True)
    return seen(build(docs, out, True, **settings))


def count_calls(
    monkeypatch: pytest.MonkeyPatch, calls: Counter[str], name: str, owner: Any, attribute: str
) -> None:
    """Count each call of ``owner.attribute`` under ``name`` in ``calls``."""
    original: Callable[..., Any] = getattr(owner, attribute)

    def counting(*args: Any) -> Any:
        calls[name] += 1
        return original(*args)

    monkeypatch.setattr(owner, attribute, counting)


def count_source_work(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often builds read the Xen source ("read") and ran the rows ("execute").

    Counted in this process: the source is read and the rows run here, not by workers.
    """
    from sphinx_xenabi.emulator import row_execution
    from sphinx_xenabi.model.xen_source import reader
    from sphinx_xenabi.results import early_reading, row_worker

    calls: Counter[str] = Counter()
    count_calls(monkeypatch, calls, "read", reader, "read_xen_source")
    count_calls(monkeypatch, calls, "execute", row_execution, "execute_registry")
    monkeypatch.setattr(early_reading, "start_early_reading", lambda app: None)
    monkeypatch.setattr(row_worker, "start_row_worker", lambda app: None)
    return calls
