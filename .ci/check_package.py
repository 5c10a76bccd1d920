"""Build the sdist and the wheel, install each into a fresh venv, use them as a user would.

``tox -e package`` runs this (CI does, through ``.ci/run``). For each
artifact: a new venv, ``pip install ARTIFACT[...]``, the console script's
``--help``, and ``sphinx-xenabi check`` on the real docs from outside the
checkout, so the installed package is what runs. The sdist must also carry
every tracked file of tests/ and docs/ and run tests from its unpacked tree.

Usage: python .ci/check_package.py REPO
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tempfile
import venv
import zipfile
from pathlib import Path

# Files the suite needs besides tests/ and docs/; every tracked file of those
# two folders must be in the sdist too.
SDIST_ROOT_FILES = (
    "LICENSE",
    "CHANGELOG.md",
    "CONTRIBUTING.md",
    "README.md",
    "conf.py",
    "pyproject.toml",
    "tox.ini",
)
WHEEL_FILES = (
    "sphinx_xenabi/py.typed",
    "sphinx_xenabi/model/registry.schema.json",
    "sphinx_xenabi/model/requirements.schema.json",
    "sphinx_xenabi/model/history.schema.json",
    "sphinx_xenabi/static/xenabi.css",
    "sphinx_xenabi/cli/check_report.schema.json",
)
# Quick tests that use conftest.py, tests/support, tests/roots and the site's sources.
SDIST_TESTS = ("tests/sphinx/test_messages.py", "tests/extraction/test_extraction.py")


def run(*args: str | Path, cwd: Path | None = None) -> str:
    command = [str(a) for a in args]
    print("+", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(
            f"failed ({result.returncode}): {' '.join(command)}\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def tracked(repo: Path, *folders: str) -> set[str]:
    """The files git tracks under ``folders``, relative to the repository."""
    out = run("git", "-C", repo, "ls-files", "-z", "--", *folders)
    return {name for name in out.split("\0") if name}


def check_sdist_members(repo: Path, sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        prefix = archive.getnames()[0].split("/")[0]
        members = {name.removeprefix(prefix + "/") for name in archive.getnames()}
    wanted = tracked(repo, "tests", "docs") | set(SDIST_ROOT_FILES)
    missing = sorted(wanted - members)
    if missing:
        sys.exit(f"{sdist.name} lacks {len(missing)} file(s) the tests need: {missing[:10]}")
    if any("__pycache__" in name or name.startswith("benchmarks/") for name in members):
        sys.exit(f"{sdist.name} carries caches or benchmarks")
    print(f"{sdist.name}: {len(members)} members, every tracked file of tests/ and docs/")


def check_wheel_members(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = [name for name in WHEEL_FILES if name not in names]
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in names):
        missing.append("*.dist-info/licenses/LICENSE")
    if any(name.startswith(("tests/", "docs/")) for name in names):
        sys.exit(f"{wheel.name} carries tests or docs")
    if missing:
        sys.exit(f"{wheel.name} lacks {missing}")
    print(f"{wheel.name}: package data and LICENSE present")


def fresh_venv(where: Path) -> Path:
    venv.create(where, with_pip=True)
    return where / "bin"


def use_installed(bin_dir: Path, repo: Path, scratch: Path) -> None:
    """What a user does after ``pip install``: help, then check the real docs."""
    python = bin_dir / "python"
    location = run(python, "-c", "import sphinx_xenabi; print(sphinx_xenabi.__file__)", cwd=scratch)
    if not Path(location.strip()).is_relative_to(bin_dir.parent):
        sys.exit(f"sphinx_xenabi imported from {location.strip()}, not the fresh venv")
    usage = run(bin_dir / "sphinx-xenabi", "--help", cwd=scratch)
    if not usage.startswith("usage: sphinx-xenabi "):
        sys.exit(f"sphinx-xenabi --help says {usage.splitlines()[0]!r}")
    out = run(bin_dir / "sphinx-xenabi", "check", repo / "docs", "--conf-dir", repo, cwd=scratch)
    # The clean verdict: "xenabi check: 6 table(s)[, 31 xenabi-verifies block(s)] agree with ...".
    if not re.search(
        r"^xenabi check: \d+ table\(s\)(, \d+ [\w-]+ block\(s\))? agree with ", out, re.M
    ):
        sys.exit(f"sphinx-xenabi check printed no verdict:\n{out}")
    print(out.strip().splitlines()[-1])


def main() -> None:
    repo = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory(prefix="xenabi-package-") as tmp:
        scratch = Path(tmp)
        dist = scratch / "dist"
        # sdist first, then the wheel built from it: the sdist must build.
        run(sys.executable, "-m", "build", "--outdir", dist, repo)
        (sdist,) = dist.glob("*.tar.gz")
        (wheel,) = dist.glob("*.whl")
        check_sdist_members(repo, sdist)
        check_wheel_members(wheel)

        wheel_bin = fresh_venv(scratch / "venv-wheel")
        run(wheel_bin / "python", "-m", "pip", "install", "-q", f"{wheel}[docs]")
        use_installed(wheel_bin, repo, scratch)

        sdist_bin = fresh_venv(scratch / "venv-sdist")
        run(sdist_bin / "python", "-m", "pip", "install", "-q", f"{sdist}[test]")
        use_installed(sdist_bin, repo, scratch)
        with tarfile.open(sdist) as archive:
            archive.extractall(scratch / "unpacked", filter="data")
        (unpacked,) = (scratch / "unpacked").iterdir()
        # The pytest script, not ``python -m pytest``: the unpacked tree's own
        # sphinx_xenabi/ must not shadow the installed package.
        env_out = run(
            sdist_bin / "pytest", "-q", "-p", "no:cacheprovider", *SDIST_TESTS, cwd=unpacked
        )
        print(env_out.strip().splitlines()[-1])
    print("package: sdist and wheel install and work")


if __name__ == "__main__":
    os.environ.pop("PYTHONPATH", None)
    main()
