"""The domain's per-document record stores, kept pickled and unpickled on first read."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys

from sphinx_xenabi.domain.packed_store import PackedByDocument
from sphinx_xenabi.model.content_key import content_pickle, value_digest
from sphinx_xenabi.model.location import Location
from support.paths import REPO


def test_a_store_keeps_values_pickled_with_their_content_digest_and_gives_them_back() -> None:
    store: PackedByDocument[tuple[Location, ...]] = PackedByDocument()
    store["a"] = (Location("a.rst", 3),)
    store["b"] = (Location("b.rst", 7), Location("b.rst", 9))
    assert store.digest("a") == value_digest((Location("a.rst", 3),))
    again = pickle.loads(pickle.dumps(store))
    assert dict(again) == dict(store)
    assert again.digest("b") == store.digest("b")
    assert list(again) == ["a", "b"] and "b" in again and len(again) == 2
    copied = copy.deepcopy(store)  # Sphinx deep-copies a domain's initial data
    copied["c"] = ()
    assert "c" not in store
    del again["a"]
    assert list(again) == ["b"] and again.pop("a", None) is None


def test_a_parallel_reader_s_value_is_taken_still_packed() -> None:
    mine: PackedByDocument[tuple[int, ...]] = PackedByDocument()
    theirs: PackedByDocument[tuple[int, ...]] = PackedByDocument()
    mine["page"], theirs["page"] = (1,), (2,)
    assert mine["page"] == (1,)  # read once: the old value is remembered
    mine.adopt(theirs, "page")
    assert mine["page"] == (2,) and mine.digest("page") == theirs.digest("page")
    # As a parallel reader's store comes back: unpickled, its values still packed.
    returned = pickle.loads(pickle.dumps(theirs))
    theirs["page"] = (3,)
    mine.adopt(returned, "page")
    assert mine["page"] == (2,) and mine.digest("page") == returned.digest("page")
    assert pickle.loads(pickle.dumps(mine))["page"] == (2,)


def test_the_kept_pickle_writes_a_recurring_object_once_and_the_digest_ignores_sharing() -> None:
    # Shared: the same Location object eight times; apart: eight equal objects.
    shared = (Location("guide/page.rst", 12),) * 8
    apart = tuple(Location("guide/page.rst", 12) for _ in range(8))
    store: PackedByDocument[tuple[Location, ...]] = PackedByDocument()
    store["shared"], store["apart"] = shared, apart
    assert store.digest("shared") == store.digest("apart")
    kept = pickle.dumps(store)
    # The environment keeps the memo pickle, far smaller than the content pickle
    # of both values, which writes every object, class and string out each time.
    assert len(kept) < len(content_pickle(shared)) + len(content_pickle(apart))
    assert kept.count(b"guide/page.rst") == 2  # once a value, the memo's reference after
    assert pickle.loads(kept)["apart"] == apart


def test_loading_a_store_loads_none_of_its_values_classes() -> None:
    store: PackedByDocument[tuple[Location, ...]] = PackedByDocument()
    store["a"] = (Location("a.rst", 3),)
    code = (
        "import pickle, sys\n"
        f"store = pickle.loads({pickle.dumps(store)!r})\n"
        "print('location' in ' '.join(sys.modules), list(store))\n"
        "store['a']\n"
        "print('sphinx_xenabi.model.location' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[:2] == ["False ['a']", "True"]
