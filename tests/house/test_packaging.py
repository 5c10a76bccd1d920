"""The project's conventions for other trees and CI: licence, hooks, Read the Docs.

Building and installing the sdist and the wheel is ``tox -e package``
(``.ci/check_package.py``), not a test here: it creates venvs and installs
every dependency twice.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from sphinx_xenabi._version import __version__
from support.paths import REPO, ROOTS


def pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def floors() -> dict[str, Version]:
    """The lowest version each declared dependency allows (build, runtime, docs, test)."""
    config = pyproject()
    extras = config["project"]["optional-dependencies"]
    declared = [
        *config["build-system"]["requires"],
        *config["project"]["dependencies"],
        *extras["docs"],
        *extras["test"],
    ]
    result: dict[str, Version] = {}
    for text in declared:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name == "sphinx-xenabi":
            continue  # the test extra pulls in the docs extra
        lows = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        assert len(lows) == 1, f"{text}: every dependency needs one >= floor"
        assert result.get(name, lows[0]) == lows[0], f"{name}: two different floors"
        result[name] = lows[0]
    return result


def load_yaml(name: str) -> Any:
    return yaml.safe_load((REPO / name).read_text(encoding="utf-8"))


def test_the_license_file_is_the_declared_mit_licence() -> None:
    project = pyproject()["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_the_changelog_has_the_current_version() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"\n## [{__version__}]" in text
    assert "\n## [Unreleased]" in text


def _hook_command(entry: str, args: list[str]) -> list[str]:
    """The command pre-commit runs, in this environment."""
    words = shlex.split(entry) + args
    if words[0] == "python":
        words[0] = sys.executable
    else:  # a console script of this package, installed beside the interpreter
        assert words[0] in pyproject()["project"]["scripts"], words[0]
        words[0] = str(Path(sys.executable).parent / words[0])
    return words


def test_pre_commit_hooks_run_the_lint_and_the_check(tmp_path: Path) -> None:
    hooks = {hook["id"]: hook for hook in load_yaml(".pre-commit-hooks.yaml")}
    assert set(hooks) == {"xenabi-indent", "xenabi-check"}
    assert all(hook["language"] == "python" and hook["name"] for hook in hooks.values())

    indent = hooks["xenabi-indent"]
    assert indent["types"] == ["rst"]
    bad = tmp_path / "bad.rst"
    bad.write_text("Title\n=====\n\n.. note::\n\n  two spaces\n", encoding="utf-8")
    good = tmp_path / "good.rst"
    good.write_text("Title\n=====\n\n.. note::\n\n   three spaces\n", encoding="utf-8")
    command = _hook_command(indent["entry"], indent.get("args", []))
    failed = subprocess.run([*command, str(bad), str(good)], capture_output=True, text=True)
    assert failed.returncode == 1, failed
    assert f"{bad}:6" in failed.stdout and str(good) not in failed.stdout
    assert subprocess.run([*command, str(good)], capture_output=True).returncode == 0

    check = hooks["xenabi-check"]
    assert check["pass_filenames"] is False  # it reads the whole tree, not the staged files
    assert check["args"] == ["docs"]
    # A user points it at their tree with args: [DIR]; here, a small clean root.
    command = _hook_command(check["entry"], [str(ROOTS / "test-rst")])
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "table(s) agree with the reference model" in result.stdout


def test_read_the_docs_builds_the_site_as_tox_does() -> None:
    config = load_yaml(".readthedocs.yaml")
    assert config["version"] == 2
    assert (REPO / config["sphinx"]["configuration"]).is_file()
    (html,) = config["build"]["jobs"]["build"]["html"]
    words = shlex.split(html)
    assert words[:3] == ["python", "-m", "sphinx"]
    # conf.py at the root, sources in docs/, warnings are errors: as tox -e docs.
    assert words[words.index("-c") + 1] == "."
    assert {"-n", "-W", "--keep-going"} <= set(words)
    assert words[-2:] == ["docs", "$READTHEDOCS_OUTPUT/html"]
    (install,) = config["python"]["install"]
    assert install["method"] == "pip" and install["path"] == "."
    extras = pyproject()["project"]["optional-dependencies"]
    assert set(install["extra_requirements"]) <= set(extras)


def test_the_oldest_environment_pins_exactly_the_declared_floors() -> None:
    pinned: dict[str, Version] = {}
    for line in (REPO / ".ci" / "constraints-oldest.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", line
            pinned[canonicalize_name(requirement.name)] = Version(spec.version)
    assert pinned == floors()


def test_the_oldest_environment_uses_the_constraints_and_python_3_11() -> None:
    import configparser

    tox = configparser.ConfigParser(interpolation=None)
    tox.read(REPO / "tox.ini", encoding="utf-8")
    oldest = tox["testenv:oldest"]
    assert "PIP_CONSTRAINT = {toxinidir}/.ci/constraints-oldest.txt" in oldest["set_env"]
    assert oldest["base_python"] == "python3.11"
    assert pyproject()["project"]["requires-python"] == ">=3.11"
    # the wheel it installs is built with the oldest setuptools too
    package_env = tox[f"testenv:{oldest['wheel_build_env']}"]
    assert "constraints-oldest.txt" in package_env["set_env"]
    envs = tox["tox"]["env_list"].split()
    assert {"py311", "py313", "oldest", "package"} <= set(envs)
