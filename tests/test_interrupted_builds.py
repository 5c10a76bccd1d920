"""An interrupted build never leaves a registry that contradicts the html beside it.

Real ``sphinx-build`` processes of ``tests/roots/test-interrupt``, held at
chosen points by the root's ``XENABI_TEST_PAUSE`` hooks and killed there. The
tree is built once, then edited so that the next build's registry differs,
then rebuilt and interrupted: what is left must be no registry or the new
one, never the old one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO
from sphinx_xenabi.model.registry import REGISTRY_FILENAME, load

PAGES = ("page1", "page2", "page3")
PAUSE = "0.8"  # seconds the build is held before each page and before publishing


def sphinx_build(srcdir: Path, outdir: Path, *, pause: str = "0") -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "XENABI_TEST_PAUSE": pause}
    return subprocess.Popen(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(srcdir), str(outdir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def finished_build(srcdir: Path, outdir: Path) -> bytes:
    assert sphinx_build(srcdir, outdir).wait(timeout=300) == 0
    return (outdir / REGISTRY_FILENAME).read_bytes()


def edit(srcdir: Path) -> None:
    """Change every table's title: the next registry differs from the last."""
    for page in PAGES:
        path = srcdir / f"{page}.rst"
        path.write_text(
            path.read_text(encoding="utf-8").replace("Mode transfer, page", "Transfer, page"),
            encoding="utf-8",
        )


def mtimes(outdir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in outdir.iterdir() if p.is_file()}


def pages_written(before: dict[str, int], outdir: Path) -> int:
    now = mtimes(outdir)
    return sum(1 for p in PAGES if now.get(f"{p}.html", 0) > before.get(f"{p}.html", 0))


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert process.poll() is None, "the build ended before the point to interrupt it"
        assert time.monotonic() < deadline, "the build never reached the point to interrupt it"
        time.sleep(0.005)


@pytest.fixture(scope="module")
def new_registry(tmp_path_factory: pytest.TempPathFactory, rootdir: Path) -> bytes:
    """What an uninterrupted build of the edited tree publishes."""
    srcdir = tmp_path_factory.mktemp("edited") / "src"
    shutil.copytree(rootdir / "test-interrupt", srcdir)
    edit(srcdir)
    return finished_build(srcdir, srcdir.parent / "out")


@pytest.mark.parametrize(
    ("point", "signum"),
    [
        ("after page 1", signal.SIGKILL),
        ("after page 2", signal.SIGKILL),
        ("after the last page", signal.SIGKILL),
        ("when finished, before publishing", signal.SIGKILL),
        ("after page 1", signal.SIGINT),
        ("after page 1", signal.SIGTERM),
    ],
)
def test_an_interrupted_build_leaves_no_registry_or_the_new_one(
    tmp_path: Path, rootdir: Path, new_registry: bytes, point: str, signum: int
) -> None:
    srcdir, outdir = tmp_path / "src", tmp_path / "out"
    shutil.copytree(rootdir / "test-interrupt", srcdir)
    old_registry = finished_build(srcdir, outdir)
    assert old_registry != new_registry
    edit(srcdir)
    before = mtimes(outdir)
    process = sphinx_build(srcdir, outdir, pause=PAUSE)
    try:
        if point.startswith("after page"):
            wanted = len(PAGES) if point == "after the last page" else int(point[-1])
            wait_for(lambda: pages_written(before, outdir) >= wanted, process)
        else:  # the search index is written last, just before build-finished
            wait_for(
                lambda: mtimes(outdir).get("searchindex.js", 0) > before["searchindex.js"],
                process,
            )
    except BaseException:
        process.kill()
        process.wait()
        raise
    process.send_signal(signum)
    assert process.wait(timeout=60) != 0
    assert pages_written(before, outdir) >= 1  # html of the edited tree stands there now
    target = outdir / REGISTRY_FILENAME
    if target.exists():
        left = target.read_bytes()
        assert left != old_registry, f"interrupted {point}: the old registry is still published"
        assert left == new_registry
        load(target)
    assert not [p.name for p in outdir.iterdir() if p.name.endswith(".tmp")]
