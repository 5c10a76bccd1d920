"""Shared fixtures: Sphinx's own testing fixtures and builds of the real site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace, patch_docutils

from sphinx_xenabi.cli.reading import TreeReading, read_tree

pytest_plugins = ("sphinx.testing.fixtures",)

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
ROOTS = Path(__file__).resolve().parent / "roots"

# The property suite (test_properties.py) builds a small tree per example.
# "ci", the default: a fixed, derandomised run of about a minute. "long"
# (--hypothesis-profile=long): a deep random run, 800 trees of 26 to 34 tables
# (over 20,000 tables; the summary line counts them).
_SLOW_EXAMPLES = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci",
    max_examples=50,
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


# -- counting full-site builds (XENABI_COUNT_BUILDS=1) ------------------------------
#
# Every Sphinx application, in this process or a subprocess this process starts,
# whose source directory is the real docs/ tree or a copy of it counts as one
# full-site build; the terminal summary prints the count per test file.

_SITE_PAGES = frozenset(
    p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*") if p.suffix in (".rst", ".md")
)
FULL_BUILDS: Counter[str] = Counter()


def is_site_tree(path: object, cwd: object = None) -> bool:
    """Whether ``path`` is the real docs tree or a copy of (most of) it."""
    try:
        tree = Path(os.fsdecode(path))  # type: ignore[arg-type]
        if cwd is not None and not tree.is_absolute():
            tree = Path(os.fsdecode(cwd)) / tree  # type: ignore[arg-type]
        if not tree.is_dir() or not (tree / "index.rst").is_file():
            return False
        present = sum((tree / page).is_file() for page in _SITE_PAGES)
    except (OSError, TypeError, ValueError):
        return False
    return present * 5 >= len(_SITE_PAGES) * 4  # 80 % of the site's pages


def _builds(words: list[object]) -> bool:
    """Whether a command line runs Sphinx on its sources (not a lint)."""
    text = [os.fsdecode(w) if isinstance(w, (str, bytes, os.PathLike)) else "" for w in words]
    if any(Path(w).name.startswith("sphinx-build") for w in text):
        return True
    if "sphinx" in text:  # python -m sphinx
        return True
    commands = {"check", "extract", "diff"}
    return any(
        w in ("sphinx_xenabi", "sphinx-xenabi") or w.endswith("/sphinx-xenabi") for w in text
    ) and bool(commands & set(text))


def _count_full_build() -> None:
    current = os.environ.get("PYTEST_CURRENT_TEST", "(outside a test)")
    FULL_BUILDS[current.split("::", 1)[0]] += 1


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("XENABI_COUNT_BUILDS"):
        return
    sphinx_init = Sphinx.__init__
    popen_init = subprocess.Popen.__init__

    def counting_sphinx_init(self: Sphinx, srcdir: object, *args: object, **kwargs: object) -> None:
        if is_site_tree(srcdir):
            _count_full_build()
        sphinx_init(self, srcdir, *args, **kwargs)  # type: ignore[arg-type]

    def counting_popen_init(
        self: subprocess.Popen, args: object, *rest: object, **kw: object
    ) -> None:  # type: ignore[type-arg]
        words = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)  # type: ignore[call-overload]
        if _builds(words) and any(is_site_tree(w, kw.get("cwd") or os.getcwd()) for w in words):
            _count_full_build()
        popen_init(self, args, *rest, **kw)  # type: ignore[arg-type]

    Sphinx.__init__ = counting_sphinx_init  # type: ignore[method-assign]
    subprocess.Popen.__init__ = counting_popen_init  # type: ignore[method-assign]


# -- running on several workers (pytest-xdist) ----------------------------------------
#
# The suite runs on two workers (addopts). Every test that uses a build of the
# whole site joins one group, so each such build still happens once per run,
# on one worker. Workers hand their counts to the controller for the summary.

_WHOLE_SITE_FIXTURES = frozenset({"site", "site_reading", "reindented_site", "reindented_docs"})


@pytest.hookimpl(tryfirst=True)  # before xdist files the items by their group
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _WHOLE_SITE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("whole-site"))


def _generated_tables() -> int:
    strategies = sys.modules.get("table_strategies")
    return int(strategies.GENERATED["tables"]) if strategies is not None else 0


_WORKER_TABLES: list[int] = []  # each finished worker's count


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a worker: its counts go to the controller
        workeroutput["xenabi_counts"] = {"tables": _generated_tables(), **FULL_BUILDS}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    counts = dict(getattr(node, "workeroutput", {}).get("xenabi_counts", {}))
    _WORKER_TABLES.append(counts.pop("tables", 0))
    FULL_BUILDS.update(counts)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tables = _generated_tables() + sum(_WORKER_TABLES)
    if tables:
        terminalreporter.write_line(f"hypothesis: {tables:,} tables generated")
    if os.environ.get("XENABI_COUNT_BUILDS"):
        terminalreporter.write_line(f"full-site builds: {sum(FULL_BUILDS.values())}")
        for file, count in sorted(FULL_BUILDS.items()):
            terminalreporter.write_line(f"  {count:3d}  {file}")


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


@pytest.fixture(scope="session")
def site_reading() -> TreeReading:
    """``check``'s reading of the real site (the dummy builder), once per session."""
    return read_tree(DOCS, REPO)


# -- the ABI pages alone ------------------------------------------------------------
#
# Most gate scenarios need the real ABI pages, not the whole site: the
# test-abi-pages root is an index (and a stand-in for the one page outside
# guest-guide they link to) to which the fixtures copy the real
# guest-guide pages. Built with the repository's conf.py, as the site is.

ABI_DIR = "guest-guide"


def copy_abi_pages(target: Path) -> Path:
    """``target``: the test-abi-pages root with the real ``guest-guide`` in it."""
    shutil.copytree(ROOTS / "test-abi-pages", target)
    shutil.copytree(DOCS / ABI_DIR, target / ABI_DIR)
    return target


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


@dataclass
class Reindented:
    """A copy of the real docs with every directive body at 2 spaces instead of 3."""

    root: Path
    changed: dict[Path, tuple[str, str]]  # {path: (old, new)} of the changed .rst files


@pytest.fixture(scope="session")
def reindented_docs(tmp_path_factory: pytest.TempPathFactory) -> Reindented:
    """The seed's re-indentation reversed on a copy of the real docs, shared (read only)."""
    from reindent import reindent_tree

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
