"""Content keys and the fact cache's store, without Sphinx."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType

import pytest

from sphinx_xenabi.model import code_key as code_key_module
from sphinx_xenabi.model import fact_cache
from sphinx_xenabi.model.content_key import ABSENT, DIRECTORY, Manifest, blob_id, state_on_disk
from sphinx_xenabi.model.fact_cache import FactCache


def test_a_files_key_is_gits_blob_id(tmp_path: Path) -> None:
    path = tmp_path / "traps.c"
    path.write_bytes(b"register_t nr = get_user_reg(regs, 16);\n\x00binary too")
    hashed = subprocess.run(
        ["git", "hash-object", str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert blob_id(path.read_bytes()) == hashed == state_on_disk(path)


def test_a_manifest_holds_until_a_file_changes_appears_or_goes(tmp_path: Path) -> None:
    (tmp_path / "a.c").write_text("one\n", encoding="utf-8")
    (tmp_path / "arm").mkdir()
    manifest = Manifest.of(
        {"a.c": state_on_disk(tmp_path / "a.c"), "b.h": ABSENT, "arm": DIRECTORY}
    )
    assert manifest.holds_in(tmp_path) and manifest.changed_in(tmp_path) == []
    (tmp_path / "b.h").write_text("now here\n", encoding="utf-8")
    assert manifest.changed_in(tmp_path) == ["b.h"]
    (tmp_path / "b.h").unlink()
    (tmp_path / "a.c").write_text("two\n", encoding="utf-8")
    assert manifest.changed_in(tmp_path) == ["a.c"]
    (tmp_path / "a.c").write_text("one\n", encoding="utf-8")  # the content decides, not the time
    (tmp_path / "arm").rmdir()
    assert manifest.changed_in(tmp_path) == ["arm"]
    # The same states from a commit's listing (git ls-tree) hold the same way.
    listing = {"a.c": blob_id(b"one\n"), "arm": DIRECTORY}
    assert manifest.holds(lambda path: listing.get(path, ABSENT))


def test_entries_survive_a_save_and_load_read_only_mappings_included(tmp_path: Path) -> None:
    path = tmp_path / "facts.pickle"
    cache = FactCache()
    value = MappingProxyType({"x16": 17})
    manifest = Manifest.of({"traps.c": blob_id(b"x16")})
    cache.store("key", value, manifest)
    cache.save(path)
    loaded = FactCache.load(path)
    assert loaded.lookup("key", lambda m: m == manifest) == value
    assert loaded.lookup("key", lambda m: False) is None  # the manifest no longer holds
    assert loaded.lookup("other") is None


def test_an_entry_no_build_uses_is_dropped_after_a_few_saves(tmp_path: Path) -> None:
    path = tmp_path / "facts.pickle"
    cache = FactCache()
    cache.store("old", 1)
    cache.store("kept", 2)
    cache.save(path)
    for _ in range(fact_cache.KEPT_UNUSED_SAVES):
        later = FactCache.load(path)
        assert later.lookup("kept") == 2
        later.store("new", 3)  # something changed: the build saves
        later.save(path)
        later.save(path)  # a second save of the same build ages nothing again
    assert set(FactCache.load(path).entries) == {"old", "kept", "new"}
    last = FactCache.load(path)
    assert last.lookup("kept") == 2
    last.store("new", 4)
    last.save(path)
    assert set(FactCache.load(path).entries) == {"kept", "new"}


def test_builds_sharing_a_file_keep_each_other_s_entries(tmp_path: Path) -> None:
    """An html build and check alternating on one shared file (xenabi_fact_cache)."""
    path = tmp_path / "facts.pickle"
    for round_ in range(fact_cache.KEPT_UNUSED_SAVES + 2):
        for build in ("html", "check"):
            cache = FactCache.load(path)
            if cache.lookup(build) is None:
                assert round_ == 0, f"{build}'s entry was dropped in round {round_}"
                cache.store(build, round_)
            cache.store(f"{build}-changed", round_)  # each build computes something
            cache.save(path)


@pytest.mark.parametrize(
    "content",
    [b"not a pickle", pickle.dumps(["a list"]), pickle.dumps({"code": "other", "entries": {}})],
    ids=["damaged", "foreign", "other-code"],
)
def test_a_file_that_cannot_be_used_is_an_empty_cache(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "facts.pickle"
    path.write_bytes(content)
    cache = FactCache.load(path)
    assert cache.entries == {}
    cache.store("new", 3)
    cache.save(path)  # and is replaced by a good one
    assert FactCache.load(path).lookup("new") == 3


def test_a_cache_that_cannot_be_written_costs_only_speed(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    cache = FactCache()
    cache.store("key", 1)
    cache.save(blocked / "facts.pickle")  # its directory is a file: no error
    assert not (blocked / "facts.pickle").exists()


def test_another_code_version_never_reuses_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "facts.pickle"
    cache = FactCache()
    cache.store("key", 1)
    cache.save(path)
    monkeypatch.setattr(fact_cache, "code_key", lambda: "another build of the model")
    assert FactCache.load(path).lookup("key") is None


def _code_key_of(package_parent: Path) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from sphinx_xenabi.model import fact_cache; print(fact_cache.code_key())",
        ],
        env={**os.environ, "PYTHONPATH": str(package_parent)},
        cwd=package_parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_the_code_key_names_the_modules_content_not_their_times(tmp_path: Path) -> None:
    """A fresh checkout or install of the same code (a CI job with a kept cache)
    reuses the facts; an edited module does not."""
    package = Path(fact_cache.__file__).resolve().parent.parent
    copies = [tmp_path / "one", tmp_path / "two"]
    for copy in copies:
        shutil.copytree(
            package, copy / "sphinx_xenabi", ignore=shutil.ignore_patterns("__pycache__")
        )
    for module in (copies[1] / "sphinx_xenabi").rglob("*.py"):
        os.utime(module, ns=(10**18, 10**18))  # other times, as a new checkout has
    first, second = (_code_key_of(copy) for copy in copies)
    assert first == second
    drift = copies[1] / "sphinx_xenabi" / "model" / "drift.py"
    drift.write_text(drift.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _code_key_of(copies[1]) != first


def test_a_saved_cache_keeps_the_stamps_its_code_key_was_worked_out_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A module edited while the build ran: the next build must not take the
    # new stamps for the older code's key (it would reuse stale facts).
    key = fact_cache.code_key()
    worked_out_with = code_key_module._code_stamps
    monkeypatch.setattr(code_key_module, "package_stamps", lambda: (("model/drift.py", 1, 2),))
    cache = FactCache()
    cache.store("key", 1)
    cache.save(tmp_path / "facts.pickle")
    stored = pickle.loads((tmp_path / "facts.pickle").read_bytes())
    assert (stored["code"], stored["stamps"]) == (key, worked_out_with)
    assert worked_out_with  # the package's modules, walked once
