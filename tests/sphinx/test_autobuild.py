"""sphinx-autobuild on docs inside a Xen tree: a saved edit of a page or of a source file rebuilds.

sphinx-autobuild watches the docs; the Xen source the reader uses is
watched with ``--watch`` (as docs/tooling/edit-loop.rst says). Each save
triggers an incremental build whose result reflects the edit: the fact
cache reads a changed file again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.xen_docs import docs_in
from support.xen_trees import edit, hypercall_defs_tree

pytestmark = pytest.mark.site  # a server process and several builds


def _wait(condition: Callable[[], bool], what: str, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"sphinx-autobuild: {what} did not happen in {timeout:.0f} s:\n{log.read_text()}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    executable = shutil.which("sphinx-autobuild", path=str(Path(sys.executable).parent))
    assert executable is not None, "sphinx-autobuild is a test dependency (pyproject.toml)"
    tree = hypercall_defs_tree(tmp_path / "xen")
    docs = docs_in(tree, pages={"other": "Other\n=====\n\nFirst words.\n"})
    out, log = tmp_path / "out", tmp_path / "autobuild.log"
    command = [executable, "--port", "0", "--watch", str(tree / "xen"), str(docs), str(out)]
    with log.open("w") as handle:
        # Unbuffered: the server's own lines ("Waiting to detect changes") are read
        # from the log while it runs.
        server = subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        yield tree, out, log
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_a_saved_source_edit_and_a_saved_page_edit_each_rebuild(
    served: tuple[Path, Path, Path],
) -> None:
    tree, out, log = served
    registry = out / "xenabi-registry.json"
    _wait(registry.is_file, "the first build", log)
    _wait(lambda: "Waiting to detect changes" in log.read_text(), "watching", log)
    time.sleep(1)  # the watcher starts just after it says so
    # The reader's file changes: the build fails at the cell, the registry is withdrawn.
    edit(tree / "xen/arch/x86/pv/hypercall.c", "regs->r10;", "regs->rcx;")
    _wait(
        lambda: "64bit parameter 4 is R10" in log.read_text() and not registry.exists(),
        "the failing rebuild after the source edit",
        log,
    )
    # And back: it passes again.
    edit(tree / "xen/arch/x86/pv/hypercall.c", "regs->rcx;", "regs->r10;")
    _wait(registry.is_file, "the rebuild after the source was restored", log)
    # A page edit is a page rebuild.
    (tree / "docs/other.rst").write_text("Other\n=====\n\nSecond words.\n", encoding="utf-8")
    page = out / "other.html"
    _wait(lambda: "Second words." in page.read_text(encoding="utf-8"), "the page rebuild", log)
