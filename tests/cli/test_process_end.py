"""How a command ends its process: flushed output, no teardown, and output
that cannot be delivered reported as such, never as a bug.

``indent`` stands for every command: it needs no Sphinx build, so each case
is one short process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.paths import REPO

# A directive whose body is indented by two spaces: one fault, one line of output.
BAD_PAGE = "Title\n=====\n\n.. note::\n\n  two spaces\n"
# The package importable from the checkout, as the tests run it.
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def python(
    code: str, *args: object, stdout: Any = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    """``python -c CODE ARGS`` with the package importable; standard error captured."""
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        env=ENV,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )


@pytest.fixture
def bad_page(tmp_path: Path) -> Path:
    page = tmp_path / "page.rst"
    page.write_text(BAD_PAGE, encoding="utf-8")
    return page


# Registers an exit handler that leaves a mark, then runs the command line one way or the other.
ENDING = """\
import atexit, pathlib, sys
atexit.register(pathlib.Path(sys.argv[1]).write_text, "torn down")
from sphinx_xenabi.cli import main, run
{call}
"""


@pytest.mark.parametrize(
    ("call", "torn_down"),
    [
        ('run(["indent", sys.argv[2]])', False),  # the console script and python -m
        ('sys.exit(main(["indent", sys.argv[2]]))', True),  # main returns: a normal end
    ],
)
def test_a_command_ends_its_process_once_its_output_is_flushed(
    call: str, torn_down: bool, bad_page: Path, tmp_path: Path
) -> None:
    mark = tmp_path / "mark"
    ended = python(ENDING.format(call=call), mark, bad_page)
    # Standard output is a pipe here, block-buffered: the line arrives only if flushed.
    assert ended.stdout == (
        f"{bad_page}:6: the options and body of directive 'note' (line 4) "
        "are indented by 2 spaces; expected 3\n"
    )
    assert ended.returncode == 1, ended.stderr
    assert ended.stderr == ""
    assert mark.exists() is torn_down


def test_python_m_ends_without_teardown(bad_page: Path, tmp_path: Path) -> None:
    mark = tmp_path / "mark"
    code = (
        "import atexit, pathlib, runpy, sys\n"
        "atexit.register(pathlib.Path(sys.argv[1]).write_text, 'torn down')\n"
        "sys.argv = ['sphinx_xenabi', 'indent', sys.argv[2]]\n"
        "runpy.run_module('sphinx_xenabi', run_name='__main__')\n"
    )
    ended = python(code, mark, bad_page)
    assert ended.returncode == 1, ended.stderr
    assert "expected 3" in ended.stdout
    assert not mark.exists()


def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path: Path) -> None:
    # More faults than a pipe's write buffer holds, so the command meets the closed pipe.
    pages = []
    for k in range(300):
        page = tmp_path / f"page-{k:03d}.rst"
        page.write_text(BAD_PAGE, encoding="utf-8")
        pages.append(str(page))
    process = subprocess.Popen(
        [sys.executable, "-m", "sphinx_xenabi", "indent", *pages],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader goes before a line is written
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 2
    assert stderr == ""  # neither "internal error" nor a traceback


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_output_that_cannot_be_written_fails_the_command(bad_page: Path) -> None:
    with open("/dev/full", "w") as full:
        ended = python(
            "from sphinx_xenabi.cli import run; import sys; run(['indent', sys.argv[1]])",
            bad_page,
            stdout=full,
        )
    assert ended.returncode == 2
    assert ended.stderr == "error: cannot write: No space left on device\n"
