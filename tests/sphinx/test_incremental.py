"""Parallel and incremental builds keep the registry exact.

The ``test-parallel`` root has seventeen documents with tables spread over
eleven of them; its ``conf.py`` records which process read each document, so
the tests can tell that ``-j 4`` really read in several processes. Each test
builds a private copy of the root with the real Sphinx application.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from sphinx_xenabi.model.published_files import REGISTRY_FILENAME
from sphinx_xenabi.model.registry import load
from support.building import Build, run_sphinx
from support.paths import ROOTS

ROOT = ROOTS / "test-parallel"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    target = tmp_path / "src"
    shutil.copytree(ROOT, target)
    return target


def build(src: Path, out: Path, *, parallel: int = 0, freshenv: bool = True) -> Build:
    result = run_sphinx(
        src,
        out,
        confdir=src,
        parallel=parallel,
        freshenv=freshenv,
        doctreedir=out.parent / f"{out.name}-doctrees",
    )
    assert result.statuscode == 0, result.warnings
    assert result.warnings == "", result.warnings
    assert result.registry_json.is_file()
    return result


def flatten(data: Any, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    """Every leaf of a JSON document by its path."""
    if isinstance(data, dict):
        leaves: dict[tuple[Any, ...], Any] = {}
        for key, value in data.items():
            leaves.update(flatten(value, (*path, key)))
        return leaves
    if isinstance(data, list):
        leaves = {}
        for index, value in enumerate(data):
            leaves.update(flatten(value, (*path, index)))
        return leaves
    return {path: data}


def changed_leaves(
    before: dict[str, Any], after: dict[str, Any]
) -> dict[tuple[Any, ...], tuple[Any, Any]]:
    old, new = flatten(before), flatten(after)
    return {
        path: (old.get(path), new.get(path))
        for path in old.keys() | new.keys()
        if old.get(path, KeyError) != new.get(path, KeyError)
    }


def reader_pids(result: Build) -> dict[str, int]:
    env = result.app.env
    return {doc: env.metadata[doc]["test_reader_pid"] for doc in env.found_docs}


def touch_later(path: Path) -> None:
    """Make sure Sphinx sees the file as changed, however fast the test runs."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def test_the_root_is_big_enough_to_read_in_parallel() -> None:
    documents = [p for p in ROOT.rglob("*") if p.suffix in (".rst", ".md")]
    assert len(documents) >= 12
    with_tables = [p for p in documents if "list-table" in p.read_text(encoding="utf-8")]
    assert len(with_tables) >= 10


def test_parallel_and_serial_builds_give_byte_identical_json(src: Path, tmp_path: Path) -> None:
    serial = build(src, tmp_path / "serial")
    parallel = build(src, tmp_path / "parallel", parallel=4)
    assert parallel.app.parallel == 4
    # the serial build read everything here, the parallel one in several other processes
    assert set(reader_pids(serial).values()) == {os.getpid()}
    pids = reader_pids(parallel)
    assert len(pids) == 17
    assert os.getpid() not in pids.values()
    assert len(set(pids.values())) >= 2, pids
    serial_bytes = serial.registry_json.read_bytes()
    assert parallel.registry_json.read_bytes() == serial_bytes
    data = json.loads(serial_bytes)
    assert len(data["tables"]) == 14
    assert len({t["docname"] for t in data["tables"]}) == 11
    assert [g["docname"] for g in data["guides"]] == ["g1/index", "g2/index", "g3/index"]


@pytest.mark.parametrize("parallel", [0, 4], ids=["serial", "parallel"])
def test_editing_one_cell_updates_exactly_that_value(
    src: Path, tmp_path: Path, parallel: int
) -> None:
    out = tmp_path / "out"
    first = build(src, out, parallel=parallel)
    before_bytes = first.registry_json.read_bytes()
    before = json.loads(before_bytes)

    # a rebuild with nothing changed reads nothing and writes the same bytes
    noop = build(src, out, parallel=parallel, freshenv=False)
    assert "0 added, 0 changed, 0 removed" in noop.status
    assert noop.registry_json.read_bytes() == before_bytes

    page = src / "g1/p03.rst"
    text = page.read_text(encoding="utf-8")
    assert text.count("     - INT 0x82\n") == 1
    page.write_text(text.replace("     - INT 0x82\n", "     - int $0x82\n"), encoding="utf-8")
    touch_later(page)

    second = build(src, out, parallel=parallel, freshenv=False)
    assert "0 added, 1 changed, 0 removed" in second.status
    if parallel:
        # only the edited page was read again, in a new worker process
        old_pids, new_pids = reader_pids(first), reader_pids(second)
        assert {d for d in new_pids if new_pids[d] != old_pids[d]} == {"g1/p03"}
        assert new_pids["g1/p03"] != os.getpid()
    after = json.loads(second.registry_json.read_bytes())

    index = next(
        i
        for i, t in enumerate(before["tables"])
        if t["docname"] == "g1/p03" and t["kind"] == "transfer"
    )
    changes = changed_leaves(before, after)
    digest = changes.pop(("digest",))
    assert digest[0] != digest[1]
    assert changes == {
        ("tables", index, "rows", 0, "instruction", "value"): ("INT 0x82", "int $0x82")
    }

    # and the incremental result is what a fresh build of the edited sources gives
    fresh = build(src, tmp_path / "fresh", parallel=parallel)
    assert second.registry_json.read_bytes() == fresh.registry_json.read_bytes()
    load(second.registry_json)


@pytest.mark.parametrize("parallel", [0, 4], ids=["serial", "parallel"])
def test_deleting_a_page_removes_its_records(src: Path, tmp_path: Path, parallel: int) -> None:
    out = tmp_path / "out"
    before = json.loads(build(src, out, parallel=parallel).registry_json.read_bytes())
    deleted = [t for t in before["tables"] if t["docname"] == "g2/p07"]
    assert [t["kind"] for t in deleted] == ["registers", "transfer"]

    (src / "g2/p07.rst").unlink()
    index = src / "g2/index.rst"
    text = index.read_text(encoding="utf-8")
    assert text.count("   p07\n") == 1
    index.write_text(text.replace("   p07\n", ""), encoding="utf-8")
    touch_later(index)

    second = build(src, out, parallel=parallel, freshenv=False)
    assert "0 added, 1 changed, 1 removed" in second.status
    after = json.loads(second.registry_json.read_bytes())

    assert not [t for t in after["tables"] if t["docname"] == "g2/p07"]
    assert after["tables"] == [t for t in before["tables"] if t["docname"] != "g2/p07"]
    old_pages = {g["docname"]: g["pages"] for g in before["guides"]}
    new_pages = {g["docname"]: g["pages"] for g in after["guides"]}
    assert "g2/p07" in old_pages["g2/index"]
    assert new_pages == {
        **old_pages,
        "g2/index": [p for p in old_pages["g2/index"] if p != "g2/p07"],
    }

    fresh = build(src, tmp_path / "fresh", parallel=parallel)
    assert second.registry_json.read_bytes() == fresh.registry_json.read_bytes()
    assert (out / REGISTRY_FILENAME).read_bytes() == fresh.registry_json.read_bytes()
