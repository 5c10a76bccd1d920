"""Shared fixtures: Sphinx's own testing fixtures and builds of the real site."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace, patch_docutils

pytest_plugins = ("sphinx.testing.fixtures",)

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
ROOTS = Path(__file__).resolve().parent / "roots"

# The property suite (test_properties.py) builds a small tree per example.
# "ci", the default: a fixed, derandomised run of about a minute. "long"
# (--hypothesis-profile=long): a deep random run, thousands of trees.
_SLOW_EXAMPLES = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci",
    max_examples=80,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_EXAMPLES,
)
settings.register_profile(
    "long", max_examples=800, deadline=None, print_blob=True, suppress_health_check=_SLOW_EXAMPLES
)
settings.load_profile("ci")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    strategies = sys.modules.get("table_strategies")
    if strategies is not None and strategies.GENERATED["tables"]:
        terminalreporter.write_line(
            f"hypothesis: {strategies.GENERATED['tables']:,} tables generated"
        )


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Where sphinx.testing finds ``test-<name>`` source roots."""
    return ROOTS


@dataclass
class Build:
    """A finished Sphinx build: exit status, warnings and output directory."""

    app: Sphinx
    statuscode: int
    warnings: str
    status: str
    outdir: Path

    @property
    def registry_json(self) -> Path:
        return self.outdir / "xenabi-registry.json"


def run_sphinx(
    srcdir: Path,
    outdir: Path,
    *,
    confdir: Path = REPO,
    buildername: str = "html",
    confoverrides: dict[str, object] | None = None,
    parallel: int = 0,
    freshenv: bool = True,
    doctreedir: Path | None = None,
) -> Build:
    """Run a real Sphinx build, as ``sphinx-build -c CONFDIR -n SRC OUT`` would.

    The repository's site is configured at the root (``conf.py`` beside
    ``docs/``), which sphinx.testing's apps cannot express, so this drives
    the Sphinx application directly.
    """
    status, warning = StringIO(), StringIO()
    with patch_docutils(confdir), docutils_namespace():
        app = Sphinx(
            srcdir,
            confdir,
            outdir,
            doctreedir or outdir.parent / f"{outdir.name}-doctrees",
            buildername,
            confoverrides={"nitpicky": True, **(confoverrides or {})},
            status=status,
            warning=warning,
            freshenv=freshenv,
            parallel=parallel,
        )
        app.build()
    return Build(app, app.statuscode, warning.getvalue(), status.getvalue(), Path(app.outdir))


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
