"""``python -m sphinx_xenabi``: check and extract on real trees, in a real process.

The trees are the real ABI pages (the test-abi-pages root with docs/guest-guide),
as a foreign project would hold them or as the site configures them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.building import Build, copy_abi_pages
from support.cli import run_cli
from support.lines import line_of
from support.paths import REPO

# The real ABI pages checked in real processes: the slow tier (see pyproject's markers).
pytestmark = pytest.mark.site

ABI = "guest-guide/x86/hypercall-abi.rst"

# A project that knows nothing of this extension: no extensions, reST only,
# its version kept outside the docs, and an old-style theme setup.
FOREIGN_CONF = """\
import os

import sphinx_rtd_theme

project = "Xen"
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "VERSION")) as f:
    version = release = f.read().strip()
extensions = []
source_suffix = '.rst'
html_theme = "sphinx_rtd_theme"
html_theme_path = [sphinx_rtd_theme.get_html_theme_path()]
"""


def make_foreign_project(root: Path) -> tuple[Path, Path]:
    """``root/docs`` (a copy of the real ABI pages), ``root/conf/conf.py``, ``root/VERSION``."""
    docs = copy_abi_pages(root / "docs")
    conf = root / "conf"
    conf.mkdir()
    (conf / "conf.py").write_text(FOREIGN_CONF, encoding="utf-8")
    (root / "VERSION").write_text("4.22\n", encoding="utf-8")
    return docs, conf


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A foreign project that the tests only read."""
    return make_foreign_project(tmp_path_factory.mktemp("foreign"))


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]


# -- check -------------------------------------------------------------------------


def test_check_foreign_tree_is_clean(foreign: tuple[Path, Path]) -> None:
    docs, conf = foreign
    result = run_cli("check", "--verbose", docs, "--conf-dir", conf)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agree with the reference model" in result.stdout
    assert "[xenabi." not in result.stdout
    assert "Traceback" not in result.stderr
    # Sphinx's own complaint (in -v output): the MyST numbers page was not read.
    assert "nonexisting document 'guest-guide/x86/hypercall-numbers'" in result.stderr


def test_check_foreign_tree_reports_a_mutated_cell(tmp_path: Path) -> None:
    docs, conf = make_foreign_project(tmp_path)
    page = docs / ABI
    text = page.read_text(encoding="utf-8")
    old = "     - RDI RSI RDX R10 R8\n"
    assert text.count(old) == 1
    page.write_text(text.replace(old, "     - RDI RSI RDX RCX R8\n"), encoding="utf-8")
    line = line_of(page, "- RDI RSI RDX RCX R8")

    result = run_cli("check", docs, "--conf-dir", conf)
    assert result.returncode == 1, result.stdout + result.stderr
    location = f"{page}:{line}:"
    # One finding for one mistake: the model disagrees, and what the emulated
    # CPU showed (SYSCALL overwrites RCX with the return address) is its evidence.
    (drift,) = (text for text in result.stdout.splitlines() if location in text)
    assert (
        "64bit parameter 4 is RCX; Xen 4.17+ uses R10; on the emulated CPU the row failed: "
        in drift
    )
    assert "parameter 4 RCX arrived as" in drift and "(the return address)" in drift
    assert drift.endswith("[xenabi.drift]")
    assert (
        "xenabi check: 1 disagreement(s), 0 table problem(s), "
        "1 row(s) failed on the emulated CPU" in result.stdout
    )


def test_check_skips_execution_when_the_tree_turns_it_off(tmp_path: Path) -> None:
    docs, conf = make_foreign_project(tmp_path)
    page = docs / ABI
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("     - RDI RSI RDX R10 R8\n", "     - RDI RSI RDX RCX R8\n"))
    with (conf / "conf.py").open("a", encoding="utf-8") as config:
        config.write("\nxenabi_execute_tables = False\n")
    result = run_cli("check", docs, "--conf-dir", conf)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[xenabi.drift]" in result.stdout
    assert "[xenabi.execution]" not in result.stdout
    assert "0 row(s) failed on the emulated CPU" in result.stdout


def test_check_release_4_16_against_five_parameter_docs(foreign: tuple[Path, Path]) -> None:
    """The current table is right for 4.22 but not for 4.16, which passed six."""
    docs, conf = foreign
    page = docs / ABI
    result = run_cli("check", docs, "--conf-dir", conf, "--release", "4.16")
    assert result.returncode == 1, result.stdout + result.stderr
    expected = {
        line_of(
            page, "- Parameters (1 - 5) [#params]_"
        ): "header announces 5 parameters; Xen 4.13 to 4.16 passes 6",
        line_of(
            page, "- RDI RSI RDX R10 R8"
        ): "64bit parameter 6 is missing; Xen 4.13 to 4.16 passes it in R9",
        line_of(
            page, "- EBX ECX EDX ESI EDI"
        ): "32bit parameter 6 is missing; Xen 4.13 to 4.16 passes it in EBP",
    }
    for line, message in expected.items():
        # ERROR, as the tree's html build says it (xenabi_drift = "error", the default)
        assert f"{page}:{line}: ERROR: {message} [xenabi.drift]" in result.stdout, result.stdout
    assert "xenabi check: 3 disagreement(s)" in result.stdout


# -- usage errors ------------------------------------------------------------------


def test_help_names_the_program_as_it_was_run() -> None:
    module = run_cli("--help")
    assert module.returncode == 0, module.stderr
    assert module.stdout.startswith("usage: python -m sphinx_xenabi ")
    # The console script sits beside the interpreter of the environment it was installed in.
    script = Path(sys.executable).parent / "sphinx-xenabi"
    assert script.is_file(), f"{script}: the package is not installed with its console script"
    console = subprocess.run(
        [str(script), "check", "--help"], capture_output=True, text=True, timeout=60
    )
    assert console.returncode == 0, console.stderr
    assert console.stdout.startswith("usage: sphinx-xenabi check ")
    assert "-v, --verbose" in console.stdout


def test_missing_docs_dir(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-docs"
    assert_one_line_error(run_cli("check", missing), str(missing), "not a directory")


def test_docs_dir_without_conf_py(foreign: tuple[Path, Path]) -> None:
    docs, _ = foreign
    assert_one_line_error(run_cli("check", docs), str(docs), "no conf.py")


def test_conf_dir_without_conf_py(foreign: tuple[Path, Path], tmp_path: Path) -> None:
    docs, _ = foreign
    assert_one_line_error(
        run_cli("extract", docs, "--conf-dir", tmp_path), str(tmp_path), "no conf.py"
    )


def test_conf_py_that_raises_is_one_line(foreign: tuple[Path, Path], tmp_path: Path) -> None:
    docs, _ = foreign
    (tmp_path / "conf.py").write_text('raise RuntimeError("boom")\n', encoding="utf-8")
    assert_one_line_error(
        run_cli("check", docs, "--conf-dir", tmp_path), "conf.py", "RuntimeError: boom"
    )


# -- extract -----------------------------------------------------------------------


def test_extract_matches_the_html_build_byte_for_byte(
    abi_pages: Path, abi_pages_build: Build, tmp_path: Path
) -> None:
    assert abi_pages_build.statuscode == 0
    target = tmp_path / "registry.json"
    result = run_cli("extract", abi_pages, "-o", target, "--conf-dir", REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert target.read_bytes() == abi_pages_build.registry_json.read_bytes()
    assert f"wrote {target}" in result.stderr


def test_extract_without_output_writes_stdout(abi_pages: Path, abi_pages_build: Build) -> None:
    result = run_cli("extract", abi_pages, "--conf-dir", REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.encode("utf-8") == abi_pages_build.registry_json.read_bytes()
    data = json.loads(result.stdout)
    assert {t["kind"] for t in data["tables"]} == {"registers", "transfer", "numbers"}


def test_extract_refuses_a_drifted_tree(tmp_path: Path) -> None:
    docs, conf = make_foreign_project(tmp_path)
    page = docs / ABI
    text = page.read_text(encoding="utf-8")
    swapped = text.replace("     - VMCALL\n", "     - VMMCALL-TMP\n", 1)
    swapped = swapped.replace("     - VMMCALL\n", "     - VMCALL\n", 1)
    swapped = swapped.replace("     - VMMCALL-TMP\n", "     - VMMCALL\n", 1)
    assert swapped != text
    page.write_text(swapped, encoding="utf-8")
    target = tmp_path / "registry.json"

    result = run_cli("extract", docs, "--conf-dir", conf, "-o", target)
    assert result.returncode == 1, result.stderr
    assert f"{page}:{line_of(page, '- VMMCALL')}:" in result.stderr
    assert "Intel HVM transfer instruction is VMMCALL" in result.stderr
    assert "no registry written" in result.stderr
    assert not target.exists()


# -- inputs a user gets wrong ----------------------------------------------------------


def test_relative_paths_work_from_any_directory(foreign: tuple[Path, Path]) -> None:
    docs, conf = foreign
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "sphinx_xenabi", "check", "docs", "--conf-dir", "conf"],
        cwd=docs.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agree with the reference model" in result.stdout


@pytest.mark.parametrize(
    ("release", "words"),
    [("banana", ("--release", "not a Xen release")), ("4.12", ("covers Xen 4.13 and later",))],
)
def test_a_release_the_model_cannot_check_is_a_usage_error(
    foreign: tuple[Path, Path], release: str, words: tuple[str, ...]
) -> None:
    docs, conf = foreign
    assert_one_line_error(run_cli("check", docs, "--conf-dir", conf, "--release", release), *words)


def test_unwritable_output_and_unreadable_input_are_one_line_errors(
    abi_pages: Path, tmp_path: Path
) -> None:
    assert_one_line_error(
        run_cli("extract", abi_pages, "--conf-dir", REPO, "-o", tmp_path),
        str(tmp_path),
        "cannot write",
    )
    assert_one_line_error(run_cli("indent", tmp_path / "absent.rst"), "absent.rst", "cannot read")
    bad = tmp_path / "latin1.rst"
    bad.write_bytes(b"Caf\xe9\n====\n")
    assert_one_line_error(run_cli("indent", bad), "latin1.rst", "not UTF-8")


def test_extensions_that_are_not_a_list_are_a_usage_error(
    foreign: tuple[Path, Path], tmp_path: Path
) -> None:
    docs, _ = foreign
    (tmp_path / "conf.py").write_text("extensions = 5\n", encoding="utf-8")
    assert_one_line_error(
        run_cli("check", docs, "--conf-dir", tmp_path), "extensions must be a list"
    )
