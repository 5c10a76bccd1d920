"""An interrupted build never leaves a registry that contradicts the html beside it.

Real ``sphinx-build`` processes of ``tests/roots/test-held-build``. The tree
is built once, then edited so that the next build's registry differs, then
rebuilt: the rebuild holds at a named point (the root's
``XENABI_TEST_HOLD``), says so by writing a file, and is signalled there.
Nothing is timed, so the build is exactly at that point however loaded the
machine is. What is left must be no registry or the new one, never the old
one: before publishing no registry at all, after it the new one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sphinx_xenabi.model.published_files import REGISTRY_FILENAME
from sphinx_xenabi.model.registry import load
from support.paths import REPO

# Two real sphinx-build processes per scenario, eight scenarios: the slow tier.
pytestmark = pytest.mark.site

PAGES = ("page1", "page2", "page3", "page4")
ROOT = "test-held-build"


def sphinx_build(
    srcdir: Path, outdir: Path, *, hold: str = "", hold_dir: Path | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "XENABI_TEST_HOLD": hold}
    if hold_dir is not None:
        env["XENABI_TEST_HOLD_DIR"] = str(hold_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(srcdir), str(outdir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    """SIGINT as an interactive user's: a suite run in the background (``cmd &``
    without job control) hands its children SIGINT ignored, and Python then
    never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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


def written(before: dict[str, int], outdir: Path) -> list[str]:
    """The pages whose html this build has written."""
    now = mtimes(outdir)
    return [p for p in PAGES if now.get(f"{p}.html", 0) > before.get(f"{p}.html", 0)]


def wait_until_held(marker: Path, process: subprocess.Popen[bytes]) -> None:
    """Until the build says it is held at the point (a generous bound, not a timing)."""
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert process.poll() is None, "the build ended without reaching the point"
        assert time.monotonic() < deadline, "the build never reached the point"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def new_registry(tmp_path_factory: pytest.TempPathFactory, rootdir: Path) -> bytes:
    """What an uninterrupted build of the edited tree publishes."""
    srcdir = tmp_path_factory.mktemp("edited") / "src"
    shutil.copytree(rootdir / ROOT, srcdir)
    edit(srcdir)
    return finished_build(srcdir, srcdir.parent / "out")


# (point, pages whose html is written there, whether the new registry is)
POINTS = {
    "after-page1": (PAGES[:1], False),
    "after-page2": (PAGES[:2], False),  # mid-way
    "after-last-page": (PAGES, False),
    "before-publishing": (PAGES, False),
    "after-publishing": (PAGES, True),
}


@pytest.mark.parametrize(
    ("point", "signum"),
    [
        *((point, signal.SIGKILL) for point in POINTS),
        ("after-page1", signal.SIGINT),
        ("after-page1", signal.SIGTERM),
        ("before-publishing", signal.SIGINT),
    ],
)
def test_an_interrupted_build_leaves_no_registry_or_the_new_one(
    tmp_path: Path, rootdir: Path, new_registry: bytes, point: str, signum: int
) -> None:
    srcdir, outdir = tmp_path / "src", tmp_path / "out"
    shutil.copytree(rootdir / ROOT, srcdir)
    old_registry = finished_build(srcdir, outdir)
    assert old_registry != new_registry
    edit(srcdir)
    before = mtimes(outdir)
    marker = tmp_path / point
    process = sphinx_build(srcdir, outdir, hold=point, hold_dir=tmp_path)
    try:
        wait_until_held(marker, process)
        pages, published = POINTS[point]
        assert written(before, outdir) == list(pages)  # held exactly there
        process.send_signal(signum)
        assert process.wait(timeout=120) != 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert written(before, outdir) == list(pages)  # html of the edited tree stands there now
    target = outdir / REGISTRY_FILENAME
    if not published:
        assert not target.exists(), f"interrupted at {point}: a registry is published"
    else:
        assert target.read_bytes() == new_registry
        load(target)
    assert not [p.name for p in outdir.iterdir() if p.name.endswith(".tmp")]
