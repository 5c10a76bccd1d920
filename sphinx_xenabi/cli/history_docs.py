"""The docs of one commit after another, read by incremental Sphinx builds, under a chosen configuration.

``history`` reads the docs at many commits. Each reading is a build with
the ``dummy`` builder, as ``check`` runs, into one scratch environment kept
for the whole walk: Sphinx re-reads only the documents whose files changed
since the commit read before (the mirror gives each file it rewrites a new
time), so a commit that edited one page costs one page.

Which ``conf.py`` runs is the user's choice, because a build executes it
(:class:`ConfChoice`): by default none of the repository's: a built-in
configuration takes, without running anything, the literal values of
``root_doc``/``master_doc``, ``source_suffix`` and ``exclude_patterns``
from the docs' ``conf.py`` (read with :mod:`ast`); ``--conf-dir DIR`` runs
one trusted ``conf.py`` at every commit; ``--tree-conf`` runs each commit's
own.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx_xenabi.cli.errors import CliError

if TYPE_CHECKING:
    from sphinx_xenabi.model.registry import Registry

# The literal settings the built-in configuration takes from the docs' conf.py.
_STATIC_SETTINGS = ("root_doc", "master_doc", "source_suffix", "exclude_patterns")
# Sphinx's own extensions change no table: the built-in configuration goes without them.
_HARMLESS_PREFIXES = ("sphinx.ext.", "sphinx_xenabi")
_BUILTIN_CONF = (
    '"""The configuration sphinx-xenabi history uses when no conf.py of the repository runs."""\n'
)


class ConfMode(StrEnum):
    BUILTIN = "built-in"  # no conf.py of the repository runs
    TRUSTED = "trusted"  # --conf-dir: one conf.py, run at every commit
    TREE = "tree"  # --tree-conf: each commit's own conf.py


@dataclass(frozen=True)
class ConfChoice:
    mode: ConfMode
    directory: Path | None = None  # the trusted conf.py's directory

    def describe(self, docs: str) -> str:
        if self.mode is ConfMode.TRUSTED:
            return f"the configuration in {self.directory} (run at every commit)"
        if self.mode is ConfMode.TREE:
            return f"each commit's own {docs}/conf.py (run at every commit)"
        return f"a built-in configuration (no conf.py of the repository runs; {docs}/conf.py read as text)"


def static_settings_of(text: str, name: str = "conf.py") -> tuple[dict[str, Any], list[str]]:
    """The literal settings of a ``conf.py``'s ``text`` the built-in configuration uses,
    and the extensions it names that the built-in configuration does not load.

    Nothing is executed: a setting whose value is not a literal is left at
    Sphinx's default, and ``extensions`` that is not a literal list is
    reported as one unknown extension.
    """
    try:
        tree = ast.parse(text, name)
    except (SyntaxError, ValueError):
        return {}, [f"(a {name} Python cannot parse)"]
    settings: dict[str, Any] = {}
    extensions: list[str] = []
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            continue
        try:
            value = ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            if target.id == "extensions":
                extensions = ["(extensions computed by code)"]
            continue
        if target.id in _STATIC_SETTINGS:
            settings["root_doc" if target.id == "master_doc" else target.id] = value
        elif target.id == "extensions" and isinstance(value, list | tuple):
            extensions = [str(e) for e in value if not str(e).startswith(_HARMLESS_PREFIXES)]
    return settings, extensions


@dataclass(frozen=True)
class DocsReading:
    """What ``history`` keeps of a commit's docs: the tables, and what the reading depended on."""

    registry: Registry
    source_suffixes: tuple[str, ...]
    dependencies: tuple[str, ...]  # files other documents include, relative to the docs


class DocsReader:
    """Incremental readings of the docs directory of a mirror, one commit after another."""

    def __init__(self, docs_dir: Path, scratch: Path, conf: ConfChoice) -> None:
        self.docs_dir = docs_dir.resolve()
        self.scratch = scratch
        self.conf = conf
        self.reads = 0
        if conf.mode is ConfMode.BUILTIN:
            self._builtin = scratch / "conf"
            self._builtin.mkdir(parents=True, exist_ok=True)
            (self._builtin / "conf.py").write_text(_BUILTIN_CONF, encoding="utf-8")

    def _confdir_and_settings(self) -> tuple[Path, dict[str, Any]]:
        from sphinx_xenabi.cli.reading import configured_extensions

        settings: dict[str, Any] = {
            "xenabi_xen_source": False,  # history compares with each commit's source itself
            "xenabi_execute_tables": False,
            "xenabi_write_registry": False,
        }
        if self.conf.mode is ConfMode.BUILTIN:
            try:
                text = (self.docs_dir / "conf.py").read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""  # none at this commit: Sphinx's defaults
            static, _ = static_settings_of(text)
            return self._builtin, {**static, "extensions": ["sphinx_xenabi"], **settings}
        if self.conf.mode is ConfMode.TRUSTED:
            assert self.conf.directory is not None
            confdir = self.conf.directory
        else:
            confdir = self.docs_dir
            if not (confdir / "conf.py").is_file():
                raise CliError(f"{confdir.name}/conf.py: missing at this commit (--tree-conf)")
        return confdir, {"extensions": configured_extensions(confdir), **settings}

    def read(self, progress: Callable[[str], None] | None = None) -> DocsReading:
        """Build the docs as they are in the mirror now (only what changed is read again)."""
        from sphinx.errors import SphinxError

        from sphinx_xenabi.results.state import build_state

        confdir, settings = self._confdir_and_settings()
        status, warnings = io.StringIO(), io.StringIO()
        self.reads += 1
        try:
            app = self._build(confdir, settings, status, warnings)
        except (SphinxError, OSError, SyntaxError) as exc:
            raise CliError(f"the Sphinx build of the docs failed: {exc}") from None
        result = build_state(app)
        if result is None:
            raise CliError("the Sphinx build of the docs read no documents")
        paths = {(self.docs_dir / d).resolve() for ds in app.env.dependencies.values() for d in ds}
        dependencies = sorted(
            p.relative_to(self.docs_dir).as_posix()
            for p in paths
            if p.is_relative_to(self.docs_dir)
        )
        suffixes = tuple(str(s) for s in app.config.source_suffix)
        return DocsReading(result.registry, suffixes, tuple(dependencies))

    def _build(
        self, confdir: Path, settings: dict[str, Any], status: io.StringIO, warnings: io.StringIO
    ) -> Any:
        from sphinx.application import Sphinx
        from sphinx.util.docutils import docutils_namespace, patch_docutils

        with patch_docutils(confdir), docutils_namespace():
            app = Sphinx(
                srcdir=self.docs_dir,
                confdir=confdir,
                outdir=self.scratch / "out",
                doctreedir=self.scratch / "doctrees",
                buildername="dummy",
                confoverrides=settings,
                status=status,
                warning=warnings,
                freshenv=False,
            )
            # Write (resolve) only the root and the documents read again, not every page.
            root = app.env.doc2path(app.config.root_doc)
            app.build(filenames=[root] if root.is_file() else ())
        return app
