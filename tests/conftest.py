"""Shared fixtures: builds of the real site and of its ABI pages, shared by the session.

The helpers are in ``tests/support`` (importable as ``support``); the
plugins below add the ``site`` marker, the build counter and the
hypothesis profiles.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sphinx_xenabi.cli.reading import TreeReading, read_tree
from support.building import Build, Reindented, copy_abi_pages, run_sphinx
from support.paths import ABI_DIR, DOCS, REPO, ROOTS

pytest_plugins = (
    "support.whole_site",
    "support.build_counter",
    "support.hypothesis_profiles",
    "support.forked_workers",
)


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Where the ``test-<name>`` source roots are."""
    return ROOTS


@pytest.fixture
def docs_copy(tmp_path: Path) -> Path:
    """A private copy of the real docs tree, for tests that mutate it."""
    target = tmp_path / "docs"
    shutil.copytree(DOCS, target)
    return target


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Build]:
    """The real site, built once per session with the real conf.py and theme."""
    out = tmp_path_factory.mktemp("site") / "html"
    yield run_sphinx(DOCS, out)


@pytest.fixture(scope="session")
def site_reading() -> TreeReading:
    """``check``'s reading of the real site (the dummy builder), once per session."""
    return read_tree(DOCS, REPO)


# -- the ABI pages alone (support.building.copy_abi_pages) --------------------------


@pytest.fixture
def abi_pages_copy(tmp_path: Path) -> Path:
    """A private copy of the real ABI pages (as ``docs/``), for tests that mutate them."""
    return copy_abi_pages(tmp_path / "docs")


@pytest.fixture(scope="session")
def abi_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real ABI pages as a tree shared by the session: tests only read it."""
    return copy_abi_pages(tmp_path_factory.mktemp("abi-pages") / "docs")


@pytest.fixture(scope="session")
def abi_pages_build(abi_pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The html build of the unchanged ABI pages, once per session."""
    return run_sphinx(abi_pages, tmp_path_factory.mktemp("abi-pages-html") / "html")


@pytest.fixture(scope="session")
def reindented_docs(tmp_path_factory: pytest.TempPathFactory) -> Reindented:
    """The seed's re-indentation reversed on a copy of the real docs, shared (read only)."""
    from support.reindent import reindent_tree

    checkout = tmp_path_factory.mktemp("reindented")
    target = checkout / "docs"
    shutil.copytree(DOCS, target)
    # the pages include files of the package as ../sphinx_xenabi/..., as in the checkout
    (checkout / "sphinx_xenabi").symlink_to(REPO / "sphinx_xenabi", target_is_directory=True)
    return Reindented(target, reindent_tree(target))


@pytest.fixture(scope="session")
def reindented_site(reindented_docs: Reindented, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The html build of the re-indented real docs, once per session."""
    return run_sphinx(reindented_docs.root, tmp_path_factory.mktemp("reindented-html") / "html")


@pytest.fixture(scope="session")
def drifted_abi_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real ABI pages with R10 changed to RCX in the current 64-bit row (read only)."""
    docs = copy_abi_pages(tmp_path_factory.mktemp("drifted") / "docs")
    page = docs / ABI_DIR / "x86/hypercall-abi.rst"
    text = page.read_text(encoding="utf-8")
    assert text.count("     - RDI RSI RDX R10 R8\n") == 1
    page.write_text(
        text.replace("     - RDI RSI RDX R10 R8\n", "     - RDI RSI RDX RCX R8\n"), "utf-8"
    )
    return docs


@pytest.fixture(scope="session")
def drifted_abi_build(drifted_abi_pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """Their html build (which fails), shared by the tests of what a failing gate does."""
    return run_sphinx(drifted_abi_pages, tmp_path_factory.mktemp("drifted-html") / "html")
